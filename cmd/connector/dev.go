package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vnstream/connector/pkg/config"
	"github.com/vnstream/connector/pkg/connector"
	"github.com/vnstream/connector/pkg/kafka"
	"github.com/vnstream/connector/pkg/source"
	"github.com/vnstream/connector/pkg/source/tiki/tikisim"
)

// devOptions are the flags of `connector dev`.
type devOptions struct {
	config    string
	dir       string
	kafkaPort int
	listen    string
	backlog   int
	every     time.Duration
}

func devCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o devOptions
	fs.StringVar(&o.config, "c", "config/dev.yaml", "configuration file; DEV_* variables are set by this command")
	fs.StringVar(&o.dir, "dir", ".connector-dev", "where the embedded Kafka keeps its data; a restart resumes from it")
	fs.IntVar(&o.kafkaPort, "kafka-port", 19092, "port of the embedded Kafka on 127.0.0.1 (0 picks a free one)")
	fs.StringVar(&o.listen, "http", "127.0.0.1:8080", "address of /metrics, /healthz and /readyz")
	fs.IntVar(&o.backlog, "backlog", 2000, "form responses the Tiki simulator holds at start (the backfill)")
	fs.DurationVar(&o.every, "every", 3*time.Second, "how often the simulator receives a new form response")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	return dev(ctx, o, stdout, stderr)
}

// dev runs the embedded default: kfake, the simulators and the connector.
func dev(ctx context.Context, o devOptions, stdout, stderr io.Writer) error {
	raw, err := os.ReadFile(o.config)
	if err != nil {
		return fmt.Errorf("%w (run it from the repository root, or pass -c)", err)
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

	secret := randomHex(24)
	const clientID = "dev-tiki-client"
	sim := tikisim.New(clientID, secret)
	seedTiki(sim, epoch, o.backlog)
	simURL, stopSim, err := serveLoopback(sim)
	if err != nil {
		return err
	}
	defer stopSim()

	vars := map[string]string{
		"DEV_KAFKA_BROKER":       broker.Addrs()[0],
		"DEV_HTTP_LISTEN":        o.listen,
		"DEV_TIKI_URL":           simURL,
		"DEV_TIKI_CLIENT_ID":     clientID,
		"DEV_TIKI_CLIENT_SECRET": secret,
		"DEV_START_TIME":         epoch.Add(-72 * time.Hour).Format(time.RFC3339),
	}
	cfg, err := config.Parse(raw, func(k string) (string, bool) {
		if v, ok := vars[k]; ok {
			return v, true
		}
		return os.LookupEnv(k)
	})
	if err != nil {
		return fmt.Errorf("%s: %w", o.config, err)
	}

	fmt.Fprintf(stdout, "embedded Kafka on %s (data in %s), Tiki simulator on %s, endpoints on http://%s\n",
		broker.Addrs()[0], filepath.Join(o.dir, "kafka"), simURL, o.listen)
	fmt.Fprintln(stdout, "one line per committed batch of events (op r: initial backfill, c: new record); Ctrl-C stops cleanly")
	fmt.Fprintf(stdout, "read the events with: kcat -b %s -C -t %s -f '%%k %%s\\n' (Avro single-object encoded)\n",
		broker.Addrs()[0], cfg.Sources[0].Topic)

	go addLive(ctx, sim, o.every)
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	c, err := connector.New(cfg, connector.WithLogger(log), connector.WithVersion(version),
		connector.WithOnCommit(func(b connector.Batch) {
			if b.Events+b.DLQ > 0 {
				fmt.Fprintln(stdout, summary(b))
			}
		}))
	if err != nil {
		return err
	}
	err = c.Run(ctx)
	fmt.Fprintln(stdout, "stopped; run again to resume from the committed offsets")
	return err
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

// seedTiki lays n responses over the three days before epoch, ids from 1000.
func seedTiki(sim *tikisim.Sim, epoch time.Time, n int) {
	forms := []string{"84112926079713300", "88238130968199168"}
	span := 72 * time.Hour
	for i := range n {
		at := epoch.Add(-span + time.Duration(i)*(span/time.Duration(max(n, 1))))
		sim.Create(forms[i%len(forms)], at)
	}
}

// addLive adds a new response every interval until ctx ends. Its ids are
// the creation time in milliseconds, above the backlog's and unique across
// restarts.
func addLive(ctx context.Context, sim *tikisim.Sim, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			id := now.UnixMilli()
			sim.Add(tikisim.Response{
				ID: strconv.FormatInt(id, 10), FormID: "84112926079713300", CreatedAt: now.UTC().Truncate(time.Second),
				Inputs: []byte(fmt.Sprintf(`{"name":"Khách hàng %d","phone":"09%08d","city":"Hà Nội"}`, id%1000, id%1e8)),
			})
		}
	}
}

// serveLoopback serves h on 127.0.0.1 at a free port.
func serveLoopback(h http.Handler) (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
