package helm

// Running on a real cluster: GOMEMLIMIT from the memory limit, nxlink tenant
// ids beyond a float's precision, the helm test hook, the NetworkPolicy and
// the rollout after an existingSecret rotation.

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

const testPodSuffix = "-test-readyz"

// containerEnv returns the value of the connector container's variable
// name, and how many times it is set.
func containerEnv(t *testing.T, d *appsv1.Deployment, name string) (string, int) {
	t.Helper()
	var value string
	n := 0
	for _, e := range d.Spec.Template.Spec.Containers[0].Env {
		if e.Name == name {
			value, n = e.Value, n+1
		}
	}
	return value, n
}

// wantGoMemLimit is floor(ratio × limit) in bytes, with Kubernetes' own
// reading of the quantity limit.
func wantGoMemLimit(t *testing.T, limit, ratio string) string {
	t.Helper()
	r, ok := new(big.Rat).SetString(ratio)
	if !ok {
		t.Fatalf("ratio %q", ratio)
	}
	q := resource.MustParse(limit)
	bytes := new(big.Rat).Mul(new(big.Rat).SetInt64(q.Value()), r)
	return new(big.Int).Quo(bytes.Num(), bytes.Denom()).String()
}

func TestGoMemLimit(t *testing.T) {
	bin := connectorBinary(t)
	for _, tc := range []struct {
		name  string
		args  []string
		limit string // the memory limit as Kubernetes reads it
		ratio string
	}{
		{"default", nil, "512Mi", "0.9"},
		{"1Gi", []string{"--set", "resources.limits.memory=1Gi"}, "1Gi", "0.9"},
		{"1.5Gi-three-quarters", []string{"--set", "resources.limits.memory=1.5Gi", "--set-json", "goMemLimit.ratio=0.75"}, "1.5Gi", "0.75"},
		{"500M", []string{"--set", "resources.limits.memory=500M"}, "500M", "0.9"},
		{"exponent", []string{"--set", "resources.limits.memory=2e9"}, "2e9", "0.9"},
		{"json-number-whole-limit", []string{"--set-json", "resources.limits.memory=2147483648", "--set-json", "goMemLimit.ratio=1"}, "2Gi", "1"},
		{"64Gi", []string{"--set", "resources.limits.memory=64Gi"}, "64Gi", "0.9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, _ := get[appsv1.Deployment](t, render(t, tc.args...), defaultFullname)
			got, n := containerEnv(t, d, "GOMEMLIMIT")
			if want := wantGoMemLimit(t, tc.limit, tc.ratio); n != 1 || got != want {
				t.Fatalf("GOMEMLIMIT = %q (set %d times), want %s: %s × %s in bytes", got, n, want, tc.ratio, tc.limit)
			}
			if limit := d.Spec.Template.Spec.Containers[0].Resources.Limits[corev1.ResourceMemory]; limit.Cmp(resource.MustParse(tc.limit)) != 0 {
				t.Errorf("memory limit %s, want %s", limit.String(), tc.limit)
			}
			// The Go runtime refuses a malformed GOMEMLIMIT at start.
			cmd := exec.Command(bin, "version")
			cmd.Env = append(os.Environ(), "GOMEMLIMIT="+got)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("connector version with GOMEMLIMIT=%s: %v\n%s", got, err, out)
			}
		})
	}

	t.Run("runtime-refuses-malformed", func(t *testing.T) {
		cmd := exec.Command(bin, "version")
		cmd.Env = append(os.Environ(), "GOMEMLIMIT=450MB")
		if out, err := cmd.CombinedOutput(); err == nil {
			t.Errorf("connector version with GOMEMLIMIT=450MB succeeded, so the check above proves nothing:\n%s", out)
		}
	})

	for _, tc := range []struct {
		name string
		args []string
		env  []corev1.EnvVar // the container's whole env; nil for none
	}{
		{"no-memory-limit", []string{"--set", "resources.limits=null"}, nil},
		{"disabled", []string{"--set", "goMemLimit.enabled=false"}, nil},
		{"extraEnv-wins", []string{"--set-json", `extraEnv=[{"name":"GOMEMLIMIT","value":"300MiB"},{"name":"TZ","value":"UTC"}]`},
			[]corev1.EnvVar{{Name: "GOMEMLIMIT", Value: "300MiB"}, {Name: "TZ", Value: "UTC"}}},
		{"beside-extraEnv", []string{"--set-json", `extraEnv=[{"name":"TZ","value":"UTC"}]`},
			[]corev1.EnvVar{{Name: "GOMEMLIMIT", Value: wantGoMemLimit(t, "512Mi", "0.9")}, {Name: "TZ", Value: "UTC"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, _ := get[appsv1.Deployment](t, render(t, tc.args...), defaultFullname)
			if env := d.Spec.Template.Spec.Containers[0].Env; !slices.Equal(env, tc.env) {
				t.Errorf("env = %s, want %s", toYAML(t, env), toYAML(t, tc.env))
			}
		})
	}

	t.Run("milli-bytes", func(t *testing.T) {
		out, err := helm(t, "template", release, chartDir, "--namespace", namespace, "--set", "resources.limits.memory=1500m")
		if err == nil || !strings.Contains(err.Error(), `resources.limits.memory "1500m": GOMEMLIMIT needs a quantity in bytes`) {
			t.Errorf("helm template with a memory limit of 1500m: %v\n%s", err, out)
		}
	})
}

// TestTenantIDBeyondFloatPrecision renders nxlink tenant ids that Helm
// would round as numbers, and runs `connector validate` on the result.
func TestTenantIDBeyondFloatPrecision(t *testing.T) {
	cm, _ := get[corev1.ConfigMap](t, render(t, "-f", "testdata/nxlink-tenant-int64.yaml"), defaultFullname)
	text := cm.Data["config.yaml"]
	for _, line := range []string{"tenant_id: 9223372036854775807\n", "tenant_id: 9007199254740991\n"} {
		if !strings.Contains(text, line) {
			t.Errorf("config.yaml lacks %q (an unquoted integer, every digit):\n%s", line, text)
		}
	}
	// The connector's own YAML library refuses a string for an int64.
	var cfg struct {
		Sources []struct {
			Nxlink struct {
				TenantID int64 `yaml:"tenant_id"`
			} `yaml:"nxlink"`
		} `yaml:"sources"`
	}
	if err := yaml.Unmarshal([]byte(text), &cfg); err != nil {
		t.Fatalf("config.yaml into int64 tenant ids: %v", err)
	}
	if len(cfg.Sources) != 2 || cfg.Sources[0].Nxlink.TenantID != 9223372036854775807 || cfg.Sources[1].Nxlink.TenantID != 9007199254740991 {
		t.Errorf("tenant ids %+v, want 9223372036854775807 and 9007199254740991", cfg.Sources)
	}
	validateConfig(t, cm, 2)

	t.Run("above-int64", func(t *testing.T) {
		values := filepath.Join(t.TempDir(), "values.yaml")
		b, err := os.ReadFile("testdata/nxlink-tenant-int64.yaml")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(values, []byte(strings.Replace(string(b), `"9223372036854775807"`, `"9223372036854775808"`, 1)), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := helm(t, "template", release, chartDir, "--namespace", namespace, "-f", values)
		if err == nil || !strings.Contains(err.Error(), `config.sources[0].nxlink.tenant_id "9223372036854775808": want an integer from 1 to 9223372036854775807`) {
			t.Errorf("helm template with tenant_id 2^63: %v\n%s", err, out)
		}
	})
}

// busybox returns the path of busybox, the test pod's default image's
// program; CI installs it (.ci/run), elsewhere the test is skipped without.
func busybox(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("busybox")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("busybox is not installed (.ci/run installs it)")
		}
		t.Skip("busybox is not installed (apt-get install busybox)")
	}
	return path
}

// checkTestPod asserts the helm test pod of the release rendered as r and
// returns it.
func checkTestPod(t *testing.T, r rendered, fullname, image string, port int32) *corev1.Pod {
	t.Helper()
	pod, m := get[corev1.Pod](t, r, fullname+testPodSuffix)
	if m.source != "connector/templates/tests/test-readyz.yaml" || pod.Annotations["helm.sh/hook"] != "test" {
		t.Errorf("%s: annotations %v, want the helm.sh/hook test", m.source, pod.Annotations)
	}
	d, _ := get[appsv1.Deployment](t, r, fullname)
	svc, _ := get[corev1.Service](t, r, fullname)
	podLabels := labels.Set(pod.Labels)
	for what, sel := range map[string]map[string]string{
		"Deployment": d.Spec.Selector.MatchLabels,
		"Service":    svc.Spec.Selector,
	} {
		if labels.SelectorFromSet(sel).Matches(podLabels) {
			t.Errorf("the %s selector %v selects the test pod %v", what, sel, pod.Labels)
		}
	}
	if pdb := r.objects(); slices.Contains(pdb, "PodDisruptionBudget/"+fullname) {
		p, _ := get[policyv1.PodDisruptionBudget](t, r, fullname)
		if s, err := metav1.LabelSelectorAsSelector(p.Spec.Selector); err != nil || s.Matches(podLabels) {
			t.Errorf("the PodDisruptionBudget selects the test pod (%v)", err)
		}
	}

	spec := pod.Spec
	if spec.RestartPolicy != corev1.RestartPolicyNever || spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken ||
		spec.SecurityContext == nil || spec.SecurityContext.RunAsNonRoot == nil || !*spec.SecurityContext.RunAsNonRoot {
		t.Errorf("test pod spec = %s, want restartPolicy Never, no API token, non-root", toYAML(t, spec))
	}
	if len(spec.Containers) != 1 {
		t.Fatalf("%d containers in the test pod, want 1", len(spec.Containers))
	}
	c := spec.Containers[0]
	if c.Image != image {
		t.Errorf("test image = %q, want %q", c.Image, image)
	}
	if csc := c.SecurityContext; csc == nil || csc.ReadOnlyRootFilesystem == nil || !*csc.ReadOnlyRootFilesystem ||
		csc.AllowPrivilegeEscalation == nil || *csc.AllowPrivilegeEscalation {
		t.Errorf("test container securityContext = %s", toYAML(t, csc))
	}
	url := fmt.Sprintf("http://%s.%s.svc:%d/readyz", svc.Name, svc.Namespace, port)
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != port {
		t.Errorf("Service ports %+v, want %d", svc.Spec.Ports, port)
	}
	if env := envMap(c.Env); env["URL"] != url {
		t.Errorf("test URL = %q, want the Service's /readyz %q", env["URL"], url)
	}
	if len(c.Command) != 3 || c.Command[0] != "sh" || c.Command[1] != "-c" {
		t.Fatalf("test command = %q, want sh -c SCRIPT", c.Command)
	}
	return pod
}

func envMap(env []corev1.EnvVar) map[string]string {
	m := map[string]string{}
	for _, e := range env {
		m[e.Name] = e.Value
	}
	return m
}

// readyzServer answers /readyz with 503 to the first failures requests, then
// with 200, and counts them.
type readyzServer struct {
	mu       sync.Mutex
	failures int
	requests []string
}

func (s *readyzServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r.Method+" "+r.URL.Path)
	if len(s.requests) <= s.failures {
		http.Error(w, `{"ready":false}`, http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, `{"ready":true}`)
}

// runTestPod runs the test pod's command with busybox (sh, timeout, wget, sleep)
// against URL, with the pod's other variables.
func runTestPod(t *testing.T, pod *corev1.Pod, url string) (string, error) {
	t.Helper()
	bb := busybox(t)
	bin := t.TempDir()
	for _, applet := range []string{"sh", "timeout", "wget", "sleep"} {
		if err := os.Symlink(bb, filepath.Join(bin, applet)); err != nil {
			t.Fatal(err)
		}
	}
	c := pod.Spec.Containers[0]
	cmd := exec.Command(bb, c.Command...)
	cmd.Env = []string{"PATH=" + bin}
	for name, value := range envMap(c.Env) {
		if name == "URL" {
			value = url
		}
		cmd.Env = append(cmd.Env, name+"="+value)
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestHelmTestHook(t *testing.T) {
	t.Run("default", func(t *testing.T) {
		pod := checkTestPod(t, render(t), defaultFullname, "busybox:1.37", 8080)
		if env := envMap(pod.Spec.Containers[0].Env); env["ATTEMPTS"] != "12" || env["INTERVAL"] != "5" {
			t.Errorf("ATTEMPTS %q, INTERVAL %q, want 12 and 5", env["ATTEMPTS"], env["INTERVAL"])
		}
	})
	t.Run("values", func(t *testing.T) {
		const name = "vn-connector"
		pod := checkTestPod(t, render(t, "-f", "testdata/everything.yaml"), name, "registry.example.com/mirror/busybox:1.37.0", 9090)
		if env := envMap(pod.Spec.Containers[0].Env); env["ATTEMPTS"] != "3" || env["INTERVAL"] != "10" {
			t.Errorf("ATTEMPTS %q, INTERVAL %q, want 3 and 10", env["ATTEMPTS"], env["INTERVAL"])
		}
		if c := pod.Spec.Containers[0]; c.ImagePullPolicy != corev1.PullAlways || !slices.Equal(pod.Spec.ImagePullSecrets, []corev1.LocalObjectReference{{Name: "registry-credentials"}}) {
			t.Errorf("pull policy %s, pull secrets %v", c.ImagePullPolicy, pod.Spec.ImagePullSecrets)
		}
	})
	t.Run("disabled", func(t *testing.T) {
		if objs := render(t, "--set", "helmTest.enabled=false").objects(); slices.Contains(objs, "Pod/"+defaultFullname+testPodSuffix) {
			t.Errorf("objects %v hold the test pod", objs)
		}
	})

	// The pod's script, run by busybox's sh and wget against a /readyz
	// that answers 503 before 200.
	pod := checkTestPod(t, render(t, "--set", "helmTest.attempts=3", "--set", "helmTest.intervalSeconds=0"), defaultFullname, "busybox:1.37", 8080)
	for _, tc := range []struct {
		name     string
		failures int
		pass     bool
		output   string
	}{
		{"ready-at-once", 0, true, "answered 200 (attempt 1)"},
		{"ready-on-the-last-attempt", 2, true, "answered 200 (attempt 3)"},
		{"never-ready", 5, false, "did not answer 200 in 3 attempts"},
	} {
		t.Run("busybox/"+tc.name, func(t *testing.T) {
			s := &readyzServer{failures: tc.failures}
			srv := httptest.NewServer(s)
			defer srv.Close()
			out, err := runTestPod(t, pod, srv.URL+"/readyz")
			if (err == nil) != tc.pass || !strings.Contains(out, tc.output) {
				t.Errorf("test pod: %v, want passing %v with %q:\n%s", err, tc.pass, tc.output, out)
			}
			want := min(tc.failures+1, 3)
			s.mu.Lock()
			defer s.mu.Unlock()
			if len(s.requests) != want || slices.ContainsFunc(s.requests, func(r string) bool { return r != "GET /readyz" }) {
				t.Errorf("requests %q, want %d GET /readyz", s.requests, want)
			}
		})
	}
}

func TestNetworkPolicy(t *testing.T) {
	check := func(t *testing.T, r rendered, fullname string) *networkingv1.NetworkPolicy {
		t.Helper()
		np, _ := get[networkingv1.NetworkPolicy](t, r, fullname)
		d, _ := get[appsv1.Deployment](t, r, fullname)
		test, _ := get[corev1.Pod](t, r, fullname+testPodSuffix)
		sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
		if err != nil {
			t.Fatal(err)
		}
		if sel.Empty() || !sel.Matches(labels.Set(d.Spec.Template.Labels)) || sel.Matches(labels.Set(test.Labels)) {
			t.Errorf("podSelector %v: want the connector's pods only", sel)
		}
		if len(np.Spec.Ingress) != 1 {
			t.Fatalf("ingress = %s, want one rule", toYAML(t, np.Spec.Ingress))
		}
		in := np.Spec.Ingress[0]
		tcp := corev1.ProtocolTCP
		if len(in.Ports) != 1 || in.Ports[0].Port == nil || *in.Ports[0].Port != intstr.FromString("http") || in.Ports[0].Protocol == nil || *in.Ports[0].Protocol != tcp {
			t.Errorf("ingress ports = %s, want the named port http/TCP", toYAML(t, in.Ports))
		}
		if ports := d.Spec.Template.Spec.Containers[0].Ports; len(ports) != 1 || ports[0].Name != "http" {
			t.Errorf("container ports %+v: no port named http", ports)
		}
		// An empty from would let every source in.
		if len(in.From) == 0 {
			t.Fatal("ingress from is empty: it would allow every source")
		}
		first := in.From[0]
		testSel, err := metav1.LabelSelectorAsSelector(first.PodSelector)
		if err != nil || first.NamespaceSelector != nil || first.IPBlock != nil || !testSel.Matches(labels.Set(test.Labels)) || testSel.Matches(labels.Set(d.Spec.Template.Labels)) {
			t.Errorf("first peer %s, want the release's test pod in the namespace (%v)", toYAML(t, first), err)
		}
		return np
	}

	t.Run("disabled", func(t *testing.T) {
		if objs := render(t).objects(); slices.ContainsFunc(objs, func(o string) bool { return strings.HasPrefix(o, "NetworkPolicy/") }) {
			t.Errorf("objects %v hold a NetworkPolicy; it is off by default", objs)
		}
	})
	t.Run("defaults", func(t *testing.T) {
		np := check(t, render(t, "--set", "networkPolicy.enabled=true"), defaultFullname)
		if !slices.Equal(np.Spec.PolicyTypes, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}) || np.Spec.Egress != nil {
			t.Errorf("policyTypes %v, egress %s: want ingress only, egress open", np.Spec.PolicyTypes, toYAML(t, np.Spec.Egress))
		}
		from := np.Spec.Ingress[0].From
		if len(from) != 2 || from[1].NamespaceSelector == nil || from[1].PodSelector != nil ||
			from[1].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"] != "monitoring" {
			t.Errorf("from = %s, want the test pod and the namespace monitoring", toYAML(t, from))
		}
	})
	t.Run("only-the-test-pod", func(t *testing.T) {
		np := check(t, render(t, "--set", "networkPolicy.enabled=true", "--set-json", "networkPolicy.ingressFrom=[]"), defaultFullname)
		if len(np.Spec.Ingress[0].From) != 1 {
			t.Errorf("from = %s, want the test pod only", toYAML(t, np.Spec.Ingress[0].From))
		}
	})
	t.Run("egress-closed", func(t *testing.T) {
		np := check(t, render(t, "--set", "networkPolicy.enabled=true", "--set", "networkPolicy.egress.restrict=true"), defaultFullname)
		if !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) || len(np.Spec.Egress) != 0 {
			t.Errorf("policyTypes %v, egress %s: want Egress with no rule (nothing allowed)", np.Spec.PolicyTypes, toYAML(t, np.Spec.Egress))
		}
	})
	t.Run("values", func(t *testing.T) {
		const name = "vn-connector"
		np := check(t, render(t, "-f", "testdata/everything.yaml"), name)
		if !slices.Equal(np.Spec.PolicyTypes, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}) {
			t.Errorf("policyTypes %v, want Ingress and Egress", np.Spec.PolicyTypes)
		}
		var ports []string
		for _, rule := range np.Spec.Egress {
			for _, p := range rule.Ports {
				ports = append(ports, p.Port.String()+"/"+string(*p.Protocol))
			}
		}
		if want := []string{"53/UDP", "53/TCP", "9093/TCP", "443/TCP"}; !slices.Equal(ports, want) {
			t.Errorf("egress ports %v, want %v", ports, want)
		}
		from := np.Spec.Ingress[0].From
		if len(from) != 2 || from[1].NamespaceSelector == nil || from[1].PodSelector == nil ||
			from[1].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"] != "observability" ||
			from[1].PodSelector.MatchLabels["app.kubernetes.io/name"] != "prometheus" {
			t.Errorf("from = %s, want the test pod and Prometheus in observability", toYAML(t, from))
		}
	})
}

// fakeAPIServer is just enough of the Kubernetes API for Helm's lookup of
// a Secret: the v1 discovery document and GET of the Secrets in secrets.
type fakeAPIServer struct {
	mu      sync.Mutex
	secrets map[string]map[string][]byte // name → data, in the test namespace
	gets    []string                     // the Secrets asked for
	other   []string                     // any other request
}

func (s *fakeAPIServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	prefix := "/api/v1/namespaces/" + namespace + "/secrets/"
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/api/v1":
		json.NewEncoder(w).Encode(metav1.APIResourceList{
			TypeMeta:     metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"},
			GroupVersion: "v1",
			APIResources: []metav1.APIResource{{Name: "secrets", Namespaced: true, Kind: "Secret", Verbs: metav1.Verbs{"get", "list"}}},
		})
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, prefix):
		name := strings.TrimPrefix(r.URL.Path, prefix)
		s.gets = append(s.gets, name)
		data, ok := s.secrets[name]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			json.NewEncoder(w).Encode(metav1.Status{
				TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
				Status:   metav1.StatusFailure, Reason: metav1.StatusReasonNotFound, Code: http.StatusNotFound,
				Message: fmt.Sprintf("secrets %q not found", name),
				Details: &metav1.StatusDetails{Name: name, Kind: "secrets"},
			})
			return
		}
		json.NewEncoder(w).Encode(corev1.Secret{
			TypeMeta:   metav1.TypeMeta{Kind: "Secret", APIVersion: "v1"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, ResourceVersion: fmt.Sprint(len(s.gets))},
			Type:       corev1.SecretTypeOpaque,
			Data:       data,
		})
	default:
		s.other = append(s.other, r.Method+" "+r.URL.String())
		http.NotFound(w, r)
	}
}

// kubeconfig writes a kubeconfig for the API server at url.
func kubeconfig(t *testing.T, url string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "kubeconfig")
	text := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
  - name: fake
    cluster: {server: %q}
users:
  - name: fake
    user: {}
contexts:
  - name: fake
    context: {cluster: fake, user: fake, namespace: %s}
current-context: fake
`, url, namespace)
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// TestExistingSecretRotationRollsThePods renders the chart as helm install
// and upgrade do, with lookup answered by a fake API server: the pod
// template carries a checksum of existingSecret's data, which changes when
// the Secret is rotated.
func TestExistingSecretRotationRollsThePods(t *testing.T) {
	const secret = "connector-credentials"
	api := &fakeAPIServer{secrets: map[string]map[string][]byte{}}
	srv := httptest.NewServer(api)
	defer srv.Close()
	config := kubeconfig(t, srv.URL)

	// annotations renders the Deployment as `helm upgrade` would (lookup
	// reaches the cluster) and returns its pod template's annotations.
	annotations := func(t *testing.T) map[string]string {
		t.Helper()
		out, err := helmWithKubeconfig(t, config, "template", release, chartDir, "--namespace", namespace, "--dry-run=server",
			"--set", "existingSecret="+secret, "--show-only", "templates/deployment.yaml")
		if err != nil {
			t.Fatal(err)
		}
		_, obj := decode(t, "deployment.yaml", strings.TrimSpace(strings.SplitN(out, "\n", 3)[2]))
		return obj.(*appsv1.Deployment).Spec.Template.Annotations
	}
	checksum := func(data map[string][]byte) string {
		encoded := map[string]string{}
		for k, v := range data {
			encoded[k] = base64.StdEncoding.EncodeToString(v)
		}
		b, err := json.Marshal(encoded)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		return hex.EncodeToString(sum[:])
	}

	missing := annotations(t)
	if sum, ok := missing[checksumExistingSecret]; ok {
		t.Errorf("%s = %s while the Secret does not exist", checksumExistingSecret, sum)
	}

	before := map[string][]byte{"TIKI_CLIENT_ID": []byte("client-id"), "TIKI_CLIENT_SECRET": []byte("secret-before")}
	after := map[string][]byte{"TIKI_CLIENT_ID": []byte("client-id"), "TIKI_CLIENT_SECRET": []byte("secret-after")}
	var sums []string
	for _, data := range []map[string][]byte{before, before, after} {
		api.mu.Lock()
		api.secrets[secret] = data
		api.mu.Unlock()
		a := annotations(t)
		if a[checksumExistingSecret] != checksum(data) {
			t.Errorf("%s = %q, want sha256 of the Secret's data %q", checksumExistingSecret, a[checksumExistingSecret], checksum(data))
		}
		if a[checksumConfig] != missing[checksumConfig] {
			t.Errorf("%s changed with the Secret", checksumConfig)
		}
		if _, ok := a[checksumSecret]; ok {
			t.Errorf("%s with an existingSecret", checksumSecret)
		}
		sums = append(sums, a[checksumExistingSecret])
	}
	if sums[0] != sums[1] {
		t.Errorf("the checksum changed without a rotation: %s → %s (an upgrade would roll the pods for nothing)", sums[0], sums[1])
	}
	if sums[1] == sums[2] {
		t.Error("the checksum did not change with the rotation: the pods would keep the old credentials")
	}

	api.mu.Lock()
	defer api.mu.Unlock()
	if len(api.gets) != 4 || slices.ContainsFunc(api.gets, func(n string) bool { return n != secret }) {
		t.Errorf("Secrets looked up: %q, want %s four times", api.gets, secret)
	}
	if len(api.other) != 0 {
		t.Errorf("unexpected API requests: %q", api.other)
	}
}
