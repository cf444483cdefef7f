package helm

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// actionlintCmd checks GitHub workflow files (syntax, expressions, the
// inputs of well-known actions), built by the go command like Helm.
const actionlintCmd = "github.com/rhysd/actionlint/cmd/actionlint@v1.7.12"

const (
	repoRoot     = "../.."
	workflowFile = ".github/workflows/image.yml"
)

// workflow is the part of a GitHub Actions workflow the test reads.
type workflow struct {
	On struct {
		Push struct {
			Tags     []string `yaml:"tags"`
			Branches []string `yaml:"branches"`
		} `yaml:"push"`
	} `yaml:"on"`
	Permissions map[string]string `yaml:"permissions"`
	Jobs        map[string]struct {
		Steps []struct {
			ID   string            `yaml:"id"`
			Uses string            `yaml:"uses"`
			With map[string]string `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

// TestImageWorkflow checks the workflow that builds and pushes the image
// (GitHub Actions runs it; this repository's CI has no container engine):
// actionlint, the tag trigger, both platforms, the Dockerfile and its
// VERSION argument, and an image name that is the chart's default.
func TestImageWorkflow(t *testing.T) {
	cmd := exec.Command("go", "run", actionlintCmd, "-no-color", workflowFile)
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("actionlint %s: %v\n%s", workflowFile, err, out)
	}

	b, err := os.ReadFile(filepath.Join(repoRoot, workflowFile))
	if err != nil {
		t.Fatal(err)
	}
	var wf workflow
	if err := yaml.Unmarshal(b, &wf); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(wf.On.Push.Tags, []string{"v*"}) || len(wf.On.Push.Branches) != 0 {
		t.Errorf("on.push = tags %q, branches %q; want the tags v* only", wf.On.Push.Tags, wf.On.Push.Branches)
	}
	if wf.Permissions["packages"] != "write" {
		t.Errorf("permissions = %v, want packages: write to push to ghcr.io", wf.Permissions)
	}

	steps := map[string]map[string]string{} // action (without @version) → with
	for _, job := range wf.Jobs {
		for _, s := range job.Steps {
			action, _, _ := strings.Cut(s.Uses, "@")
			steps[action] = s.With
		}
	}
	build, ok := steps["docker/build-push-action"]
	if !ok {
		t.Fatalf("no docker/build-push-action step among %v", steps)
	}
	platforms := strings.Split(build["platforms"], ",")
	for i := range platforms {
		platforms[i] = strings.TrimSpace(platforms[i])
	}
	for _, p := range []string{"linux/amd64", "linux/arm64"} {
		if !slices.Contains(platforms, p) {
			t.Errorf("platforms %q lack %s", build["platforms"], p)
		}
	}
	if build["context"] != "." || build["file"] != "Dockerfile" || build["push"] != "true" {
		t.Errorf("build-push-action with %v, want context ., file Dockerfile, push true", build)
	}
	if build["build-args"] != "VERSION=${{ github.ref_name }}" {
		t.Errorf("build-args %q, want VERSION=${{ github.ref_name }} (the tag, as git describe gives it)", build["build-args"])
	}

	dockerfile, err := os.ReadFile(filepath.Join(repoRoot, build["file"]))
	if err != nil {
		t.Fatal(err)
	}
	for _, re := range []string{
		`(?m)^ARG VERSION(=|$)`,                           // the build argument the workflow sets
		`-X main\.version=\$\{VERSION\}`,                  // and where it goes
		`(?m)^FROM --platform=\$BUILDPLATFORM golang:\S+`, // the build runs natively...
		`GOOS=\$TARGETOS GOARCH=\$TARGETARCH go build`,    // ...and cross-compiles
	} {
		if !regexp.MustCompile(re).Match(dockerfile) {
			t.Errorf("the Dockerfile does not match %s", re)
		}
	}

	if login := steps["docker/login-action"]; login["registry"] != "ghcr.io" || login["password"] != "${{ secrets.GITHUB_TOKEN }}" {
		t.Errorf("docker/login-action with %v, want ghcr.io with the GITHUB_TOKEN", login)
	}
	meta := steps["docker/metadata-action"]
	image := strings.ReplaceAll(meta["images"], "${{ github.repository_owner }}", "vnstream")
	values, err := os.ReadFile(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Image struct {
			Repository string `yaml:"repository"`
		} `yaml:"image"`
	}
	if err := yaml.Unmarshal(values, &v); err != nil {
		t.Fatal(err)
	}
	if image != v.Image.Repository {
		t.Errorf("the workflow pushes %q (owner vnstream), the chart pulls %q", image, v.Image.Repository)
	}
	// The chart's default tag is its appVersion, without a v.
	if !strings.Contains(meta["tags"], "type=semver,pattern={{version}}") || strings.HasPrefix(chartAppVersion(t), "v") {
		t.Errorf("metadata-action tags %q: want type=semver,pattern={{version}} (v1.2.3 → 1.2.3, like appVersion %q)", meta["tags"], chartAppVersion(t))
	}
	if build["tags"] != "${{ steps.meta.outputs.tags }}" {
		t.Errorf("build-push-action tags %q, want the metadata-action's", build["tags"])
	}
}
