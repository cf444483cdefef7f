package kafka

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// ErrTopicConfig refuses a topic whose configuration would lose what the
// connector writes: an offsets topic without cleanup.policy=compact, or
// whose max.message.bytes cannot take an offset.
var ErrTopicConfig = errors.New("refusing to start")

// Topic is a topic the connector needs.
type Topic struct {
	Name       string
	Partitions int32
	// Replication is -1 for the broker's default.
	Replication int16
	// Compact requires cleanup.policy=compact: the offsets topic.
	Compact bool
	// MinEventBytes, when set, requires the topic to take records of that
	// many bytes (Limits.MaxEvent): the offsets topic, whose records
	// cannot go to the dead-letter topic.
	MinEventBytes int
	// BatchBytes, when set, caps a record batch to the topic below its
	// max.message.bytes (kafka.batch_bytes); unset, franz-go's default
	// of 1,000,012 bytes does.
	BatchBytes int32
}

// Limits are the caps on a record batch to the topics EnsureTopics
// checked: a topic's BatchBytes or its max.message.bytes, as the brokers
// gave it, whichever is lower.
type Limits map[string]int32

// defaultBatchBytes is franz-go's default cap on a record batch
// (kgo.ProducerBatchMaxBytes).
const defaultBatchBytes = 1_000_012

// Batch is the cap on a record batch to topic, for
// kgo.ProducerBatchMaxBytesFn: its limit, or franz-go's default of
// 1,000,012 bytes for a topic EnsureTopics did not check. A broker refuses
// a batch over the topic's max.message.bytes (MESSAGE_TOO_LARGE), and the
// transaction with it, on every attempt.
func (l Limits) Batch(topic string) int32 {
	if n, ok := l[topic]; ok {
		return max(n, 512) // franz-go refuses a cap below 512
	}
	return defaultBatchBytes
}

// MaxEvent is the most bytes of key, value and headers one record to
// topic may take: its batch cap less the room MaxEventBytes leaves under
// franz-go's default one.
func (l Limits) MaxEvent(topic string) int {
	return int(l.Batch(topic)) - (defaultBatchBytes - MaxEventBytes)
}

// EnsureTopics creates the topics that are missing, checks the ones that
// exist and returns their limits. A compacted topic (the offsets topic)
// that exists without cleanup.policy=compact is refused: deleting old
// offsets would lose a source's position; so is a topic whose
// max.message.bytes is below its MinEventBytes. A topic without such
// requirements that the connector may not describe (its ACLs) is taken
// to take a batch of its BatchBytes.
//
// It asks to create every topic first and lists them after: kgo caches
// metadata for MetadataMinAge, so a topic listed as missing just before
// its creation would look missing for that long.
func EnsureTopics(ctx context.Context, adm *kadm.Client, topics []Topic) (Limits, error) {
	createErrs := map[string]error{}
	names := make([]string, len(topics))
	for i, t := range topics {
		names[i] = t.Name
		var configs map[string]*string
		if t.Compact {
			configs = map[string]*string{"cleanup.policy": kadm.StringPtr("compact")}
		}
		resp, err := adm.CreateTopic(ctx, t.Partitions, t.Replication, configs, t.Name)
		if err == nil {
			err = resp.Err
		}
		if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
			// Without the right to create topics, an existing one is fine.
			createErrs[t.Name] = err
		}
	}
	if err := waitForTopics(ctx, adm, names); err != nil {
		for name, cerr := range createErrs {
			err = errors.Join(err, fmt.Errorf("creating topic %s: %w", name, cerr))
		}
		return nil, err
	}
	unique := slices.Compact(slices.Sorted(slices.Values(names))) // sources may share a topic
	rcs, err := adm.DescribeTopicConfigs(ctx, unique...)
	if err != nil {
		return nil, fmt.Errorf("describing topics %v: %w", unique, err)
	}
	limits := Limits{}
	for _, t := range topics {
		limits[t.Name] = cmp.Or(t.BatchBytes, defaultBatchBytes)
		rc, err := rcs.On(t.Name, nil)
		if err == nil {
			err = rc.Err
		}
		if err != nil && !t.Compact && t.MinEventBytes == 0 {
			continue // a topic it may not describe: its max.message.bytes is unknown
		}
		if err != nil {
			return nil, fmt.Errorf("describing topic %s: %w", t.Name, err)
		}
		if err := checkTopic(rc, t, limits); err != nil {
			return nil, err
		}
	}
	return limits, nil
}

// checkTopic lowers topic t's limit to its max.message.bytes, read from
// rc, its configuration, and checks what t requires of it.
func checkTopic(rc kadm.ResourceConfig, t Topic, limits Limits) error {
	policy := "delete"
	for _, c := range rc.Configs {
		switch {
		case c.Value == nil:
		case c.Key == "cleanup.policy":
			policy = *c.Value
		case c.Key == "max.message.bytes":
			n, err := strconv.ParseInt(*c.Value, 10, 32)
			if err != nil {
				return fmt.Errorf("topic %s: max.message.bytes=%q: %w", t.Name, *c.Value, err)
			}
			limits[t.Name] = min(limits[t.Name], int32(n))
		}
	}
	if t.Compact && !slices.ContainsFunc(strings.Split(policy, ","), func(p string) bool { return strings.TrimSpace(p) == "compact" }) {
		return fmt.Errorf("%w: offsets topic %s has cleanup.policy=%s: it must be compacted, or old offsets are deleted and sources restart from scratch; "+
			"fix it with: kafka-configs --alter --entity-type topics --entity-name %s --add-config cleanup.policy=compact", ErrTopicConfig, t.Name, policy, t.Name)
	}
	if limits.MaxEvent(t.Name) < t.MinEventBytes {
		return fmt.Errorf("%w: topic %s has max.message.bytes=%d: its records may take up to %d bytes; "+
			"fix it with: kafka-configs --alter --entity-type topics --entity-name %s --add-config max.message.bytes=%d", ErrTopicConfig, t.Name, limits[t.Name], t.MinEventBytes, t.Name, defaultBatchBytes)
	}
	return nil
}

// waitForTopics waits until the metadata of every named topic has leaders
// for all its partitions: a topic just created is not usable at once.
func waitForTopics(ctx context.Context, adm *kadm.Client, names []string) error {
	for len(names) > 0 {
		tds, err := adm.ListTopics(ctx, names...)
		if err == nil {
			var missing []string
			for _, n := range names {
				td, ok := tds[n]
				if !ok || td.Err != nil || len(td.Partitions) == 0 {
					missing = append(missing, n)
					continue
				}
				for _, p := range td.Partitions {
					if p.Err != nil || p.Leader < 0 {
						missing = append(missing, n)
						break
					}
				}
			}
			names = missing
		}
		if len(names) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for new topics %v: %w", names, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

// Partitions returns the partition count of topic.
func Partitions(ctx context.Context, adm *kadm.Client, topic string) (int, error) {
	tds, err := adm.ListTopics(ctx, topic)
	if err != nil {
		return 0, fmt.Errorf("describing topic %s: %w", topic, err)
	}
	td, ok := tds[topic]
	if !ok || td.Err != nil {
		return 0, fmt.Errorf("describing topic %s: %v", topic, td.Err)
	}
	return len(td.Partitions), nil
}
