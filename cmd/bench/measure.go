package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr/srfake"
	"gopkg.in/yaml.v3"

	devconfig "github.com/vnstream/connector/config"
	"github.com/vnstream/connector/internal/proc"
	"github.com/vnstream/connector/pkg/sim"
)

// result is what one kind's run measured of the connector process.
type result struct {
	wall        time.Duration // from its start to the last event committed
	cpu         time.Duration
	peakRSS     int64
	mallocs     int64
	vendorBytes int64 // response bodies the simulator served
	topicBytes  int64 // the topic's log segments, every replica
}

// measure runs the connector on o.records records of kind's simulator.
func measure(ctx context.Context, o options, kind, brokers string, stderr io.Writer) (result, error) {
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	reg, _ := sim.Lookup(kind)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return result{}, err
	}
	url := "http://" + ln.Addr().String()
	s, vars := reg.New(sim.Run{URL: url, ID: time.Now().Unix()})
	end := time.Now().UTC().Truncate(time.Second).Add(-time.Minute)
	step := o.span / time.Duration(o.records)
	for i := range o.records {
		s.NewRecord(end.Add(-o.span + time.Duration(i)*step))
	}
	var served atomic.Int64
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.ServeHTTP(countingWriter{w, &served}, r)
	}), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln) //nolint:errcheck // ends with Close
	defer srv.Close()

	run := fmt.Sprintf("bench-%d-%06x", time.Now().Unix(), rand.Uint32()&0xffffff)
	topic := run + "." + kind
	registryURL := ""
	if o.encoding == "confluent" {
		r := srfake.New()
		defer r.Close()
		registryURL = r.URL()
	}
	port, err := freePort()
	if err != nil {
		return result{}, err
	}
	cfg, err := benchConfig(kind, run, topic, o)
	if err != nil {
		return result{}, err
	}
	dir, err := os.MkdirTemp("", "bench-")
	if err != nil {
		return result{}, err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "connector.yaml")
	if err := os.WriteFile(file, cfg, 0o600); err != nil {
		return result{}, err
	}
	env := append(os.Environ(),
		"DEV_KAFKA_BROKER="+brokers,
		"DEV_HTTP_LISTEN=127.0.0.1:"+strconv.Itoa(port),
		"DEV_SCHEMA_REGISTRY_URL="+registryURL,
		"DEV_START_TIME="+end.Add(-o.span-time.Hour).Format(time.RFC3339))
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		env = append(env, k+"="+vars[k])
	}

	counter, err := newCounter(ctx, brokers, topic)
	if err != nil {
		return result{}, err
	}
	defer counter.close()
	cmd := exec.Command(o.connector, "run", "-c", file)
	cmd.Env = env
	cmd.Stderr = stderr
	began := time.Now()
	if err := cmd.Start(); err != nil {
		return result{}, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	stopped := false
	defer func() {
		if !stopped {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			<-done
		}
	}()
	profiled := make(chan error, 1)
	if o.profile != "" {
		go func() { profiled <- profile(ctx, port, o.profile, kind) }()
	} else {
		profiled <- nil
	}
	if err := counter.until(ctx, o.records, done); err != nil {
		return result{}, err
	}
	var r result
	r.wall = time.Since(began)
	if r.cpu, err = proc.CPU(cmd.Process.Pid); err != nil {
		return result{}, err
	}
	if _, r.peakRSS, err = proc.Memory(cmd.Process.Pid); err != nil {
		return result{}, err
	}
	if r.mallocs, err = mallocs(ctx, port); err != nil {
		return result{}, err
	}
	if err := <-profiled; err != nil {
		return result{}, err
	}
	r.vendorBytes = served.Load()
	_ = cmd.Process.Signal(syscall.SIGTERM)
	stopped = true
	if err := <-done; err != nil {
		return result{}, fmt.Errorf("the connector ended with %w", err)
	}
	// Whatever the connector committed is in; nothing more may be.
	if err := counter.until(ctx, o.records, nil); err != nil {
		return result{}, err
	}
	if counter.events != o.records || len(counter.keys) != o.records {
		return result{}, fmt.Errorf("%s holds %d events with %d distinct keys, want %d of each", topic, counter.events, len(counter.keys), o.records)
	}
	dirs, err := kadm.NewClient(counter.cl).DescribeAllLogDirs(ctx, nil)
	if err != nil {
		return result{}, fmt.Errorf("describing the log dirs: %w", err)
	}
	dirs.Each(func(d kadm.DescribedLogDir) {
		for _, p := range d.Topics[topic] {
			r.topicBytes += p.Size
		}
	})
	return r, nil
}

// benchConfig is config/dev.yaml with o's compression and only kind's
// source, renamed and writing to topic, its rate limit lifted and its
// window o's.
func benchConfig(kind, name, topic string, o options) ([]byte, error) {
	var cfg map[string]any
	if err := yaml.Unmarshal(devconfig.Dev, &cfg); err != nil {
		return nil, err
	}
	cfg["name"] = name
	if o.profile != "" {
		cfg["http"] = map[string]any{"listen": "${DEV_HTTP_LISTEN}", "pprof": true}
	}
	if k, ok := cfg["kafka"].(map[string]any); ok {
		k["compression"] = o.compress
	}
	sources, _ := cfg["sources"].([]any)
	for _, s := range sources {
		src, _ := s.(map[string]any)
		if src["kind"] != kind {
			continue
		}
		src["name"] = name
		src["topic"] = topic
		src["http"] = map[string]any{"rate_limit": 1e6}
		for _, v := range src {
			if settings, ok := v.(map[string]any); ok && settings["window"] != nil {
				settings["window"] = o.window.String()
			}
		}
		cfg["sources"] = []any{src}
		return yaml.Marshal(cfg)
	}
	return nil, fmt.Errorf("config/dev.yaml has no %s source", kind)
}

// counter reads a topic as read_committed and counts its events and keys.
type counter struct {
	cl     *kgo.Client
	events int
	keys   map[string]struct{}
}

func newCounter(ctx context.Context, brokers, topic string) (*counter, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(brokers, ",")...), kgo.ConsumeTopics(topic),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.AllowAutoTopicCreation(), kgo.FetchMaxWait(200*time.Millisecond))
	if err != nil {
		return nil, err
	}
	return &counter{cl: cl, keys: map[string]struct{}{}}, nil
}

func (c *counter) close() { c.cl.Close() }

// until reads until n events were counted. With a nil exited it then
// reads on for two seconds, to count any beyond n; otherwise a value on
// exited (the connector ended) fails it.
func (c *counter) until(ctx context.Context, n int, exited <-chan error) error {
	var settle <-chan time.Time
	if exited == nil {
		settle = time.After(2 * time.Second)
	}
	for {
		if exited != nil && c.events >= n {
			return nil
		}
		select {
		case err := <-exited:
			return fmt.Errorf("the connector ended (%v) after %d events", err, c.events)
		case <-settle:
			return nil
		default:
		}
		fctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		fs := c.cl.PollFetches(fctx)
		cancel()
		if ctx.Err() != nil {
			return fmt.Errorf("after %d of %d events: %w", c.events, n, ctx.Err())
		}
		for _, e := range fs.Errors() {
			if !errors.Is(e.Err, context.DeadlineExceeded) {
				return fmt.Errorf("reading %s: %w", e.Topic, e.Err)
			}
		}
		fs.EachRecord(func(r *kgo.Record) {
			c.events++
			c.keys[string(r.Key)] = struct{}{}
		})
	}
}

// mallocs reads go_memstats_mallocs_total from the connector's /metrics.
func mallocs(ctx context.Context, port int) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/metrics", port), nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_memstats_mallocs_total "); ok {
			f, err := strconv.ParseFloat(v, 64)
			return int64(f), err
		}
	}
	return 0, fmt.Errorf("/metrics has no go_memstats_mallocs_total (%v)", sc.Err())
}

// profile writes the connector's profiles to dir: KIND.cpu.pprof, the
// CPU during the 3 seconds from 1.5 s after its start, and
// KIND.allocs.pprof, its allocations from its start to the end of those
// seconds. The connector is stopped only once both are written, so a run
// shorter than 4.5 s is profiled past its end, idle.
func profile(ctx context.Context, port int, dir, kind string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(1500 * time.Millisecond):
	}
	base := fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/", port)
	for _, p := range [][2]string{{"profile?seconds=3", "cpu"}, {"allocs", "allocs"}} {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+p[0], nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return fmt.Errorf("profile: %w", err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("%s answered %s", base+p[0], resp.Status)
		}
		if err != nil {
			return fmt.Errorf("profile: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dir, kind+"."+p[1]+".pprof"), body, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// freePort is a TCP port free on 127.0.0.1 a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// countingWriter counts the body bytes written through it.
type countingWriter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (w countingWriter) Write(b []byte) (int, error) {
	w.n.Add(int64(len(b)))
	return w.ResponseWriter.Write(b)
}
