package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/vnstream/connector/pkg/config"
	"github.com/vnstream/connector/pkg/connector"
	"github.com/vnstream/connector/pkg/schema"
	tikisim "github.com/vnstream/connector/pkg/sim/tiki"
	"github.com/vnstream/connector/schemas"
)

var update = flag.Bool("update", false, "rewrite docs/flink-tables.sql")

// toolEnv is a broker, a simulator and a configuration file for them.
type toolEnv struct {
	file string
	cfg  *config.Config
}

func newToolEnv(t *testing.T, registry string) toolEnv {
	t.Helper()
	return toolEnvOn(t, testBrokers(t, false), "tools", "tiki.lead.form-responses", registry)
}

// testBrokers is KAFKA_BROKERS when set and real (test/kafka/start.sh),
// else a kfake broker that the test stops.
func testBrokers(t *testing.T, real bool) string {
	t.Helper()
	if brokers := os.Getenv("KAFKA_BROKERS"); brokers != "" && real {
		return brokers
	}
	broker, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(broker.Close)
	return broker.ListenAddrs()[0]
}

// toolEnvOn is a toolEnv for the connector name on brokers, its one
// source writing to topic, its offsets topic connector-offsets for tools
// (the default) and <name>-offsets otherwise.
func toolEnvOn(t *testing.T, brokers, name, topic, registry string) toolEnv {
	t.Helper()
	sim := tikisim.New("cid", "tool-secret")
	now := time.Now().UTC().Truncate(time.Second)
	for i := range 30 {
		sim.Create("1", now.Add(-time.Duration(30-i)*time.Minute))
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	t.Setenv("TOOL_TIKI_SECRET", "tool-secret")
	reg := ""
	if registry != "" {
		reg = "schema_registry:\n  url: " + registry + "\n"
	}
	offsets := "connector-offsets"
	if name != "tools" {
		offsets = name + "-offsets"
	}
	yaml := fmt.Sprintf(`name: %s
kafka:
  brokers: [%q]
  offsets_topic: %s
  offsets_partitions: 2
  replication_factor: 1
http:
  listen: "-"
%ssources:
  - name: leads
    kind: tiki_lead
    topic: %s
    poll_interval: 200ms
    offset_heartbeat: 1s # a forced reset fences the quiet source's next commit within a second
    http: {rate_limit: 1000}
    tiki:
      base_url: %s
      client_id: cid
      client_secret: ${TOOL_TIKI_SECRET}
      form_ids: ["1"]
      start_time: %s
      lag: 1s
      overlap: 2s
`, name, brokers, offsets, reg, topic, srv.URL, now.Add(-2*time.Hour).Format(time.RFC3339))
	file, cfg := writeConfig(t, yaml)
	return toolEnv{file: file, cfg: cfg}
}

// writeConfig writes yaml to a file of the test and loads it.
func writeConfig(t *testing.T, yaml string) (string, *config.Config) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	return file, cfg
}

// startConnector runs the connector of e until the returned stop.
func (e toolEnv) startConnector(t *testing.T) (c *connector.Connector, stop func() error) {
	t.Helper()
	c, err := connector.New(e.cfg, connector.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	return c, func() error { cancel(); return <-done }
}

func cli(args ...string) (int, string) {
	var out bytes.Buffer
	code := run(args, &out, &out)
	return code, out.String()
}

func TestOffsetsCommands(t *testing.T) {
	e := newToolEnv(t, "")
	if code, out := cli("offsets", "list", "-c", e.file); code != 1 || !strings.Contains(out, "has the connector run yet?") {
		t.Fatalf("list before any run = %d %q", code, out)
	}
	c, stop := e.startConnector(t)
	waitUntil(t, func() bool {
		_, out := cli("offsets", "list", "-c", e.file)
		return strings.Contains(out, `"watermark"`)
	})

	code, out := cli("offsets", "list", "-c", e.file)
	if code != 0 || !strings.Contains(out, "SOURCE") || !strings.Contains(out, "leads") || !strings.Contains(out, "tiki_lead") {
		t.Fatalf("list = %d %q", code, out)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"offsets", "reset", "-c", e.file, "leads"}, 1, "connector tools is running"},
		{[]string{"offsets", "set", "-c", e.file, "leads", "not json"}, 1, "is not JSON"},
		{[]string{"offsets", "set", "-c", e.file, "leads", `{"seen":[]}`}, 1, "has no watermark"},
		{[]string{"offsets", "reset", "-c", e.file, "ghost"}, 1, `source "ghost" is neither configured nor in connector-offsets`},
		{[]string{"offsets", "set", "-c", e.file, "leads", `{"watermark":"2026-01-01T00:00:00Z","backfill_until":"2026-01-01T00:00:00Z","seem":[]}`, "-force"}, 1, `unknown field "seem"`},
		{[]string{"offsets", "set", "-c", e.file, "leads", `{"watermark":"2026-01-01T00:00:00Z"}`, "-force"}, 1, "has no backfill_until"},
		{[]string{"offsets", "reset", "-c", e.file}, 2, "want 1 argument(s) (SOURCE), got 0"},
		{[]string{"offsets", "set", "leads", "-c", e.file}, 2, "want 2 argument(s) (SOURCE JSON), got 1"},
		{[]string{"offsets", "frob", "-c", e.file}, 2, `unknown command "frob"`},
	} {
		if code, out := cli(tc.args...); code != tc.code || !strings.Contains(out, tc.want) {
			t.Errorf("connector %v = %d %q, want %d with %q", tc.args, code, out, tc.code, tc.want)
		}
	}

	// -force fences the running connector's task: its next commit fails,
	// it re-reads the offset (now reset) and goes on from there.
	if code, out := cli("offsets", "reset", "-c", e.file, "-force", "leads"); code != 0 || !strings.Contains(out, "was fenced") {
		t.Fatalf("forced reset = %d %q", code, out)
	}
	waitUntil(t, func() bool {
		_, body := getStatus(c)
		return strings.Contains(body, "producer fenced")
	})
	if err := stop(); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if code, out := cli("offsets", "reset", "-c", e.file, "leads"); code != 0 {
		t.Fatalf("reset while stopped = %d %q", code, out)
	}
	if _, out := cli("offsets", "list", "-c", e.file); !strings.Contains(out, "(none: starts from its start_time)") {
		t.Fatalf("after reset: %q", out)
	}

	// Not running: set is accepted and read back.
	off := fmt.Sprintf(`{"watermark":%q,"backfill_until":%q}`, time.Now().UTC().Add(-time.Hour).Format(time.RFC3339), time.Now().UTC().Format(time.RFC3339))
	if code, out := cli("offsets", "set", "-c", e.file, "leads", off); code != 0 || !strings.Contains(out, "set to") {
		t.Fatalf("set = %d %q", code, out)
	}
	if _, out := cli("offsets", "list", "-c", e.file); !strings.Contains(out, off) {
		t.Fatalf("after set: %q", out)
	}
}

func TestSchemasCommands(t *testing.T) {
	reg := srfake.New()
	t.Cleanup(reg.Close)
	e := newToolEnv(t, reg.URL())

	code, out := cli("schemas", "print")
	var all map[string]map[string]json.RawMessage
	if code != 0 || json.Unmarshal([]byte(out), &all) != nil || !strings.Contains(string(all["tiki/form_response"]["value"]), `"name": "connector.tiki.form_response.Envelope"`) {
		t.Fatalf("print = %d %q", code, out[:min(len(out), 300)])
	}
	code, out = cli("schemas", "print", "tiki/form_response", "key")
	if ent, err := schema.Load(schemas.FS); err != nil || code != 0 {
		t.Fatalf("print one = %d %q (%v)", code, out, err)
	} else if e, _ := ent.Entity("tiki/form_response"); !jsonEqual(out, e.KeyText) {
		t.Fatalf("print tiki/form_response key = %s, want the key schema %s", out, e.KeyText)
	}
	if code, out := cli("schemas", "print", "nope/nothing"); code != 1 || !strings.Contains(out, "nope/nothing") {
		t.Fatalf("print unknown = %d %q", code, out)
	}
	if code, out := cli("schemas", "check", "-c", e.file); code != 0 || !strings.Contains(out, "BACKWARD compatible") ||
		!strings.Contains(out, "registry, tiki.lead.form-responses-value: compatible") || !strings.Contains(out, "at BACKWARD (the global level, the subject has none of its own)") {
		t.Fatalf("check with an empty registry = %d %q", code, out)
	}
	// The registry's own verdict and level count too: here the subject's
	// level is FORWARD and the registry refuses what the connector accepts.
	if err := reg.SetCompat("tiki.lead.form-responses-value", sr.CompatForward); err != nil {
		t.Fatal(err)
	}
	reg.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasPrefix(r.URL.Path, "/compatibility/subjects/tiki.lead.form-responses-value/") {
			return false
		}
		fmt.Fprint(w, `{"is_compatible":false,"messages":["reader field form_id has no default"]}`)
		return true
	})
	code, out = cli("schemas", "check", "-c", e.file)
	if code != 1 || !strings.Contains(out, "BACKWARD compatible with the latest registered versions (connector's check)") ||
		!strings.Contains(out, "registry, tiki.lead.form-responses-value: INCOMPATIBLE at FORWARD (the subject's own level): reader field form_id has no default") ||
		!strings.Contains(out, "registry, tiki.lead.form-responses-key: compatible") {
		t.Fatalf("check against a registry that refuses = %d %q", code, out)
	}
	reg.ClearInterceptors()

	set, err := schema.Load(schemas.FS)
	if err != nil {
		t.Fatal(err)
	}
	ent, _ := set.Entity("tiki/form_response")
	cl, err := sr.NewClient(sr.URLs(reg.URL()))
	if err != nil {
		t.Fatal(err)
	}
	old := strings.Replace(ent.ValueText, `"name":"form_id"`, `"name":"form"`, 1)
	if _, err := cl.RegisterSchema(context.Background(), "tiki.lead.form-responses-value", sr.Schema{Schema: old, Type: sr.TypeAvro}, -1, -1); err != nil {
		t.Fatal(err)
	}
	code, out = cli("schemas", "check", "-c", e.file)
	if code != 1 || !strings.Contains(out, "INCOMPATIBLE (connector's BACKWARD check)") || !strings.Contains(out, "form_id") {
		t.Fatalf("check against an incompatible latest = %d %q", code, out)
	}
	if subjects, _ := cl.Subjects(context.Background()); len(subjects) != 1 {
		t.Fatalf("check registered something: %v", subjects)
	}

	// The Flink tables: what TestFlinkReadsTheTopicsAsUpsertTables runs.
	code, out = cli("schemas", "flink", "-c", e.file)
	if code != 0 || !strings.Contains(out, "-- leads: tiki_lead, envelope values\nCREATE TABLE `leads` (\n  `key_id` STRING NOT NULL,\n  `before` ROW<`id` STRING NOT NULL,") ||
		!strings.Contains(out, "'topic' = 'tiki.lead.form-responses'") || !strings.Contains(out, "'key.avro-confluent.url' = '"+reg.URL()+"'") {
		t.Fatalf("flink = %d %q", code, out)
	}
}

func getStatus(c *connector.Connector) (int, string) { return get(c, "/status") }

func get(c *connector.Connector, path string) (int, string) {
	rec := httptest.NewRecorder()
	c.Handler().ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	return rec.Code, rec.Body.String()
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	end := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(end) {
			t.Fatal("timed out")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestForceTakesEffectWhateverSharesTheTask forces one source's offset
// back while another source of the same task (offsets_partitions: 1) keeps
// committing: every time, the forced source re-reads from the forced
// offset, rather than committing from what it held before. It runs on
// KAFKA_BROKERS when set (test/kafka/start.sh), on kfake otherwise.
func TestForceTakesEffectWhateverSharesTheTask(t *testing.T) {
	brokers := testBrokers(t, true)
	name := fmt.Sprintf("shared-%06x", rand.Uint32()&0xffffff)
	sim := tikisim.New("cid", "tool-secret")
	now := time.Now().UTC().Truncate(time.Second)
	for i := range 60 {
		sim.Create("1", now.Add(-time.Duration(60-i)*time.Minute))
		sim.Create("2", now.Add(-time.Duration(60-i)*time.Minute))
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	t.Setenv("TOOL_TIKI_SECRET", "tool-secret")
	conn := name
	source := func(name, form string) string {
		return fmt.Sprintf(`  - name: %s
    kind: tiki_lead
    topic: %s
    poll_interval: 100ms
    http: {rate_limit: 1000}
    tiki:
      base_url: %s
      client_id: cid
      client_secret: ${TOOL_TIKI_SECRET}
      form_ids: [%q]
      start_time: %s
      lag: 1s
      overlap: 2s
`, name, conn+"."+name, srv.URL, form, now.Add(-2*time.Hour).Format(time.RFC3339))
	}
	yaml := fmt.Sprintf("name: %s\nkafka:\n  brokers: [%s]\n  offsets_topic: %s-offsets\n  offsets_partitions: 1\n  replication_factor: 1\n  group: {session_timeout: 6s}\nhttp:\n  listen: \"-\"\nsources:\n%s%s",
		name, brokers, name, source("leads-a", "1"), source("leads-b", "2"))
	file, cfg := writeConfig(t, yaml)

	// Batches of leads-a, as the connector commits them.
	var (
		mu      sync.Mutex
		batches []connector.Batch
	)
	c, err := connector.New(cfg, connector.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
		connector.WithOnCommit(func(b connector.Batch) {
			if b.Source == "leads-a" {
				mu.Lock()
				batches = append(batches, b)
				mu.Unlock()
			}
		}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	seen := func() int { mu.Lock(); defer mu.Unlock(); return len(batches) }
	waitUntil(t, func() bool {
		_, body := getStatus(c)
		return seen() > 0 && strings.Count(body, `"state": "running"`) == 2
	})
	// This replica owns the one task, and says so in /status, /metrics
	// and `offsets list`.
	host, _ := os.Hostname()
	if _, body := getStatus(c); !strings.Contains(body, `"tasks": [
      0
    ]`) || !strings.Contains(body, `"instance": "`+host+`"`) {
		t.Fatalf("/status does not show the task owned here:\n%s", body)
	}
	if _, body := get(c, "/metrics"); !strings.Contains(body, "\nconnector_group_tasks 1\n") || !strings.Contains(body, "\nconnector_group_rebalances_total 1\n") {
		t.Fatalf("/metrics lacks the group gauges:\n%s", body)
	}
	if code, out := cli("offsets", "list", "-c", file); code != 0 || !strings.Contains(out, "OWNER") || strings.Count(out, host+" (") != 2 {
		t.Fatalf("offsets list does not name the owner %s of both sources: %d %q", host, code, out)
	}

	// New responses keep both sources committing while the offsets are forced.
	feedCtx, stopFeed := context.WithCancel(context.Background())
	var feeding sync.WaitGroup
	feeding.Go(func() {
		for feedCtx.Err() == nil {
			sim.Create("1", time.Now().UTC())
			sim.Create("2", time.Now().UTC())
			time.Sleep(50 * time.Millisecond)
		}
	})
	defer func() { stopFeed(); feeding.Wait() }()

	for round := range 6 {
		time.Sleep(time.Duration(300+round*170) * time.Millisecond)
		watermark := time.Now().UTC().Add(-15 * time.Minute).Truncate(time.Second)
		// The responses a re-read from watermark must emit again: created
		// within [watermark − overlap, now − lag].
		again := 0
		for _, r := range sim.Responses() {
			if r.FormID == "1" && !r.CreatedAt.Before(watermark.Add(-2*time.Second)) && r.CreatedAt.Before(time.Now().Add(-2*time.Second)) {
				again++
			}
		}
		off := fmt.Sprintf(`{"watermark":%q,"backfill_until":%q}`, watermark.Format(time.RFC3339), now.Add(-2*time.Hour).Format(time.RFC3339))
		before := seen()
		if code, out := cli("offsets", "set", "-c", file, "-force", "leads-a", off); code != 0 || !strings.Contains(out, "was fenced") {
			t.Fatalf("round %d: forced set = %d %q", round, code, out)
		}
		// The first batch of leads-a that starts from the forced offset
		// re-emits the last 15 minutes; one that went on from its old
		// offset would hold only the newest responses.
		waitUntil(t, func() bool {
			mu.Lock()
			defer mu.Unlock()
			for _, b := range batches[before:] {
				if b.Events >= again {
					return true
				}
			}
			return false
		})
	}
	if _, body := get(c, "/metrics"); !strings.Contains(body, "connector_fenced_commits_total{") {
		t.Errorf("six forced offsets, and no fenced commit in /metrics")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
}

// jsonEqual reports whether a and b are the same JSON value.
func jsonEqual(a, b string) bool {
	var x, y any
	return json.Unmarshal([]byte(a), &x) == nil && json.Unmarshal([]byte(b), &y) == nil && reflect.DeepEqual(x, y)
}

// docs/flink-tables.sql is what `connector schemas flink` prints for every
// kind in both shapes (eTelecom's tables are InterITS's but for the
// topic); -update rewrites it.
func TestFlinkTablesFile(t *testing.T) {
	t.Setenv("SECRET", "s")
	code, out := cli("schemas", "flink", "-c", "testdata/flink.yaml")
	if code != 0 {
		t.Fatalf("schemas flink = %d %s", code, out)
	}
	const file = "../../docs/flink-tables.sql"
	header := "-- Generated by `connector schemas flink -c cmd/connector/testdata/flink.yaml`\n" +
		"-- (TestFlinkTablesFile; go test ./cmd/connector -run TestFlinkTablesFile -update).\n" +
		"-- Tested with Flink 2.2.0: TestFlinkReadsTheTopicsAsUpsertTables.\n\n"
	if *update {
		if err := os.WriteFile(file, []byte(header+out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil || string(want) != header+out {
		t.Fatalf("%s is not what schemas flink prints (%v); run go test ./cmd/connector -run TestFlinkTablesFile -update", file, err)
	}
}
