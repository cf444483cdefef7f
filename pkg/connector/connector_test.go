package connector_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/vnstream/connector/pkg/config"
	"github.com/vnstream/connector/pkg/connector"
	"github.com/vnstream/connector/pkg/fetch"
	"github.com/vnstream/connector/pkg/kafka"
	tikisim "github.com/vnstream/connector/pkg/sim/tiki"
)

// seed stores n responses spread over span before end, in both forms, with
// groups of responses in the same second and ids crossing 99 → 100 → 1000.
func seed(sim *tikisim.Sim, n int, end time.Time, span time.Duration) {
	for i := range n {
		at := end.Add(-span + time.Duration(i/3)*(span/time.Duration(n/3+1)))
		form := formA
		if i%4 == 0 {
			form = formB
		}
		sim.Create(form, at)
	}
}

// checkOps checks the op of each event: r for a response created well
// before the connector started (the backfill), c for one created after.
func checkOps(t *testing.T, events []event, started time.Time) {
	t.Helper()
	for _, e := range events {
		created := e.env.After.CreatedAt
		switch {
		case created.Before(started.Add(-7*time.Hour)) && e.env.Op != "r":
			t.Errorf("backfilled response %s has op %q", e.key.ID, e.env.Op)
		case created.After(started) && e.env.Op != "c":
			t.Errorf("streamed response %s has op %q", e.key.ID, e.env.Op)
		}
	}
}

func TestEndToEndBackfillThenStream(t *testing.T) {
	addrs := testBrokers(t)
	sim, url := newSim(t, tikisim.WithStartID(90), tikisim.WithPageCap(40))
	now := time.Now().UTC().Truncate(time.Second)
	seed(sim, 3000, now.Add(-time.Minute), 10*24*time.Hour)
	sim.Add(tikisim.Response{ID: "5", FormID: formA, CreatedAt: now.Add(-9 * 24 * time.Hour), Inputs: json.RawMessage(`{"late":true}`),
		Extra: map[string]json.RawMessage{"campaign": json.RawMessage(`{"utm":"zalo"}`)}})
	cfg := testConfig(t, addrs, nil, "", tikiSource{name: "tiki-a", url: url, start: now.Add(-11 * 24 * time.Hour)})

	var got committed
	started := time.Now()
	r := start(t, cfg, got.option())
	waitFor(t, "the backfill", 60*time.Second, func() bool { return got.count() >= 3001 })
	if code, _ := get(t, r.c.Handler(), "/readyz"); code != 200 {
		t.Errorf("/readyz = %d while running", code)
	}

	// New responses while it runs, some written late (stamped in the past
	// but inside the overlap) and several in one second.
	for i := range 60 {
		at := time.Now().UTC().Truncate(time.Second)
		if i%10 == 0 {
			at = at.Add(-4 * time.Second)
		}
		sim.Create(formA, at)
		if i%3 == 0 {
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitFor(t, "the streamed responses", 30*time.Second, func() bool { return got.count() >= 3061 })
	r.stop(t)

	events := readTopic(t, addrs, cfg.Sources[0].Topic, 3061, 20*time.Second)
	verifyExactlyOnce(t, sim, events)
	checkOps(t, events, started)
	for _, e := range events {
		if e.key.ID == "5" {
			if x := e.env.After.ExtraJSON; x == nil || *x != `{"campaign":{"utm":"zalo"}}` {
				t.Errorf("unknown field not kept: extra_json = %v", x)
			}
		}
		if e.headers["connector.provider"] != "tiki_lead" || !strings.HasPrefix(e.headers["connector.value.schema"], "fp:") {
			t.Errorf("headers %v", e.headers)
		}
	}
	m := r.c.Metrics()
	if n := testutil.ToFloat64(m.RecordsWritten.WithLabelValues("tiki-a", "tiki_lead")); n != 3061 {
		t.Errorf("records_written_total = %v, want 3061", n)
	}
	if n := testutil.ToFloat64(m.Transactions.WithLabelValues("tiki-a", "tiki_lead", "committed")); n < 40 {
		t.Errorf("transactions committed = %v, want one per window at least", n)
	}
}

func TestRestartsInsideTransactionsKeepExactlyOnce(t *testing.T) {
	addrs := testBrokers(t)
	sim, url := newSim(t, tikisim.WithPageCap(25))
	now := time.Now().UTC().Truncate(time.Second)
	seed(sim, 2500, now.Add(-time.Minute), 5*24*time.Hour)
	cfg := testConfig(t, addrs, nil, "", tikiSource{name: "tiki-r", url: url, start: now.Add(-6 * 24 * time.Hour), window: "2h", pageSize: 25})

	rng := rand.New(rand.NewPCG(1, 2))
	restarts := 0
	for restarts < 12 {
		var got committed
		r := start(t, cfg, got.option())
		// Stop at a random moment: often in the middle of a transaction.
		time.Sleep(time.Duration(50+rng.IntN(400)) * time.Millisecond)
		for range 5 {
			sim.Create(formB, time.Now().UTC())
		}
		r.stop(t)
		restarts++
		t.Logf("restart %d: %d events in %d batches before the stop", restarts, got.count(), got.batches)
	}
	var got committed
	r := start(t, cfg, got.option())
	total := len(sim.Responses())
	events := readTopic(t, addrs, cfg.Sources[0].Topic, total, 90*time.Second)
	r.stop(t)
	verifyExactlyOnce(t, sim, events)
}

func TestVendorFaultsDelayButNeverLose(t *testing.T) {
	for _, tc := range []struct {
		name        string
		records     int
		rates       tikisim.FaultRates
		span        time.Duration
		window      string
		pageSize    int
		wantClasses bool // every fault class is drawn at least once
	}{
		{"heavy", 1000, tikisim.FaultRates{RateLimit: 0.04, ServerError: 0.08, Slow: 0.03, Malformed: 0.03, HTML: 0.04}, 2 * 24 * time.Hour, "3h", 50, false},
		{"at scale", 20000, tikisim.FaultRates{RateLimit: 0.01, ServerError: 0.03, Slow: 0.01, Malformed: 0.02, HTML: 0.02}, 10 * 24 * time.Hour, "6h", 100, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addrs := testBrokers(t)
			sim, url := newSim(t, tikisim.WithPageCap(tc.pageSize))
			now := time.Now().UTC().Truncate(time.Second)
			seed(sim, tc.records, now.Add(-time.Minute), tc.span)
			tc.rates.SlowDelay, tc.rates.Seed = 1500*time.Millisecond, 7
			sim.SetFaultRates(tc.rates)
			cfg := testConfig(t, addrs, nil, "", tikiSource{name: "tiki-f", url: url, start: now.Add(-tc.span - time.Hour),
				window: tc.window, pageSize: tc.pageSize, timeout: "500ms"})
			var got committed
			r := start(t, cfg, got.option())
			waitFor(t, "all responses despite faults", 3*time.Minute, func() bool { return got.count() >= tc.records })
			r.stop(t)
			verifyExactlyOnce(t, sim, readTopic(t, addrs, cfg.Sources[0].Topic, tc.records, 30*time.Second))

			st := sim.Stats()
			m := r.c.Metrics()
			counted := func(vec *prometheus.CounterVec, reason string) float64 {
				return testutil.ToFloat64(vec.WithLabelValues("tiki-f", "tiki_lead", reason))
			}
			// Each fault class and the metric that counts it: 429 and 5xx
			// (the HTML page is a 502), timeouts and truncated 200 bodies
			// (decode) are failed HTTP attempts, each retried.
			for fault, want := range map[tikisim.Fault]struct {
				vec    *prometheus.CounterVec
				reason string
			}{
				tikisim.FaultRateLimit:   {m.RequestFailures, "rate_limited"},
				tikisim.FaultServerError: {m.RequestFailures, "http_5xx"},
				tikisim.FaultHTML:        {m.RequestFailures, "http_5xx"},
				tikisim.FaultSlow:        {m.RequestFailures, "timeout"},
				tikisim.FaultMalformed:   {m.RequestFailures, "decode"},
			} {
				if tc.wantClasses && st.Faults[fault] == 0 {
					t.Errorf("no %v fault drawn in %d requests", fault, st.Requests)
				}
				if st.Faults[fault] > 0 && counted(want.vec, want.reason) == 0 {
					t.Errorf("%d %v faults served, but reason %q was not counted", st.Faults[fault], fault, want.reason)
				}
			}
			t.Logf("%d requests, faults served: %v", st.Requests, st.Faults)
		})
	}
}

func TestFailingSourceBacksOffAlone(t *testing.T) {
	addrs := testBrokers(t)
	good, goodURL := newSim(t)
	bad, badURL := newSim(t)
	now := time.Now().UTC().Truncate(time.Second)
	seed(good, 500, now.Add(-time.Minute), 24*time.Hour)
	seed(bad, 10, now.Add(-time.Minute), 24*time.Hour)
	cfg := testConfig(t, addrs, map[string]string{"WRONG": "not-the-secret"}, "",
		tikiSource{name: "good", url: goodURL, start: now.Add(-25 * time.Hour)},
		tikiSource{name: "bad", url: badURL, secretVar: "WRONG", start: now.Add(-25 * time.Hour)})
	var got committed
	r := start(t, cfg, got.option())
	waitFor(t, "the good source", 30*time.Second, func() bool { return got.count() >= 500 })
	m := r.c.Metrics()
	waitFor(t, "the bad source's auth errors", 10*time.Second, func() bool {
		return testutil.ToFloat64(m.PollErrors.WithLabelValues("bad", "tiki_lead", "auth")) > 0
	})

	code, body := get(t, r.c.Handler(), "/status")
	var st connector.Status
	if err := json.Unmarshal([]byte(body), &st); err != nil || code != 200 {
		t.Fatalf("/status = %d %s: %v", code, body, err)
	}
	if !st.Ready || st.Connector != cfg.Name || len(st.Sources) != 2 {
		t.Fatalf("/status = %s", body)
	}
	g, b := st.Sources[0], st.Sources[1]
	if g.State != connector.StateRunning || g.LastSuccess.IsZero() || g.LagSeconds == nil || g.Offset == nil || g.Offset.Watermark.IsZero() || g.Offset.Bytes == 0 || g.Task < 0 {
		t.Errorf("good source status %+v", g)
	}
	if b.State != connector.StateFailed || !strings.Contains(b.LastError, "auth (HTTP 401)") || b.Failures == 0 {
		t.Errorf("bad source status %+v", b)
	}
	for _, tc := range []struct{ query, want string }{
		{"?state=failed", "bad"}, {"?source=good", "good"}, {"?source=good,bad&state=running", "good"}, {"?source=bad&source=x", "bad"},
	} {
		code, body := get(t, r.c.Handler(), "/status"+tc.query)
		var st connector.Status
		if err := json.Unmarshal([]byte(body), &st); err != nil || code != 200 || len(st.Sources) != 1 || st.Sources[0].Name != tc.want {
			t.Errorf("/status%s = %d %s, want only source %s", tc.query, code, body, tc.want)
		}
	}
	if code, body := get(t, r.c.Handler(), "/status?state=sleeping"); code != 400 || !strings.Contains(body, `state "sleeping" is not one of unassigned, starting`) {
		t.Errorf("/status?state=sleeping = %d %s, want 400 naming the states", code, body)
	}
	_, exposition := get(t, r.c.Handler(), "/metrics")
	for _, want := range []string{
		`connector_source_state{provider="tiki_lead",source="bad",state="failed"} 1`,
		`connector_source_lag_seconds{provider="tiki_lead",source="good"}`,
		`connector_kafka_produce_bytes_total{client_id="` + cfg.Name + `-`,
	} {
		if !strings.Contains(exposition, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	for _, leak := range []string{secret, "not-the-secret"} {
		if strings.Contains(body, leak) || strings.Contains(exposition, leak) {
			t.Errorf("a secret appears in /status or /metrics")
		}
	}
	r.stop(t)
	if bad.Stats().AuthFailed == 0 {
		t.Error("the simulator saw no bad signature")
	}
	verifyExactlyOnce(t, good, readTopic(t, addrs, cfg.Sources[0].Topic, 500, 10*time.Second))
}

// createTopic creates topic with configs on the cluster at addrs.
func createTopic(t *testing.T, addrs []string, topic string, partitions int32, configs map[string]string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	cs := map[string]*string{}
	for k, v := range configs {
		cs[k] = kadm.StringPtr(v)
	}
	if _, err := kadm.NewClient(cl).CreateTopic(context.Background(), partitions, 1, cs, topic); err != nil {
		t.Fatal(err)
	}
}

// An offsets topic that would lose offsets, without compaction or with a
// max.message.bytes that cannot take one, is refused at start, with the
// fix.
func TestRefusesOffsetsTopicItCannotUse(t *testing.T) {
	for _, tc := range []struct {
		configs map[string]string
		want    []string
	}{
		{map[string]string{"cleanup.policy": "delete"}, []string{" has cleanup.policy=delete: it must be compacted", "--add-config cleanup.policy=compact"}},
		{map[string]string{"cleanup.policy": "compact", "max.message.bytes": "100000"},
			[]string{" has max.message.bytes=100000: its records may take up to 262144 bytes", "--add-config max.message.bytes=1000012"}},
	} {
		addrs := testBrokers(t)
		_, url := newSim(t)
		cfg := testConfig(t, addrs, nil, "", tikiSource{name: "tiki-x", url: url, start: time.Now().Add(-time.Hour)})
		createTopic(t, addrs, cfg.Kafka.OffsetsTopic, 1, tc.configs)
		err := refusal(t, cfg)
		if err == nil || !strings.Contains(err.Error(), cfg.Kafka.OffsetsTopic+tc.want[0]) || !strings.Contains(err.Error(), tc.want[1]) {
			t.Fatalf("%v: Run = %v, want a refusal naming the topic, saying %q, and the fix %q", tc.configs, err, tc.want[0], tc.want[1])
		}
	}
}

func TestUnconvertibleRecordGoesToDLQ(t *testing.T) {
	addrs := testBrokers(t)
	sim, url := newSim(t)
	now := time.Now().UTC().Truncate(time.Second)
	seed(sim, 50, now.Add(-time.Minute), time.Hour)
	bad := sim.Create(formA, now.Add(-30*time.Minute))
	// The vendor sends one record whose form_id has the wrong type.
	head := `"id":"` + bad.ID + `","created_at":"` + bad.CreatedAt.Format("2006-01-02T15:04:05Z") + `","form_id":`
	mangle := func(body []byte) []byte {
		return []byte(strings.Replace(string(body), head+`"`+formA+`"`, head+`7.5`, 1))
	}
	srv := newMangler(t, url, mangle)
	cfg := testConfig(t, addrs, nil, "", tikiSource{name: "tiki-d", url: srv, start: now.Add(-2 * time.Hour)})
	var got committed
	r := start(t, cfg, got.option())
	waitFor(t, "the good responses", 30*time.Second, func() bool { return got.count() >= 50 })
	r.stop(t)
	events := readTopic(t, addrs, cfg.Sources[0].Topic, 50, 10*time.Second)
	if len(events) != 50 {
		t.Fatalf("%d events, want the 50 good responses", len(events))
	}
	dlq := readRaw(t, addrs, cfg.DLQ.Topic, 1)
	if len(dlq) == 0 {
		t.Fatal("nothing in the dead-letter topic")
	}
	d := dlq[0]
	if !strings.Contains(string(d.Value), `"id":"`+bad.ID+`"`) || !strings.Contains(headerValue(d, "connector.error"), "form response "+bad.ID) {
		t.Fatalf("DLQ record %s with headers %v", d.Value, d.Headers)
	}
	if n := testutil.ToFloat64(r.c.Metrics().DLQRecords.WithLabelValues("tiki-d", "tiki_lead")); n < 1 {
		t.Errorf("dlq_records_total = %v", n)
	}
}

// bigLead runs a Tiki source over n responses and one more, id 99999999,
// whose inputs are big; prepare, when set, sets up cfg and the cluster
// first. Once the n others are delivered, it returns the one record of
// the dead-letter topic.
func bigLead(t *testing.T, n int, big string, prepare func(addrs []string, cfg *config.Config)) *kgo.Record {
	t.Helper()
	addrs := testBrokers(t)
	sim, url := newSim(t)
	now := time.Now().UTC().Truncate(time.Second)
	seed(sim, n, now.Add(-time.Minute), time.Hour)
	sim.Add(tikisim.Response{ID: "99999999", FormID: formA, CreatedAt: now.Add(-30 * time.Minute), Inputs: json.RawMessage(big)})
	cfg := testConfig(t, addrs, nil, "", tikiSource{name: "tiki-big", url: url, start: now.Add(-2 * time.Hour)})
	if prepare != nil {
		prepare(addrs, cfg)
	}
	var got committed
	r := start(t, cfg, got.option())
	waitFor(t, "the other responses", 30*time.Second, func() bool { return got.count() >= n })
	r.stop(t)
	if events := readTopic(t, addrs, cfg.Sources[0].Topic, n, 10*time.Second); len(events) != n {
		t.Fatalf("%d events, want the %d others", len(events), n)
	}
	dlq := readRaw(t, addrs, cfg.DLQ.Topic, 1)
	if len(dlq) != 1 {
		t.Fatalf("%d records in the dead-letter topic, want 1", len(dlq))
	}
	return dlq[0]
}

// A record whose event is too large for a Kafka record goes to the
// dead-letter topic, cut to fit and marked so, rather than failing its
// transaction on every attempt; the records around it are delivered.
func TestOversizedEventGoesToDLQ(t *testing.T) {
	big := `{"note":"` + strings.Repeat("Tư vấn giúp tôi ", 70_000) + `"}` // 1.5 MB
	d := bigLead(t, 50, big, nil)
	size := len(d.Value)
	for _, h := range d.Headers {
		size += len(h.Key) + len(h.Value)
	}
	full, _ := strconv.Atoi(headerValue(d, "connector.truncated"))
	if size > config.DefaultBatchBytes-(1_000_012-kafka.MaxEventBytes) || full <= len(big) || !strings.Contains(string(d.Value), "99999999") ||
		!strings.Contains(headerValue(d, "connector.error"), "the event of {ID:99999999} takes") {
		t.Fatalf("DLQ record of %d bytes (%d with headers), truncated from %q, error %q", len(d.Value), size, headerValue(d, "connector.truncated"), headerValue(d, "connector.error"))
	}
}

// A topic whose max.message.bytes is below the connector's batch cap
// (kafka.batch_bytes) takes what the connector writes to it: batches are
// cut to its limit, and an event larger than it goes to the dead-letter
// topic, whole, with the limit in its error. Before, the broker refused
// the first batch over the limit (MESSAGE_TOO_LARGE) on every attempt and
// the source stopped. A kafka.batch_bytes below the topic's limit does
// the same, and caps the dead-letter topic's records too: there the
// response is cut to fit.
func TestTopicMessageLimitIsKept(t *testing.T) {
	const limit = 50_000
	for _, tc := range []struct {
		name string
		set  func(t *testing.T, addrs []string, cfg *config.Config)
		cut  bool // in the dead-letter topic
	}{
		{"max.message.bytes", func(t *testing.T, addrs []string, cfg *config.Config) {
			createTopic(t, addrs, cfg.Sources[0].Topic, cfg.Kafka.TopicPartitions, map[string]string{"max.message.bytes": strconv.Itoa(limit)})
		}, false},
		{"kafka.batch_bytes", func(_ *testing.T, _ []string, cfg *config.Config) { cfg.Kafka.BatchBytes = limit }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var topic string
			big := `{"note":"` + strings.Repeat("Tư vấn giúp tôi ", 3_000) + `"}` // 60 KB
			d := bigLead(t, 1000, big, func(addrs []string, cfg *config.Config) { // about 400 KB a window
				cfg.Kafka.Compression = "none" // compressed, the seeded responses' batches stay under the limit
				topic = cfg.Sources[0].Topic
				tc.set(t, addrs, cfg)
			})
			want := fmt.Sprintf("more than the %d a record to topic %s may", limit-(1_000_012-kafka.MaxEventBytes), topic)
			whole := len(d.Value) > len(big) && headerValue(d, "connector.truncated") == ""
			if whole == tc.cut || !strings.Contains(headerValue(d, "connector.error"), want) {
				t.Fatalf("DLQ record of %d bytes, truncated %q, error %q; want the response cut %v and %q", len(d.Value), headerValue(d, "connector.truncated"), headerValue(d, "connector.error"), tc.cut, want)
			}
		})
	}
}

func headerValue(r *kgo.Record, key string) string {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

func readRaw(t testing.TB, brokers []string, topic string, want int) []*kgo.Record {
	t.Helper()
	var out []*kgo.Record
	consume(t, brokers, topic, want, 10*time.Second, func(r *kgo.Record) { out = append(out, r) })
	return out
}

// TestQuietSourceCommitsOnlyItsHeartbeat polls a vendor with nothing new
// every 100ms: its window, and so its offset, moves on every second (the
// window granularity), in memory only; it is committed once per
// offset_heartbeat (2.5s here). A new record is still committed by the
// next poll.
func TestQuietSourceCommitsOnlyItsHeartbeat(t *testing.T) {
	addrs := testBrokers(t)
	sim, url := newSim(t)
	now := time.Now().UTC().Truncate(time.Second)
	seed(sim, 5, now.Add(-time.Minute), time.Hour)
	cfg := testConfig(t, addrs, nil, "", tikiSource{name: "quiet", url: url, start: now.Add(-2 * time.Hour)})
	cfg.Sources[0].PollInterval, cfg.Sources[0].OffsetHeartbeat = 100*time.Millisecond, 2500*time.Millisecond
	var got committed
	r := start(t, cfg, got.option())
	defer r.stop(t)
	waitFor(t, "the 5 records", 30*time.Second, func() bool { return got.count() >= 5 })
	batches := func() int {
		got.mu.Lock()
		defer got.mu.Unlock()
		return got.batches
	}
	before := batches()
	time.Sleep(6 * time.Second)
	if n := batches() - before; n < 1 || n > 3 {
		t.Errorf("%d offset-only commits in 6s of polls every 100ms with a 2.5s heartbeat, want 2 (1..3; one a second without the heartbeat)", n)
	}
	sim.Create(formA, time.Now().Add(-2*time.Second))
	waitFor(t, "the new record", 10*time.Second, func() bool { return got.count() == 6 })
}

// TestSourcesSpreadTheirPolls restarts 30 sources of one vendor together,
// polling every 2s: their polls spread over the interval (a random first
// delay for a source that has an offset, then 90 to 100 % of the interval
// from one poll's start to the next) instead of arriving, and committing
// through their task's producer, in lock-step. It counts the tail
// windows' requests (a poll's sweep pages follow its tail).
func TestSourcesSpreadTheirPolls(t *testing.T) {
	addrs := testBrokers(t)
	sim, _ := newSim(t)
	var (
		mu    sync.Mutex
		polls []time.Time
	)
	url := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A tail window ends a second (the lag) ago; a sweep's, the 10s
		// overlap ago: count the tails, one per poll.
		if to, err := strconv.ParseInt(r.URL.Query().Get("to_time"), 10, 64); err == nil && time.Now().Unix()-to <= 5 {
			mu.Lock()
			polls = append(polls, time.Now())
			mu.Unlock()
		}
		sim.ServeHTTP(w, r)
	}))
	now := time.Now().UTC().Truncate(time.Second)
	var sources []tikiSource
	for i := range 30 {
		sources = append(sources, tikiSource{name: fmt.Sprintf("s%02d", i), url: url, start: now.Add(-time.Hour), window: "2h"})
	}
	cfg := testConfig(t, addrs, nil, "", sources...)
	for i := range cfg.Sources {
		cfg.Sources[i].PollInterval = 2 * time.Second
	}
	sim.Create(formA, now.Add(-time.Minute))
	var got committed
	r := start(t, cfg, got.option())
	waitFor(t, "every source's record", 30*time.Second, func() bool { return got.count() == 30 })
	r.stop(t)
	r = start(t, cfg)
	defer r.stop(t)
	time.Sleep(3 * time.Second)
	mu.Lock()
	from := len(polls)
	mu.Unlock()
	time.Sleep(4 * time.Second)
	mu.Lock()
	window := slices.Clone(polls[from:])
	mu.Unlock()
	bins := map[int64]int{} // requests per 200ms
	busiest := 0
	for _, at := range window {
		bins[at.UnixMilli()/200]++
		busiest = max(busiest, bins[at.UnixMilli()/200])
	}
	if len(window) < 40 || busiest > 12 {
		t.Errorf("%d requests in 4s of 30 sources polling every 2s, the busiest 200ms holding %d; want about 60, spread (at most 12 in one 200ms)", len(window), busiest)
	}
	t.Logf("%d requests in 4s, the busiest 200ms holding %d", len(window), busiest)
}

// TestSourcesOfOneVendorShareConnections runs 40 sources against one
// vendor host: they share the connector's transport, so they open a few
// connections (fetch.MaxConnsPerHost at most), not one each.
func TestSourcesOfOneVendorShareConnections(t *testing.T) {
	addrs := testBrokers(t)
	sim, _ := newSim(t)
	var opened atomic.Int64
	srv := httptest.NewUnstartedServer(sim)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	now := time.Now().UTC().Truncate(time.Second)
	sim.Create(formA, now.Add(-time.Minute))
	var sources []tikiSource
	for i := range 40 {
		sources = append(sources, tikiSource{name: fmt.Sprintf("s%02d", i), url: srv.URL, start: now.Add(-time.Hour), window: "2h"})
	}
	var got committed
	r := start(t, testConfig(t, addrs, nil, "", sources...), got.option())
	waitFor(t, "every source's record", 30*time.Second, func() bool { return got.count() == 40 })
	time.Sleep(time.Second) // polls after the backfill
	r.stop(t)
	if n := opened.Load(); n > fetch.MaxConnsPerHost {
		t.Errorf("40 sources opened %d connections to one vendor host, want at most %d", n, fetch.MaxConnsPerHost)
	}
	t.Logf("40 sources opened %d connections", opened.Load())
}

// TestRecordsInFlightBoundTheSources: four sources backfilling at once
// from one vendor hold at most records_in_flight records between their
// polls and their commits (give or take what a poll read beyond what its
// last one did), wait their turn for it, deliver every record once, and
// hold nothing once stopped. Tiki's windows hold 50 records each; a Nhanh
// poll reads 20 pages of 2, and its first, which cannot tell how far
// behind its cursor is, reserves 20 full pages of page_size (before, it
// reserved nothing, and the sources held up to 200 records at once).
func TestRecordsInFlightBoundTheSources(t *testing.T) {
	const (
		limit   = 100
		records = 600
		sources = 4
		slack   = 2 // a window's count varies by one at its ends
	)
	for _, tc := range []struct {
		kind   string
		config func(t *testing.T, addrs []string) *config.Config
	}{
		{"tiki_lead", func(t *testing.T, addrs []string) *config.Config {
			const perPoll = 50 // records in a 30-minute window: one every 36 s
			sim, url := newSim(t)
			now := time.Now().UTC().Truncate(time.Second)
			first := now.Add(-records * 36 * time.Second)
			for i := range records {
				sim.Create(formA, first.Add(time.Duration(i)*36*time.Second))
			}
			var srcs []tikiSource
			for i := range sources {
				srcs = append(srcs, tikiSource{name: fmt.Sprintf("b%d", i), url: url, start: first.Add(-time.Second), window: "30m", maxWindow: 4 * perPoll})
			}
			return testConfig(t, addrs, nil, fmt.Sprintf("records_in_flight: %d", limit), srcs...)
		}},
		{"nhanh_conversation", func(t *testing.T, addrs []string) *config.Config {
			sim, section, env := newNhanh(t, 2)
			section += "      page_size: 2\n"
			first := time.Now().UTC().Add(-time.Duration(records) * time.Minute)
			for i := range records {
				sim.create(t, first.Add(time.Duration(i)*time.Minute))
			}
			var srcs []changeSource
			for i := range sources {
				srcs = append(srcs, changeSource{name: fmt.Sprintf("b%d", i), kind: "nhanh_conversation", section: section})
			}
			cfg := changeConfig(t, addrs, env, srcs...)
			cfg.RecordsInFlight = limit
			return cfg
		}},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			addrs := testBrokers(t)
			cfg := tc.config(t, addrs)
			var (
				got     committed
				mu      sync.Mutex
				peak    float64
				waiting int // samples of /status with a source waiting for room
				run     atomic.Pointer[connector.Connector]
			)
			sample := func() {
				c := run.Load()
				if c == nil {
					return
				}
				v := testutil.ToFloat64(c.Metrics().RecordsInFlight)
				_, status := get(t, c.Handler(), "/status")
				mu.Lock()
				peak = max(peak, v)
				if strings.Contains(status, `"waiting_for_room_since"`) {
					waiting++
				}
				mu.Unlock()
			}
			r := start(t, cfg, connector.WithOnCommit(func(b connector.Batch) {
				got.add(b)
				sample()
			}))
			run.Store(r.c)
			done := make(chan struct{})
			sampled := make(chan struct{})
			go func() {
				defer close(sampled)
				for {
					select {
					case <-done:
						return
					case <-time.After(time.Millisecond):
						sample()
					}
				}
			}()
			waitFor(t, "every source's backfill", 60*time.Second, func() bool { return got.count() >= sources*records })
			time.Sleep(time.Second) // polls after the backfill
			_, after := get(t, r.c.Handler(), "/status")
			r.stop(t)
			close(done)
			<-sampled
			if waiting == 0 || strings.Contains(after, `"waiting_for_room_since"`) {
				t.Errorf("/status showed a source waiting for room in %d samples, and after the backfill: %s; want some, then none", waiting, after)
			}
			if n := got.count(); n != sources*records {
				t.Errorf("committed %d events, want %d", n, sources*records)
			}
			if peak > limit+sources*slack {
				t.Errorf("the sources held up to %v records at once, want at most %d (records_in_flight) + %d", peak, limit, sources*slack)
			}
			if w := testutil.ToFloat64(r.c.Metrics().InFlightWait); w <= 0 {
				t.Error("no poll waited for room in records_in_flight")
			}
			if held := testutil.ToFloat64(r.c.Metrics().RecordsInFlight); held != 0 {
				t.Errorf("stopped, the sources still hold %v records", held)
			}
			t.Logf("peak %v records in flight, polls waited %.2f s in all; /status showed a source waiting in %d samples", peak, testutil.ToFloat64(r.c.Metrics().InFlightWait), waiting)
		})
	}
}

// Sources backfilling at once share records_in_flight: each poll keeps
// at most limit / (2 × sources), the windows halved down to it although
// max_window_records would take a whole window, and every record is
// committed once.
func TestSourcesShareRecordsInFlight(t *testing.T) {
	const (
		limit   = 4000
		sources = 2
		records = 3000 // one a second: all in the first one-hour window
		share   = limit / (2 * sources)
	)
	addrs := testBrokers(t)
	sim, url := newSim(t)
	first := time.Now().UTC().Truncate(time.Second).Add(-2 * time.Hour)
	for i := range records {
		sim.Create(formA, first.Add(time.Duration(i)*time.Second))
	}
	var srcs []tikiSource
	for i := range sources {
		srcs = append(srcs, tikiSource{name: fmt.Sprintf("s%d", i), url: url, start: first.Add(-time.Second), window: "1h", pageSize: 500})
	}
	cfg := testConfig(t, addrs, nil, fmt.Sprintf("records_in_flight: %d", limit), srcs...)
	var (
		got  committed
		mu   sync.Mutex
		most int
	)
	r := start(t, cfg, connector.WithOnCommit(func(b connector.Batch) {
		got.add(b)
		mu.Lock()
		most = max(most, b.Events)
		mu.Unlock()
	}))
	waitFor(t, "every source's backfill", 60*time.Second, func() bool { return got.count() >= sources*records })
	r.stop(t)
	if n := got.count(); n != sources*records {
		t.Errorf("committed %d events, want %d", n, sources*records)
	}
	if most > share {
		t.Errorf("a batch held %d events; want at most %d, records_in_flight %d shared by %d sources", most, share, limit, sources)
	}
	t.Logf("largest batch %d events", most)
}

// TestPprofOnlyWhenEnabled serves Go's profiles only with http.pprof.
func TestPprofOnlyWhenEnabled(t *testing.T) {
	cfg := testConfig(t, []string{"127.0.0.1:1"}, nil, "", tikiSource{name: "p", url: "http://127.0.0.1:1", start: time.Now()})
	for _, on := range []bool{false, true} {
		cfg.HTTP.Pprof = on
		c, err := connector.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		code, body := get(t, c.Handler(), "/debug/pprof/")
		if on && (code != 200 || !strings.Contains(body, "goroutine")) || !on && code != 404 {
			t.Errorf("pprof %v: /debug/pprof/ = %d %.80q", on, code, body)
		}
		if code, body := get(t, c.Handler(), "/debug/pprof/heap?debug=1"); on && (code != 200 || !strings.Contains(body, "heap profile")) {
			t.Errorf("pprof on: /debug/pprof/heap = %d %.80q", code, body)
		}
	}
}
