package connector_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	tikisim "github.com/vnstream/connector/pkg/sim/tiki"
)

// envInt reads a test knob from the environment.
func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, v, err)
	}
	return n
}

// TestCrashLoop runs the connector binary as a separate process against a
// backlog of CRASH_BACKLOG responses (default 100 000), kills it with
// SIGKILL at random moments CRASH_KILLS times (default 20) while it
// backfills and while new responses arrive, restarts it each time, lets a
// last run finish, and checks with an independent read_committed consumer:
// nothing lost, nothing duplicated, ids in order within each partition.
func TestCrashLoop(t *testing.T) {
	kills := envInt(t, "CRASH_KILLS", 20)
	backlog := envInt(t, "CRASH_BACKLOG", 100_000)
	bin := filepath.Join(t.TempDir(), "connector")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/vnstream/connector/cmd/connector").CombinedOutput(); err != nil {
		t.Fatalf("building the connector: %v\n%s", err, out)
	}
	addrs := testBrokers(t)
	name := uniqueName(t)
	sim, url := newSim(t, tikisim.WithPageCap(500))
	now := time.Now().UTC().Truncate(time.Second)
	span := time.Duration(backlog/5000+1) * time.Hour
	rs := make([]tikisim.Response, backlog)
	for i := range rs {
		rs[i] = tikisim.Response{ID: strconv.Itoa(1_000_000 + i), FormID: formA,
			CreatedAt: now.Add(-span + time.Duration(i)*(span/time.Duration(backlog))),
			Inputs:    []byte(fmt.Sprintf(`{"name":"Khách %d","phone":"09%08d"}`, i, i))}
	}
	sim.Add(rs...)

	cfgFile := filepath.Join(t.TempDir(), "config.yaml")
	topic := name + ".tiki-crash"
	yaml := fmt.Sprintf("name: %s\nkafka:\n  brokers: [%q]\n  offsets_topic: %s-offsets\n  offsets_partitions: 3\n  replication_factor: 1\n  transaction_timeout: 10s\n  group:\n    session_timeout: 6s\nhttp:\n  listen: \"-\"\nsources:\n",
		name, strings.Join(addrs, `", "`), name) +
		fmt.Sprintf(sourceYAML, "tiki-crash", topic, "5s", url, "TIKI_SECRET", 500, now.Add(-span-time.Hour).Format(time.RFC3339), "1h", 10000)
	if err := os.WriteFile(cfgFile, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	logFile, err := os.Create(filepath.Join(os.TempDir(), "crash-connector.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	startBin := func() *exec.Cmd {
		cmd := exec.Command(bin, "run", "-c", cfgFile)
		cmd.Env = append(os.Environ(), "TIKI_SECRET="+secret)
		cmd.Stdout, cmd.Stderr = logFile, logFile
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	nextID := 2_000_000
	for i := range kills {
		cmd := startBin()
		time.Sleep(time.Duration(100+rng.IntN(900)) * time.Millisecond)
		for range 1 + rng.IntN(20) {
			sim.Add(tikisim.Response{ID: strconv.Itoa(nextID), FormID: formB, CreatedAt: time.Now().UTC(), Inputs: []byte(`{"live":true}`)})
			nextID++
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		if i%5 == 4 {
			t.Logf("%d kills so far", i+1)
		}
	}
	total := len(sim.Responses())
	cmd := startBin()
	began := time.Now()
	events := readTopic(t, addrs, topic, total, 5*time.Minute)
	caughtUp := time.Since(began)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	term := time.Now()
	if err := cmd.Wait(); err != nil {
		t.Errorf("the last run did not exit cleanly on SIGTERM: %v", err)
	}
	// Within a pod's default 30s grace period, with room to spare.
	if d := time.Since(term); d > 15*time.Second {
		t.Errorf("the last run took %v to exit after SIGTERM", d)
	}
	t.Logf("last run: caught up in %v, exited %v after SIGTERM", caughtUp.Round(time.Millisecond), time.Since(term).Round(time.Millisecond))
	verifyExactlyOnce(t, sim, events)
	checkPartitionOrder(t, events)
	t.Logf("%d SIGKILLs, %d responses (%d backlog, %d added while running), %d events read with read_committed: 0 lost, 0 duplicated",
		kills, total, backlog, total-backlog, len(events))
}

// checkPartitionOrder checks that within each partition the ids of the
// backlog (written in id order, one window after the other) ascend.
func checkPartitionOrder(t *testing.T, events []event) {
	t.Helper()
	last := map[int32]int{}
	for _, e := range events {
		id, err := strconv.Atoi(e.key.ID)
		if err != nil || id >= 2_000_000 {
			continue
		}
		if id <= last[e.partition] {
			t.Errorf("partition %d: id %d after %d", e.partition, id, last[e.partition])
		}
		last[e.partition] = id
	}
}
