package connector_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/vnstream/connector/pkg/config"
	"github.com/vnstream/connector/pkg/connector"
	_ "github.com/vnstream/connector/pkg/provider/all"
	"github.com/vnstream/connector/pkg/schema"
	tikisim "github.com/vnstream/connector/pkg/sim/tiki"
	"github.com/vnstream/connector/pkg/source/tiki"
	"github.com/vnstream/connector/schemas"
)

const (
	clientID = "test-client"
	secret   = "test-secret-value-0123456789"
	formA    = "7"
	formB    = "1234567890123"
)

// testBrokers returns the brokers of an end-to-end test: KAFKA_BROKERS, a
// real cluster (test/kafka/start.sh starts one), or else a new in-process
// kfake cluster. testConfig names every topic after the test, so tests
// sharing one cluster never meet.
func testBrokers(t testing.TB) []string {
	t.Helper()
	if v := os.Getenv("KAFKA_BROKERS"); v != "" {
		return strings.Split(v, ",")
	}
	return newBroker(t).ListenAddrs()
}

// uniqueName names a test's connector and topics.
func uniqueName(t testing.TB) string {
	name := strings.ToLower(regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(t.Name(), "-"))
	return fmt.Sprintf("%s-%06x", strings.Trim(name, "-"), rand.Uint32()&0xffffff)
}

// newBroker starts an in-memory kfake cluster that the test stops.
func newBroker(t testing.TB) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// newSim starts a Tiki simulator on 127.0.0.1 that the test stops.
func newSim(t testing.TB, opts ...tikisim.Option) (*tikisim.Sim, string) {
	t.Helper()
	sim := tikisim.New(clientID, secret, opts...)
	return sim, serve(t, sim)
}

// serve serves h on 127.0.0.1 until the test ends, and returns its URL.
func serve(t testing.TB, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// sourceYAML is one tiki source; fields are filled by Sprintf.
const sourceYAML = `
  - name: %s
    kind: tiki_lead
    topic: %s
    poll_interval: 200ms
    error_backoff_max: 2s
    http:
      timeout: %s
      backoff_initial: 20ms
      backoff_max: 200ms
      max_attempts: 4
      rate_limit: 1000
    tiki:
      base_url: %s
      client_id: ` + clientID + `
      client_secret: ${%s}
      form_ids: ["` + formA + `", "` + formB + `"]
      page_size: %d
      start_time: %s
      window: %s
      lag: 1s
      overlap: 10s
      max_window_records: %d
`

// tikiSource describes a source for testConfig.
type tikiSource struct {
	name, url, secretVar string
	pageSize, maxWindow  int
	window, timeout      string
	start                time.Time
}

func testConfig(t testing.TB, brokers []string, env map[string]string, extra string, sources ...tikiSource) *config.Config {
	t.Helper()
	var b strings.Builder
	name := uniqueName(t)
	fmt.Fprintf(&b, "name: %s\nkafka:\n  brokers: [%q]\n  offsets_topic: %s-offsets\n  offsets_partitions: 3\n  topic_partitions: 3\n  replication_factor: 1\n  transaction_timeout: 10s\n  group:\n    session_timeout: 6s\nhttp:\n  listen: \"-\"\n%s\nsources:\n",
		name, strings.Join(brokers, `", "`), name, extra)
	for _, s := range sources {
		if s.pageSize == 0 {
			s.pageSize = 100
		}
		if s.maxWindow == 0 {
			s.maxWindow = 10000
		}
		if s.window == "" {
			s.window = "6h"
		}
		if s.timeout == "" {
			s.timeout = "5s"
		}
		if s.secretVar == "" {
			s.secretVar = "TIKI_SECRET"
		}
		fmt.Fprintf(&b, sourceYAML, s.name, name+"."+s.name, s.timeout, s.url, s.secretVar, s.pageSize, s.start.Format(time.RFC3339), s.window, s.maxWindow)
	}
	lookup := func(k string) (string, bool) {
		if k == "TIKI_SECRET" {
			return secret, true
		}
		v, ok := env[k]
		return v, ok
	}
	cfg, err := config.Parse([]byte(b.String()), lookup)
	if err != nil {
		t.Fatalf("config: %v\n%s", err, b.String())
	}
	return cfg
}

// running is a connector started by start.
type running struct {
	c      *connector.Connector
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
}

// start runs a connector for cfg until stop; logs go to the test log.
func start(t testing.TB, cfg *config.Config, opts ...connector.Option) *running {
	t.Helper()
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	c, err := connector.New(cfg, append([]connector.Option{connector.WithLogger(log)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{c: c, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- c.Run(ctx) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// refusal runs a connector for cfg that must refuse to start, and returns
// the error Run returned (nil if it ran until the 20s deadline).
func refusal(t testing.TB, cfg *config.Config) error {
	t.Helper()
	c, err := connector.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return c.Run(ctx)
}

// stop cancels the connector and waits for Run to return cleanly.
func (r *running) stop(t testing.TB) {
	t.Helper()
	r.once.Do(func() {
		r.cancel()
		select {
		case err := <-r.done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("connector did not stop within 30s")
		}
	})
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// event is one decoded change event with its Kafka coordinates.
type event struct {
	key       tiki.Key
	env       envelope
	partition int32
	offset    int64
	headers   map[string]string
}

type envelope struct {
	Before *tiki.FormResponse `avro:"before"`
	After  *tiki.FormResponse `avro:"after"`
	Source schema.SourceInfo  `avro:"source"`
	Op     string             `avro:"op"`
	TsMs   int64              `avro:"ts_ms"`
}

// readTopic reads topic with an independent read_committed consumer until
// it has want records and nothing more arrives for a moment, or the
// deadline passes, and decodes every record.
func readTopic(t testing.TB, brokers []string, topic string, want int, deadline time.Duration) []event {
	t.Helper()
	set, err := schema.Load(schemas.FS)
	if err != nil {
		t.Fatal(err)
	}
	return readTopicWith(t, schema.NewDecoder(set, nil), brokers, topic, want, deadline)
}

// readTopicWith is readTopic decoding with dec.
func readTopicWith(t testing.TB, dec *schema.Decoder, brokers []string, topic string, want int, deadline time.Duration) []event {
	t.Helper()
	return readTopicOver(t, dec, []kgo.Opt{kgo.SeedBrokers(brokers...)}, topic, want, deadline)
}

// readTopicOver is readTopicWith with the consumer's client options (TLS,
// SASL: kafka.Options).
func readTopicOver(t testing.TB, dec *schema.Decoder, opts []kgo.Opt, topic string, want int, deadline time.Duration) []event {
	t.Helper()
	var out []event
	consumeOver(t, opts, topic, want, deadline, func(r *kgo.Record) {
		e := event{partition: r.Partition, offset: r.Offset, headers: map[string]string{}}
		for _, h := range r.Headers {
			e.headers[h.Key] = string(h.Value)
		}
		if err := dec.Decode(context.Background(), r.Key, &e.key); err != nil {
			t.Fatalf("decode key at %d/%d: %v", r.Partition, r.Offset, err)
		}
		if err := dec.Decode(context.Background(), r.Value, &e.env); err != nil {
			t.Fatalf("decode value at %d/%d: %v", r.Partition, r.Offset, err)
		}
		out = append(out, e)
	})
	return out
}

// consume reads topic from the start with an independent read_committed
// consumer, handing every record to each, until want records have arrived
// and nothing more comes for half a second, or the deadline passes.
func consume(t testing.TB, brokers []string, topic string, want int, deadline time.Duration, each func(*kgo.Record)) {
	t.Helper()
	consumeOver(t, []kgo.Opt{kgo.SeedBrokers(brokers...)}, topic, want, deadline, each)
}

// consumeOver is consume with the consumer's client options.
func consumeOver(t testing.TB, opts []kgo.Opt, topic string, want int, deadline time.Duration, each func(*kgo.Record)) {
	t.Helper()
	cl, err := kgo.NewClient(append(opts[:len(opts):len(opts)], kgo.ConsumeTopics(topic),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	end := time.Now().Add(deadline)
	got := 0
	quietUntil := time.Time{}
	for time.Now().Before(end) {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		fs := cl.PollFetches(ctx)
		cancel()
		fs.EachError(func(_ string, _ int32, err error) {
			if err != context.DeadlineExceeded {
				t.Fatalf("consume: %v", err)
			}
		})
		n := 0
		fs.EachRecord(func(r *kgo.Record) {
			n++
			each(r)
		})
		got += n
		if got >= want {
			if n > 0 || quietUntil.IsZero() {
				quietUntil = time.Now().Add(500 * time.Millisecond)
			}
			if time.Now().After(quietUntil) {
				break
			}
		}
	}
}

// verifyExactlyOnce checks that events hold every response of sim exactly
// once, with the vendor's values, in id order within each partition.
func verifyExactlyOnce(t testing.TB, sim *tikisim.Sim, events []event) {
	t.Helper()
	byID := map[string]event{}
	dups := 0
	for _, e := range events {
		if _, dup := byID[e.key.ID]; dup {
			dups++
			if dups <= 5 {
				t.Errorf("response %s written twice (partition %d offsets %d and %d)", e.key.ID, e.partition, byID[e.key.ID].offset, e.offset)
			}
		}
		byID[e.key.ID] = e
	}
	responses := sim.Responses()
	lost := 0
	for _, r := range responses {
		e, ok := byID[r.ID]
		if !ok {
			lost++
			if lost <= 5 {
				t.Errorf("response %s (created %s) lost", r.ID, r.CreatedAt.Format(time.RFC3339))
			}
			continue
		}
		a := e.env.After
		if a == nil || a.ID != r.ID || a.FormID != r.FormID || !a.CreatedAt.Equal(r.CreatedAt) || a.Inputs != string(r.Inputs) || e.env.Before != nil {
			t.Errorf("response %s: event %+v does not match %+v", r.ID, a, r)
		}
		if e.env.Source.Provider != "tiki_lead" || e.env.Source.TsMs != r.CreatedAt.UnixMilli() || e.env.Source.Snapshot != (e.env.Op == "r") {
			t.Errorf("response %s: source block %+v", r.ID, e.env.Source)
		}
	}
	if len(byID) != len(responses) {
		t.Errorf("%d distinct events for %d responses", len(byID), len(responses))
	}
	// Per partition, events come oldest first: ids ascend except where a
	// late write lands in a later window.
	if lost+dups > 0 {
		t.Fatalf("%d lost, %d duplicated of %d responses", lost, dups, len(responses))
	}
	t.Logf("verified %d responses exactly once (%d events)", len(responses), len(events))
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, what string, deadline time.Duration, cond func() bool) {
	t.Helper()
	end := time.Now().Add(deadline)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("timed out after %s waiting for %s", deadline, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// committed counts the batches and events a connector reports.
type committed struct {
	mu      sync.Mutex
	events  int
	batches int
}

func (c *committed) option() connector.Option { return connector.WithOnCommit(c.add) }

// add counts the committed batch b.
func (c *committed) add(b connector.Batch) {
	c.mu.Lock()
	c.events += b.Events
	c.batches++
	c.mu.Unlock()
}

func (c *committed) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.events
}

func get(t testing.TB, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	b, _ := io.ReadAll(rec.Body)
	return rec.Code, string(b)
}
