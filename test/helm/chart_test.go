package helm

import (
	"encoding/base64"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
)

const (
	configPath     = "/etc/connector/config.yaml"
	checksumConfig = "checksum/config"
	checksumSecret = "checksum/secret"
	// checksumExistingSecret is the sha256 of existingSecret's data, when
	// Helm could look the Secret up.
	checksumExistingSecret = "checksum/existing-secret"
	nonRootID              = 65532
	tikiSecretRef          = "${TIKI_CLIENT_SECRET}"
	defaultFullname        = release + "-connector"
	hostnameKey            = "kubernetes.io/hostname"
	zoneKey                = "topology.kubernetes.io/zone"
)

// wantDeployment is what differs between the values files.
type wantDeployment struct {
	name           string
	configMap      string
	secret         string // envFrom's Secret; empty for none
	serviceAccount string
	image          string
	port           int32
	replicas       int32
	grace          int64 // terminationGracePeriodSeconds
}

// checkDeployment asserts what every rendering of the Deployment must hold
// and returns it.
func checkDeployment(t *testing.T, r rendered, want wantDeployment) *appsv1.Deployment {
	t.Helper()
	d, _ := get[appsv1.Deployment](t, r, want.name)

	if d.Spec.Replicas == nil || *d.Spec.Replicas != want.replicas {
		t.Errorf("replicas = %v, want %d", d.Spec.Replicas, want.replicas)
	}
	checkRollingUpdate(t, d)
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		t.Fatal(err)
	}
	if sel.Empty() || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
		t.Errorf("selector %v does not match the pod labels %v", sel, d.Spec.Template.Labels)
	}

	pod := d.Spec.Template.Spec
	psc := pod.SecurityContext
	switch {
	case psc == nil:
		t.Error("no pod securityContext")
	case psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot,
		psc.RunAsUser == nil || *psc.RunAsUser != nonRootID,
		psc.RunAsGroup == nil || *psc.RunAsGroup != nonRootID,
		psc.FSGroup == nil || *psc.FSGroup != nonRootID,
		psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault:
		t.Errorf("pod securityContext = %s, want non-root 65532:65532, fsGroup 65532, seccomp RuntimeDefault", toYAML(t, psc))
	}
	if pod.TerminationGracePeriodSeconds == nil || *pod.TerminationGracePeriodSeconds != want.grace {
		t.Errorf("terminationGracePeriodSeconds = %v, want %d", pod.TerminationGracePeriodSeconds, want.grace)
	}
	if pod.ServiceAccountName != want.serviceAccount {
		t.Errorf("serviceAccountName = %q, want %q", pod.ServiceAccountName, want.serviceAccount)
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Error("the Kubernetes API token is mounted; the connector never uses it")
	}

	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	if c.Image != want.image {
		t.Errorf("image = %q, want %q", c.Image, want.image)
	}
	if len(c.Command) != 0 || !slices.Equal(c.Args, []string{"run", "-c", configPath}) {
		t.Errorf("command %q args %q, want the image's entrypoint with run -c %s", c.Command, c.Args, configPath)
	}

	csc := c.SecurityContext
	switch {
	case csc == nil:
		t.Error("no container securityContext")
	case csc.AllowPrivilegeEscalation == nil || *csc.AllowPrivilegeEscalation,
		csc.ReadOnlyRootFilesystem == nil || !*csc.ReadOnlyRootFilesystem,
		csc.RunAsNonRoot == nil || !*csc.RunAsNonRoot,
		csc.Privileged != nil && *csc.Privileged,
		csc.Capabilities == nil || !slices.Equal(csc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(csc.Capabilities.Add) != 0:
		t.Errorf("container securityContext = %s, want no privilege escalation, read-only root filesystem, non-root, drop ALL", toYAML(t, csc))
	}

	if len(c.Ports) != 1 || c.Ports[0].Name != "http" || c.Ports[0].ContainerPort != want.port || c.Ports[0].Protocol != corev1.ProtocolTCP {
		t.Errorf("ports = %+v, want http %d/TCP", c.Ports, want.port)
	}
	for _, p := range []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{
		{"startupProbe", c.StartupProbe, "/healthz"},
		{"livenessProbe", c.LivenessProbe, "/healthz"},
		{"readinessProbe", c.ReadinessProbe, "/readyz"},
	} {
		if p.probe == nil || p.probe.HTTPGet == nil {
			t.Errorf("%s: want an httpGet probe", p.name)
			continue
		}
		if p.probe.HTTPGet.Path != p.path || p.probe.HTTPGet.Port != intstr.FromString("http") {
			t.Errorf("%s: GET %s on port %s, want GET %s on port http", p.name, p.probe.HTTPGet.Path, p.probe.HTTPGet.Port.String(), p.path)
		}
		if p.probe.PeriodSeconds < 1 || p.probe.TimeoutSeconds < 1 || p.probe.FailureThreshold < 1 {
			t.Errorf("%s: period %ds, timeout %ds, failure threshold %d", p.name, p.probe.PeriodSeconds, p.probe.TimeoutSeconds, p.probe.FailureThreshold)
		}
	}

	for _, q := range []struct {
		what string
		list corev1.ResourceList
		name corev1.ResourceName
		want string
	}{
		{"requests", c.Resources.Requests, corev1.ResourceCPU, "100m"},
		{"requests", c.Resources.Requests, corev1.ResourceMemory, "128Mi"},
		{"limits", c.Resources.Limits, corev1.ResourceMemory, "512Mi"},
	} {
		got, ok := q.list[q.name]
		if !ok || got.Cmp(resource.MustParse(q.want)) != 0 {
			t.Errorf("resources.%s.%s = %v, want %s", q.what, q.name, got.String(), q.want)
		}
	}
	if cpu, ok := c.Resources.Limits[corev1.ResourceCPU]; ok {
		t.Errorf("CPU limit %s: throttling can make transactions time out", cpu.String())
	}

	switch {
	case want.secret == "" && len(c.EnvFrom) != 0:
		t.Errorf("envFrom = %+v, want none", c.EnvFrom)
	case want.secret != "" && (len(c.EnvFrom) != 1 || c.EnvFrom[0].SecretRef == nil || c.EnvFrom[0].SecretRef.Name != want.secret ||
		c.EnvFrom[0].SecretRef.Optional != nil && *c.EnvFrom[0].SecretRef.Optional):
		t.Errorf("envFrom = %s, want the Secret %s (not optional)", toYAML(t, c.EnvFrom), want.secret)
	}

	var configVolume string
	for _, v := range pod.Volumes {
		if v.ConfigMap != nil && v.ConfigMap.Name == want.configMap {
			configVolume = v.Name
		}
	}
	if configVolume == "" {
		t.Fatalf("no volume of the ConfigMap %s among %s", want.configMap, toYAML(t, pod.Volumes))
	}
	if !slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool {
		return m.Name == configVolume && m.MountPath == filepath.Dir(configPath) && m.ReadOnly
	}) {
		t.Errorf("the config volume is not mounted read-only at %s: %s", filepath.Dir(configPath), toYAML(t, c.VolumeMounts))
	}
	return d
}

// checkRollingUpdate asserts the default strategy: a rolling update that
// starts one new pod before it stops an old one and never goes below
// replicaCount (the group hands a task over only once its owner revoked it).
func checkRollingUpdate(t *testing.T, d *appsv1.Deployment) {
	t.Helper()
	s := d.Spec.Strategy
	one, zero := intstr.FromInt32(1), intstr.FromInt32(0)
	if s.Type != appsv1.RollingUpdateDeploymentStrategyType || s.RollingUpdate == nil ||
		s.RollingUpdate.MaxSurge == nil || *s.RollingUpdate.MaxSurge != one ||
		s.RollingUpdate.MaxUnavailable == nil || *s.RollingUpdate.MaxUnavailable != zero {
		t.Errorf("strategy = %s, want RollingUpdate with maxSurge 1, maxUnavailable 0", toYAML(t, s))
	}
}

// wantSpread is one expected topology spread constraint.
type wantSpread struct {
	key         string
	skew        int32
	when        corev1.UnsatisfiableConstraintAction
	matchLabels map[string]string // nil: the Deployment's selector labels
}

// checkSpread asserts the pod's topology spread constraints, in order.
func checkSpread(t *testing.T, d *appsv1.Deployment, want ...wantSpread) {
	t.Helper()
	got := d.Spec.Template.Spec.TopologySpreadConstraints
	if len(got) != len(want) {
		t.Fatalf("topologySpreadConstraints = %s, want %d", toYAML(t, got), len(want))
	}
	for i, w := range want {
		c := got[i]
		if c.TopologyKey != w.key || c.MaxSkew != w.skew || c.WhenUnsatisfiable != w.when {
			t.Errorf("constraint %d: %s %d %s, want %s %d %s", i, c.TopologyKey, c.MaxSkew, c.WhenUnsatisfiable, w.key, w.skew, w.when)
		}
		labelsWanted := w.matchLabels
		if labelsWanted == nil {
			labelsWanted = d.Spec.Selector.MatchLabels
		}
		if c.LabelSelector == nil || len(c.LabelSelector.MatchExpressions) != 0 || !maps.Equal(c.LabelSelector.MatchLabels, labelsWanted) {
			t.Errorf("constraint %d: labelSelector %s, want matchLabels %v", i, toYAML(t, c.LabelSelector), labelsWanted)
			continue
		}
		sel, err := metav1.LabelSelectorAsSelector(c.LabelSelector)
		if err != nil {
			t.Fatal(err)
		}
		if sel.Empty() || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
			t.Errorf("constraint %d: selector %v does not count the pods %v", i, sel, d.Spec.Template.Labels)
		}
	}
}

// checkPDB asserts the PodDisruptionBudget: maxUnavailable only, selecting
// the Deployment's pods.
func checkPDB(t *testing.T, r rendered, d *appsv1.Deployment, maxUnavailable intstr.IntOrString) {
	t.Helper()
	pdb, _ := get[policyv1.PodDisruptionBudget](t, r, d.Name)
	if pdb.Spec.MaxUnavailable == nil || *pdb.Spec.MaxUnavailable != maxUnavailable || pdb.Spec.MinAvailable != nil {
		t.Errorf("PodDisruptionBudget = %s, want maxUnavailable %s only", toYAML(t, pdb.Spec), maxUnavailable.String())
	}
	sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
	if err != nil {
		t.Fatal(err)
	}
	if sel.Empty() || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
		t.Errorf("PodDisruptionBudget selector %v does not select the pod", sel)
	}
}

// checkConfigChecksum asserts that the pod template's checksum/config is
// the sha256 of the ConfigMap as rendered, and returns it.
func checkConfigChecksum(t *testing.T, r rendered, d *appsv1.Deployment, configMap string) string {
	t.Helper()
	_, doc := get[corev1.ConfigMap](t, r, configMap)
	got := d.Spec.Template.Annotations[checksumConfig]
	if want := sha256Hex(doc.body); got != want {
		t.Errorf("%s = %q, want sha256 of the rendered ConfigMap %q", checksumConfig, got, want)
	}
	return got
}

// connectorConfig parses the config.yaml of the ConfigMap.
func connectorConfig(t *testing.T, r rendered, configMap string) map[string]any {
	t.Helper()
	cm, _ := get[corev1.ConfigMap](t, r, configMap)
	text, ok := cm.Data["config.yaml"]
	if !ok || len(cm.Data) != 1 {
		t.Fatalf("ConfigMap %s holds %v, want config.yaml", configMap, slices.Sorted(maps.Keys(cm.Data)))
	}
	var cfg map[string]any
	if err := yaml.UnmarshalStrict([]byte(text), &cfg); err != nil {
		t.Fatalf("config.yaml is not YAML: %v\n%s", err, text)
	}
	return cfg
}

// at follows a path of map keys and list indexes through a parsed document.
func at(t *testing.T, doc any, path ...any) any {
	t.Helper()
	cur := doc
	for _, p := range path {
		switch p := p.(type) {
		case string:
			m, ok := cur.(map[string]any)
			if !ok {
				t.Fatalf("%v: not a map at %q", path, p)
			}
			cur = m[p]
		case int:
			l, ok := cur.([]any)
			if !ok || p >= len(l) {
				t.Fatalf("%v: no item %d", path, p)
			}
			cur = l[p]
		}
	}
	return cur
}

func toYAML(t *testing.T, v any) string {
	t.Helper()
	b, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// chartMetadata is the part of Chart.yaml the tests read.
type chartMetadata struct {
	Version    string `json:"version"`
	AppVersion string `json:"appVersion"`
}

func readChart(t *testing.T) chartMetadata {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(chartDir, "Chart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var chart chartMetadata
	if err := yaml.Unmarshal(b, &chart); err != nil {
		t.Fatal(err)
	}
	return chart
}

// chartAppVersion is Chart.yaml's appVersion, the default image tag.
func chartAppVersion(t *testing.T) string {
	t.Helper()
	return readChart(t).AppVersion
}

// chartVersion is Chart.yaml's version, in the helm.sh/chart label.
func chartVersion(t *testing.T) string {
	t.Helper()
	return readChart(t).Version
}

func TestDefaultValues(t *testing.T) {
	r := render(t)
	want := []string{
		"ConfigMap/" + defaultFullname, "Deployment/" + defaultFullname, "Pod/" + defaultFullname + "-test-readyz",
		"PodDisruptionBudget/" + defaultFullname, "Secret/" + defaultFullname, "Service/" + defaultFullname,
		"ServiceAccount/" + defaultFullname,
	}
	if got := r.objects(); !slices.Equal(got, want) {
		t.Fatalf("objects = %v, want %v", got, want)
	}
	d := checkDeployment(t, r, wantDeployment{
		name: defaultFullname, configMap: defaultFullname, secret: defaultFullname, serviceAccount: defaultFullname,
		image: "ghcr.io/vnstream/connector:" + chartAppVersion(t), port: 8080, replicas: 2, grace: 60,
	})
	checkConfigChecksum(t, r, d, defaultFullname)
	checkPDB(t, r, d, intstr.FromInt32(1))
	checkSpread(t, d, wantSpread{key: hostnameKey, skew: 1, when: corev1.ScheduleAnyway})
	if keys := d.Spec.Template.Spec.TopologySpreadConstraints[0].MatchLabelKeys; !slices.Equal(keys, []string{"pod-template-hash"}) {
		t.Errorf("matchLabelKeys = %v, want [pod-template-hash]: a rolling update spreads the new revision's pods", keys)
	}
	if want := map[string]string{"app.kubernetes.io/name": "connector", "app.kubernetes.io/instance": release}; !maps.Equal(d.Spec.Selector.MatchLabels, want) {
		t.Errorf("selector = %v, want %v", d.Spec.Selector.MatchLabels, want)
	}

	for k, v := range map[string]string{
		"app.kubernetes.io/name":       "connector",
		"app.kubernetes.io/instance":   release,
		"app.kubernetes.io/version":    chartAppVersion(t),
		"app.kubernetes.io/managed-by": "Helm",
		"helm.sh/chart":                "connector-" + chartVersion(t),
	} {
		if d.Labels[k] != v || d.Spec.Template.Labels[k] != v {
			t.Errorf("label %s = %q on the Deployment, %q on the pod; want %q", k, d.Labels[k], d.Spec.Template.Labels[k], v)
		}
	}

	secret, secretDoc := get[corev1.Secret](t, r, defaultFullname)
	if secret.Type != corev1.SecretTypeOpaque || len(secret.Data) != 0 || len(secret.StringData) != 0 {
		t.Errorf("the default Secret holds %v (type %s), want nothing", slices.Sorted(maps.Keys(secret.Data)), secret.Type)
	}
	if got, want := d.Spec.Template.Annotations[checksumSecret], sha256Hex(secretDoc.body); got != want {
		t.Errorf("%s = %q, want sha256 of the rendered Secret %q", checksumSecret, got, want)
	}

	cfg := connectorConfig(t, r, defaultFullname)
	if got := at(t, cfg, "sources", 0, "tiki", "client_secret"); got != tikiSecretRef {
		t.Errorf("sources[0].tiki.client_secret = %v, want %s", got, tikiSecretRef)
	}
	if got := at(t, cfg, "http", "listen"); got != ":8080" {
		t.Errorf("http.listen = %v, want :8080", got)
	}
	if got := at(t, cfg, "sources", 0, "tiki", "form_ids", 0); got != "84112926079713300" {
		t.Errorf("form id = %#v, want the string 84112926079713300", got)
	}
	for key, want := range map[string]string{"session_timeout": "10s", "rebalance_timeout": "30s"} {
		if got := at(t, cfg, "kafka", "group", key); got != want {
			t.Errorf("kafka.group.%s = %#v, want %s", key, got, want)
		}
	}

	svc, _ := get[corev1.Service](t, r, defaultFullname)
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Name != "http" || svc.Spec.Ports[0].Port != 8080 ||
		svc.Spec.Ports[0].TargetPort != intstr.FromString("http") {
		t.Errorf("Service ports = %+v, want http 8080 → http", svc.Spec.Ports)
	}
	if !labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(d.Spec.Template.Labels)) {
		t.Errorf("Service selector %v does not select the pod %v", svc.Spec.Selector, d.Spec.Template.Labels)
	}

	sa, _ := get[corev1.ServiceAccount](t, r, defaultFullname)
	if sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken {
		t.Error("the ServiceAccount automounts its token")
	}
}

func TestChartCreatedSecret(t *testing.T) {
	const file = "testdata/secret-values.yaml"
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var values struct {
		Secret struct {
			Values map[string]string `json:"values"`
		} `json:"secret"`
	}
	if err := yaml.Unmarshal(b, &values); err != nil {
		t.Fatal(err)
	}
	if len(values.Secret.Values) == 0 {
		t.Fatalf("%s sets no secret.values", file)
	}

	r := render(t, "-f", file)
	d := checkDeployment(t, r, wantDeployment{
		name: defaultFullname, configMap: defaultFullname, secret: defaultFullname, serviceAccount: defaultFullname,
		image: "ghcr.io/vnstream/connector:" + chartAppVersion(t), port: 8080, replicas: 2, grace: 60,
	})
	secret, secretDoc := get[corev1.Secret](t, r, defaultFullname)
	if len(secret.Data) != len(values.Secret.Values) {
		t.Errorf("Secret keys %v, want %v", slices.Sorted(maps.Keys(secret.Data)), slices.Sorted(maps.Keys(values.Secret.Values)))
	}
	for name, value := range values.Secret.Values {
		if got := string(secret.Data[name]); got != value {
			t.Errorf("Secret %s = %q, want %q", name, got, value)
		}
		if strings.Contains(r.text, value) {
			t.Errorf("the value of %s appears in plain text in the rendered chart", name)
		}
		if !strings.Contains(secretDoc.body, base64.StdEncoding.EncodeToString([]byte(value))) {
			t.Errorf("the Secret does not hold %s base64-encoded", name)
		}
	}
	if got := at(t, connectorConfig(t, r, defaultFullname), "sources", 0, "tiki", "client_secret"); got != tikiSecretRef {
		t.Errorf("sources[0].tiki.client_secret = %v, want %s", got, tikiSecretRef)
	}

	sum := d.Spec.Template.Annotations[checksumSecret]
	if want := sha256Hex(secretDoc.body); sum != want {
		t.Errorf("%s = %q, want sha256 of the rendered Secret %q", checksumSecret, sum, want)
	}
	base, _ := get[appsv1.Deployment](t, render(t), defaultFullname)
	if sum == base.Spec.Template.Annotations[checksumSecret] {
		t.Errorf("%s does not change with secret.values: the pod would keep the old environment", checksumSecret)
	}
}

func TestChecksumFollowsConfig(t *testing.T) {
	checksum := func(args ...string) (string, map[string]any) {
		r := render(t, args...)
		d, _ := get[appsv1.Deployment](t, r, defaultFullname)
		return checkConfigChecksum(t, r, d, defaultFullname), connectorConfig(t, r, defaultFullname)
	}
	base, _ := checksum()
	renamed, cfg := checksum("--set", "config.name=vn-marketing-eu")
	if at(t, cfg, "name") != "vn-marketing-eu" {
		t.Fatalf("--set config.name did not reach config.yaml: %v", cfg["name"])
	}
	if renamed == base {
		t.Errorf("%s does not change with the config: the pod would keep running the old one", checksumConfig)
	}
	if unrelated, _ := checksum("--set", "resources.requests.cpu=200m"); unrelated != base {
		t.Errorf("%s changes with resources: %s → %s", checksumConfig, base, unrelated)
	}
}

func TestEverythingEnabled(t *testing.T) {
	const name = "vn-connector"
	r := render(t, "-f", "testdata/everything.yaml")
	want := []string{
		"ConfigMap/" + name, "ConfigMap/" + name + "-dashboard", "Deployment/" + name,
		"NetworkPolicy/" + name, "Pod/" + name + "-test-readyz", "PodDisruptionBudget/" + name,
		"PrometheusRule/" + name, "Service/" + name, "ServiceAccount/connector-sa", "ServiceMonitor/" + name,
	}
	if got := r.objects(); !slices.Equal(got, want) {
		t.Fatalf("objects = %v, want %v (no Secret: existingSecret is set)", got, want)
	}
	d := checkDeployment(t, r, wantDeployment{
		name: name, configMap: name, secret: "connector-credentials", serviceAccount: "connector-sa",
		image: "registry.example.com/vnstream/connector:1.4.2", port: 9090, replicas: 4, grace: 60,
	})
	checkConfigChecksum(t, r, d, name)
	if sum, ok := d.Spec.Template.Annotations[checksumSecret]; ok {
		t.Errorf("%s = %s with an existingSecret the chart does not render", checksumSecret, sum)
	}
	if sum, ok := d.Spec.Template.Annotations[checksumExistingSecret]; ok {
		t.Errorf("%s = %s from helm template, which cannot look the Secret up", checksumExistingSecret, sum)
	}
	if d.Spec.Template.Annotations["example.com/owner"] != "data-platform" || d.Spec.Template.Labels["team"] != "data-platform" {
		t.Errorf("podAnnotations or podLabels missing: %v %v", d.Spec.Template.Annotations, d.Spec.Template.Labels)
	}

	pod := d.Spec.Template.Spec
	c := pod.Containers[0]
	if !slices.Equal(c.Env, []corev1.EnvVar{{Name: "GOMEMLIMIT", Value: "450MiB"}}) {
		t.Errorf("env = %s, want extraEnv's GOMEMLIMIT only, not the chart's", toYAML(t, c.Env))
	}
	for volume, mountPath := range map[string]string{"kafka-ca": "/etc/kafka-ca", "schema-registry": "/var/run/secrets/schema-registry"} {
		if !slices.ContainsFunc(pod.Volumes, func(v corev1.Volume) bool { return v.Name == volume && v.Secret != nil }) {
			t.Errorf("no Secret volume %s", volume)
		}
		if !slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool {
			return m.Name == volume && m.MountPath == mountPath && m.ReadOnly
		}) {
			t.Errorf("volume %s not mounted read-only at %s", volume, mountPath)
		}
	}
	if pod.NodeSelector["kubernetes.io/os"] != "linux" || len(pod.Tolerations) != 1 || pod.Affinity == nil || pod.Affinity.NodeAffinity == nil ||
		pod.PriorityClassName != "data-critical" || !slices.Equal(pod.ImagePullSecrets, []corev1.LocalObjectReference{{Name: "registry-credentials"}}) {
		t.Errorf("placement values not rendered: %s", toYAML(t, pod))
	}
	if c.ImagePullPolicy != corev1.PullAlways {
		t.Errorf("imagePullPolicy = %s, want Always", c.ImagePullPolicy)
	}

	cfg := connectorConfig(t, r, name)
	for path, want := range map[string]any{
		"kafka.sasl.password":           "${KAFKA_PASSWORD}",
		"schema_registry.password_file": "/var/run/secrets/schema-registry/password",
		"kafka.tls.ca_file":             "/etc/kafka-ca/ca.crt",
		"kafka.group.session_timeout":   "15s",
		"kafka.group.rebalance_timeout": "45s",
		"http.listen":                   ":9090",
	} {
		keys := []any{}
		for k := range strings.SplitSeq(path, ".") {
			keys = append(keys, k)
		}
		if got := at(t, cfg, keys...); got != want {
			t.Errorf("config %s = %v, want %v", path, got, want)
		}
	}
	if got := at(t, cfg, "sources", 0, "tiki", "start_time"); got != "2026-01-01T00:00:00Z" {
		t.Errorf("start_time = %#v, want the RFC 3339 string", got)
	}

	svc, _ := get[corev1.Service](t, r, name)
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != 9090 || svc.Spec.Ports[0].TargetPort != intstr.FromString("http") {
		t.Errorf("Service ports = %+v, want 9090 → http", svc.Spec.Ports)
	}

	sm, _ := get[monitoringv1.ServiceMonitor](t, r, name)
	smSel, err := metav1.LabelSelectorAsSelector(&sm.Spec.Selector)
	if err != nil {
		t.Fatal(err)
	}
	if smSel.Empty() || !smSel.Matches(labels.Set(svc.Labels)) {
		t.Errorf("ServiceMonitor selector %v does not select the Service %v", smSel, svc.Labels)
	}
	if !slices.Equal(sm.Spec.NamespaceSelector.MatchNames, []string{namespace}) || sm.Labels["release"] != "kube-prometheus-stack" {
		t.Errorf("ServiceMonitor namespaces %v, labels %v", sm.Spec.NamespaceSelector.MatchNames, sm.Labels)
	}
	if len(sm.Spec.Endpoints) != 1 {
		t.Fatalf("ServiceMonitor endpoints = %d, want 1", len(sm.Spec.Endpoints))
	}
	ep := sm.Spec.Endpoints[0]
	if ep.Port != "http" || ep.Path != "/metrics" || ep.Interval != "15s" || ep.ScrapeTimeout != "5s" || len(ep.MetricRelabelConfigs) != 1 {
		t.Errorf("ServiceMonitor endpoint = %s", toYAML(t, ep))
	}

	checkPDB(t, r, d, intstr.FromInt32(2))
	checkSpread(t, d,
		wantSpread{key: zoneKey, skew: 1, when: corev1.DoNotSchedule},
		wantSpread{key: hostnameKey, skew: 2, when: corev1.ScheduleAnyway,
			matchLabels: map[string]string{"app.kubernetes.io/instance": release, "team": "data-platform"}})
	if zone := pod.TopologySpreadConstraints[0]; zone.MinDomains == nil || *zone.MinDomains != 2 || len(zone.MatchLabelKeys) != 0 {
		t.Errorf("zone constraint = %s, want minDomains 2 and the values' fields only", toYAML(t, zone))
	}
}

// TestReplicas renders replica counts, strategies and budgets other than
// the defaults.
func TestReplicas(t *testing.T) {
	deployment := func(r rendered) *appsv1.Deployment {
		t.Helper()
		d, _ := get[appsv1.Deployment](t, r, defaultFullname)
		return d
	}
	hasPDB := func(r rendered) bool {
		return slices.Contains(r.objects(), "PodDisruptionBudget/"+defaultFullname)
	}

	t.Run("three", func(t *testing.T) {
		r := render(t, "-f", "testdata/replicas.yaml")
		d := checkDeployment(t, r, wantDeployment{
			name: defaultFullname, configMap: defaultFullname, secret: defaultFullname, serviceAccount: defaultFullname,
			image: "ghcr.io/vnstream/connector:" + chartAppVersion(t), port: 8080, replicas: 3, grace: 45,
		})
		checkPDB(t, r, d, intstr.FromInt32(1))
		checkSpread(t, d, wantSpread{key: hostnameKey, skew: 1, when: corev1.ScheduleAnyway})
		cfg := connectorConfig(t, r, defaultFullname)
		if got := at(t, cfg, "kafka", "group"); !maps.Equal(got.(map[string]any), map[string]any{"session_timeout": "6s", "rebalance_timeout": "20s"}) {
			t.Errorf("kafka.group = %v, want the values file's", got)
		}
	})

	// One replica has nothing a budget could protect, none has no pod.
	for _, tc := range []struct {
		name string
		args []string
		pdb  bool
	}{
		{"one", []string{"--set", "replicaCount=1"}, false},
		{"one-pdb-enabled", []string{"--set", "replicaCount=1", "--set", "podDisruptionBudget.enabled=true"}, false},
		{"none", []string{"--set", "replicaCount=0"}, false},
		{"two-pdb-disabled", []string{"--set", "podDisruptionBudget.enabled=false"}, false},
		{"ten-pdb-percent", []string{"--set", "replicaCount=10", "--set", "podDisruptionBudget.maxUnavailable=20%"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := render(t, tc.args...)
			if got := hasPDB(r); got != tc.pdb {
				t.Errorf("PodDisruptionBudget rendered: %v, want %v (objects %v)", got, tc.pdb, r.objects())
			}
			if tc.pdb {
				checkPDB(t, r, deployment(r), intstr.FromString("20%"))
			}
			checkRollingUpdate(t, deployment(r))
		})
	}

	t.Run("recreate", func(t *testing.T) {
		d := deployment(render(t, "--set", "updateStrategy.type=Recreate"))
		if d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType || d.Spec.Strategy.RollingUpdate != nil {
			t.Errorf("strategy = %s, want Recreate without rollingUpdate (the API server refuses it)", toYAML(t, d.Spec.Strategy))
		}
	})
	t.Run("surge-percent", func(t *testing.T) {
		d := deployment(render(t, "--set", "updateStrategy.rollingUpdate.maxSurge=50%"))
		if ru := d.Spec.Strategy.RollingUpdate; ru == nil || ru.MaxSurge == nil || *ru.MaxSurge != intstr.FromString("50%") ||
			ru.MaxUnavailable == nil || *ru.MaxUnavailable != intstr.FromInt32(0) {
			t.Errorf("strategy = %s, want maxSurge 50%%, maxUnavailable 0", toYAML(t, d.Spec.Strategy))
		}
	})
	t.Run("no-surge-no-unavailable", func(t *testing.T) {
		out, err := helm(t, "template", release, chartDir, "--namespace", namespace, "--set", "updateStrategy.rollingUpdate.maxSurge=0")
		if err == nil || !strings.Contains(err.Error(), "maxSurge and maxUnavailable cannot both be 0") {
			t.Errorf("helm template with maxSurge 0 and maxUnavailable 0: %v\n%s", err, out)
		}
	})
	t.Run("no-spread", func(t *testing.T) {
		d := deployment(render(t, "--set-json", "topologySpreadConstraints=[]"))
		if c := d.Spec.Template.Spec.TopologySpreadConstraints; len(c) != 0 {
			t.Errorf("topologySpreadConstraints = %s, want none", toYAML(t, c))
		}
	})
}

// validateConfig runs `connector validate` (the binary built from this
// repository) on the config.yaml of the ConfigMap and wants it to count
// sources sources.
func validateConfig(t *testing.T, cm *corev1.ConfigMap, sources int) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(file, []byte(cm.Data["config.yaml"]), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(connectorBinary(t), "validate", "-c", file)
	cmd.Env = append(os.Environ(), "TIKI_CLIENT_ID=client-id", "TIKI_CLIENT_SECRET=client-secret", "INTERITS_API_KEY=k",
		"ETELECOM_API_KEY=k", "NXLINK_ACCESS_SECRET=k", "NXLINK_APP_KEY=k", "NHANH_ACCESS_TOKEN=k")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), fmt.Sprintf("valid, %d source(s)", sources)) {
		t.Errorf("connector validate: %v\n%s\nconfig.yaml:\n%s", err, out, cm.Data["config.yaml"])
	}
}

// TestConfigAcceptedByConnector runs `connector validate` on the
// config.yaml the chart renders.
func TestConfigAcceptedByConnector(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		sources int
	}{
		{"default", nil, 1},
		{"secret-values", []string{"-f", "testdata/secret-values.yaml"}, 1},
		{"five-sources", []string{"-f", "testdata/five-sources.yaml"}, 5},
		{"replicas", []string{"-f", "testdata/replicas.yaml"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cm, _ := get[corev1.ConfigMap](t, render(t, tc.args...), defaultFullname)
			validateConfig(t, cm, tc.sources)
		})
	}
}

func TestSchemaRejectsBadValues(t *testing.T) {
	// The file under testdata/invalid/ and what Helm's error names.
	want := map[string]string{
		"replicas-string.yaml":         "/replicaCount': got string, want integer",
		"replicas-negative.yaml":       "/replicaCount': minimum: got -1, want 0",
		"unknown-key.yaml":             "additional properties 'replicas' not allowed",
		"listen-localhost.yaml":        "/config/http/listen",
		"form-ids-number.yaml":         "/config/sources/0/tiki/form_ids/0': got number, want string",
		"page-ids-number.yaml":         "/config/sources/0/nhanh/page_ids/0': got number, want string",
		"alert-duration.yaml":          "/prometheusRule/sourceStalled/for",
		"pdb-min-available.yaml":       "additional properties 'minAvailable' not allowed",
		"group-timeout-number.yaml":    "/config/kafka/group/session_timeout': got number, want string",
		"spread-unsatisfiable.yaml":    "/topologySpreadConstraints/0/whenUnsatisfiable': value must be one of",
		"strategy-unknown-key.yaml":    "additional properties 'maxUnavaliable' not allowed",
		"tenant-id-unsafe-number.yaml": "/config/sources/0/nxlink/tenant_id': maximum: got 9.007199254740992×10¹⁵, want 9.007199254740991×10¹⁵",
		"tenant-id-leading-zero.yaml":  "'0123' does not match pattern '^[1-9][0-9]{0,18}$'",
		"gomemlimit-ratio.yaml":        "/goMemLimit/ratio': maximum: got 1.5, want 1",
		"compression-unknown.yaml":     "/config/kafka/compression': value must be one of",
	}
	files, err := filepath.Glob("testdata/invalid/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(want) {
		t.Fatalf("testdata/invalid holds %d files, the table %d", len(files), len(want))
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			msg, ok := want[filepath.Base(file)]
			if !ok {
				t.Fatalf("no expected error for %s", file)
			}
			out, err := helm(t, "template", release, chartDir, "--namespace", namespace, "-f", file)
			if err == nil {
				t.Fatalf("helm template accepted %s:\n%s", file, out)
			}
			if !strings.Contains(err.Error(), "values don't meet the specifications of the schema") || !strings.Contains(err.Error(), msg) {
				t.Errorf("error does not name %q:\n%v", msg, err)
			}
		})
	}
}

func TestLint(t *testing.T) {
	for _, values := range []string{"", "testdata/secret-values.yaml", "testdata/everything.yaml", "testdata/replicas.yaml"} {
		args := []string{"lint", "--strict", chartDir, "--namespace", namespace}
		if values != "" {
			args = append(args, "-f", values)
		}
		out, err := helm(t, args...)
		switch {
		case err != nil:
			t.Error(err)
		case !strings.Contains(out, "1 chart(s) linted, 0 chart(s) failed"):
			t.Errorf("helm %s:\n%s", strings.Join(args, " "), out)
		}
	}
}
