package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/vnstream/connector/pkg/schema"
	"github.com/vnstream/connector/pkg/source/tiki"
	"github.com/vnstream/connector/schemas"
)

// TestReadCommand reads a topic the connector wrote through a registry:
// to its end, with a count limit, following it, with a record in it that
// is not an event, and a topic that does not exist. It runs on
// KAFKA_BROKERS when set (test/kafka/start.sh), on kfake otherwise, and
// through the registry at SCHEMA_REGISTRY_URL when set, srfake otherwise.
func TestReadCommand(t *testing.T) {
	registry := os.Getenv("SCHEMA_REGISTRY_URL") // a real one (.ci/run starts Apicurio Registry)
	if registry == "" {
		reg := srfake.New()
		t.Cleanup(reg.Close)
		registry = reg.URL()
	}
	name := fmt.Sprintf("read-%06x", rand.Uint32()&0xffffff)
	e := toolEnvOn(t, testBrokers(t, true), name, name+".leads", registry)
	topic := e.cfg.Sources[0].Topic
	_, stop := e.startConnector(t)
	waitUntil(t, func() bool {
		_, out := cli("read", "-c", e.file, topic)
		return strings.Count(out, "\n") == 30
	})
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	code, out := cli("read", "-c", e.file, topic)
	keys := map[string]bool{}
	for line := range strings.Lines(out) {
		var ev struct {
			Topic     string
			Partition int32
			Offset    int64
			Timestamp time.Time
			Key       struct{ ID string }
			Op        string
			After     struct {
				ID     string
				FormID string `json:"form_id"`
			}
			Source struct{ Source, Provider string }
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if ev.Topic != topic || ev.Timestamp.IsZero() || ev.Key.ID == "" || ev.After.ID != ev.Key.ID || ev.After.FormID != "1" ||
			ev.Op != "r" || ev.Source.Source != "leads" || ev.Source.Provider != "tiki_lead" {
			t.Errorf("event %s", line)
		}
		keys[ev.Key.ID] = true
	}
	if code != 0 || len(keys) != 30 {
		t.Fatalf("read = %d with %d keys:\n%s", code, len(keys), out)
	}
	if code, out := cli("read", "-c", e.file, "-n", "5", topic); code != 0 || strings.Count(out, "\n") != 5 {
		t.Errorf("read -n 5 = %d:\n%s", code, out)
	}
	broker := e.cfg.Kafka.Brokers[0]
	if code, out := cli("read", topic, "-b", broker, "-registry", registry, "-n", "1"); code != 0 || !strings.Contains(out, `"op":"r"`) {
		t.Errorf("read -b -registry = %d:\n%s", code, out)
	}

	// Following: the reader prints the 30 events, waits, and prints a
	// 31st written after it reached the end.
	var follow syncBuffer
	done := make(chan int, 1)
	go func() { done <- run([]string{"read", "-c", e.file, "-f", "-n", "31", topic}, &follow, &follow) }()
	waitUntil(t, func() bool { return strings.Count(follow.String(), "\n") == 30 })
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker), kgo.ConsumeTopics(topic), kgo.DefaultProduceTopic(topic))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	first := cl.PollRecords(ctx, 1).Records()
	if len(first) != 1 {
		t.Fatal("no record to copy")
	}
	if err := cl.ProduceSync(ctx, &kgo.Record{Key: first[0].Key, Value: first[0].Value}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != 0 || strings.Count(follow.String(), "\n") != 31 {
			t.Errorf("read -f -n 31 = %d:\n%s", code, follow.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("read -f -n 31 did not print the 31st event:\n%s", follow.String())
	}

	// A record that is not an event is reported, and the rest still read.
	if err := cl.ProduceSync(ctx, &kgo.Record{Key: first[0].Key, Value: []byte(`{"id":"1"}`)}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	code, out = cli("read", "-c", e.file, topic)
	if code != 1 || strings.Count(out, `"op":"r"`) != 31 || !strings.Contains(out, "offset ") ||
		!strings.Contains(out, "value: schema: decode: unknown magic byte 0x7b") || !strings.Contains(out, "some records could not be decoded") {
		t.Errorf("read with a record that is not an event = %d:\n%s", code, out)
	}

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"read", "-c", e.file, "no.such.topic"}, 1, "topic no.such.topic does not exist"},
		{[]string{"read", "-c", e.file}, 2, "usage: connector read"},
		{[]string{"read", "-c", e.file, "-b", broker, topic}, 2, "usage: connector read"},
		{[]string{"read", "-b", broker, "-n", "-1", topic}, 2, "usage: connector read"},
		{[]string{"read", "-h"}, 0, "Reads TOPIC from its beginning with read_committed"},
		{[]string{"read", "-b", broker, "-n", "1", topic}, 1, "Confluent frame with schema id"},
	} {
		if code, out := cli(tc.args...); code != tc.code || !strings.Contains(out, tc.want) {
			t.Errorf("connector %v = %d %q, want %d with %q", tc.args, code, out, tc.code, tc.want)
		}
	}
}

// A flat value prints as the op of its header and the record as after.
func TestEventJSONFlat(t *testing.T) {
	set, err := schema.Load(schemas.FS)
	if err != nil {
		t.Fatal(err)
	}
	e, err := set.Entity("tiki/form_response")
	if err != nil {
		t.Fatal(err)
	}
	c, err := schema.NewSingleObjectCodec(e.Flat(), &tiki.FormResponse{})
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	k, err := c.AppendKey(nil, tiki.Key{ID: "7"})
	if err != nil {
		t.Fatal(err)
	}
	v, err := c.AppendValue(nil, &schema.Envelope{After: &tiki.FormResponse{ID: "7", FormID: "1", CreatedAt: created, Inputs: "{}"}})
	if err != nil {
		t.Fatal(err)
	}
	rec := &kgo.Record{Topic: "t", Partition: 1, Offset: 2, Timestamp: created, Key: k, Value: v,
		Headers: []kgo.RecordHeader{{Key: "connector.op", Value: []byte("c")}}}
	line, err := eventJSON(context.Background(), schema.NewDecoder(set, nil), rec)
	want := `{"topic":"t","partition":1,"offset":2,"timestamp":"2026-12-04T09:00:00Z","key":{"id":"7"},"op":"c",` +
		`"after":{"id":"7","form_id":"1","created_at":"2026-12-04T09:00:00Z","inputs":"{}","extra_json":null}}` + "\n"
	if err != nil || string(line) != want {
		t.Errorf("eventJSON = %s, %v; want %s", line, err, want)
	}
}
