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

// measure runs one connector with a source of each of kinds, each on
// o.records records of its kind's simulator.
func measure(ctx context.Context, o options, kinds []string, brokers string, stderr io.Writer) (result, error) {
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	end := time.Now().UTC().Truncate(time.Second).Add(-time.Minute)
	var served atomic.Int64
	vars := map[string]string{}
	for _, kind := range kinds {
		stop, err := serveSim(kind, end, o, &served, vars)
		if err != nil {
			return result{}, err
		}
		defer stop()
	}

	run := fmt.Sprintf("bench-%d-%06x", time.Now().Unix(), rand.Uint32()&0xffffff)
	var topics []string
	for _, kind := range kinds {
		topics = append(topics, run+"."+kind)
	}
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
	cfg, err := benchConfig(kinds, run, o)
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
		go func() { profiled <- profile(ctx, port, o.profile, strings.Join(kinds, "+")) }()
	} else {
		profiled <- nil
	}
	want := o.records * len(kinds)
	if err := committed(ctx, port, want, done); err != nil {
		stopped = errors.Is(err, errEnded) // committed took its exit from done
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
	mallocs, err := metric(ctx, port, "go_memstats_mallocs_total")
	if err != nil {
		return result{}, err
	}
	r.mallocs = int64(mallocs)
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
	counter, err := newCounter(brokers, topics)
	if err != nil {
		return result{}, err
	}
	defer counter.cl.Close()
	if err := counter.until(ctx, want); err != nil {
		return result{}, err
	}
	for _, topic := range topics {
		if n := counter.events[topic]; n != o.records || len(counter.keys[topic]) != o.records {
			return result{}, fmt.Errorf("%s holds %d events with %d distinct keys, want %d of each", topic, n, len(counter.keys[topic]), o.records)
		}
	}
	dirs, err := kadm.NewClient(counter.cl).DescribeAllLogDirs(ctx, nil)
	if err != nil {
		return result{}, fmt.Errorf("describing the log dirs: %w", err)
	}
	dirs.Each(func(d kadm.DescribedLogDir) {
		for _, topic := range topics {
			for _, p := range d.Topics[topic] {
				r.topicBytes += p.Size
			}
		}
	})
	return r, nil
}

// serveSim starts kind's simulator holding o.records records created
// over o.span until end, on a loopback server, counting the body bytes it
// serves in served and adding the variables config/dev.yaml takes for it
// to vars. stop stops the server.
func serveSim(kind string, end time.Time, o options, served *atomic.Int64, vars map[string]string) (stop func(), err error) {
	reg, _ := sim.Lookup(kind)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s, v := reg.New(sim.Run{URL: "http://" + ln.Addr().String(), ID: time.Now().Unix()})
	step := o.span / time.Duration(o.records)
	for i := range o.records {
		s.NewRecord(end.Add(-o.span + time.Duration(i)*step))
	}
	maps.Copy(vars, v)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.ServeHTTP(countingWriter{w, served}, r)
	}), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln) //nolint:errcheck // ends with Close
	return func() { srv.Close() }, nil
}

// benchConfig is config/dev.yaml with o's compression, client metrics and
// records_in_flight and only the
// sources of kinds, each named and writing to the topic run.KIND, its
// rate limit lifted and its window o's.
func benchConfig(kinds []string, run string, o options) ([]byte, error) {
	var cfg map[string]any
	if err := yaml.Unmarshal(devconfig.Dev, &cfg); err != nil {
		return nil, err
	}
	cfg["name"] = run
	cfg["records_in_flight"] = o.inFlight
	if o.profile != "" {
		cfg["http"] = map[string]any{"listen": "${DEV_HTTP_LISTEN}", "pprof": true}
	}
	if k, ok := cfg["kafka"].(map[string]any); ok {
		k["compression"] = o.compress
		k["client_metrics"] = o.metrics
	}
	all, _ := cfg["sources"].([]any)
	var sources []any
	for _, kind := range kinds {
		i := slices.IndexFunc(all, func(s any) bool { src, _ := s.(map[string]any); return src["kind"] == kind })
		if i < 0 {
			return nil, fmt.Errorf("config/dev.yaml has no %s source", kind)
		}
		src, _ := all[i].(map[string]any)
		src["name"] = run + "-" + kind
		src["topic"] = run + "." + kind
		src["http"] = map[string]any{"rate_limit": 1e6}
		for _, v := range src {
			if settings, ok := v.(map[string]any); ok && settings["window"] != nil {
				settings["window"] = o.window.String()
			}
		}
		sources = append(sources, src)
	}
	cfg["sources"] = sources
	return yaml.Marshal(cfg)
}

// counter reads topics as read_committed and counts their events and
// keys, by topic.
type counter struct {
	cl     *kgo.Client
	total  int
	events map[string]int
	keys   map[string]map[string]struct{}
}

func newCounter(brokers string, topics []string) (*counter, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(brokers, ",")...), kgo.ConsumeTopics(topics...),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.AllowAutoTopicCreation(), kgo.FetchMaxWait(200*time.Millisecond))
	if err != nil {
		return nil, err
	}
	c := &counter{cl: cl, events: map[string]int{}, keys: map[string]map[string]struct{}{}}
	for _, t := range topics {
		c.keys[t] = map[string]struct{}{}
	}
	return c, nil
}

// until reads until n events in all were counted, and then on for two
// seconds, to count any beyond n.
func (c *counter) until(ctx context.Context, n int) error {
	var settle <-chan time.Time
	for {
		if settle == nil && c.total >= n {
			settle = time.After(2 * time.Second)
		}
		select {
		case <-settle:
			return nil
		default:
		}
		fctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		fs := c.cl.PollFetches(fctx)
		cancel()
		if ctx.Err() != nil {
			return fmt.Errorf("after %d of %d events: %w", c.total, n, ctx.Err())
		}
		for _, e := range fs.Errors() {
			if !errors.Is(e.Err, context.DeadlineExceeded) {
				return fmt.Errorf("reading %s: %w", e.Topic, e.Err)
			}
		}
		fs.EachRecord(func(r *kgo.Record) {
			c.total++
			c.events[r.Topic]++
			c.keys[r.Topic][string(r.Key)] = struct{}{}
		})
	}
}

// errEnded is committed's error when the connector ended before it.
var errEnded = errors.New("the connector ended")

// committed waits until the connector's connector_records_written_total
// reaches n, reading its /metrics every 50 ms. A value on exited (the
// connector ended) fails it with errEnded.
func committed(ctx context.Context, port, n int, exited <-chan error) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var written float64
	for {
		select {
		case err := <-exited:
			return fmt.Errorf("%w (%v) after %.0f events", errEnded, err, written)
		case <-ctx.Done():
			return fmt.Errorf("after %.0f of %d events: %w", written, n, ctx.Err())
		case <-tick.C:
		}
		// Until the connector serves /metrics, the request fails.
		if w, err := metric(ctx, port, "connector_records_written_total"); err == nil {
			written = w
		}
		if written >= float64(n) {
			return nil
		}
	}
}

// metric reads the connector's /metrics and returns the sum of name's
// samples, whatever their labels.
func metric(ctx context.Context, port int, name string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/metrics", port), nil)
	if err != nil {
		return 0, err
	}
	// Uncompressed: the connector gzips /metrics for a client that takes
	// it, with a compressor of about 1 MiB made for each request. Read 20
	// times a second (a Prometheus server reads every 15 s or so), that
	// was 37 MB of the bytes the connector allocated on an interits_zns
	// run, and about 0.8 MiB of its peak RSS.
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	sum, found := 0.0, false
	for sc.Scan() {
		series, value, ok := strings.Cut(sc.Text(), " ")
		if !ok || (series != name && !strings.HasPrefix(series, name+"{")) {
			continue
		}
		f, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return 0, fmt.Errorf("/metrics: %s: %w", series, err)
		}
		sum, found = sum+f, true
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("/metrics: %w", err)
	}
	if !found {
		return 0, fmt.Errorf("/metrics has no %s", name)
	}
	return sum, nil
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
