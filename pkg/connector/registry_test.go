package connector_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/vnstream/connector/pkg/config"
	"github.com/vnstream/connector/pkg/connector"
	"github.com/vnstream/connector/pkg/metrics"
	"github.com/vnstream/connector/pkg/schema"
	tikisim "github.com/vnstream/connector/pkg/sim/tiki"
	"github.com/vnstream/connector/pkg/source/tiki"
	"github.com/vnstream/connector/schemas"
)

// newRegistry is the registry at SCHEMA_REGISTRY_URL when set (a real
// one: .ci/run starts Apicurio Registry), else franz-go's srfake on
// 127.0.0.1, closed when the test ends. Tests name their subjects after
// their own topics, so they share a real registry.
func newRegistry(t *testing.T) (string, *sr.Client) {
	t.Helper()
	url := os.Getenv("SCHEMA_REGISTRY_URL")
	if url == "" {
		reg := srfake.New()
		t.Cleanup(reg.Close)
		url = reg.URL()
	}
	cl, err := sr.NewClient(sr.URLs(url))
	if err != nil {
		t.Fatal(err)
	}
	return url, cl
}

func TestSchemaRegistryWireFormat(t *testing.T) {
	addrs := testBrokers(t)
	regURL, reg := newRegistry(t)
	sim, url := newSim(t, tikisim.WithArrayName("customer_responses"))
	now := time.Now().UTC().Truncate(time.Second)
	seed(sim, 200, now.Add(-time.Minute), 6*time.Hour)
	cfg := testConfig(t, addrs, nil, "schema_registry:\n  url: "+regURL+"\n",
		tikiSource{name: "tiki-sr", url: url, start: now.Add(-7 * time.Hour)})
	var got committed
	r := start(t, cfg, got.option())
	waitFor(t, "the events", 30*time.Second, func() bool { return got.count() >= 200 })
	r.stop(t)

	subjects, err := reg.Subjects(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	topic := cfg.Sources[0].Topic
	subjects = slices.DeleteFunc(subjects, func(s string) bool { return !strings.HasPrefix(s, topic+"-") })
	if slices.Sort(subjects); strings.Join(subjects, ",") != topic+"-key,"+topic+"-value" {
		t.Fatalf("registered subjects %v", subjects)
	}
	set, err := schema.Load(schemas.FS)
	if err != nil {
		t.Fatal(err)
	}
	events := readTopicWith(t, schema.NewDecoder(set, reg), addrs, cfg.Sources[0].Topic, 200, 10*time.Second)
	verifyExactlyOnce(t, sim, events)
	for _, e := range events[:1] {
		if !strings.HasPrefix(e.headers["connector.value.schema"], "id:") {
			t.Errorf("value schema header %q, want a registry id", e.headers["connector.value.schema"])
		}
	}
}

func TestIncompatibleSchemaRefusesToStart(t *testing.T) {
	addrs := testBrokers(t)
	regURL, reg := newRegistry(t)
	_, url := newSim(t)
	// The latest registered value schema has a field without a default that
	// the embedded schema lacks: a BACKWARD reader cannot read that data.
	_, old := tikiValue(t, func(fields []any) []any {
		for _, f := range fields {
			if f := f.(map[string]any); f["name"] == "inputs" {
				f["name"] = "campaign"
			}
		}
		return fields
	})
	cfg := testConfig(t, addrs, nil, "schema_registry:\n  url: "+regURL+"\n",
		tikiSource{name: "tiki-x", url: url, start: time.Now().Add(-time.Hour)})
	if _, err := reg.RegisterSchema(context.Background(), cfg.Sources[0].Topic+"-value", sr.Schema{Schema: old, Type: sr.TypeAvro}, -1, -1); err != nil {
		t.Fatal(err)
	}
	err := refusal(t, cfg)
	if err == nil || !strings.Contains(err.Error(), "not BACKWARD compatible") || !strings.Contains(err.Error(), "inputs") {
		t.Fatalf("Run = %v, want a refusal naming the field", err)
	}
}

func TestHealthAndMetricsEndpoints(t *testing.T) {
	addrs := testBrokers(t)
	_, url := newSim(t)
	cfg := testConfig(t, addrs, nil, "", tikiSource{name: "tiki-h", url: url, start: time.Now().Add(-time.Hour)})
	c, err := connector.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h := c.Handler()
	if code, _ := get(t, h, "/healthz"); code != 200 {
		t.Errorf("/healthz = %d", code)
	}
	if code, body := get(t, h, "/readyz"); code != 503 || !strings.Contains(body, "not ready") {
		t.Errorf("/readyz before start = %d %q", code, body)
	}
	if code, body := get(t, h, "/metrics"); code != 200 || !strings.Contains(body, "connector_build_info") || strings.Contains(body, secret) {
		t.Errorf("/metrics = %d", code)
	}
}

func TestStatesMatchTheMetricLabels(t *testing.T) {
	states := []connector.State{connector.StateUnassigned, connector.StateStarting, connector.StateRunning, connector.StateBackingOff, connector.StateFailed, connector.StateStopped}
	if len(states) != len(metrics.States) {
		t.Fatalf("%d states, %d metric label values", len(states), len(metrics.States))
	}
	for _, s := range states {
		if !slices.Contains(metrics.States, string(s)) {
			t.Errorf("state %q is not a connector_source_state label value", s)
		}
	}
}

// A registry that refuses the schema (409, as a registry whose own level
// for the subject the schema breaks answers) ends the run with the
// registry's message; one that answers 503 is waited for, its error shown
// in /status, until it answers.
func TestRegistryRefusalEndsTheRunAnOutageDoesNot(t *testing.T) {
	addrs := testBrokers(t)
	_, url := newSim(t)
	reg := srfake.New()
	t.Cleanup(reg.Close)
	answer := func(status int, body string) srfake.Interceptor {
		return func(w http.ResponseWriter, r *http.Request) bool {
			if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/versions") {
				return false
			}
			w.Header().Set("Content-Type", "application/vnd.schemaregistry.v1+json")
			w.WriteHeader(status)
			_, _ = io.WriteString(w, body)
			return true
		}
	}
	cfg := testConfig(t, addrs, nil, "schema_registry:\n  url: "+reg.URL()+"\n",
		tikiSource{name: "tiki-refused", url: url, start: time.Now().Add(-time.Hour)})

	reg.Intercept(answer(http.StatusConflict, `{"error_code":409,"message":"Incompatible artifact: RuleViolationException"}`))
	err := refusal(t, cfg)
	if !errors.Is(err, schema.ErrRefused) || !strings.Contains(err.Error(), "HTTP 409") || !strings.Contains(err.Error(), "Incompatible artifact: RuleViolationException") ||
		!strings.Contains(err.Error(), "tiki-refused") {
		t.Fatalf("Run against a registry answering 409 = %v, want the refusal with its message", err)
	}

	reg.ClearInterceptors()
	reg.Intercept(answer(http.StatusServiceUnavailable, `{"error_code":50003,"message":"registry is restarting"}`))
	r := start(t, cfg)
	waitFor(t, "the outage in /status", 30*time.Second, func() bool {
		_, body := get(t, r.c.Handler(), "/status")
		return strings.Contains(body, "registry is restarting")
	})
	if r.c.Ready() {
		t.Fatal("ready while the registry answers 503")
	}
	reg.ClearInterceptors()
	waitFor(t, "readiness once the registry answers", 30*time.Second, r.c.Ready)
	r.stop(t)
}

// tikiValue is the embedded Tiki envelope schema with the fields of its
// Value record changed by edit.
func tikiValue(t *testing.T, edit func(fields []any) []any) (*schema.Entity, string) {
	t.Helper()
	set, err := schema.Load(schemas.FS)
	if err != nil {
		t.Fatal(err)
	}
	e, err := set.Entity("tiki/form_response")
	if err != nil {
		t.Fatal(err)
	}
	var env map[string]any
	if err := json.Unmarshal([]byte(e.ValueText), &env); err != nil {
		t.Fatal(err)
	}
	before := env["fields"].([]any)[0].(map[string]any)
	value := before["type"].([]any)[1].(map[string]any)
	value["fields"] = edit(value["fields"].([]any))
	b, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return e, string(b)
}

// A schema the registry finds compatible (the embedded one adds extra_json,
// with a default, to what is registered) is registered as the subject's
// next version, and the events are written with it.
func TestCompatibleEvolutionIsRegistered(t *testing.T) {
	addrs := testBrokers(t)
	regURL, reg := newRegistry(t)
	sim, url := newSim(t)
	now := time.Now().UTC().Truncate(time.Second)
	seed(sim, 20, now.Add(-time.Minute), time.Hour)
	_, old := tikiValue(t, func(fields []any) []any {
		return slices.DeleteFunc(fields, func(f any) bool { return f.(map[string]any)["name"] == "extra_json" })
	})
	cfg := testConfig(t, addrs, nil, "schema_registry:\n  url: "+regURL+"\n",
		tikiSource{name: "tiki-evolve", url: url, start: now.Add(-2 * time.Hour)})
	subject := cfg.Sources[0].Topic + "-value"
	ctx := context.Background()
	first, err := reg.CreateSchema(ctx, subject, sr.Schema{Schema: old, Type: sr.TypeAvro})
	if err != nil {
		t.Fatal(err)
	}
	var got committed
	r := start(t, cfg, got.option())
	waitFor(t, "the events", 30*time.Second, func() bool { return got.count() >= 20 })
	r.stop(t)
	latest, err := reg.SchemaByVersion(ctx, subject, -1)
	if err != nil || latest.Version != first.Version+1 || !strings.Contains(latest.Schema.Schema, "extra_json") {
		t.Fatalf("latest %s = version %d (registered %d first), %v", subject, latest.Version, first.Version, err)
	}
	set, err := schema.Load(schemas.FS)
	if err != nil {
		t.Fatal(err)
	}
	events := readTopicWith(t, schema.NewDecoder(set, reg), addrs, cfg.Sources[0].Topic, 20, 10*time.Second)
	if h := events[0].headers["connector.value.schema"]; h != "id:"+strconv.Itoa(latest.ID) {
		t.Errorf("value schema header %q, want id:%d", h, latest.ID)
	}
}

// The registry's own level can be stricter than the connector's check:
// with the subject at FORWARD, the registry refuses what BACKWARD accepts
// (the registered version has a field without a default that the embedded
// schema lacks), and the run ends with the registry's message. It needs a
// registry that checks compatibility (srfake accepts everything; the
// refusal itself is tested against srfake by answering 409 directly).
func TestRegistryLevelRefusalEndsTheRun(t *testing.T) {
	if os.Getenv("SCHEMA_REGISTRY_URL") == "" {
		t.Skip("needs a registry that checks compatibility: SCHEMA_REGISTRY_URL (.ci/run starts Apicurio Registry)")
	}
	addrs := testBrokers(t)
	regURL, reg := newRegistry(t)
	_, url := newSim(t)
	e, old := tikiValue(t, func(fields []any) []any {
		return append(fields, map[string]any{"name": "campaign", "type": "string"})
	})
	cfg := testConfig(t, addrs, nil, "schema_registry:\n  url: "+regURL+"\n",
		tikiSource{name: "tiki-level", url: url, start: time.Now().Add(-time.Hour)})
	subject := cfg.Sources[0].Topic + "-value"
	ctx := context.Background()
	if _, err := reg.CreateSchema(ctx, subject, sr.Schema{Schema: old, Type: sr.TypeAvro}); err != nil {
		t.Fatal(err)
	}
	if res := reg.SetCompatibility(ctx, sr.SetCompatibility{Level: sr.CompatForward}, subject); res[0].Err != nil {
		t.Fatal(res[0].Err)
	}
	v, err := schema.AskRegistry(ctx, reg, subject, e.ValueText)
	if err != nil || v.Compatible || v.Global || v.Level != "FORWARD" {
		t.Fatalf("AskRegistry = %+v, %v; want the subject's FORWARD level refusing", v, err)
	}
	err = refusal(t, cfg)
	if !errors.Is(err, schema.ErrRefused) || !strings.Contains(err.Error(), "HTTP 409") || !strings.Contains(err.Error(), subject) {
		t.Fatalf("Run = %v, want the registry's refusal", err)
	}
	t.Logf("the registry's refusal: %v", err)
}

// Registry basic auth: the configured user and password are sent, and a
// wrong password ends the run without appearing in the error.
func TestRegistryBasicAuth(t *testing.T) {
	addrs := testBrokers(t)
	_, url := newSim(t)
	reg := srfake.New(srfake.WithAuth("Basic " + base64.StdEncoding.EncodeToString([]byte("svc:registry-pass"))))
	t.Cleanup(reg.Close)
	for _, pass := range []string{"registry-pass", "wrong-registry-pass"} {
		cfg := testConfig(t, addrs, map[string]string{"SR_PASS": pass},
			"schema_registry:\n  url: "+reg.URL()+"\n  username: svc\n  password: ${SR_PASS}\n",
			tikiSource{name: "tiki-auth", url: url, start: time.Now().Add(-time.Hour)})
		if pass == "registry-pass" {
			r := start(t, cfg)
			waitFor(t, "readiness", 30*time.Second, r.c.Ready)
			r.stop(t)
			if !reg.SubjectExists(cfg.Sources[0].Topic + "-value") {
				t.Fatal("registered nothing with the right password")
			}
			continue
		}
		err := refusal(t, cfg)
		// srfake answers 403; Confluent's registry 401.
		if !errors.Is(err, schema.ErrRefused) || !strings.Contains(err.Error(), "HTTP 403") || strings.Contains(err.Error(), pass) {
			t.Fatalf("Run with a wrong registry password = %v, want a 403 refusal without the password", err)
		}
	}
}

// Every kind registers its key and value subjects, and its events read
// back through the registry, in both shapes: decoded by the schemas the
// registry serves for the ids in the frames.
func TestEveryKindThroughTheRegistry(t *testing.T) {
	addrs := testBrokers(t)
	regURL, reg := newRegistry(t)
	cfg := runEveryKind(t, addrs, regURL)

	subjects, err := reg.Subjects(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	dec := schema.NewDecoder(nil, reg) // no embedded schemas: every id through the registry
	for _, s := range cfg.Sources {
		for _, sub := range []string{s.Topic + "-key", s.Topic + "-value"} {
			if !slices.Contains(subjects, sub) {
				t.Errorf("subject %s not registered", sub)
			}
		}
		n := 0
		consume(t, addrs, s.Topic, 20, 20*time.Second, func(rec *kgo.Record) {
			key, kerr := dec.DecodeJSON(context.Background(), rec.Key)
			value, verr := dec.DecodeJSON(context.Background(), rec.Value)
			read := strings.Contains(string(value), `"op":"r"`)
			if s.ValueFormat == "flat" {
				read = slices.ContainsFunc(rec.Headers, func(h kgo.RecordHeader) bool { return h.Key == "connector.op" && string(h.Value) == "r" }) &&
					strings.HasPrefix(string(value), `{"id":`)
			}
			if kerr != nil || verr != nil || rec.Key[0] != 0 || !read {
				t.Fatalf("%s at %d/%d: key %s (%v), value %.200s (%v)", s.Topic, rec.Partition, rec.Offset, key, kerr, value, verr)
			}
			n++
		})
		if n != 20 {
			t.Errorf("%s: %d events, want 20", s.Topic, n)
		}
	}
}

// value_format: flat writes the entity record alone under <topic>-value,
// with the op and the version's time in headers; every response once.
func TestFlatValues(t *testing.T) {
	addrs := testBrokers(t)
	regURL, reg := newRegistry(t)
	sim, url := newSim(t)
	now := time.Now().UTC().Truncate(time.Second)
	seed(sim, 30, now.Add(-time.Minute), time.Hour)
	cfg := testConfig(t, addrs, nil, "schema_registry:\n  url: "+regURL+"\nvalue_format: flat\n",
		tikiSource{name: "tiki-flat", url: url, start: now.Add(-2 * time.Hour)})
	var got committed
	r := start(t, cfg, got.option())
	waitFor(t, "the events", 30*time.Second, func() bool { return got.count() >= 30 })
	r.stop(t)

	topic := cfg.Sources[0].Topic
	latest, err := reg.SchemaByVersion(context.Background(), topic+"-value", -1)
	if err != nil || !strings.Contains(latest.Schema.Schema, `"form_id"`) || strings.Contains(latest.Schema.Schema, "Envelope") || strings.Contains(latest.Schema.Schema, `"before"`) {
		t.Fatalf("%s-value: %.200s, %v", topic, latest.Schema.Schema, err)
	}
	want := map[string]tikisim.Response{}
	for _, resp := range sim.Responses() {
		want[resp.ID] = resp
	}
	dec := schema.NewDecoder(nil, reg)
	consume(t, addrs, topic, len(want), 20*time.Second, func(rec *kgo.Record) {
		var v tiki.FormResponse
		if err := dec.Decode(context.Background(), rec.Value, &v); err != nil {
			t.Fatalf("value at %d/%d: %v", rec.Partition, rec.Offset, err)
		}
		headers := map[string]string{}
		for _, h := range rec.Headers {
			headers[h.Key] = string(h.Value)
		}
		resp, ok := want[v.ID]
		if !ok || v.FormID != resp.FormID || headers["connector.op"] != "r" || headers["connector.source"] != "tiki-flat" ||
			headers["connector.ts_ms"] != strconv.FormatInt(v.CreatedAt.UnixMilli(), 10) || !v.CreatedAt.Equal(resp.CreatedAt) {
			t.Fatalf("event %+v, headers %v; want one of the simulator's responses once", v, headers)
		}
		delete(want, v.ID)
	})
	if len(want) != 0 {
		t.Errorf("%d responses missing", len(want))
	}
}

// runEveryKind runs, until each has committed its 20 records, one source
// of every kind against its simulator, plus a flat tiki source
// (tiki-flat), through the registry at registry ("" for none); it returns
// the configuration.
func runEveryKind(t *testing.T, addrs []string, registry string) *config.Config {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	tikiSim, tikiURL := newSim(t)
	seed(tikiSim, 20, now.Add(-time.Minute), time.Hour)
	tikiCfg := testConfig(t, addrs, nil, "", tikiSource{name: "tiki", url: tikiURL, start: now.Add(-2 * time.Hour)})
	sources := []changeSource{
		{name: "tiki", kind: "tiki_lead", section: tikiSection(tikiCfg)},
		{name: "tiki-flat", kind: "tiki_lead", section: "    value_format: flat\n" + tikiSection(tikiCfg)},
	}
	env := map[string]string{"TIKI_SECRET": secret}
	for _, c := range changeCases() {
		sim, section, vars := c.newSim(t, 20)
		maps.Copy(env, vars)
		for i := range 20 {
			sim.create(t, now.Add(-time.Hour+time.Duration(i)*time.Minute))
		}
		sources = append(sources, changeSource{name: c.kind, kind: c.kind, section: strings.ReplaceAll(section, "{{start}}", now.Add(-2*time.Hour).Format(time.RFC3339))})
	}
	cfg := changeConfig(t, addrs, env, sources...)
	cfg.SchemaRegistry.URL = registry
	var got committed
	r := start(t, cfg, got.option())
	waitFor(t, "every source's records", 60*time.Second, func() bool { return got.count() >= 20*len(sources) })
	r.stop(t)
	return cfg
}

// TestSourcesShareTheirTopicsSchemas starts 20 sources writing two topics:
// each topic's subjects are registered and checked once, not once per
// source, and when the registry fails one topic's request, the retry asks
// only for what that topic lacks.
func TestSourcesShareTheirTopicsSchemas(t *testing.T) {
	addrs := testBrokers(t)
	var (
		mu       sync.Mutex
		requests = map[string]int{} // by method and path
		failed   bool
	)
	reg := srfake.New()
	t.Cleanup(reg.Close)
	sim, url := newSim(t)
	now := time.Now().UTC().Truncate(time.Second)
	seed(sim, 3, now.Add(-time.Minute), time.Hour)
	var sources []tikiSource
	for i := range 20 {
		sources = append(sources, tikiSource{name: fmt.Sprintf("tiki-%02d", i), url: url, start: now.Add(-2 * time.Hour)})
	}
	cfg := testConfig(t, addrs, nil, "schema_registry:\n  url: "+reg.URL()+"\n", sources...)
	topicA, topicB := cfg.Name+".a", cfg.Name+".b"
	for i := range cfg.Sources {
		cfg.Sources[i].Topic = []string{topicA, topicB}[i%2]
	}
	reg.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		mu.Lock()
		defer mu.Unlock()
		requests[r.Method+" "+r.URL.Path]++
		if !failed && r.Method == http.MethodPost && r.URL.Path == "/subjects/"+topicB+"-key/versions" {
			failed = true
			http.Error(w, `{"error_code":50001,"message":"registry restarting"}`, http.StatusServiceUnavailable)
			return true
		}
		return false
	})
	var got committed
	r := start(t, cfg, got.option())
	waitFor(t, "every source's events", 60*time.Second, func() bool { return got.count() >= 20*3 })
	r.stop(t)

	mu.Lock()
	defer mu.Unlock()
	registered := func(subject string) int { return requests["POST /subjects/"+subject+"/versions"] }
	if n := registered(topicA + "-key"); n != 1 {
		t.Errorf("%s-key registered %d times, want once: %v", topicA, n, requests)
	}
	if n := registered(topicA + "-value"); n != 1 {
		t.Errorf("%s-value registered %d times, want once (the retry resumes): %v", topicA, n, requests)
	}
	if n := registered(topicB + "-key"); n != 2 {
		t.Errorf("%s-key registered %d times, want twice (refused once, then registered): %v", topicB, n, requests)
	}
	if n := registered(topicB + "-value"); n != 1 {
		t.Errorf("%s-value registered %d times, want once: %v", topicB, n, requests)
	}
	total := 0
	for _, n := range requests {
		total += n
	}
	if total > 4*4+3 {
		t.Errorf("%d registry requests for 4 subjects of 20 sources, want at most 19: %v", total, requests)
	}
	t.Logf("%d registry requests for 20 sources on 2 topics: %v", total, requests)
}
