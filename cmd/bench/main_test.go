package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/vnstream/connector/pkg/sim"
)

// TestMain lets the test binary serve the broker process, as the command
// does.
func TestMain(m *testing.M) {
	if len(os.Args) == 2 && os.Args[1] == brokerArg {
		if err := serveBroker(os.Stdin, os.Stdout); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// The command measures every kind end to end: its broker process, the
// connector binary, the count of committed events (run fails unless
// the topic holds exactly the records, each key once).
func TestBenchMeasuresEveryKind(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out, errs strings.Builder
	if err := run(ctx, []string{"-kind", "all", "-records", "500", "-span", "10h"}, &out, &errs); err != nil {
		t.Fatalf("%v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errs.String())
	}
	t.Log("\n" + out.String())
	for _, r := range sim.All() {
		line := ""
		for l := range strings.Lines(out.String()) {
			if strings.HasPrefix(l, r.Kind+" ") {
				line = l
			}
		}
		f := strings.Fields(line)
		if len(f) != 8 || f[2] == "0" || f[4] == "0.0" || f[5] == "0.0" || f[6] == "0" || f[7] == "0" {
			t.Errorf("%s: row %q, want wall, records/s, CPU, RSS, allocations, vendor and topic bytes", r.Kind, line)
		}
	}
}

// -together runs one connector with a source of each kind and counts
// every topic: run fails unless each holds exactly its records.
func TestBenchTogether(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, errs strings.Builder
	if err := run(ctx, []string{"-kind", "all", "-together", "-records", "500", "-span", "10h"}, &out, &errs); err != nil {
		t.Fatalf("%v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errs.String())
	}
	rows := 0
	for l := range strings.Lines(out.String()) {
		if f := strings.Fields(l); len(f) == 8 && f[0] == "all" && f[2] != "0" && f[4] != "0.0" {
			rows++
		}
	}
	if rows != 1 {
		t.Errorf("want one row, all, measured:\n%s", out.String())
	}
}

// -profile writes the connector's CPU and allocation profiles, which
// pprof reads.
func TestBenchProfiles(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := filepath.Join(t.TempDir(), "prof")
	var out, errs strings.Builder
	if err := run(ctx, []string{"-kind", "tiki_lead", "-records", "500", "-span", "10h", "-profile", dir}, &out, &errs); err != nil {
		t.Fatalf("%v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errs.String())
	}
	for name, want := range map[string]string{"tiki_lead.cpu.pprof": "Type: cpu", "tiki_lead.allocs.pprof": "Type: alloc_space"} {
		top, err := exec.CommandContext(ctx, "go", "tool", "pprof", "-top", filepath.Join(dir, name)).CombinedOutput()
		if err != nil || !strings.Contains(string(top), want) {
			t.Errorf("go tool pprof -top %s: %v\n%s", name, err, top)
		}
	}
}

// A connector that ends before it committed every record fails the run,
// which then returns instead of waiting for it to stop.
func TestBenchFailsWhenTheConnectorEnds(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, errs strings.Builder
	err := run(ctx, []string{"-records", "100", "-connector", "/bin/false"}, &out, &errs)
	if err == nil || !strings.Contains(err.Error(), "the connector ended") || ctx.Err() != nil {
		t.Fatalf("run with a connector that exits at once = %v (context: %v)", err, ctx.Err())
	}
}

func TestBenchRefusesBadArguments(t *testing.T) {
	for _, args := range [][]string{{"-kind", "nope"}, {"-records", "0"}, {"-in-flight", "0"}, {"-encoding", "xml"}, {"-compression", "brotli"}, {"extra"}, {"-together"}} {
		var out, errs strings.Builder
		if err := run(context.Background(), args, &out, &errs); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}

// The connector's configuration: config/dev.yaml's source of the kind,
// with the benchmark's settings, client metrics off unless asked for.
func TestBenchConfig(t *testing.T) {
	for _, metrics := range []bool{false, true} {
		o := options{window: time.Hour, compress: "zstd", inFlight: 7, metrics: metrics}
		b, err := benchConfig([]string{"tiki_lead"}, "run", o)
		if err != nil {
			t.Fatal(err)
		}
		var cfg struct {
			InFlight int `yaml:"records_in_flight"`
			Kafka    struct {
				Compression   string `yaml:"compression"`
				ClientMetrics bool   `yaml:"client_metrics"`
			} `yaml:"kafka"`
			Sources []struct {
				Name, Kind, Topic string
				Tiki              struct{ Window string } `yaml:"tiki"`
			} `yaml:"sources"`
		}
		if err := yaml.Unmarshal(b, &cfg); err != nil {
			t.Fatal(err)
		}
		if cfg.InFlight != 7 || cfg.Kafka.Compression != "zstd" || cfg.Kafka.ClientMetrics != metrics ||
			len(cfg.Sources) != 1 || cfg.Sources[0].Kind != "tiki_lead" || cfg.Sources[0].Topic != "run.tiki_lead" || cfg.Sources[0].Tiki.Window != "1h0m0s" {
			t.Errorf("metrics %v: config %+v\n%s", metrics, cfg, b)
		}
	}
}
