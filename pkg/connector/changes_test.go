package connector_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/vnstream/connector/pkg/config"
	"github.com/vnstream/connector/pkg/connector"
	"github.com/vnstream/connector/pkg/schema"
	"github.com/vnstream/connector/pkg/source/tiki"
	"github.com/vnstream/connector/schemas"
)

// changeSim drives one provider's simulator for the change tests: the
// records it holds are created and changed by the test, which remembers
// every version it made.
type changeSim interface {
	// create stores a new record created (and last updated) at at.
	create(t testing.TB, at time.Time) version
	// update changes the record with id the way the vendor's records
	// change, stamped at.
	update(t testing.TB, id string, at time.Time) version
	// requests is how many requests the simulator received.
	requests() int
}

// version is one state of one vendor record, as the simulator serves it.
type version struct {
	// id is the simulator's id of the record; key is its Kafka key as text.
	id, key string
	updated time.Time
	// fields are values the event's `after` must hold for this version.
	fields map[string]any
}

// changeCase is one provider under the change tests.
type changeCase struct {
	kind string
	// newSim starts a simulator on 127.0.0.1 for the test, its pages
	// capped at pageCap (0: the vendor's cap), and returns it
	// with the provider section of a source reading it (YAML indented for
	// a list item, {{start}} standing for the start time) and the
	// environment the section's ${VARS} need.
	newSim func(t testing.TB, pageCap int) (changeSim, string, map[string]string)
	// keyText renders a decoded Kafka key as version.key.
	keyText func(key map[string]any) string
	// updatedField names the update time in the entity.
	updatedField string
}

// changeSource is one source of a change-test configuration.
type changeSource struct {
	name, kind, section string
}

// changeConfig is testConfig for sources of any kind.
func changeConfig(t testing.TB, brokers []string, env map[string]string, sources ...changeSource) *config.Config {
	t.Helper()
	var b strings.Builder
	name := uniqueName(t)
	fmt.Fprintf(&b, "name: %s\nkafka:\n  brokers: [%q]\n  offsets_topic: %s-offsets\n  offsets_partitions: 3\n  topic_partitions: 3\n  replication_factor: 1\n  transaction_timeout: 10s\nhttp:\n  listen: \"-\"\nsources:\n",
		name, strings.Join(brokers, `", "`), name)
	for _, s := range sources {
		fmt.Fprintf(&b, `
  - name: %s
    kind: %s
    topic: %s.%s
    poll_interval: 200ms
    error_backoff_max: 2s
    http:
      timeout: 5s
      backoff_initial: 20ms
      backoff_max: 200ms
      max_attempts: 4
      rate_limit: 1000
%s`, s.name, s.kind, name, s.name, s.section)
	}
	cfg, err := config.Parse([]byte(b.String()), func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatalf("config: %v\n%s", err, b.String())
	}
	return cfg
}

// history is every version the test made, per key, in order.
type history struct {
	mu       sync.Mutex
	versions map[string][]version
	ids      []string
	total    int
}

func (h *history) add(v version) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.versions == nil {
		h.versions = map[string][]version{}
	}
	if _, ok := h.versions[v.key]; !ok {
		h.ids = append(h.ids, v.id)
	}
	h.versions[v.key] = append(h.versions[v.key], v)
	h.total++
}

// pick returns n distinct ids of records made so far.
func (h *history) pick(n int) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	ids := slices.Clone(h.ids)
	rand.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	return ids[:min(n, len(ids))]
}

// changeEvent is one decoded event of any entity.
type changeEvent struct {
	key       string
	op        string
	after     map[string]any
	partition int32
	offset    int64
}

// readChanges reads topic read_committed until want events arrived and
// nothing more comes for a moment, decoding keys and values generically.
func readChanges(t testing.TB, c changeCase, brokers []string, topic string, want int) []changeEvent {
	t.Helper()
	set, err := schema.Load(schemas.FS)
	if err != nil {
		t.Fatal(err)
	}
	dec := schema.NewDecoder(set, nil)
	var out []changeEvent
	consume(t, brokers, topic, want, 30*time.Second, func(r *kgo.Record) {
		var key, env map[string]any
		if err := dec.Decode(context.Background(), r.Key, &key); err != nil {
			t.Fatalf("decode key at %d/%d: %v", r.Partition, r.Offset, err)
		}
		if err := dec.Decode(context.Background(), r.Value, &env); err != nil {
			t.Fatalf("decode value at %d/%d: %v", r.Partition, r.Offset, err)
		}
		e := changeEvent{key: c.keyText(key), op: fmt.Sprint(env["op"]), partition: r.Partition, offset: r.Offset}
		// A union holding a named record decodes as {full name: record}.
		if u, ok := env["after"].(map[string]any); ok && len(u) == 1 {
			for _, v := range u {
				e.after, _ = v.(map[string]any)
			}
		}
		out = append(out, e)
	})
	return out
}

// verifyVersions checks that events hold every version the test made of
// every record exactly once, in order per key, with the right op: r for a
// record read by the initial backfill, c for its first version when it was
// created later, u for every later version.
func verifyVersions(t testing.TB, c changeCase, h *history, events []changeEvent, backfilled map[string]bool) {
	t.Helper()
	got := map[string][]changeEvent{}
	for _, e := range events {
		got[e.key] = append(got[e.key], e)
	}
	bad := 0
	report := func(format string, args ...any) {
		bad++
		if bad <= 10 {
			t.Errorf(format, args...)
		}
	}
	for key, versions := range h.versions {
		evs := got[key]
		if len(evs) != len(versions) {
			var times []string
			for _, e := range evs {
				times = append(times, fmt.Sprintf("%s@%v", e.op, e.after[c.updatedField]))
			}
			report("%s: %d events %v for %d versions", key, len(evs), times, len(versions))
			continue
		}
		for i, v := range versions {
			e := evs[i]
			want := "u"
			if i == 0 {
				want = "c"
				if backfilled[key] {
					want = "r"
				}
			}
			if e.op != want {
				report("%s version %d: op %s, want %s", key, i, e.op, want)
			}
			if ts, ok := e.after[c.updatedField].(time.Time); !ok || !ts.Equal(v.updated.Truncate(time.Millisecond)) {
				report("%s version %d: %s = %v, want %v", key, i, c.updatedField, e.after[c.updatedField], v.updated)
			}
			for f, want := range v.fields {
				if fmt.Sprint(e.after[f]) != fmt.Sprint(want) {
					report("%s version %d: %s = %v, want %v", key, i, f, e.after[f], want)
				}
			}
			if i > 0 && (e.partition != evs[0].partition || e.offset <= evs[i-1].offset) {
				report("%s version %d: out of order (partition %d offset %d)", key, i, e.partition, e.offset)
			}
		}
	}
	if len(got) != len(h.versions) {
		report("%d keys in the topic, %d records made", len(got), len(h.versions))
	}
	if bad > 0 {
		t.Fatalf("%d problems over %d events for %d versions of %d records", bad, len(events), h.total, len(h.versions))
	}
	t.Logf("verified %d versions of %d records exactly once, in order, with their ops", h.total, len(h.versions))
}

// TestChangesEndToEnd runs each updating provider against its simulator
// and a broker: a backfill, changes made while the connector is stopped,
// changes arriving while it runs, restarts in between, and quiet time for
// the overlap to re-serve unchanged records. The topic must then hold
// every version of every record exactly once, in order, with its op.
func TestChangesEndToEnd(t *testing.T) {
	for _, c := range changeCases() {
		t.Run(c.kind, func(t *testing.T) {
			t.Parallel()
			testChanges(t, c)
		})
	}
}

func testChanges(t *testing.T, c changeCase) {
	addrs := testBrokers(t)
	sim, section, env := c.newSim(t, 20)
	now := time.Now().UTC().Truncate(time.Second)
	cfg := changeConfig(t, addrs, env, changeSource{name: "src", kind: c.kind, section: strings.ReplaceAll(section, "{{start}}", now.Add(-4*time.Hour).Format(time.RFC3339))})
	topic := cfg.Sources[0].Topic

	// The backlog: 120 records over three hours, in threes sharing a
	// second, a tenth of them changed since their creation.
	var h history
	backfilled := map[string]bool{}
	for i := range 120 {
		at := now.Add(-3*time.Hour + time.Duration(i/3)*time.Minute)
		v := sim.create(t, at)
		if i%10 == 0 {
			v = sim.update(t, v.id, at.Add(30*time.Minute))
		}
		h.add(v)
		backfilled[v.key] = true
	}
	var got committed
	run := func() *running { return start(t, cfg, got.option()) }
	waitTotal := func(what string) {
		t.Helper()
		h.mu.Lock()
		want := h.total
		h.mu.Unlock()
		waitFor(t, what, 60*time.Second, func() bool { return got.count() >= want })
	}
	change := func(updates, creates int) {
		for _, id := range h.pick(updates) {
			h.add(sim.update(t, id, time.Now()))
		}
		for range creates {
			h.add(sim.create(t, time.Now()))
		}
	}

	r := run()
	waitTotal("the backfill")
	r.stop(t)

	change(30, 15) // while stopped
	r = run()
	waitTotal("the changes made while stopped")
	for round := range 4 { // while running, with a restart in between
		change(15, 5)
		waitTotal(fmt.Sprintf("round %d", round))
		if round == 1 {
			r.stop(t)
			r = run()
		}
	}
	// Quiet time: later windows overlap the last changes and re-serve
	// them unchanged; that must produce nothing.
	settled := got.count()
	time.Sleep(6 * time.Second)
	r.stop(t)
	if extra := got.count() - settled; extra != 0 {
		t.Errorf("%d events committed while nothing changed", extra)
	}
	verifyVersions(t, c, &h, readChanges(t, c, addrs, topic, h.total), backfilled)
}

// TestMixedRunOneProviderFailing runs all five kinds at once while one
// simulator refuses the connector's credentials: that source fails alone
// (state failed, an auth error in /status) and the four others deliver
// everything exactly once, changes made during the run included. No
// credential reaches the logs, /status or /metrics.
func TestMixedRunOneProviderFailing(t *testing.T) {
	addrs := testBrokers(t)
	now := time.Now().UTC().Truncate(time.Second)
	startAt := now.Add(-4 * time.Hour).Format(time.RFC3339)

	tikiSim, tikiURL := newSim(t)
	seed(tikiSim, 200, now.Add(-time.Minute), 3*time.Hour)
	tikiCfg := testConfig(t, addrs, nil, "", tikiSource{name: "tiki", url: tikiURL, start: now.Add(-4 * time.Hour)})
	sources := []changeSource{{name: "tiki", kind: "tiki_lead", section: tikiSection(tikiCfg)}}
	env := map[string]string{"TIKI_SECRET": secret}

	cases := changeCases()
	failing := cases[0]
	sims := map[string]changeSim{}
	histories := map[string]*history{}
	for _, c := range cases {
		sim, section, vars := c.newSim(t, 20)
		for k, v := range vars {
			env[k] = v
			if c.kind == failing.kind {
				env[k] = "wrong-" + v
			}
		}
		h := &history{}
		for i := range 100 {
			h.add(sim.create(t, now.Add(-3*time.Hour+time.Duration(i)*time.Minute)))
		}
		sims[c.kind], histories[c.kind] = sim, h
		sources = append(sources, changeSource{name: c.kind, kind: c.kind, section: strings.ReplaceAll(section, "{{start}}", startAt)})
	}
	cfg := changeConfig(t, addrs, env, sources...)
	var got committed
	var logs lockedBuffer
	debug := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r := start(t, cfg, got.option(), connector.WithLogger(debug))
	good := 200 + 100*(len(cases)-1)
	waitFor(t, "the good sources' backfills", 60*time.Second, func() bool { return got.count() >= good })
	for _, c := range cases[1:] {
		h := histories[c.kind]
		for _, id := range h.pick(10) {
			h.add(sims[c.kind].update(t, id, time.Now()))
		}
		good += 10
	}
	waitFor(t, "the changes", 30*time.Second, func() bool { return got.count() >= good })

	var st connector.Status
	waitFor(t, "the failing source to fail", 20*time.Second, func() bool {
		_, body := get(t, r.c.Handler(), "/status")
		if err := json.Unmarshal([]byte(body), &st); err != nil {
			t.Fatal(err)
		}
		return st.Sources[1].State == connector.StateFailed
	})
	_, status := get(t, r.c.Handler(), "/status")
	_, exposition := get(t, r.c.Handler(), "/metrics")
	r.stop(t)
	// No credential, right or wrong, appears anywhere an operator looks.
	for _, where := range []struct{ name, text string }{{"logs", logs.String()}, {"/status", status}, {"/metrics", exposition}} {
		for name, v := range env {
			if strings.Contains(where.text, v) {
				t.Errorf("%s contains the value of %s", where.name, name)
			}
		}
	}
	for i, s := range st.Sources {
		switch {
		case i == 1 && !strings.Contains(s.LastError, "auth"):
			t.Errorf("%s: last error %q, want an auth error", s.Name, s.LastError)
		case i != 1 && (s.State != connector.StateRunning || s.LastError != ""):
			t.Errorf("%s: state %s, last error %q while another source fails", s.Name, s.State, s.LastError)
		}
	}
	verifyExactlyOnce(t, tikiSim, readTopic(t, addrs, cfg.Sources[0].Topic, 200, 20*time.Second))
	for i, c := range cases {
		topic := cfg.Sources[i+1].Topic
		if c.kind == failing.kind {
			if evs := readChanges(t, c, addrs, topic, 0); len(evs) != 0 {
				t.Errorf("%s: %d events from a source that cannot authenticate", c.kind, len(evs))
			}
			continue
		}
		backfilled := map[string]bool{}
		for k := range histories[c.kind].versions {
			backfilled[k] = true
		}
		verifyVersions(t, c, histories[c.kind], readChanges(t, c, addrs, topic, histories[c.kind].total), backfilled)
	}
}

// tikiSection is the tiki section of the first source of a testConfig
// configuration, for changeConfig.
func tikiSection(cfg *config.Config) string {
	tk := cfg.Sources[0].Settings.(*tiki.Settings)
	return fmt.Sprintf(`    tiki:
      base_url: %s
      client_id: %s
      client_secret: ${TIKI_SECRET}
      form_ids: ["%s"]
      start_time: %s
      window: 6h
      lag: 1s
      overlap: 5s
`, tk.BaseURL, tk.ClientID, strings.Join(tk.FormIDs, `", "`), tk.StartTime.Format(time.RFC3339))
}
