package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	devconfig "github.com/vnstream/connector/config"
	"github.com/vnstream/connector/pkg/config"
	"github.com/vnstream/connector/pkg/connector"
	"github.com/vnstream/connector/pkg/kafka"
	"github.com/vnstream/connector/pkg/source"
)

// devOptions are the flags of `connector dev`.
type devOptions struct {
	config       string
	dir          string
	kafkaPort    int
	registryPort int
	singleObject bool
	listen       string
	backlog      int
	every        time.Duration
}

func devCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o devOptions
	fs.StringVar(&o.config, "c", "", "configuration file (default: config/dev.yaml, embedded in the binary); DEV_* variables are set by this command")
	fs.StringVar(&o.dir, "dir", ".connector-dev", "where the embedded Kafka keeps its data; a restart resumes from it")
	fs.IntVar(&o.kafkaPort, "kafka-port", 19092, "port of the embedded Kafka on 127.0.0.1 (0 picks a free one)")
	fs.IntVar(&o.registryPort, "registry-port", 18081, "port of the embedded schema registry on 127.0.0.1 (0 picks a free one)")
	fs.BoolVar(&o.singleObject, "single-object", false, "run no schema registry: events use Avro single-object encoding")
	fs.StringVar(&o.listen, "http", "127.0.0.1:8080", "address of /metrics, /healthz and /readyz")
	fs.IntVar(&o.backlog, "backlog", 2000, "records each simulator holds at start (the backfill)")
	fs.DurationVar(&o.every, "every", 3*time.Second, "how often each simulator receives a new record and, except Tiki's, a change to one")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return dev(ctx, o, stdout, stderr)
}

// dev runs the embedded default: kfake, the simulators and the connector.
func dev(ctx context.Context, o devOptions, stdout, stderr io.Writer) error {
	raw, name := devconfig.Dev, "config/dev.yaml (embedded)"
	if o.config != "" {
		var err error
		if raw, err = os.ReadFile(o.config); err != nil {
			return err
		}
		name = o.config
	}
	if err := os.MkdirAll(o.dir, 0o755); err != nil {
		return err
	}
	epoch, err := devEpoch(o.dir)
	if err != nil {
		return err
	}
	broker, err := kafka.StartEmbedded(filepath.Join(o.dir, "kafka"), o.kafkaPort)
	if err != nil {
		return err
	}
	defer broker.Close()

	sims, vars, err := startSims(epoch, o)
	if err != nil {
		return err
	}
	defer sims.stop()
	var registry *devRegistry
	if !o.singleObject {
		if registry, err = startDevRegistry(filepath.Join(o.dir, "registry.jsonl"), o.registryPort); err != nil {
			return err
		}
		defer registry.Close()
		vars["DEV_SCHEMA_REGISTRY_URL"] = registry.url
	}
	vars["DEV_KAFKA_BROKER"] = broker.Addrs()[0]
	vars["DEV_HTTP_LISTEN"] = o.listen
	vars["DEV_START_TIME"] = epoch.Add(-72 * time.Hour).Format(time.RFC3339)
	cfg, err := config.Parse(raw, func(k string) (string, bool) {
		if v, ok := vars[k]; ok {
			return v, true
		}
		return os.LookupEnv(k)
	})
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}

	fmt.Fprintf(stdout, "embedded Kafka on %s (data in %s), endpoints on http://%s\n", broker.Addrs()[0], filepath.Join(o.dir, "kafka"), o.listen)
	read := fmt.Sprintf("%s read -b %s", self(), broker.Addrs()[0])
	switch {
	case cfg.SchemaRegistry.URL == "":
		fmt.Fprintln(stdout, "no schema registry: events use Avro single-object encoding")
	case registry != nil && cfg.SchemaRegistry.URL == registry.url:
		fmt.Fprintf(stdout, "embedded schema registry on %s (Confluent-compatible; events use its wire format)\n", registry.url)
		read += " -registry " + registry.url
	default:
		read += " -registry " + cfg.SchemaRegistry.URL
	}
	for _, sim := range sims {
		fmt.Fprintf(stdout, "%s simulator on %s\n", sim.name, sim.url)
	}
	fmt.Fprintln(stdout, "one line per committed batch of events (op r: initial backfill, c: new record, u: changed record); Ctrl-C stops cleanly")
	var topics []string
	for _, s := range cfg.Sources {
		if !slices.Contains(topics, s.Topic) {
			topics = append(topics, s.Topic)
			fmt.Fprintf(stdout, "read %s as JSON (-f follows): %s %s\n", s.Topic, read, s.Topic)
		}
	}

	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	c, err := connector.New(cfg, connector.WithLogger(log), connector.WithVersion(buildVersion()),
		connector.WithOnCommit(func(b connector.Batch) {
			if b.Events+b.DLQ > 0 {
				fmt.Fprintln(stdout, summary(b))
			}
		}))
	if err != nil {
		return err
	}
	// New records and changes start once the connector has joined its
	// group: what exists before its first poll is the backfill (r).
	go func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for !c.Ready() {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
		sims.live(ctx, o.every)
	}()
	err = c.Run(ctx)
	fmt.Fprintln(stdout, "stopped; run again to resume from the committed offsets")
	return err
}

// self is how the user ran this binary, to print commands they can paste:
// "go run ./cmd/connector" when go run built it into a temporary directory.
func self() string {
	if strings.Contains(os.Args[0], "go-build") {
		return "go run ./cmd/connector"
	}
	return os.Args[0]
}

// summary is the line printed per committed batch that holds events.
func summary(b connector.Batch) string {
	var ops []string
	for _, op := range []source.Op{source.OpRead, source.OpCreate, source.OpUpdate} {
		if n := b.Ops[op]; n > 0 {
			ops = append(ops, fmt.Sprintf("%d %s", n, op))
		}
	}
	off := string(b.Offset)
	if len(off) > 90 {
		off = off[:90] + "…"
	}
	return fmt.Sprintf("%s %s → %s: %d event(s) [%s], %d to DLQ; committed offset %s",
		time.Now().Format("15:04:05"), b.Source, b.Topic, b.Events, strings.Join(ops, ", "), b.DLQ, off)
}

// devEpoch is the time the dev data directory was first used; the
// simulator's backlog is laid out before it, the same on every restart.
func devEpoch(dir string) (time.Time, error) {
	file := filepath.Join(dir, "epoch")
	if b, err := os.ReadFile(file); err == nil {
		sec, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("%s: %w (delete %s to start afresh)", file, err, dir)
		}
		return time.Unix(sec, 0).UTC(), nil
	}
	now := time.Now().UTC().Truncate(time.Second)
	return now, os.WriteFile(file, []byte(strconv.FormatInt(now.Unix(), 10)+"\n"), 0o644)
}
