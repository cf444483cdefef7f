package connector_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/vnstream/connector/pkg/connector"
	"github.com/vnstream/connector/pkg/sim"
	_ "github.com/vnstream/connector/pkg/sim/all" // every simulator registers itself
)

// maKinds are the provider kinds of BenchmarkManyAccounts, each with the
// settings its sources need besides those the simulator's variables give.
var maKinds = []struct{ kind, section, extra string }{
	{"tiki_lead", "tiki", `form_ids: ["84112926079713300", "88238130968199168"]`},
	{"interits_zns", "interits", ""},
	{"etelecom_zns", "etelecom", ""},
	{"nxlink_customer", "nxlink", "tenant_id: 123\n      time_zone: Asia/Ho_Chi_Minh"},
	{"nhanh_conversation", "nhanh", `app_id: "75123"` + "\n      business_id: \"4001\""},
}

// maAccount is one vendor account: a simulator behind its own path prefix
// of its kind's server, and the ids of the records written to it.
type maAccount struct {
	sim sim.Simulator
	ids []string
}

// BenchmarkManyAccounts runs one connector process (the binary) with
// MANY_ACCOUNTS_SOURCES sources (default 1,000: as many of each of the
// five kinds), each its own vendor account with its own credentials, the
// accounts of one kind behind one host (a simulator per path prefix), a
// schema registry (srfake) that answers each request 10ms late, and
// defaults otherwise, but for http.pprof (on, to profile the connector
// while it runs) and kafka.client_metrics (MANY_ACCOUNTS_CLIENT_METRICS,
// default false: kfake subscribes every client to every metric every 30s,
// which a real cluster does only once its operator subscribed). It
// measures the time until /readyz is 200 and until every source committed
// its backlog; the connector's CPU and transactions over a minute with no
// vendor changes (and their polls), its RSS (VmRSS) at the end of that
// minute, and the CPU of one /metrics scrape;
// then, while every account gets 2 new and 4 changed records a second
// (Tiki's never change: 2 new) for MANY_ACCOUNTS_MINUTES (default 10), its
// CPU, its peak RSS (VmHWM, over the whole run) and the largest /metrics
// and /status.
func BenchmarkManyAccounts(b *testing.B) {
	n := maEnvInt(b, "MANY_ACCOUNTS_SOURCES", 1000)
	minutes := maEnvInt(b, "MANY_ACCOUNTS_MINUTES", 10)
	clientMetrics := os.Getenv("MANY_ACCOUNTS_CLIENT_METRICS") == "true"
	addrs := testBrokers(b)
	name := uniqueName(b)
	reg := srfake.New()
	b.Cleanup(reg.Close)
	reg.Intercept(func(http.ResponseWriter, *http.Request) bool {
		time.Sleep(10 * time.Millisecond)
		return false
	})
	now := time.Now().UTC().Truncate(time.Second)
	var (
		cfg      strings.Builder
		env      []string
		accounts []*maAccount
	)
	fmt.Fprintf(&cfg, "name: %s\nkafka:\n  brokers: [%q]\n  replication_factor: 1\n  client_metrics: %t\nhttp:\n  listen: 127.0.0.1:%%d\n  pprof: true\nschema_registry:\n  url: %s\nsources:\n",
		name, strings.Join(addrs, `", "`), clientMetrics, reg.URL())
	for k, kind := range maKinds {
		r, ok := sim.Lookup(kind.kind)
		if !ok {
			b.Fatalf("no simulator of %s", kind.kind)
		}
		mux := http.NewServeMux()
		srv := httptest.NewServer(mux)
		b.Cleanup(srv.Close)
		for i := range n / len(maKinds) {
			prefix := fmt.Sprintf("/a%04d", i)
			s, vars := r.New(sim.Run{URL: srv.URL + prefix, ID: int64(k*10_000 + i + 1)})
			mux.Handle(prefix+"/", http.StripPrefix(prefix, s))
			acc := &maAccount{sim: s}
			for j := range 5 { // a small backlog
				acc.ids = append(acc.ids, s.NewRecord(now.Add(-time.Duration(30-j)*time.Minute)))
			}
			accounts = append(accounts, acc)
			fmt.Fprintf(&cfg, "  - name: %s-%04d\n    kind: %s\n    %s:\n", kind.section, i, kind.kind, kind.section)
			for _, v := range slices.Sorted(func(yield func(string) bool) {
				for v := range vars {
					if !yield(v) {
						return
					}
				}
			}) {
				setting := strings.ToLower(v[strings.Index(v[len("DEV_"):], "_")+len("DEV_")+1:])
				if setting == "url" {
					setting = "base_url"
				}
				envVar := fmt.Sprintf("MA_%d_%04d_%s", k, i, strings.ToUpper(setting))
				env = append(env, envVar+"="+vars[v])
				fmt.Fprintf(&cfg, "      %s: ${%s}\n", setting, envVar)
			}
			if kind.extra != "" {
				fmt.Fprintf(&cfg, "      %s\n", kind.extra)
			}
			if kind.kind != "nhanh_conversation" {
				fmt.Fprintf(&cfg, "      start_time: %s\n", now.Add(-time.Hour).Format(time.RFC3339))
			}
		}
	}
	rs := newReplicaSet(b, cfg.String(), env...)
	rs.timeout = 30 * time.Second
	b.ResetTimer()
	start := time.Now()
	rs.start(0)
	defer rs.stop()
	pid := rs.pid(0)
	b.Logf("the connector serves /metrics, /status and /debug/pprof/ on 127.0.0.1:%d", rs.running[0].port)
	var ready, committed time.Duration
	for ready == 0 || committed == 0 {
		if time.Since(start) > 5*time.Minute {
			b.Fatalf("after 5 minutes: ready after %v, every source committed after %v", ready, committed)
		}
		time.Sleep(100 * time.Millisecond)
		if ready == 0 && maReady(rs) {
			ready = time.Since(start)
		}
		if st, ok := rs.status(0); ok && committed == 0 && msCommittedSources([]connector.Status{st}) == len(accounts) {
			committed = time.Since(start)
		}
	}
	b.Logf("%d sources: ready after %v, every source committed after %v", len(accounts), ready.Round(time.Millisecond), committed.Round(time.Millisecond))

	// Quiet: a poll interval for every source to poll again, then a
	// minute with no vendor changes (the backlog is older than the
	// overlap); the scrapes that count its transactions lie outside it.
	time.Sleep(35 * time.Second)
	idleTxn, idlePolls := maCounters(rs)
	idleCPU, idleStart := msCPU(pid), time.Now()
	time.Sleep(time.Minute)
	idleCPU, idleSpan := msCPU(pid)-idleCPU, time.Since(idleStart)
	idleRSS, _ := msMemory(pid)
	scrapeCPU := msCPU(pid)
	txn, polls := maCounters(rs)
	scrapeCPU = msCPU(pid) - scrapeCPU
	idleTxn, idlePolls = txn-idleTxn, polls-idlePolls

	// Load: 2 new and 4 changed records a second per account.
	stop := make(chan struct{})
	var writers sync.WaitGroup
	writers.Go(func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			at := time.Now().UTC()
			for _, acc := range accounts {
				acc.ids = append(acc.ids, acc.sim.NewRecord(at), acc.sim.NewRecord(at))
				for range 4 {
					if err := acc.sim.ChangeRecord(acc.ids[rand.IntN(len(acc.ids))], at); errors.Is(err, sim.ErrNeverChanges) {
						break
					}
				}
			}
		}
	})
	var peakRSS, metricsBytes, statusBytes int64
	var statusTime time.Duration
	sample := func() {
		_, peak := msMemory(pid)
		peakRSS = max(peakRSS, peak)
		if body, ok := rs.get(0, "/metrics"); ok {
			metricsBytes = max(metricsBytes, int64(len(body)))
		}
		t0 := time.Now()
		if body, ok := rs.get(0, "/status"); ok {
			statusBytes = max(statusBytes, int64(len(body)))
			statusTime = max(statusTime, time.Since(t0))
		}
	}
	loadCPU := msCPU(pid)
	loadStart := time.Now()
	for time.Since(loadStart) < time.Duration(minutes)*time.Minute {
		time.Sleep(10 * time.Second)
		sample()
	}
	loadCPU = msCPU(pid) - loadCPU
	loadSpan := time.Since(loadStart)
	close(stop)
	writers.Wait()
	sample()
	b.StopTimer()

	series := 0
	if body, ok := rs.get(0, "/metrics"); ok {
		for line := range strings.Lines(string(body)) {
			if strings.HasPrefix(line, "connector_") {
				series++
			}
		}
	}
	b.ReportMetric(float64(len(accounts)), "sources")
	b.ReportMetric(ready.Seconds(), "ready_s")
	b.ReportMetric(committed.Seconds(), "all_committed_s")
	b.ReportMetric(float64(peakRSS)/(1<<20), "peak_RSS_MiB")
	b.ReportMetric(float64(idleRSS)/(1<<20), "idle_RSS_MiB")
	b.ReportMetric(100*loadCPU.Seconds()/loadSpan.Seconds(), "load_cpu_%core")
	b.ReportMetric(100*idleCPU.Seconds()/idleSpan.Seconds(), "idle_cpu_%core")
	b.ReportMetric(idleTxn/idleSpan.Seconds(), "idle_txn/s")
	b.ReportMetric(idlePolls/idleSpan.Seconds(), "idle_polls/s")
	b.ReportMetric(float64(scrapeCPU.Milliseconds()), "metrics_scrape_cpu_ms")
	b.ReportMetric(float64(metricsBytes)/1e6, "metrics_MB")
	b.ReportMetric(float64(series), "connector_series")
	b.ReportMetric(float64(statusBytes)/1e6, "status_MB")
	b.ReportMetric(statusTime.Seconds()*1000, "status_ms")
}

// maEnvInt is the positive integer in environment variable name, or def.
func maEnvInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// maReady reports whether the replica's /readyz answers 200.
func maReady(rs *replicaSet) bool {
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/readyz", rs.running[0].port))
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// maCounters scrapes the transactions (connector_transactions_total) and
// the polls (connector_poll_duration_seconds_count) of every source.
func maCounters(rs *replicaSet) (transactions, polls float64) {
	for line := range rs.metrics(0) {
		v, err := strconv.ParseFloat(strings.TrimSpace(line[strings.LastIndexByte(line, ' ')+1:]), 64)
		switch {
		case err != nil:
		case strings.HasPrefix(line, "connector_transactions_total{"):
			transactions += v
		case strings.HasPrefix(line, "connector_poll_duration_seconds_count{"):
			polls += v
		}
	}
	return transactions, polls
}
