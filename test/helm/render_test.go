package helm

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// helmCmd is the Helm CLI, which the tests install from source with the go
// command, once per run, into a temporary directory: no helm install is
// needed. The first build takes about a minute; the go command caches it.
const helmCmd = "helm.sh/helm/v3/cmd/helm@v3.21.4"

const (
	chartDir  = "../../helm/connector"
	release   = "rel"
	namespace = "kafka"
)

// helm runs the Helm CLI with args and returns its standard output. Helm's
// own state (cache, configuration, data) goes to a temporary directory, and
// its kubeconfig names no cluster.
func helm(t *testing.T, args ...string) (string, error) {
	t.Helper()
	return helmWithKubeconfig(t, filepath.Join(t.TempDir(), "kubeconfig"), args...)
}

// helmWithKubeconfig is helm with the kubeconfig file given.
func helmWithKubeconfig(t *testing.T, kubeconfig string, args ...string) (string, error) {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command(helmBinary(t), args...)
	cmd.Env = append(os.Environ(),
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_DATA_HOME="+filepath.Join(home, "data"),
		"KUBECONFIG="+kubeconfig,
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("helm %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), nil
}

// manifest is one document of `helm template` output, decoded.
type manifest struct {
	source string // the template, from Helm's "# Source:" comment
	body   string // the document as Helm printed it
	kind   string
	name   string
	obj    metav1.Object // *appsv1.Deployment, *corev1.ConfigMap, ...
}

// rendered is the output of one `helm template`.
type rendered struct {
	text string
	docs []manifest
}

// render runs `helm template` on the chart with the extra args (values
// files, --set) and decodes every document strictly.
func render(t *testing.T, args ...string) rendered {
	t.Helper()
	return renderChart(t, chartDir, args...)
}

// renderChart is render for the chart in dir.
func renderChart(t *testing.T, dir string, args ...string) rendered {
	t.Helper()
	out, err := helm(t, append([]string{"template", release, dir, "--namespace", namespace}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	r := rendered{text: out}
	for _, chunk := range splitDocuments(out) {
		source, body, ok := strings.Cut(chunk, "\n")
		if !ok || !strings.HasPrefix(source, "# Source: ") {
			t.Fatalf("document without a # Source: line:\n%s", chunk)
		}
		m := manifest{source: strings.TrimPrefix(source, "# Source: "), body: strings.TrimSpace(body)}
		m.kind, m.obj = decode(t, m.source, m.body)
		m.name = m.obj.GetName()
		r.docs = append(r.docs, m)
	}
	if len(r.docs) == 0 {
		t.Fatal("helm template rendered nothing")
	}
	return r
}

// splitDocuments splits Helm's output at its "---" lines.
func splitDocuments(out string) []string {
	var docs []string
	var cur []string
	flush := func() {
		if doc := strings.TrimSpace(strings.Join(cur, "\n")); doc != "" {
			docs = append(docs, doc)
		}
		cur = nil
	}
	for line := range strings.Lines(out) {
		if strings.TrimRight(line, "\n") == "---" {
			flush()
			continue
		}
		cur = append(cur, strings.TrimRight(line, "\n"))
	}
	flush()
	return docs
}

// decode reads apiVersion and kind, then decodes the document strictly
// (unknown or duplicate fields are errors) into its API type.
func decode(t *testing.T, source, body string) (string, metav1.Object) {
	t.Helper()
	var meta metav1.TypeMeta
	if err := yaml.Unmarshal([]byte(body), &meta); err != nil {
		t.Fatalf("%s: %v", source, err)
	}
	var obj metav1.Object
	switch meta.APIVersion + " " + meta.Kind {
	case "apps/v1 Deployment":
		obj = &appsv1.Deployment{}
	case "v1 ConfigMap":
		obj = &corev1.ConfigMap{}
	case "v1 Secret":
		obj = &corev1.Secret{}
	case "v1 Service":
		obj = &corev1.Service{}
	case "v1 ServiceAccount":
		obj = &corev1.ServiceAccount{}
	case "v1 Pod":
		obj = &corev1.Pod{}
	case "networking.k8s.io/v1 NetworkPolicy":
		obj = &networkingv1.NetworkPolicy{}
	case "policy/v1 PodDisruptionBudget":
		obj = &policyv1.PodDisruptionBudget{}
	case "monitoring.coreos.com/v1 ServiceMonitor":
		obj = &monitoringv1.ServiceMonitor{}
	case "monitoring.coreos.com/v1 PrometheusRule":
		obj = &monitoringv1.PrometheusRule{}
	default:
		t.Fatalf("%s: unexpected kind %q of apiVersion %q", source, meta.Kind, meta.APIVersion)
	}
	if err := yaml.UnmarshalStrict([]byte(body), obj); err != nil {
		t.Fatalf("%s: strict decoding into %T: %v", source, obj, err)
	}
	if obj.GetName() == "" {
		t.Fatalf("%s: %s without a name", source, meta.Kind)
	}
	if obj.GetNamespace() != namespace {
		t.Errorf("%s: %s/%s in namespace %q, want %q", source, meta.Kind, obj.GetName(), obj.GetNamespace(), namespace)
	}
	return meta.Kind, obj
}

// objects lists the rendered objects as "Kind/name", sorted.
func (r rendered) objects() []string {
	var names []string
	for _, m := range r.docs {
		names = append(names, m.kind+"/"+m.name)
	}
	slices.Sort(names)
	return names
}

// get returns the object of type T named name, with its manifest.
func get[T any](t *testing.T, r rendered, name string) (*T, manifest) {
	t.Helper()
	for _, m := range r.docs {
		if obj, ok := any(m.obj).(*T); ok && m.name == name {
			return obj, m
		}
	}
	var zero T
	t.Fatalf("no %T named %q among %v", zero, name, r.objects())
	return nil, manifest{}
}

// sha256Hex is what the chart's checksum annotations hold.
func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// buildDir is the directory of the binaries the tests build, once per run;
// TestMain removes it.
var buildDir = sync.OnceValues(func() (string, error) {
	return os.MkdirTemp("", "connector-helm-test-")
})

// goCommand runs the go command with args in dir, with the variables env.
func goCommand(dir string, env []string, args ...string) error {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

var helmBuild = sync.OnceValues(func() (string, error) {
	dir, err := buildDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "helm"), goCommand(".", []string{"GOBIN=" + dir}, "install", helmCmd)
})

var connectorBuild = sync.OnceValues(func() (string, error) {
	dir, err := buildDir()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "connector")
	return bin, goCommand(filepath.Join("..", ".."), nil, "build", "-buildvcs=false", "-o", bin, "./cmd/connector")
})

// helmBinary is the Helm CLI (helmCmd), installed on first use.
func helmBinary(t *testing.T) string {
	t.Helper()
	bin, err := helmBuild()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// connectorBinary is ./cmd/connector of this repository, built on first use.
func connectorBinary(t *testing.T) string {
	t.Helper()
	bin, err := connectorBuild()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if dir, err := buildDir(); err == nil {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}
