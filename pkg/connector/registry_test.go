package connector_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/vnstream/connector/pkg/connector"
	"github.com/vnstream/connector/pkg/metrics"
	"github.com/vnstream/connector/pkg/schema"
	tikisim "github.com/vnstream/connector/pkg/sim/tiki"
	"github.com/vnstream/connector/schemas"
)

func newRegistry(t *testing.T) (string, *sr.Client) {
	t.Helper()
	reg := srfake.New()
	t.Cleanup(reg.Close)
	cl, err := sr.NewClient(sr.URLs(reg.URL()))
	if err != nil {
		t.Fatal(err)
	}
	return reg.URL(), cl
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
	if topic := cfg.Sources[0].Topic; strings.Join(subjects, ",") != topic+"-key,"+topic+"-value" {
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
	set, err := schema.Load(schemas.FS)
	if err != nil {
		t.Fatal(err)
	}
	e, err := set.Entity("tiki/form_response")
	if err != nil {
		t.Fatal(err)
	}
	old := strings.Replace(e.ValueText, `"name":"inputs"`, `"name":"campaign"`, 1)
	if old == e.ValueText {
		t.Fatal("could not derive the older schema")
	}
	cfg := testConfig(t, addrs, nil, "schema_registry:\n  url: "+regURL+"\n",
		tikiSource{name: "tiki-x", url: url, start: time.Now().Add(-time.Hour)})
	if _, err := reg.RegisterSchema(context.Background(), cfg.Sources[0].Topic+"-value", sr.Schema{Schema: old, Type: sr.TypeAvro}, -1, -1); err != nil {
		t.Fatal(err)
	}
	err = refusal(t, cfg)
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
