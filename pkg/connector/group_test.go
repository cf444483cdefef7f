package connector_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/vnstream/connector/pkg/config"
	"github.com/vnstream/connector/pkg/connector"
	"github.com/vnstream/connector/pkg/kafka"
	tikisim "github.com/vnstream/connector/pkg/sim/tiki"
)

// feed adds perSecond new responses to each simulator, stamped now, until
// the returned stop.
func feed(sims []*tikisim.Sim, perSecond int) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, sim := range sims {
		wg.Go(func() {
			tick := time.NewTicker(time.Second / time.Duration(perSecond))
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
					sim.Create(formA, time.Now().UTC())
				}
			}
		})
	}
	return func() { cancel(); wg.Wait() }
}

// spreadConfig is testConfig with one tiki source per URL, named so that
// the sources land on different tasks (offsets-topic partitions).
func spreadConfig(t *testing.T, brokers []string, start time.Time, urls ...string) *config.Config {
	t.Helper()
	for attempt := 0; ; attempt++ {
		var srcs []tikiSource
		for i, u := range urls {
			srcs = append(srcs, tikiSource{name: fmt.Sprintf("tiki-%d-%d", i, attempt), url: u, start: start})
		}
		cfg := testConfig(t, brokers, nil, "", srcs...)
		tasks := map[int32]bool{}
		for _, s := range cfg.Sources {
			tasks[kafka.Task(kafka.OffsetKey(cfg.Name, s.Name), int(cfg.Kafka.OffsetsPartitions))] = true
		}
		if len(tasks) == min(len(urls), int(cfg.Kafka.OffsetsPartitions)) {
			return cfg
		}
	}
}

// TestTwoInstancesOneConfig is a stray second instance: A runs, B starts
// with the same configuration, the two overlap for TWO_INSTANCES_OVERLAP
// seconds (default 60) while new responses arrive, B stops, A goes on.
// The group splits the tasks between them while both run; every response
// is written exactly once.
func TestTwoInstancesOneConfig(t *testing.T) {
	t.Parallel()
	overlap := time.Duration(envInt(t, "TWO_INSTANCES_OVERLAP", 60)) * time.Second
	addrs := testBrokers(t)
	now := time.Now().UTC().Truncate(time.Second)
	var sims []*tikisim.Sim
	var urls []string
	for range 2 {
		sim, url := newSim(t, tikisim.WithPageCap(100))
		seed(sim, 2000, now, 20*time.Hour)
		sims, urls = append(sims, sim), append(urls, url)
	}
	cfg := spreadConfig(t, addrs, now.Add(-21*time.Hour), urls...)
	for i := range cfg.Sources {
		cfg.Sources[i].PollInterval = 100 * time.Millisecond
	}
	stopFeed := feed(sims, 10)
	var ca, cb committed
	a := start(t, cfg, connector.WithInstance("a"), ca.option())
	time.Sleep(8 * time.Second)
	b := start(t, cfg, connector.WithInstance("b"), cb.option())
	waitFor(t, "b to run a task", 30*time.Second, func() bool { return len(b.c.GroupStatus().Tasks) > 0 })
	time.Sleep(overlap)
	if cb.count() == 0 {
		t.Errorf("instance b committed nothing while it ran")
	}
	aDuring, bDuring := ca.count(), cb.count()
	b.stop(t)
	time.Sleep(10 * time.Second)
	stopFeed()
	for i, sim := range sims {
		total := len(sim.Responses())
		events := readTopic(t, addrs, cfg.Sources[i].Topic, total, 2*time.Minute)
		verifyExactlyOnce(t, sim, events)
	}
	a.stop(t)
	t.Logf("overlap %v: a committed %d events, b %d; a then ran alone", overlap, aDuring, bDuring)
	for _, s := range cfg.Sources {
		t.Logf("%s: task %d", s.Name, kafka.Task(kafka.OffsetKey(cfg.Name, s.Name), int(cfg.Kafka.OffsetsPartitions)))
	}
}
