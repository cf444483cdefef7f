package helm

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"sigs.k8s.io/yaml"
)

// promtoolVersion is the version of the Prometheus module whose promtool
// the alert rule tests run (v0.316.0 is Prometheus 3.16.0); .ci/run reads
// it from this line and installs that promtool.
const promtoolVersion = "v0.316.0"

// alertTests holds the promtool unit tests of the alerting rules; every
// test group of quietFile evaluates every alert and expects none.
const (
	alertTests = "../alerts"
	quietFile  = "quiet.yaml"
)

// promtool returns the promtool to run: $PROMTOOL, which must work (.ci/run
// sets it), else one on PATH. In CI ($CI set) a missing promtool fails the
// test; elsewhere it skips, saying how to run it.
func promtool(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("PROMTOOL"); p != "" {
		path, err := exec.LookPath(p)
		if err != nil {
			t.Fatalf("PROMTOOL=%s: %v", p, err)
		}
		return path
	}
	if path, err := exec.LookPath("promtool"); err == nil {
		return path
	}
	install := fmt.Sprintf("GOBIN=/tmp/promtool go install -tags remove_all_sd github.com/prometheus/prometheus/cmd/promtool@%s && PROMTOOL=/tmp/promtool/promtool go test -run TestAlertRules ./", promtoolVersion)
	if os.Getenv("CI") != "" {
		t.Fatalf("no promtool in CI: set PROMTOOL (.ci/run does), e.g. %s", install)
	}
	t.Skipf("no promtool (PROMTOOL unset, none on PATH); to run the alert rule tests: %s", install)
	return ""
}

// The chart's alerting rules, rendered with the default values (and a
// ServiceMonitor, which ConnectorAbsent needs), pass `promtool check rules`
// and the unit tests of test/alerts: each alert fires on synthetic series
// when it should and not before, and a healthy, caught-up, quiet source
// fires nothing.
func TestAlertRules(t *testing.T) {
	tool := promtool(t)
	r := render(t, "--set", "prometheusRule.enabled=true", "--set", "serviceMonitor.enabled=true")
	rule, m := get[monitoringv1.PrometheusRule](t, r, defaultFullname)
	var alerts []string
	for _, g := range rule.Spec.Groups {
		for _, rl := range g.Rules {
			alerts = append(alerts, rl.Alert)
		}
	}

	// The groups exactly as Helm rendered them, as a Prometheus rule file.
	var doc struct {
		Spec struct {
			Groups []any `json:"groups"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal([]byte(m.body), &doc); err != nil {
		t.Fatal(err)
	}
	rules, err := yaml.Marshal(map[string]any{"groups": doc.Spec.Groups})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "rules.yaml"), rules, 0o600); err != nil {
		t.Fatal(err)
	}

	files, err := filepath.Glob(filepath.Join(alertTests, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no promtool tests in %s: %v", alertTests, err)
	}
	var names []string
	firing := map[string]bool{}
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		if err := os.WriteFile(filepath.Join(dir, name), text, 0o600); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
		checkAlertTests(t, name, text, alerts, firing)
	}
	if !slices.Contains(names, quietFile) {
		t.Errorf("no %s in %s", quietFile, alertTests)
	}
	for _, a := range alerts {
		if !firing[a] {
			t.Errorf("no test in %s expects %s to fire", alertTests, a)
		}
	}

	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command(tool, args...)
		cmd.Dir = dir
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Fatalf("promtool %s: %v\n%s\nrules.yaml:\n%s", strings.Join(args, " "), err, out.String(), rules)
		}
		t.Logf("promtool %s:\n%s", strings.Join(args, " "), strings.TrimSpace(out.String()))
	}
	run("check", "rules", "rules.yaml")
	run(append([]string{"test", "rules"}, names...)...)
}

// checkAlertTests reads one promtool test file: it must test the rendered
// rules, name only alerts the chart has, and, for quietFile, expect no
// alert in every test group, for every alert. It records in firing the
// alerts some test expects to fire.
func checkAlertTests(t *testing.T, name string, text []byte, alerts []string, firing map[string]bool) {
	t.Helper()
	var f struct {
		RuleFiles []string `json:"rule_files"`
		Tests     []struct {
			Name  string `json:"name"`
			Tests []struct {
				Alertname string `json:"alertname"`
				ExpAlerts []any  `json:"exp_alerts"`
			} `json:"alert_rule_test"`
		} `json:"tests"`
	}
	if err := yaml.Unmarshal(text, &f); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if !slices.Equal(f.RuleFiles, []string{"rules.yaml"}) {
		t.Errorf("%s: rule_files %v, want [rules.yaml]", name, f.RuleFiles)
	}
	for _, g := range f.Tests {
		quiet := map[string]bool{}
		for _, at := range g.Tests {
			switch {
			case !slices.Contains(alerts, at.Alertname):
				t.Errorf("%s, %q: tests %s, which the chart does not have", name, g.Name, at.Alertname)
			case len(at.ExpAlerts) > 0:
				firing[at.Alertname] = true
				if name == quietFile {
					t.Errorf("%s, %q: expects %s to fire", name, g.Name, at.Alertname)
				}
			default:
				quiet[at.Alertname] = true
			}
		}
		if name != quietFile {
			continue
		}
		for _, a := range alerts {
			if !quiet[a] {
				t.Errorf("%s, %q: does not check that %s stays quiet", name, g.Name, a)
			}
		}
	}
}
