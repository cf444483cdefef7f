package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/vnstream/connector/pkg/config"
	"github.com/vnstream/connector/pkg/connector"
	"github.com/vnstream/connector/pkg/kafka"
	"github.com/vnstream/connector/pkg/schema"
	"github.com/vnstream/connector/schemas"
)

const readAbout = `Reads TOPIC from its beginning with read_committed and prints each event as
one JSON object on a line: topic, partition, offset, timestamp, key, and the
change event's op, before, after, source and ts_ms (a flat value: the op of
its header, and the record as after). Values in the Confluent
wire format are decoded through the schema registry, single-object values
with the schemas embedded in the binary. It stops at the topic's end, or
follows it with -f until interrupted. A record that does not decode is
reported on stderr, the rest are still read, and the exit code is 1.`

// readOptions are the flags of `connector read`.
type readOptions struct {
	file, brokers, registry string
	follow                  bool
	limit                   int
}

func readCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("read", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o readOptions
	fs.StringVar(&o.file, "c", "", "configuration file whose kafka (TLS, SASL) and schema_registry settings are used")
	fs.StringVar(&o.brokers, "b", "", "Kafka brokers, comma-separated, instead of -c's")
	fs.StringVar(&o.registry, "registry", "", "schema registry URL, instead of -c's schema_registry.url")
	fs.BoolVar(&o.follow, "f", false, "follow: at the topic's end, wait for new events")
	fs.IntVar(&o.limit, "n", 0, "stop after this many events (0: no limit)")
	const synopsis = "usage: connector read (-c FILE | -b BROKERS) [-registry URL] [-f] [-n COUNT] TOPIC\n"
	fs.Usage = func() {
		fmt.Fprintf(stderr, "%s\n%s\n\nFlags:\n", synopsis, readAbout)
		fs.PrintDefaults()
	}
	pos, err := parseInterleaved(fs, args)
	switch {
	case err != nil:
		return err
	case len(pos) != 1 || (o.file == "") == (o.brokers == "") || o.limit < 0:
		fmt.Fprint(stderr, synopsis)
		return errUsage
	}
	kopts, reg, err := o.clients()
	if err != nil {
		return err
	}
	set, err := schema.Load(schemas.FS)
	if err != nil {
		return err
	}
	return readTopic(ctx, kopts, pos[0], schema.NewDecoder(set, reg), o, stdout, stderr)
}

// clients are the Kafka options and the registry client the flags name.
func (o readOptions) clients() ([]kgo.Opt, *sr.Client, error) {
	var k config.Kafka
	r := config.SchemaRegistry{URL: o.registry}
	if o.file != "" {
		cfg, err := config.Load(o.file)
		if err != nil {
			return nil, nil, err
		}
		k = cfg.Kafka
		if o.registry == "" {
			r = cfg.SchemaRegistry
		}
	} else {
		k.Brokers = strings.Split(o.brokers, ",")
	}
	kopts, err := kafka.Options(k)
	if err != nil {
		return nil, nil, err
	}
	reg, err := connector.RegistryClient(r)
	return kopts, reg, err
}

// errUndecodable makes `read` exit 1 once it has read what it could.
var errUndecodable = errors.New("some records could not be decoded (reported above)")

// readTopic prints the events of topic, from its start to its end as it
// was when reading began (or on, with o.follow), at most o.limit of them.
func readTopic(ctx context.Context, kopts []kgo.Opt, topic string, dec *schema.Decoder, o readOptions, stdout, stderr io.Writer) error {
	cl, err := kgo.NewClient(append(kopts,
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		// Transaction markers are kept to see where a partition ends.
		kgo.KeepControlRecords(),
	)...)
	if err != nil {
		return err
	}
	defer cl.Close()
	remaining, err := unreadPartitions(ctx, kadm.NewClient(cl), topic)
	if err != nil {
		return err
	}
	printed, failed := 0, 0
	for o.follow || len(remaining) > 0 {
		fetches := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			break // interrupted: what was read is printed
		}
		if err := fetches.Err(); err != nil {
			return fmt.Errorf("reading %s: %w", topic, err)
		}
		for it := fetches.RecordIter(); !it.Done(); {
			r := it.Next()
			if end, ok := remaining[r.Partition]; ok && r.Offset >= end-1 {
				delete(remaining, r.Partition)
			}
			if r.Attrs.IsControl() {
				continue
			}
			line, err := eventJSON(ctx, dec, r)
			if err != nil {
				failed++
				fmt.Fprintf(stderr, "%s partition %d offset %d: %v\n", r.Topic, r.Partition, r.Offset, err)
				continue
			}
			if _, err := stdout.Write(line); err != nil {
				return err
			}
			if printed++; printed == o.limit {
				return nil
			}
		}
	}
	if failed > 0 {
		return errUndecodable
	}
	return nil
}

// unreadPartitions are the partitions of topic that hold committed
// records, each with its last stable offset: the end a reader with
// read_committed reaches.
func unreadPartitions(ctx context.Context, adm *kadm.Client, topic string) (map[int32]int64, error) {
	starts, err := adm.ListStartOffsets(ctx, topic)
	if err == nil {
		err = starts.Error()
	}
	switch {
	case errors.Is(err, kerr.UnknownTopicOrPartition):
		return nil, fmt.Errorf("topic %s does not exist", topic)
	case err != nil:
		return nil, fmt.Errorf("listing the partitions of %s: %w", topic, err)
	}
	ends, err := adm.ListCommittedOffsets(ctx, topic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return nil, fmt.Errorf("listing the end offsets of %s: %w", topic, err)
	}
	remaining := map[int32]int64{}
	ends.Each(func(e kadm.ListedOffset) {
		if s, ok := starts.Lookup(topic, e.Partition); ok && e.Offset > s.Offset {
			remaining[e.Partition] = e.Offset
		}
	})
	return remaining, nil
}

// eventJSON is the line printed for the record r: where it is, its key,
// and the members of its value, a change event; or, for a flat value, the
// op of its header and the value as after.
func eventJSON(ctx context.Context, dec *schema.Decoder, r *kgo.Record) ([]byte, error) {
	key := jsontext.Value("null")
	if r.Key != nil {
		var err error
		if key, err = dec.DecodeJSON(ctx, r.Key); err != nil {
			return nil, fmt.Errorf("key: %w", err)
		}
	}
	if r.Value == nil {
		return nil, errors.New("value: none (a tombstone); the connector writes none to event topics")
	}
	value, err := dec.DecodeJSON(ctx, r.Value)
	if err != nil {
		return nil, fmt.Errorf("value: %w", err)
	}
	if len(value) < 3 || value[0] != '{' {
		return nil, fmt.Errorf("value: %.40s is not a record", value)
	}
	head := struct {
		Topic     string         `json:"topic"`
		Partition int32          `json:"partition"`
		Offset    int64          `json:"offset"`
		Timestamp time.Time      `json:"timestamp"`
		Key       jsontext.Value `json:"key"`
		Op        string         `json:"op,omitzero"`
		After     jsontext.Value `json:"after,omitzero"`
	}{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Timestamp: r.Timestamp.UTC(), Key: key}
	// A flat value is the entity record, its op in a header; an envelope's
	// members follow the key's (both are compact objects).
	for _, h := range r.Headers {
		if h.Key == "connector.op" {
			head.Op, head.After = string(h.Value), value
		}
	}
	line, err := json.Marshal(head)
	if err != nil || head.After != nil {
		return append(line, '\n'), err
	}
	line = append(line[:len(line)-1], ',')
	line = append(line, value[1:]...)
	return append(line, '\n'), nil
}
