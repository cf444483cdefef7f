package helm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// notesTemplate puts the rendered NOTES.txt into a ConfigMap: `helm
// template` renders NOTES.txt but does not print it, and `helm install
// --dry-run` needs a cluster.
const notesTemplate = `apiVersion: v1
kind: ConfigMap
metadata:
  name: notes
  namespace: {{ .Release.Namespace }}
data:
  NOTES.txt: |
    {{- include (print $.Template.BasePath "/NOTES.txt") . | nindent 4 }}
`

// renderNotes returns NOTES.txt as Helm would print it after an install
// with args, rendered from a copy of the chart.
func renderNotes(t *testing.T, args ...string) string {
	t.Helper()
	chart := filepath.Join(t.TempDir(), "connector")
	if err := os.CopyFS(chart, os.DirFS(chartDir)); err != nil {
		t.Fatal(err)
	}
	const file = "templates/zz-notes-test.yaml"
	if err := os.WriteFile(filepath.Join(chart, file), []byte(notesTemplate), 0o600); err != nil {
		t.Fatal(err)
	}
	cm, _ := get[corev1.ConfigMap](t, renderChart(t, chart, append([]string{"--show-only", file}, args...)...), "notes")
	return cm.Data["NOTES.txt"]
}

func TestNotes(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		want    []string
		wantNot []string
	}{
		{"default", nil, []string{
			`1 source(s), 2 replicas)`,
			`consumer group "connector-vn-marketing"`,
			`kafka.group.session_timeout (10s)`,
			"--reuse-values --set replicaCount=N",
			"so that the PodDisruptionBudget (created when replicaCount > 1) follows",
			"2 replicas for 1 source(s): the group gives no source to 1 of them (failover only)",
			"kubectl -n kafka scale deployment/rel-connector --replicas=0\n  kubectl -n kafka scale deployment/rel-connector --replicas=2\n",
			"From inside the cluster (a pod asks the Service for /readyz, 12 attempts):\n  helm test rel -n kafka --logs\n",
		}, []string{"With 1 replica", "rollout restart"}},
		{"existing-secret-no-helm-test", []string{"--set", "existingSecret=connector-credentials", "--set", "helmTest.enabled=false"}, []string{
			"They must be keys of the Secret connector-credentials",
			"after rotating the Secret, helm upgrade rolls the pods\n(checksum/existing-secret), or run kubectl -n kafka rollout restart deployment/rel-connector.",
		}, []string{"helm test"}},
		{"five-sources", []string{"-f", "testdata/five-sources.yaml"}, []string{
			`5 source(s), 2 replicas)`,
		}, []string{"With 1 replica", "gives no source"}},
		{"one", []string{"--set", "replicaCount=1", "--set", "podDisruptionBudget.enabled=false"}, []string{
			`1 source(s), 1 replica)`,
			"With 1 replica, a node failure stops every source",
			"Scale with replicaCount:\n",
			"--replicas=1\n",
		}, []string{"PodDisruptionBudget"}},
		{"stopped", []string{"--set", "replicaCount=0"}, []string{
			"stopped: replicaCount 0",
			"--replicas=N\n",
		}, []string{"With 1 replica", "gives no source"}},
		{"more-than-sources", []string{"-f", "testdata/replicas.yaml"}, []string{
			`1 source(s), 3 replicas)`,
			"3 replicas for 1 source(s): the group gives no source to 2 of them",
			`kafka.group.session_timeout (6s)`,
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			notes := renderNotes(t, tc.args...)
			for _, want := range tc.want {
				if !strings.Contains(notes, want) {
					t.Errorf("NOTES.txt lacks %q:\n%s", want, notes)
				}
			}
			for _, not := range tc.wantNot {
				if strings.Contains(notes, not) {
					t.Errorf("NOTES.txt holds %q:\n%s", not, notes)
				}
			}
		})
	}
}
