package helm

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	corev1 "k8s.io/api/core/v1"
)

// connectorMetrics are the series the connector exports (README.md,
// "Operating"), histograms by their series.
var connectorMetrics = map[string]bool{
	"connector_records_polled_total":                   true,
	"connector_records_written_total":                  true,
	"connector_dlq_records_total":                      true,
	"connector_poll_errors_total":                      true,
	"connector_http_request_failures_total":            true,
	"connector_transactions_total":                     true,
	"connector_poll_duration_seconds_bucket":           true,
	"connector_poll_duration_seconds_sum":              true,
	"connector_poll_duration_seconds_count":            true,
	"connector_transaction_duration_seconds_bucket":    true,
	"connector_transaction_duration_seconds_sum":       true,
	"connector_transaction_duration_seconds_count":     true,
	"connector_last_success_timestamp_seconds":         true,
	"connector_ready":                                  true,
	"connector_build_info":                             true,
	"connector_source_lag_seconds":                     true,
	"connector_source_newest_record_timestamp_seconds": true,
	"connector_source_state":                           true,
	"connector_records_in_flight":                      true,
	"connector_records_in_flight_wait_seconds_total":   true,
}

// targetMetrics are Prometheus's own series of each scrape target, which
// ConnectorTargetDown and ConnectorAbsent select.
var targetMetrics = map[string]bool{"up": true}

// selectors parses a PromQL expression and returns its series selectors,
// each as label name → matcher.
func selectors(t *testing.T, expr string) []map[string]*labels.Matcher {
	t.Helper()
	e, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
	if err != nil {
		t.Fatalf("PromQL %q: %v", expr, err)
	}
	var sels []map[string]*labels.Matcher
	for _, ms := range parser.ExtractSelectors(e) {
		sel := map[string]*labels.Matcher{}
		for _, m := range ms {
			sel[m.Name] = m
		}
		name := sel[model.MetricNameLabel]
		if name == nil || name.Type != labels.MatchEqual {
			t.Fatalf("PromQL %q selects %v without a metric name", expr, ms)
		}
		if !connectorMetrics[name.Value] && !targetMetrics[name.Value] {
			t.Errorf("PromQL %q selects %s: not a connector metric", expr, name.Value)
		}
		sels = append(sels, sel)
	}
	if len(sels) == 0 {
		t.Errorf("PromQL %q selects no series", expr)
	}
	return sels
}

// wantAlert is one alert of the PrometheusRule.
type wantAlert struct {
	metrics []string // the metrics its selectors select, each at least once
	cond    string   // how the expression ends
	window  string
	// subject is what its summary and description name: a label, or, for
	// an alert without one, text (the selector).
	subject string
}

// The metrics of the alerts.
var (
	lastSuccess = []string{"connector_last_success_timestamp_seconds"}
	neverOK     = []string{"connector_source_state", "connector_last_success_timestamp_seconds"}
	sourceState = []string{"connector_source_state"}
	pollErrors  = []string{"connector_poll_errors_total"}
	dlqRecords  = []string{"connector_dlq_records_total"}
	sourceLag   = []string{"connector_source_lag_seconds"}
	ready       = []string{"connector_ready"}
	txns        = []string{"connector_transactions_total"}
	up          = []string{"up"}
)

func checkAlerts(t *testing.T, rule *monitoringv1.PrometheusRule, matchers map[string]string, alertLabels map[string]string, want map[string]wantAlert) {
	t.Helper()
	if len(rule.Spec.Groups) != 1 {
		t.Fatalf("%d rule groups, want 1", len(rule.Spec.Groups))
	}
	got := map[string]monitoringv1.Rule{}
	for _, r := range rule.Spec.Groups[0].Rules {
		got[r.Alert] = r
	}
	if names, wantNames := slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)); !slices.Equal(names, wantNames) {
		t.Fatalf("alerts %v, want %v", names, wantNames)
	}
	for name, w := range want {
		r := got[name]
		expr := r.Expr.String()
		selected := map[string]bool{}
		for _, sel := range selectors(t, expr) {
			if m := sel[model.MetricNameLabel]; m == nil || !slices.Contains(w.metrics, m.Value) {
				t.Errorf("%s: selects %v, want one of %v", name, sel[model.MetricNameLabel], w.metrics)
			} else {
				selected[m.Value] = true
			}
			for label, value := range matchers {
				if m := sel[label]; m == nil || m.Type != labels.MatchEqual || m.Value != value {
					t.Errorf("%s: %q does not select %s=%q", name, expr, label, value)
				}
			}
		}
		for _, m := range w.metrics {
			if !selected[m] {
				t.Errorf("%s: %q does not select %s", name, expr, m)
			}
		}
		if !strings.HasSuffix(strings.TrimSpace(expr), w.cond) {
			t.Errorf("%s: %q does not end with %q", name, expr, w.cond)
		}
		if r.For == nil || string(*r.For) != w.window {
			t.Errorf("%s: for %v, want %s", name, r.For, w.window)
		}
		if _, ok := r.Labels["severity"]; !ok {
			t.Errorf("%s: no severity label", name)
		}
		for k, v := range alertLabels {
			if r.Labels[k] != v {
				t.Errorf("%s: label %s = %q, want %q", name, k, r.Labels[k], v)
			}
		}
		subject := w.subject
		if !strings.ContainsAny(subject, "{=") {
			subject = "{{ $labels." + subject + " }}"
		}
		for _, a := range []string{"summary", "description"} {
			if !strings.Contains(r.Annotations[a], subject) {
				t.Errorf("%s: %s %q does not name %s", name, a, r.Annotations[a], subject)
			}
		}
	}
}

// defaultSelector is the chart's selector of the release whose full name
// is fullname, as rendered: {namespace="kafka",job="<fullname>"}.
func defaultSelector(fullname string) string {
	return fmt.Sprintf("{namespace=%q,job=%q}", namespace, fullname)
}

// defaultAlerts are the alerts of the default values, ConnectorAbsent
// aside: it needs something that scrapes the connector.
func defaultAlerts() map[string]wantAlert {
	return map[string]wantAlert{
		"ConnectorSourceStalled":        {lastSuccess, "> 900", "10m", "source"},
		"ConnectorSourceNeverSucceeded": {neverOK, "connector_last_success_timestamp_seconds" + defaultSelector(defaultFullname), "15m", "source"},
		"ConnectorSourceFailed":         {sourceState, "== 1", "5m", "source"},
		"ConnectorPollErrors":           {pollErrors, "> 0.5", "15m", "source"},
		"ConnectorDLQGrowing":           {dlqRecords, "> 0", "0m", "source"},
		"ConnectorLagHigh":              {sourceLag, "> 3600", "15m", "source"},
		"ConnectorNotReady":             {ready, "== 0", "10m", "pod"},
		"ConnectorTransactionsAborting": {txns, "> 0.1", "15m", "source"},
		"ConnectorTargetDown":           {up, "== 0", "5m", "pod"},
	}
}

func TestPrometheusRuleDefaults(t *testing.T) {
	matchers := map[string]string{"namespace": namespace, "job": defaultFullname}
	r := render(t, "--set", "prometheusRule.enabled=true")
	rule, _ := get[monitoringv1.PrometheusRule](t, r, defaultFullname)
	want := defaultAlerts()
	checkAlerts(t, rule, matchers, nil, want)
	exprs := map[string]string{}
	for _, rl := range rule.Spec.Groups[0].Rules {
		exprs[rl.Alert] = rl.Expr.String()
	}
	for alert, part := range map[string]string{
		"ConnectorTransactionsAborting": `result="aborted"`,
		"ConnectorSourceFailed":         `state="failed"`,
		"ConnectorSourceNeverSucceeded": `state=~"starting|running|backing_off|failed"}) == 1`,
	} {
		if !strings.Contains(exprs[alert], part) {
			t.Errorf("%s: %q lacks %s", alert, exprs[alert], part)
		}
	}
	if !strings.Contains(exprs["ConnectorSourceNeverSucceeded"], "unless on (namespace, source, provider) connector_last_success_timestamp_seconds") {
		t.Errorf("ConnectorSourceNeverSucceeded does not drop the sources that succeeded: %s", exprs["ConnectorSourceNeverSucceeded"])
	}

	// ConnectorAbsent needs a ServiceMonitor (or a selector of one's own)
	// and a replica: without, it would fire for ever.
	want["ConnectorAbsent"] = wantAlert{up, "})", "10m", "up" + defaultSelector(defaultFullname)}
	r = render(t, "--set", "prometheusRule.enabled=true", "--set", "serviceMonitor.enabled=true")
	rule, _ = get[monitoringv1.PrometheusRule](t, r, defaultFullname)
	checkAlerts(t, rule, matchers, nil, want)
	delete(want, "ConnectorAbsent")
	r = render(t, "--set", "prometheusRule.enabled=true", "--set", "serviceMonitor.enabled=true", "--set", "replicaCount=0")
	rule, _ = get[monitoringv1.PrometheusRule](t, r, defaultFullname)
	checkAlerts(t, rule, matchers, nil, want)
}

// Each alert the chart added for issue 10 has its section in the schema.
func TestPrometheusRuleSchema(t *testing.T) {
	for _, alert := range []string{"sourceNeverSucceeded", "sourceFailed", "targetDown", "absent"} {
		key := "prometheusRule." + alert
		out, err := helm(t, "template", release, chartDir, "--namespace", namespace, "--set", "prometheusRule.enabled=true",
			"--set", key+".for=5 minutes", "--set", key+".severity=", "--set", key+".threshold=1")
		for _, want := range []string{"/prometheusRule/" + alert + "/for", "/prometheusRule/" + alert + "/severity", "additional properties 'threshold' not allowed"} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s with a bad for, an empty severity and an unknown key: no %q in %v\n%s", key, want, err, out)
			}
		}
	}
}

func TestPrometheusRuleValues(t *testing.T) {
	const name = "vn-connector"
	r := render(t, "-f", "testdata/everything.yaml", "--set", "prometheusRule.notReady.enabled=false")
	rule, _ := get[monitoringv1.PrometheusRule](t, r, name)
	if rule.Labels["release"] != "kube-prometheus-stack" {
		t.Errorf("PrometheusRule labels %v, want release=kube-prometheus-stack", rule.Labels)
	}
	want := defaultAlerts()
	delete(want, "ConnectorNotReady")
	for alert, cond := range map[string]string{"ConnectorSourceStalled": "> 1200", "ConnectorPollErrors": "> 2", "ConnectorLagHigh": "> 7200", "ConnectorTransactionsAborting": "> 0.25"} {
		w := want[alert]
		w.cond = cond
		want[alert] = w
	}
	want["ConnectorSourceNeverSucceeded"] = wantAlert{neverOK, "connector_last_success_timestamp_seconds" + defaultSelector(name), "15m", "source"}
	want["ConnectorAbsent"] = wantAlert{up, "})", "10m", "up" + defaultSelector(name)}
	checkAlerts(t, rule, map[string]string{"namespace": namespace, "job": name}, map[string]string{"team": "data-platform"}, want)
	for _, rl := range rule.Spec.Groups[0].Rules {
		want := "critical"
		if slices.Contains([]string{"ConnectorPollErrors", "ConnectorDLQGrowing", "ConnectorTransactionsAborting"}, rl.Alert) {
			want = "warning"
		}
		if rl.Labels["severity"] != want {
			t.Errorf("%s: severity %q, want %q", rl.Alert, rl.Labels["severity"], want)
		}
	}

	custom := render(t, "--set", "prometheusRule.enabled=true", "--set", `prometheusRule.selector=namespace="kafka"\,service="connector"`)
	rule, _ = get[monitoringv1.PrometheusRule](t, custom, defaultFullname)
	for _, rl := range rule.Spec.Groups[0].Rules {
		for _, sel := range selectors(t, rl.Expr.String()) {
			if sel["service"] == nil || sel["service"].Value != "connector" || sel["job"] != nil {
				t.Errorf("%s: %s ignores prometheusRule.selector", rl.Alert, rl.Expr.String())
			}
		}
	}
}

// dashboard is the part of Grafana's dashboard JSON the test checks.
type dashboard struct {
	UID           string `json:"uid"`
	Title         string `json:"title"`
	SchemaVersion int    `json:"schemaVersion"`
	Templating    struct {
		List []struct {
			Name       string          `json:"name"`
			Type       string          `json:"type"`
			Query      json.RawMessage `json:"query"`
			Definition string          `json:"definition"`
			Datasource *datasourceRef  `json:"datasource"`
			Multi      bool            `json:"multi"`
			IncludeAll bool            `json:"includeAll"`
		} `json:"list"`
	} `json:"templating"`
	Panels []struct {
		ID         int            `json:"id"`
		Title      string         `json:"title"`
		Datasource *datasourceRef `json:"datasource"`
		Targets    []struct {
			Expr       string         `json:"expr"`
			Datasource *datasourceRef `json:"datasource"`
		} `json:"targets"`
	} `json:"panels"`
}

type datasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

func isPrometheusVar(ds *datasourceRef) bool {
	return ds != nil && ds.Type == "prometheus" && ds.UID == "${datasource}"
}

func TestDashboard(t *testing.T) {
	const name = "vn-connector-dashboard"
	cm, _ := get[corev1.ConfigMap](t, render(t, "-f", "testdata/everything.yaml"), name)
	if cm.Labels["grafana_dashboard"] != "1" || cm.Annotations["grafana_folder"] != "Kafka" {
		t.Errorf("dashboard ConfigMap labels %v, annotations %v: the Grafana sidecar would not load it", cm.Labels, cm.Annotations)
	}
	text := cm.Data["connector.json"]
	if !json.Valid([]byte(text)) {
		t.Fatalf("connector.json is not valid JSON:\n%s", text)
	}
	file, err := os.ReadFile(filepath.Join(chartDir, "dashboards", "connector.json"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(text) != strings.TrimSpace(string(file)) {
		t.Error("the ConfigMap does not hold dashboards/connector.json as it is")
	}

	var d dashboard
	if err := json.Unmarshal([]byte(text), &d); err != nil {
		t.Fatal(err)
	}
	if d.UID == "" || d.Title == "" || d.SchemaVersion != 39 {
		t.Errorf("uid %q, title %q, schemaVersion %d", d.UID, d.Title, d.SchemaVersion)
	}
	vars := map[string]int{}
	for i, v := range d.Templating.List {
		vars[v.Name] = i
	}
	if i, ok := vars["datasource"]; !ok || d.Templating.List[i].Type != "datasource" || string(d.Templating.List[i].Query) != `"prometheus"` {
		t.Error("no datasource variable of type prometheus")
	}
	// A release is its namespace and job (the Service, as the ServiceMonitor
	// names it); each variable narrows the next one, and every query.
	release := `namespace=~"$namespace",job=~"$job",instance=~"$instance"`
	for _, v := range []struct {
		name, definition string
		multi            bool
	}{
		{"namespace", `label_values(connector_build_info, namespace)`, false},
		{"job", `label_values(connector_build_info{namespace=~"$namespace"}, job)`, false},
		{"instance", `label_values(connector_build_info{namespace=~"$namespace",job=~"$job"}, instance)`, true},
		{"source", `label_values(connector_records_written_total{` + release + `}, source)`, true},
	} {
		i, ok := vars[v.name]
		if !ok {
			t.Errorf("no %s variable", v.name)
			continue
		}
		tv := d.Templating.List[i]
		var query struct {
			Query string `json:"query"`
		}
		if err := json.Unmarshal(tv.Query, &query); err != nil || tv.Type != "query" || tv.Definition != v.definition ||
			query.Query != v.definition || !isPrometheusVar(tv.Datasource) || tv.Multi != v.multi || tv.IncludeAll != v.multi {
			t.Errorf("variable %s: type %s, definition %q, query %s, multi %v, includeAll %v; want %s on ${datasource}, multi and all %v",
				v.name, tv.Type, tv.Definition, tv.Query, tv.Multi, tv.IncludeAll, v.definition, v.multi)
		}
	}
	if !(vars["namespace"] < vars["job"] && vars["job"] < vars["instance"] && vars["instance"] < vars["source"]) {
		t.Errorf("variables in the order %v, want namespace, job, instance, source: each after those it uses", vars)
	}

	used := map[string]bool{}
	ids := map[int]bool{}
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d twice", p.ID)
		}
		ids[p.ID] = true
		if !isPrometheusVar(p.Datasource) || len(p.Targets) == 0 {
			t.Errorf("panel %q: datasource %+v, %d queries", p.Title, p.Datasource, len(p.Targets))
		}
		for _, target := range p.Targets {
			if !isPrometheusVar(target.Datasource) {
				t.Errorf("panel %q: query on datasource %+v, want ${datasource}", p.Title, target.Datasource)
			}
			for _, sel := range selectors(t, strings.ReplaceAll(target.Expr, "$__rate_interval", "5m")) {
				metric := sel[model.MetricNameLabel].Value
				used[metric] = true
				if m := sel["source"]; !withoutSource[metric] && (m == nil || m.Type != labels.MatchRegexp || m.Value != "$source") {
					t.Errorf("panel %q: %s does not follow the source variable", p.Title, metric)
				}
				for _, v := range []string{"namespace", "job", "instance"} {
					if m := sel[v]; m == nil || m.Type != labels.MatchRegexp || m.Value != "$"+v {
						t.Errorf("panel %q: %s does not follow the %s variable: %s", p.Title, metric, v, target.Expr)
					}
				}
			}
		}
	}
	for _, m := range []string{
		"connector_records_written_total", "connector_records_polled_total", "connector_source_lag_seconds",
		"connector_poll_errors_total", "connector_http_request_failures_total", "connector_transactions_total",
		"connector_transaction_duration_seconds_bucket", "connector_dlq_records_total", "connector_source_state", "connector_ready",
		"connector_source_newest_record_timestamp_seconds", "connector_records_in_flight", "connector_records_in_flight_wait_seconds_total",
	} {
		if !used[m] {
			t.Errorf("no panel shows %s", m)
		}
	}
}

// withoutSource are the metrics that have no source label: per replica or
// per provider.
var withoutSource = map[string]bool{
	"connector_ready": true, "connector_transaction_duration_seconds_bucket": true, "connector_poll_duration_seconds_bucket": true,
	"connector_records_in_flight": true, "connector_records_in_flight_wait_seconds_total": true,
}
