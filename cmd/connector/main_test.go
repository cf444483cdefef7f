package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the connector's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestCommandsAndExitCodes(t *testing.T) {
	good := filepath.Join(t.TempDir(), "good.yaml")
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	prod, err := os.ReadFile("../../config/production.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(good, prod, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("name: x\nkafka: {brokers: [nohost]}\nsources: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KAFKA_PASSWORD", "p")
	t.Setenv("SCHEMA_REGISTRY_PASSWORD", "p")
	t.Setenv("TIKI_CLIENT_ID", "id")
	t.Setenv("TIKI_CLIENT_SECRET", "s")
	for _, v := range []string{"INTERITS_API_KEY", "ETELECOM_API_KEY", "NXLINK_ACCESS_KEY", "NXLINK_ACCESS_SECRET", "NXLINK_APP_KEY", "NHANH_ACCESS_TOKEN"} {
		t.Setenv(v, "s")
	}
	for _, tc := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"validate", "-c", good}, 0, "valid, 5 source(s)"},
		{[]string{"validate", "-c", bad}, 1, `kafka.brokers[0]: "nohost": want host:port`},
		{[]string{"validate", "-c", bad}, 1, "sources: at least one source is required"},
		{[]string{"validate"}, 2, "usage: connector validate -c FILE"},
		{[]string{"validate", "-c", "/nonexistent.yaml"}, 1, "no such file"},
		{[]string{"run", "-h"}, 0, "configuration file (YAML)"},
		{[]string{"version"}, 0, "connector dev"},
		{[]string{"version"}, 0, runtime.Version()},
		{[]string{"run", "-h"}, 0, "fences the task's transactional producer"},
		{[]string{"validate", "-h"}, 0, "reports every problem with its path and line"},
		{[]string{"schemas", "print", "--help"}, 0, "connector schemas print [ENTITY [key|value]]"},
		{[]string{"offsets", "list", "--help"}, 0, "configuration file (YAML)"},
		{[]string{"offsets"}, 2, "connector offsets list"},
		{[]string{"dev", "-h"}, 0, "where the embedded Kafka keeps its data"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{nil, 2, "Usage:"},
	} {
		var out, errOut bytes.Buffer
		code := run(tc.args, &out, &errOut)
		all := out.String() + errOut.String()
		if code != tc.code || !strings.Contains(all, tc.out) {
			t.Errorf("connector %v = %d %q, want %d containing %q", tc.args, code, all, tc.code, tc.out)
		}
	}
}

var eventLine = regexp.MustCompile(`(\S+) → \S+: (\d+) event\(s\) \[([^\]]*)\]`)

// devSources are the sources of config/dev.yaml.
var devSources = []string{"tiki-demo", "interits-zns-demo", "etelecom-zns-demo", "nxlink-cdp-demo", "nhanh-vpage-demo"}

// runDev runs dev on the configuration file config ("" for the embedded
// config/dev.yaml) until stop reports true on its output or 2 minutes pass
// (generous: CI runs every package at once under -race).
func runDev(t *testing.T, dir, config string, stop func(out string) bool) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- dev(ctx, devOptions{config: config, dir: dir, listen: "127.0.0.1:0",
			backlog: 300, every: 100 * time.Millisecond}, &out, &errOut)
	}()
	deadline := time.After(2 * time.Minute)
	for !stop(out.String()) {
		select {
		case err := <-done:
			t.Fatalf("dev stopped early: %v\n%s\n%s", err, out.String(), errOut.String())
		case <-deadline:
			cancel()
			<-done // stop writing into the test's directory before failing
			t.Fatalf("dev did not get there in 2 minutes:\n%s\n%s", out.String(), errOut.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("dev: %v\n%s", err, errOut.String())
	}
	return out.String()
}

// count sums the events of source's printed batches with the given op.
func count(out, source, op string) int {
	n := 0
	for _, m := range eventLine.FindAllStringSubmatch(out, -1) {
		if m[1] != source {
			continue
		}
		for _, part := range strings.Split(m[3], ", ") {
			var k int
			var o string
			if _, err := fmt.Sscan(part, &k, &o); err == nil && o == op {
				n += k
			}
		}
	}
	return n
}

// every reports whether cond holds for every dev source but those in skip.
func every(cond func(source string) bool, skip ...string) bool {
	for _, s := range devSources {
		if !slices.Contains(skip, s) && !cond(s) {
			return false
		}
	}
	return true
}

// The first run reads the embedded config/dev.yaml from a directory that
// is not the repository's; the second the file, named with -c.
func TestDevBackfillsStreamsAndResumes(t *testing.T) {
	file, err := filepath.Abs("../../config/dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	t.Chdir(t.TempDir())
	// The simulators change random records live, some before the backfill
	// reaches them: those come out as u, not r.
	const backlog, changedEarly = 300, 30
	out := runDev(t, dir, "", func(out string) bool {
		return every(func(s string) bool { return count(out, s, "r") >= backlog-changedEarly && count(out, s, "c") >= 2 }) &&
			count(out, "tiki-demo", "r") == backlog &&
			every(func(s string) bool { return count(out, s, "u") >= 2 }, "tiki-demo")
	})
	if !strings.Contains(out, "embedded Kafka on 127.0.0.1:") || !strings.Contains(out, "stopped; run again") {
		t.Fatalf("output:\n%s", out)
	}
	for _, s := range devSources {
		if r := count(out, s, "r"); r > backlog {
			t.Errorf("first run: %s backfilled %d records, more than the %d of the backlog", s, r, backlog)
		}
	}
	// The second run resumes: no backfill again, only new and changed records.
	out = runDev(t, dir, file, func(out string) bool { return every(func(s string) bool { return count(out, s, "c") >= 2 }) })
	for _, s := range devSources {
		if r := count(out, s, "r"); r != 0 {
			t.Errorf("second run: %s re-read %d backfilled records:\n%s", s, r, out)
		}
	}
}

// The JSON log writes durations as Go does, not as nanoseconds.
func TestLogDurations(t *testing.T) {
	var b bytes.Buffer
	slog.New(slog.NewJSONHandler(&b, logOptions)).Warn("x", "retry_in", 4515*time.Millisecond)
	if !strings.Contains(b.String(), `"retry_in":"4.515s"`) {
		t.Fatalf("log %s, want retry_in 4.515s", b.String())
	}
}
