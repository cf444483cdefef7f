package connector_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vnstream/connector/pkg/connector"
	tikisim "github.com/vnstream/connector/pkg/sim/tiki"
)

// replicaSet runs replicas of one connector as separate processes of the
// connector binary, each with its own /status port. Their output goes to
// one log file, each line prefixed with the replica's number ("r0 ").
type replicaSet struct {
	tb      testing.TB
	bin     string
	config  string   // the configuration, with %d for the HTTP port
	env     []string // NAME=value added to each replica's environment
	timeout time.Duration
	dir     string
	log     *os.File
	logMu   sync.Mutex
	running map[int]*replica
}

type replica struct {
	cmd  *exec.Cmd
	port int
	done chan struct{} // closed once the process has exited
	err  error         // what Wait returned, once done
}

// newReplicaSet builds the connector and prepares replicas of config
// (YAML whose http.listen is 127.0.0.1:%d), run with env (NAME=value)
// added to the environment. /status and /metrics requests time out after
// a second (set timeout before start to change that).
func newReplicaSet(tb testing.TB, config string, env ...string) *replicaSet {
	tb.Helper()
	dir := tb.TempDir()
	bin := filepath.Join(dir, "connector")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/vnstream/connector/cmd/connector").CombinedOutput(); err != nil {
		tb.Fatalf("building the connector: %v\n%s", err, out)
	}
	log, err := os.Create(filepath.Join(os.TempDir(), strings.ReplaceAll(tb.Name(), "/", "-")+".log"))
	if err != nil {
		tb.Fatal(err)
	}
	rs := &replicaSet{tb: tb, bin: bin, config: config, env: env, timeout: time.Second, dir: dir, log: log, running: map[int]*replica{}}
	tb.Cleanup(func() {
		for i := range rs.running {
			rs.kill(i)
		}
		if tb.Failed() {
			rs.logGroupEvents()
		}
		log.Close()
	})
	return rs
}

// logGroupEvents copies the replicas' group and task lines from their log
// into the test's output, so a failure in CI shows how the group moved.
func (rs *replicaSet) logGroupEvents() {
	rs.logMu.Lock()
	defer rs.logMu.Unlock()
	b, err := os.ReadFile(rs.log.Name())
	if err != nil {
		rs.tb.Log(err)
		return
	}
	var lines []string
	for line := range strings.Lines(string(b)) {
		for _, msg := range []string{"joined the connector", "group rebalanced", "tasks given up", "task session ended", "level\":\"ERROR"} {
			if strings.Contains(line, msg) {
				line = strings.TrimSpace(line)
				lines = append(lines, line[:min(len(line), 300)])
				break
			}
		}
	}
	rs.tb.Logf("the replicas' group events (%s):\n%s", rs.log.Name(), strings.Join(lines[max(0, len(lines)-80):], "\n"))
}

// start runs replica i.
func (rs *replicaSet) start(i int) {
	rs.tb.Helper()
	port := freePort(rs.tb)
	file := filepath.Join(rs.dir, fmt.Sprintf("replica-%d.yaml", i))
	if err := os.WriteFile(file, fmt.Appendf(nil, rs.config, port), 0o600); err != nil {
		rs.tb.Fatal(err)
	}
	cmd := exec.Command(rs.bin, "run", "-c", file)
	cmd.Env = append(os.Environ(), rs.env...)
	w := &lineWriter{prefix: fmt.Appendf(nil, "r%d ", i), out: rs.log, mu: &rs.logMu}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		rs.tb.Fatal(err)
	}
	r := &replica{cmd: cmd, port: port, done: make(chan struct{})}
	go func() {
		r.err = cmd.Wait()
		close(r.done)
	}()
	rs.running[i] = r
}

// pid is replica i's process id.
func (rs *replicaSet) pid(i int) int {
	return rs.running[i].cmd.Process.Pid
}

// exited tells whether replica i has exited on its own.
func (rs *replicaSet) exited(i int) bool {
	select {
	case <-rs.running[i].done:
		return true
	default:
		return false
	}
}

// kill SIGKILLs replica i.
func (rs *replicaSet) kill(i int) {
	r := rs.running[i]
	_ = r.cmd.Process.Signal(syscall.SIGCONT)
	_ = r.cmd.Process.Kill()
	<-r.done
	delete(rs.running, i)
}

// stop waits until each of replicas which (every running one, in order,
// if none is named) answers, SIGTERMs them all at once and checks that
// each exits cleanly within 20s (else it is killed). It returns how long
// each took to exit.
func (rs *replicaSet) stop(which ...int) []time.Duration {
	rs.tb.Helper()
	if len(which) == 0 {
		which = slices.Sorted(maps.Keys(rs.running))
	}
	for _, i := range which {
		waitFor(rs.tb, fmt.Sprintf("replica %d to answer", i), 30*time.Second, func() bool {
			_, ok := rs.status(i)
			return ok
		})
	}
	exits := make([]time.Duration, len(which))
	var wg sync.WaitGroup
	for k, i := range which {
		r := rs.running[i]
		delete(rs.running, i)
		wg.Go(func() {
			began := time.Now()
			if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				rs.tb.Errorf("SIGTERM replica %d: %v", i, err)
				return
			}
			select {
			case <-r.done:
				if r.err != nil {
					rs.tb.Errorf("replica %d did not exit cleanly on SIGTERM: %v", i, r.err)
				}
			case <-time.After(20 * time.Second):
				rs.tb.Errorf("replica %d took over 20s to exit after SIGTERM; killing it", i)
				_ = r.cmd.Process.Kill()
				<-r.done
			}
			exits[k] = time.Since(began)
		})
	}
	wg.Wait()
	return exits
}

// signal sends sig to replica i.
func (rs *replicaSet) signal(i int, sig syscall.Signal) {
	rs.tb.Helper()
	if err := rs.running[i].cmd.Process.Signal(sig); err != nil {
		rs.tb.Fatal(err)
	}
}

// get reads path from replica i's HTTP server; ok is false while it does
// not answer.
func (rs *replicaSet) get(i int, path string) (body []byte, ok bool) {
	c := http.Client{Timeout: rs.timeout}
	resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d%s", rs.running[i].port, path))
	if err != nil {
		return nil, false
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(resp.Body)
	return body, err == nil
}

// status reads replica i's /status; ok is false while it does not answer.
func (rs *replicaSet) status(i int) (st connector.Status, ok bool) {
	b, ok := rs.get(i, "/status")
	if !ok || json.Unmarshal(b, &st) != nil {
		return st, false
	}
	return st, true
}

// runner returns the replica on which source is running, or -1.
func (rs *replicaSet) runner(source string, except ...int) int {
	for i := range rs.running {
		if contains(except, i) {
			continue
		}
		st, ok := rs.status(i)
		if !ok {
			continue
		}
		for _, s := range st.Sources {
			if s.Name == source && s.State == connector.StateRunning {
				return i
			}
		}
	}
	return -1
}

func contains(xs []int, x int) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

// metrics reads the lines of replica i's /metrics (none if it does not
// answer).
func (rs *replicaSet) metrics(i int) iter.Seq[string] {
	b, _ := rs.get(i, "/metrics")
	return strings.Lines(string(b))
}

// metric reads one sample of replica i's /metrics ("" if absent).
func (rs *replicaSet) metric(i int, series string) string {
	for line := range rs.metrics(i) {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// lineWriter writes whole lines to out, each with prefix, under mu.
type lineWriter struct {
	prefix []byte
	out    io.Writer
	mu     *sync.Mutex
	buf    []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		w.mu.Lock()
		_, _ = w.out.Write(append(slices.Clip(w.prefix), w.buf[:i+1]...))
		w.mu.Unlock()
		w.buf = w.buf[i+1:]
	}
}

// replicaConfig is the YAML of a connector with one tiki source per
// simulator URL, spread over tasks, and http.listen left as %d.
func replicaConfig(t *testing.T, addrs []string, start time.Time, urls []string) (yaml string, sources []string) {
	t.Helper()
	cfg := spreadConfig(t, addrs, start, urls...)
	var b strings.Builder
	fmt.Fprintf(&b, "name: %s\nkafka:\n  brokers: [%q]\n  offsets_topic: %s\n  offsets_partitions: %d\n  replication_factor: 1\n  transaction_timeout: 10s\n  group:\n    session_timeout: 6s\n    rebalance_timeout: 10s\nhttp:\n  listen: 127.0.0.1:%%d\nsources:\n",
		cfg.Name, strings.Join(addrs, `", "`), cfg.Kafka.OffsetsTopic, cfg.Kafka.OffsetsPartitions)
	for i, s := range cfg.Sources {
		fmt.Fprintf(&b, sourceYAML, s.Name, s.Topic, "5s", urls[i], "TIKI_SECRET", 500, start.Format(time.RFC3339), "1h", 10000)
		sources = append(sources, s.Name)
	}
	return b.String(), sources
}

// backlogSims starts n simulators holding perSim responses each, ids from
// 1,000,000 ascending with their creation time over the hours before now.
func backlogSims(t *testing.T, n, perSim int, now time.Time) (sims []*tikisim.Sim, urls []string) {
	t.Helper()
	span := time.Duration(perSim/5000+1) * time.Hour
	for range n {
		sim, url := newSim(t, tikisim.WithPageCap(500), tikisim.WithStartID(2_000_000))
		rs := make([]tikisim.Response, perSim)
		for i := range rs {
			rs[i] = tikisim.Response{ID: strconv.Itoa(1_000_000 + i), FormID: formA,
				CreatedAt: now.Add(-span + time.Duration(i)*(span/time.Duration(perSim))),
				Inputs:    fmt.Appendf(nil, `{"name":"Khách %d","phone":"09%08d"}`, i, i)}
		}
		sim.Add(rs...)
		sims, urls = append(sims, sim), append(urls, url)
	}
	return sims, urls
}

// verifyAll reads every source's topic and checks it holds its
// simulator's responses exactly once, in order within each partition.
func verifyAll(t *testing.T, addrs []string, topics []string, sims []*tikisim.Sim) {
	t.Helper()
	for i, sim := range sims {
		events := readTopic(t, addrs, topics[i], len(sim.Responses()), 3*time.Minute)
		verifyExactlyOnce(t, sim, events)
		checkPartitionOrder(t, events)
	}
}

// TestZombieReplicaNeverCommitsAgain freezes (SIGSTOP) the replica that
// runs a source past the group's session timeout while responses keep
// arriving: another replica takes the task over; the frozen one, woken
// (SIGCONT), neither commits for it again nor fences the new owner back.
func TestZombieReplicaNeverCommitsAgain(t *testing.T) {
	t.Parallel()
	addrs := testBrokers(t)
	now := time.Now().UTC().Truncate(time.Second)
	sims, urls := backlogSims(t, 3, 3000, now)
	yaml, sources := replicaConfig(t, addrs, now.Add(-2*time.Hour), urls)
	rs := newReplicaSet(t, yaml, "TIKI_SECRET="+secret)
	for i := range 3 {
		rs.start(i)
	}
	stopFeed := feed(sims, 10)
	defer stopFeed()
	watched := sources[0]
	var zombie int
	waitFor(t, "each source to run on its own replica", time.Minute, func() bool {
		on := map[int]bool{}
		for _, s := range sources {
			on[rs.runner(s)] = true
		}
		return len(on) == 3 && !on[-1]
	})
	time.Sleep(2 * time.Second)
	if zombie = rs.runner(watched); zombie < 0 {
		t.Fatalf("%s runs nowhere", watched)
	}
	rs.signal(zombie, syscall.SIGSTOP)
	frozen := time.Now()
	var owner int
	waitFor(t, "another replica to take the task over", time.Minute, func() bool {
		owner = rs.runner(watched, zombie)
		return owner >= 0
	})
	failover := time.Since(frozen)
	time.Sleep(time.Until(frozen.Add(10 * time.Second)))
	rs.signal(zombie, syscall.SIGCONT)
	time.Sleep(10 * time.Second)
	stopFeed()
	topics := make([]string, len(sources))
	for i, s := range sources {
		topics[i] = yamlTopic(yaml, s)
	}
	verifyAll(t, addrs, topics, sims)
	fenced := rs.metric(owner, fmt.Sprintf(`connector_fenced_commits_total{provider="tiki_lead",source=%q}`, watched))
	if fenced != "" && fenced != "0" {
		t.Errorf("the new owner's commits were fenced %s times: the woken replica fenced it back", fenced)
	}
	for i := range 3 {
		rs.stop(i)
	}
	t.Logf("replica %d frozen for 10s; replica %d ran %s after %v (session timeout 6s)", zombie, owner, watched, failover.Round(100*time.Millisecond))
}

// yamlTopic finds source's topic in the YAML of replicaConfig.
func yamlTopic(yaml, source string) string {
	_, rest, _ := strings.Cut(yaml, "name: "+source+"\n")
	_, rest, _ = strings.Cut(rest, "topic: ")
	topic, _, _ := strings.Cut(rest, "\n")
	return topic
}

// TestReplicasScaleAndCrash runs three replicas over a backlog of
// SCALE_BACKLOG responses (default 100,000, five sources) while new ones
// arrive: it scales 1 → 3, SIGKILLs a random replica SCALE_KILLS times
// (default 20, each restarted), scales 3 → 1, and checks that every
// response was written exactly once.
func TestReplicasScaleAndCrash(t *testing.T) {
	backlog := envInt(t, "SCALE_BACKLOG", 100_000)
	kills := envInt(t, "SCALE_KILLS", 20)
	addrs := testBrokers(t)
	now := time.Now().UTC().Truncate(time.Second)
	sims, urls := backlogSims(t, 5, backlog/5, now)
	span := time.Duration(backlog/5/5000+1) * time.Hour
	yaml, sources := replicaConfig(t, addrs, now.Add(-span-time.Hour), urls)
	rs := newReplicaSet(t, yaml, "TIKI_SECRET="+secret)
	stopFeed := feed(sims, 5)
	defer stopFeed()
	began := time.Now()
	rs.start(0)
	time.Sleep(3 * time.Second)
	rs.start(1)
	rs.start(2)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 9))
	for k := range kills {
		time.Sleep(time.Duration(500+rng.IntN(1500)) * time.Millisecond)
		i := rng.IntN(3)
		rs.kill(i)
		time.Sleep(time.Duration(rng.IntN(1000)) * time.Millisecond)
		rs.start(i)
		if k%5 == 4 {
			t.Logf("%d SIGKILLs so far", k+1)
		}
	}
	rs.stop(1)
	rs.stop(2)
	settling := time.Now()
	waitFor(t, "replica 0 to run every source after the last kill", 4*time.Minute, func() bool {
		for _, s := range sources {
			if rs.runner(s) != 0 {
				return false
			}
		}
		return true
	})
	settled := time.Since(settling)
	time.Sleep(3 * time.Second)
	stopFeed()
	topics := make([]string, len(sources))
	total := 0
	for i, s := range sources {
		topics[i] = yamlTopic(yaml, s)
		total += len(sims[i].Responses())
	}
	verifyAll(t, addrs, topics, sims)
	rs.stop(0)
	t.Logf("%d responses over %d sources, scaled 1 → 3 → 1 with %d SIGKILLs: 0 lost, 0 duplicated (%v; the group settled %v after the last kill)", total, len(sources), kills, time.Since(began).Round(time.Second), settled.Round(100*time.Millisecond))
}
