package connector_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/vnstream/connector/internal/proc"
	"github.com/vnstream/connector/pkg/connector"
	"github.com/vnstream/connector/pkg/schema"
	tikisim "github.com/vnstream/connector/pkg/sim/tiki"
	"github.com/vnstream/connector/pkg/source/tiki"
	"github.com/vnstream/connector/schemas"
)

// The shape of BenchmarkManySourcesOnThreeReplicas.
const (
	msAccounts        = 10               // Tiki simulators, each its own vendor account (client id and secret)
	msFormsPerAccount = 100              // sources per account, one form id each
	msBacklog         = 5                // responses per source before the replicas start
	msReplicas        = 3                // connector processes
	msPollInterval    = 5 * time.Second  // per source
	msIdle            = 20 * time.Second // CPU and RSS are measured over this idle period
	msFresh           = 300              // new responses written while idle
	msFreshSpan       = 30 * time.Second // over this long
)

// msSource is one configured source: one form of one vendor account.
type msSource struct {
	name, topic, formID string
	account             int
}

// msAccount is one vendor account: a simulator with its own credentials.
type msAccount struct {
	sim               *tikisim.Sim
	url, clientID     string
	secretVar, secret string
}

// BenchmarkManySourcesOnThreeReplicas runs 1,000 tiki_lead sources (10
// vendor accounts, each a simulator with its own client id and secret,
// 100 forms each, one source per form, 5 responses of backlog each) on
// three replicas, separate processes of the connector binary sharing the
// tasks through the connector's group. It reports the time until every
// source has committed, each replica's CPU (% of one core) and RSS over
// an idle period, how the sources are spread, and the freshness of new
// responses (commit-visible to an independent read_committed consumer −
// vendor write time, p50 and p99). It asserts only what the figures need:
// every source committed its backlog exactly once and every new response
// arrived. The replicas' logs are kept in a temp file (logged).
func BenchmarkManySourcesOnThreeReplicas(b *testing.B) {
	addrs := testBrokers(b)
	name := uniqueName(b)
	now := time.Now().UTC().Truncate(time.Second)

	// The vendor accounts and their backlog, created over the last ten minutes.
	var accounts []msAccount
	var sources []msSource
	for a := range msAccounts {
		acc := msAccount{
			clientID:  fmt.Sprintf("vendor-account-%02d", a),
			secretVar: fmt.Sprintf("TIKI_SECRET_%02d", a),
			secret:    fmt.Sprintf("secret-%02d-%016x", a, rand.Uint64()),
		}
		acc.sim = tikisim.New(acc.clientID, acc.secret, tikisim.WithStartID(2_000_000))
		acc.url = serve(b, acc.sim)
		var rs []tikisim.Response
		for f := range msFormsPerAccount {
			s := msSource{name: fmt.Sprintf("acct%02d-form%03d", a, f), formID: strconv.Itoa(100_000 + a*1000 + f), account: a}
			s.topic = name + "." + s.name
			sources = append(sources, s)
			for k := range msBacklog {
				n := 1_000_000 + f*msBacklog + k
				rs = append(rs, tikisim.Response{ID: strconv.Itoa(n), FormID: s.formID,
					CreatedAt: now.Add(-10*time.Minute + time.Duration(k)*time.Minute),
					Inputs:    fmt.Appendf(nil, `{"name":"Khách %d","phone":"09%08d"}`, n, n)})
			}
		}
		acc.sim.Add(rs...)
		accounts = append(accounts, acc)
	}
	yaml := msConfig(name, addrs, now.Add(-30*time.Minute), accounts, sources)
	var env []string
	for _, acc := range accounts {
		env = append(env, acc.secretVar+"="+acc.secret)
	}
	rs := newReplicaSet(b, yaml, env...)
	rs.timeout = 5 * time.Second
	logFile := rs.log.Name()
	b.Logf("replicas' logs: %s", logFile)

	// 1. Start the replicas; wait until every source has committed.
	b.ResetTimer()
	began := time.Now()
	pids := make([]int, msReplicas)
	for i := range msReplicas {
		rs.start(i)
		pids[i] = rs.pid(i)
	}
	var sts []connector.Status
	lastReport := time.Now()
	for {
		sts = msStatuses(rs)
		done := msCommittedSources(sts)
		if done == len(sources) {
			break
		}
		if time.Since(began) > 3*time.Minute {
			b.Fatalf("after %v only %d of %d sources committed", time.Since(began).Round(time.Second), done, len(sources))
		}
		for i := range msReplicas {
			if rs.exited(i) {
				b.Fatalf("replica %d exited: see %s", i, logFile)
			}
		}
		if time.Since(lastReport) > 10*time.Second {
			b.Logf("%v: %d of %d sources committed", time.Since(began).Round(time.Second), done, len(sources))
			lastReport = time.Now()
		}
		time.Sleep(500 * time.Millisecond)
	}
	ready := time.Since(began)
	b.StopTimer()

	// Every source's backlog, exactly once, to an independent consumer.
	topics := make([]string, len(sources))
	byTopic := map[string]msSource{}
	for i, s := range sources {
		topics[i], byTopic[s.topic] = s.topic, s
	}
	cons := startMSConsumer(b, addrs, topics)
	defer cons.close()
	want := len(sources) * msBacklog
	deadline := time.Now().Add(90 * time.Second)
	for cons.total() < want && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	counts, dups, lastProduced := cons.backlog()
	var short []string
	for _, s := range sources {
		if counts[s.topic] != msBacklog {
			short = append(short, fmt.Sprintf("%s:%d", s.name, counts[s.topic]))
		}
	}
	if len(short) > 0 || dups > 0 {
		b.Fatalf("backlog: %d sources without exactly %d events (%.20v), %d duplicates", len(short), msBacklog, short, dups)
	}
	spread := msSpread(sts)
	b.Logf("every source committed %v after start (last backlog event produced at +%v); %d events, none twice; sources per replica %v",
		ready.Round(10*time.Millisecond), lastProduced.Sub(began).Round(10*time.Millisecond), want, spread)

	// 2. Idle: CPU and RSS of each replica.
	sts = msStatuses(rs)
	idleSpread := msSpread(sts)
	txns0, reqs0 := msCommits(rs), msRequests(accounts)
	cpu0 := make([]time.Duration, msReplicas)
	for i, pid := range pids {
		cpu0[i] = msCPU(pid)
	}
	idleBegan := time.Now()
	time.Sleep(msIdle)
	idle := time.Since(idleBegan)
	cpuPct := make([]float64, msReplicas)
	rss := make([]float64, msReplicas)
	peak := make([]float64, msReplicas)
	for i, pid := range pids {
		cpuPct[i] = 100 * (msCPU(pid) - cpu0[i]).Seconds() / idle.Seconds()
		r, p := msMemory(pid)
		rss[i], peak[i] = float64(r)/(1<<20), float64(p)/(1<<20)
	}
	txnRate := (msCommits(rs) - txns0) / idle.Seconds()
	reqRate := float64(msRequests(accounts)-reqs0) / idle.Seconds()

	// 3. Freshness: new responses on random sources while idle.
	writes := map[string]time.Time{}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 11))
	tick := time.NewTicker(msFreshSpan / msFresh)
	for range msFresh {
		<-tick.C
		s := sources[rng.IntN(len(sources))]
		at := time.Now()
		r := accounts[s.account].sim.Create(s.formID, at.UTC())
		writes[s.topic+"/"+r.ID] = at
	}
	tick.Stop()
	deadline = time.Now().Add(30 * time.Second)
	var lat, commitLat []time.Duration
	for {
		lat, commitLat = cons.latencies(writes)
		if len(lat) == len(writes) || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if len(lat) != len(writes) {
		b.Fatalf("only %d of %d new responses became visible within 30s of the last", len(lat), len(writes))
	}
	endSts := msStatuses(rs)
	endSpread := msSpread(endSts)

	// Stop every replica: SIGTERM, a clean and prompt exit.
	exits := rs.stop()

	slices.Sort(lat)
	slices.Sort(commitLat)
	p50, p99 := msPercentile(lat, 50), msPercentile(lat, 99)
	b.ReportMetric(ready.Seconds(), "ready_s")
	b.ReportMetric(p50.Seconds()*1000, "fresh_p50_ms")
	b.ReportMetric(p99.Seconds()*1000, "fresh_p99_ms")
	var cpuSum, rssSum float64
	for i := range msReplicas {
		b.ReportMetric(cpuPct[i], fmt.Sprintf("r%d_cpu_%%core", i))
		b.ReportMetric(rss[i], fmt.Sprintf("r%d_RSS_MiB", i))
		b.ReportMetric(float64(idleSpread[i]), fmt.Sprintf("r%d_sources", i))
		cpuSum += cpuPct[i]
		rssSum += rss[i]
	}
	b.ReportMetric(cpuSum, "total_cpu_%core")
	b.ReportMetric(txnRate, "idle_txn/s")
	b.ReportMetric(reqRate, "idle_vendor_req/s")
	b.ReportMetric(rssSum, "total_RSS_MiB")

	for i, st := range endSts {
		b.Logf("replica %d (pid %d): %d sources, tasks %v, generation %d, %d rebalances; idle CPU %.1f%% of a core, RSS %.1f MiB (peak %.1f MiB); exited %v after SIGTERM",
			i, pids[i], endSpread[i], st.Group.Tasks, st.Group.Generation, st.Group.Rebalances, cpuPct[i], rss[i], peak[i], exits[i].Round(time.Millisecond))
	}
	b.Logf("while idle: %.1f committed transactions/s and %.1f vendor requests/s over all replicas (%d sources, poll_interval %v)",
		txnRate, reqRate, len(sources), msPollInterval)
	if !slices.Equal(idleSpread, endSpread) {
		b.Logf("the spread moved during the idle and freshness phases: %v → %v", idleSpread, endSpread)
	}
	b.Logf("freshness of %d new responses written over %v (poll_interval %v, lag 1s): p50 %v, p99 %v, max %v; of which produce→visible p50 %v, p99 %v",
		len(lat), msFreshSpan, msPollInterval, p50.Round(time.Millisecond), p99.Round(time.Millisecond), lat[len(lat)-1].Round(time.Millisecond),
		msPercentile(commitLat, 50).Round(time.Millisecond), msPercentile(commitLat, 99).Round(time.Millisecond))
	msLogSummary(b, logFile)
}

// msConfig is the YAML of the benchmark's connector, with %d for each
// replica's HTTP port.
func msConfig(name string, addrs []string, start time.Time, accounts []msAccount, sources []msSource) string {
	var b strings.Builder
	fmt.Fprintf(&b, `name: %s
kafka:
  brokers: [%q]
  offsets_topic: %s-offsets
  offsets_partitions: 25
  replication_factor: 1
  transaction_timeout: 10s
  group:
    session_timeout: 6s
http:
  listen: 127.0.0.1:%%d
sources:
`, name, strings.Join(addrs, `", "`), name)
	for _, s := range sources {
		acc := accounts[s.account]
		fmt.Fprintf(&b, `  - name: %s
    kind: tiki_lead
    topic: %s
    poll_interval: %s
    error_backoff_max: 30s
    http:
      timeout: 10s
      rate_limit: 2
      backoff_initial: 200ms
      backoff_max: 5s
    tiki:
      base_url: %s
      client_id: %s
      client_secret: ${%s}
      form_ids: ["%s"]
      start_time: %s
      window: 1h
      lag: 1s
      overlap: 10s
`, s.name, s.topic, msPollInterval, acc.url, acc.clientID, acc.secretVar, s.formID, start.Format(time.RFC3339))
	}
	return b.String()
}

// msCPU is proc.CPU of pid, 0 once the process is gone.
func msCPU(pid int) time.Duration {
	cpu, _ := proc.CPU(pid)
	return cpu
}

// msMemory is proc.Memory of pid, zeros once the process is gone.
func msMemory(pid int) (rss, peak int64) {
	rss, peak, _ = proc.Memory(pid)
	return rss, peak
}

// msStatuses reads every replica's /status (a zero Status for one that
// does not answer).
func msStatuses(rs *replicaSet) []connector.Status {
	out := make([]connector.Status, msReplicas)
	var wg sync.WaitGroup
	for i := range out {
		wg.Go(func() { out[i], _ = rs.status(i) })
	}
	wg.Wait()
	return out
}

// msCommittedSources counts the sources that have committed on the
// replica that runs them (where they are not unassigned).
func msCommittedSources(sts []connector.Status) int {
	done := map[string]bool{}
	for _, st := range sts {
		for _, s := range st.Sources {
			if s.State != connector.StateUnassigned && s.State != connector.StateStopped && !s.LastSuccess.IsZero() && s.Offset != nil {
				done[s.Name] = true
			}
		}
	}
	return len(done)
}

// msSpread counts, per replica, the sources that are not unassigned.
func msSpread(sts []connector.Status) []int {
	out := make([]int, len(sts))
	for i, st := range sts {
		for _, s := range st.Sources {
			if s.State != connector.StateUnassigned {
				out[i]++
			}
		}
	}
	return out
}

// msCommits sums connector_transactions_total{result="committed"} over
// every source of every replica.
func msCommits(rs *replicaSet) float64 {
	var sum float64
	for i := range msReplicas {
		for line := range rs.metrics(i) {
			if strings.HasPrefix(line, "connector_transactions_total{") && strings.Contains(line, `result="committed"`) {
				f := strings.Fields(line)
				v, _ := strconv.ParseFloat(f[len(f)-1], 64)
				sum += v
			}
		}
	}
	return sum
}

// msRequests counts the requests every vendor account received.
func msRequests(accounts []msAccount) int {
	n := 0
	for _, a := range accounts {
		n += a.sim.Stats().Requests
	}
	return n
}

func msPercentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, (len(sorted)*p+99)/100-1)]
}

// msArrival is when the consumer first saw one event.
type msArrival struct {
	seen, produced time.Time
}

// msConsumer reads every source's topic with read_committed and notes
// when each event (topic/response id) became visible.
type msConsumer struct {
	cl     *kgo.Client
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	events map[string]msArrival
	counts map[string]int
	dups   int
}

func startMSConsumer(b *testing.B, addrs, topics []string) *msConsumer {
	b.Helper()
	set, err := schema.Load(schemas.FS)
	if err != nil {
		b.Fatal(err)
	}
	dec := schema.NewDecoder(set, nil)
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.ConsumeTopics(topics...),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(500*time.Millisecond))
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &msConsumer{cl: cl, cancel: cancel, done: make(chan struct{}), events: map[string]msArrival{}, counts: map[string]int{}}
	go func() {
		defer close(c.done)
		for ctx.Err() == nil {
			fs := cl.PollFetches(ctx)
			seen := time.Now()
			fs.EachError(func(topic string, p int32, err error) {
				if ctx.Err() == nil {
					b.Logf("consume %s/%d: %v", topic, p, err)
				}
			})
			c.mu.Lock()
			fs.EachRecord(func(r *kgo.Record) {
				var k tiki.Key
				if err := dec.Decode(ctx, r.Key, &k); err != nil {
					b.Errorf("decode key in %s at %d/%d: %v", r.Topic, r.Partition, r.Offset, err)
					return
				}
				id := r.Topic + "/" + k.ID
				if _, dup := c.events[id]; dup {
					c.dups++
					return
				}
				c.events[id] = msArrival{seen: seen, produced: r.Timestamp}
				c.counts[r.Topic]++
			})
			c.mu.Unlock()
		}
	}()
	return c
}

func (c *msConsumer) close() {
	c.cancel()
	<-c.done
	c.cl.Close()
}

func (c *msConsumer) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.events) + c.dups
}

// backlog returns the events per topic, the duplicates and the latest
// produce time seen.
func (c *msConsumer) backlog() (map[string]int, int, time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var last time.Time
	for _, a := range c.events {
		if a.produced.After(last) {
			last = a.produced
		}
	}
	return maps.Clone(c.counts), c.dups, last
}

// latencies returns, for each write seen so far, visible − written and
// visible − produced.
func (c *msConsumer) latencies(writes map[string]time.Time) (visible, commit []time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, at := range writes {
		if a, ok := c.events[id]; ok {
			visible = append(visible, a.seen.Sub(at))
			commit = append(commit, a.seen.Sub(a.produced))
		}
	}
	return visible, commit
}

// msLogSummary logs how many lines of each level the replicas wrote and
// the first few warnings and errors.
func msLogSummary(b *testing.B, path string) {
	f, err := os.Open(path)
	if err != nil {
		b.Logf("log: %v", err)
		return
	}
	defer f.Close()
	levels := map[string]int{}
	msgs := map[string]int{}
	var first []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		prefix, rest, _ := strings.Cut(line, " ")
		var rec struct {
			Level string `json:"level"`
			Msg   string `json:"msg"`
		}
		if json.Unmarshal([]byte(rest), &rec) != nil {
			levels["(not JSON)"]++
			if len(first) < 10 {
				first = append(first, line)
			}
			continue
		}
		levels[rec.Level]++
		if rec.Level == "WARN" || rec.Level == "ERROR" {
			msgs[rec.Level+" "+rec.Msg]++
			if len(first) < 10 {
				first = append(first, prefix+" "+rest)
			}
		}
	}
	b.Logf("replicas' log lines by level: %v", levels)
	for m, n := range msgs {
		b.Logf("  %d× %s", n, m)
	}
	for _, l := range first {
		if len(l) > 600 {
			l = l[:600] + "…"
		}
		b.Logf("  e.g. %s", l)
	}
}
