package main

import (
	"bytes"
	"context"
	"encoding/json"
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
// With singleObject it runs no schema registry.
func runDev(t *testing.T, dir, config string, singleObject bool, stop func(out string) bool) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- dev(ctx, devOptions{config: config, dir: dir, listen: "127.0.0.1:0", singleObject: singleObject,
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
// is not the repository's, with the embedded registry; the second the
// file, named with -c, without a registry (single-object encoding); the
// third the embedded file again, its registry given back the ids of the
// first from the dev directory. The read commands each run prints read
// what the runs wrote.
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
	out := runDev(t, dir, "", false, func(out string) bool {
		return every(func(s string) bool { return count(out, s, "r") >= backlog-changedEarly && count(out, s, "c") >= 2 }) &&
			count(out, "tiki-demo", "r") == backlog &&
			every(func(s string) bool { return count(out, s, "u") >= 2 }, "tiki-demo")
	})
	if !strings.Contains(out, "embedded Kafka on 127.0.0.1:") || !strings.Contains(out, "embedded schema registry on http://127.0.0.1:") ||
		!strings.Contains(out, "stopped; run again") {
		t.Fatalf("output:\n%s", out)
	}
	first, topics := map[string]int{}, map[string]string{}
	for _, s := range devSources {
		topics[s] = devTopic(t, out, s)
		if r := count(out, s, "r"); r > backlog {
			t.Errorf("first run: %s backfilled %d records, more than the %d of the backlog", s, r, backlog)
		}
		first[s] = count(out, s, "r") + count(out, s, "c") + count(out, s, "u")
	}
	// The second run resumes: no backfill again, only new and changed
	// records. Its read command has no registry: the first run's events
	// are in the Confluent wire format and do not decode without one.
	var code int
	var stderr string
	out = runDev(t, dir, file, true, func(out string) bool {
		if !every(func(s string) bool { return count(out, s, "c") >= 2 }) {
			return false
		}
		code, _, stderr = readPrinted(t, out, "tiki.lead.form-responses")
		return true
	})
	if !strings.Contains(out, "no schema registry: events use Avro single-object encoding") ||
		code != 1 || !strings.Contains(stderr, "Confluent frame with schema id") {
		t.Errorf("second run: read without a registry exited %d:\n%.400s\noutput:\n%s", code, stderr, out)
	}
	second := map[string]int{}
	for _, s := range devSources {
		if r := count(out, s, "r"); r != 0 {
			t.Errorf("second run: %s re-read %d backfilled records:\n%s", s, r, out)
		}
		second[s] = count(out, s, "c") + count(out, s, "u")
	}
	// The third run's read commands decode both encodings.
	runDev(t, dir, "", false, func(out string) bool {
		if !strings.Contains(out, "committed offset") {
			return false
		}
		for _, s := range devSources {
			topic := topics[s]
			code, events, stderr := readPrinted(t, out, topic)
			if code != 0 || len(events) < first[s]+second[s] {
				t.Errorf("third run: read %s exited %d with %d events, want at least %d+%d:\n%.400s", topic, code, len(events), first[s], second[s], stderr)
			}
			for _, e := range events {
				if e.Topic != topic || len(e.Key.ID) == 0 || string(e.After.ID) != string(e.Key.ID) || e.Source.Source != s || !strings.Contains("rcu", e.Op) || len(e.Op) != 1 {
					t.Fatalf("third run: read %s printed %+v", topic, e)
				}
			}
		}
		return true
	})
}

// event is a line of `connector read`, in part.
type event struct {
	Topic      string
	Partition  int32
	Offset     int64
	Op         string
	Key, After struct{ ID json.RawMessage }
	Source     struct{ Source string }
}

// devTopic is the topic of source in dev's output.
func devTopic(t *testing.T, out, source string) string {
	t.Helper()
	m := regexp.MustCompile(regexp.QuoteMeta(source) + ` → (\S+):`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no batch of %s in:\n%s", source, out)
	}
	return m[1]
}

// readPrinted runs the read command dev printed in out for topic, and
// returns its exit code, the events it printed and its stderr.
func readPrinted(t *testing.T, out, topic string) (int, []event, string) {
	t.Helper()
	m := regexp.MustCompile(`read ` + regexp.QuoteMeta(topic) + ` as JSON \(-f follows\): go run \./cmd/connector (.*)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("dev printed no read command for %s:\n%s", topic, out)
	}
	var stdout, stderr bytes.Buffer
	code := run(strings.Fields(m[1]), &stdout, &stderr)
	var events []event
	for line := range strings.Lines(stdout.String()) {
		var e event
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("read %s printed %q: %v", topic, line, err)
		}
		events = append(events, e)
	}
	return code, events, stderr.String()
}

// The JSON log writes durations as Go does, not as nanoseconds.
func TestLogDurations(t *testing.T) {
	var b bytes.Buffer
	slog.New(slog.NewJSONHandler(&b, logOptions)).Warn("x", "retry_in", 4515*time.Millisecond)
	if !strings.Contains(b.String(), `"retry_in":"4.515s"`) {
		t.Fatalf("log %s, want retry_in 4.515s", b.String())
	}
}
