package connector_test

import (
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	tikisim "github.com/vnstream/connector/pkg/sim/tiki"
)

// freePort returns a loopback port nothing listens on (yet).
func freePort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

// startBroker starts kfake on port, keeping its data in dir ("" for memory).
func startBroker(t *testing.T, port int, dir string) *kfake.Cluster {
	t.Helper()
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.Ports(port)}
	if dir != "" {
		opts = append(opts, kfake.DataDir(dir), kfake.SyncWrites())
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestBrokerUnreachableAtStartup(t *testing.T) {
	port := freePort(t)
	addr := []string{"127.0.0.1:" + strconv.Itoa(port)}
	sim, url := newSim(t)
	now := time.Now().UTC().Truncate(time.Second)
	seed(sim, 300, now.Add(-time.Minute), 6*time.Hour)
	cfg := testConfig(t, addr, nil, "", tikiSource{name: "tiki-u", url: url, start: now.Add(-7 * time.Hour)})
	var got committed
	r := start(t, cfg, got.option())

	// No broker: the connector waits, not ready, and says why.
	time.Sleep(2 * time.Second)
	if code, _ := get(t, r.c.Handler(), "/readyz"); code != 503 || r.c.Ready() {
		t.Fatalf("/readyz = %d without a broker", code)
	}
	waitFor(t, "/status saying why it cannot start", 30*time.Second, func() bool {
		_, body := get(t, r.c.Handler(), "/status")
		return strings.Contains(body, `"start_error": `) && strings.Contains(body, "127.0.0.1:"+strconv.Itoa(port))
	})
	broker := startBroker(t, port, "")
	defer broker.Close()
	waitFor(t, "readiness once the broker is up", 60*time.Second, r.c.Ready)
	if _, body := get(t, r.c.Handler(), "/status"); strings.Contains(body, "start_error") {
		t.Fatalf("/status still has a start error once started:\n%s", body)
	}
	waitFor(t, "the events", 30*time.Second, func() bool { return got.count() >= 300 })
	r.stop(t)
	verifyExactlyOnce(t, sim, readTopic(t, addr, cfg.Sources[0].Topic, 300, 10*time.Second))
}

func TestBrokerRestartMidRun(t *testing.T) {
	port := freePort(t)
	dir := t.TempDir()
	addr := []string{"127.0.0.1:" + strconv.Itoa(port)}
	broker := startBroker(t, port, dir)
	sim, url := newSim(t, tikisim.WithPageCap(50))
	now := time.Now().UTC().Truncate(time.Second)
	seed(sim, 3000, now.Add(-time.Minute), 5*24*time.Hour)
	cfg := testConfig(t, addr, nil, "", tikiSource{name: "tiki-b", url: url, start: now.Add(-6 * 24 * time.Hour), window: "3h", pageSize: 50})
	var got committed
	r := start(t, cfg, got.option())
	waitFor(t, "some batches", 30*time.Second, func() bool { return got.count() > 200 })

	// Down for longer than the transaction timeout (10s): the commit in
	// flight gives up and aborts, and the source re-reads its offset.
	broker.Close()
	stoppedAt := got.count()
	for range 20 {
		sim.Create(formB, time.Now().UTC())
	}
	time.Sleep(12 * time.Second)
	broker = startBroker(t, port, dir)
	defer broker.Close()
	total := len(sim.Responses())
	events := readTopic(t, addr, cfg.Sources[0].Topic, total, 90*time.Second)
	r.stop(t)
	verifyExactlyOnce(t, sim, events)
	t.Logf("broker stopped after %d events, restarted 12s later; %d aborted transactions", stoppedAt,
		int(testutil.ToFloat64(r.c.Metrics().Transactions.WithLabelValues("tiki-b", "tiki_lead", "aborted"))))
}

func TestTransactionTimedOutByTheBroker(t *testing.T) {
	broker := newBroker(t)
	// Hold back the third EndTxn past the transaction timeout (1s): the
	// broker aborts the transaction and bumps the producer's epoch.
	var endTxns atomic.Int32
	broker.ControlKey(int16(kmsg.EndTxn), func(kmsg.Request) (kmsg.Response, error, bool) {
		broker.KeepControl()
		if endTxns.Add(1) == 3 {
			broker.SleepControl(func() { time.Sleep(2500 * time.Millisecond) })
		}
		return nil, nil, false
	})
	sim, url := newSim(t)
	now := time.Now().UTC().Truncate(time.Second)
	seed(sim, 1000, now.Add(-time.Minute), 24*time.Hour)
	cfg := testConfig(t, broker.ListenAddrs(), nil, "", tikiSource{name: "tiki-t", url: url, start: now.Add(-25 * time.Hour), window: "2h"})
	cfg.Kafka.TransactionTimeout = time.Second
	var got committed
	r := start(t, cfg, got.option())
	waitFor(t, "all responses despite the timed-out transaction", 60*time.Second, func() bool { return got.count() >= 1000 })
	r.stop(t)
	verifyExactlyOnce(t, sim, readTopic(t, broker.ListenAddrs(), cfg.Sources[0].Topic, 1000, 10*time.Second))
	if n := testutil.ToFloat64(r.c.Metrics().Transactions.WithLabelValues("tiki-t", "tiki_lead", "aborted")); n < 1 {
		t.Errorf("no aborted transaction counted (%d EndTxn seen)", endTxns.Load())
	}
}
