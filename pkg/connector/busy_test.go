package connector_test

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vnstream/connector/pkg/connector"
)

// busyMade is one version the busy test made, and when.
type busyMade struct {
	v    version
	made time.Time
}

// busyLog is every version the busy test made, per key, in order.
type busyLog struct {
	mu    sync.Mutex
	byKey map[string][]busyMade
	ids   []string
	total int
}

// add logs v, made at made; the test updates only records added with
// updatable.
func (l *busyLog) add(v version, made time.Time, updatable bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.byKey[v.key]; !ok && updatable {
		l.ids = append(l.ids, v.id)
	}
	l.byKey[v.key] = append(l.byKey[v.key], busyMade{v, made})
	l.total++
}

// TestBusyAccounts runs each updating provider at 100 changes a second
// (20 new records and 80 updates of 2,000 and more), for BUSY_SECONDS
// (default 20), with an overlap of 10s; the window providers also get a
// late write, stamped 6.7s back (behind the tail: only the sweep finds
// it), every two seconds.
// The source polls every 2s with a lag of 1s. Every version that stayed
// current for at least twice the poll interval plus the lag (5s) must be
// in the topic exactly once, in order, with its op, and every late write
// too (the test does not change those records again); versions changed again sooner may be
// missing (the vendor no longer serves them), never twice or out of
// order. The largest offset committed must stay under 256 KiB.
func TestBusyAccounts(t *testing.T) {
	seconds := 20
	if v := os.Getenv("BUSY_SECONDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			t.Fatalf("BUSY_SECONDS=%q: want a positive number of seconds", v)
		}
		seconds = n
	}
	for _, c := range changeCases() {
		t.Run(c.kind, func(t *testing.T) {
			t.Parallel()
			testBusy(t, c, time.Duration(seconds)*time.Second)
		})
	}
}

func testBusy(t *testing.T, c changeCase, load time.Duration) {
	const (
		pollInterval = 2 * time.Second
		lag          = time.Second
		overlap      = 10 * time.Second
		mustLive     = 2*pollInterval + lag
	)
	addrs := testBrokers(t)
	sim, section, env := c.newSim(t, 20)
	now := time.Now().UTC().Truncate(time.Second)
	windowed := strings.Contains(section, "overlap: 5s")
	section = strings.ReplaceAll(section, "overlap: 5s", "overlap: "+overlap.String())
	cfg := changeConfig(t, addrs, env, changeSource{name: "src", kind: c.kind, section: strings.ReplaceAll(section, "{{start}}", now.Add(-time.Minute).Format(time.RFC3339))})
	cfg.Sources[0].PollInterval = pollInterval
	topic := cfg.Sources[0].Topic

	var (
		mu      sync.Mutex
		largest int
		dropped int
		written int
		log     = busyLog{byKey: map[string][]busyMade{}}
		late    = map[string]bool{}
	)
	// 2,000 records before the first poll (op r), so that most updates
	// leave a version current for a while.
	backfilled := map[string]bool{}
	for i := range 2000 {
		v := sim.create(t, now.Add(-30*time.Second+time.Duration(i)*10*time.Millisecond))
		log.add(v, now, true)
		backfilled[v.key] = true
	}
	var r *running
	defer func() { r.stop(t) }()
	r = start(t, cfg, connector.WithOnCommit(func(b connector.Batch) {
		mu.Lock()
		largest = max(largest, len(b.Offset))
		written += b.Events
		dropped += strings.Count(string(b.Offset), `"seen_dropped"`)
		mu.Unlock()
	}))
	// The load starts once the backfill is committed: what is made after
	// it is c or u, never r (read by the backfill).
	waitFor(t, "the backfill", time.Minute, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return written >= 2000
	})
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	end := time.Now().Add(load)
	for n := 0; time.Now().Before(end); n++ {
		<-tick.C
		at := time.Now()
		for range 2 {
			log.add(sim.create(t, at), at, true)
		}
		for i := range 8 {
			log.mu.Lock()
			id := log.ids[(n*8+i)*7919%len(log.ids)]
			log.mu.Unlock()
			log.add(sim.update(t, id, time.Now()), time.Now(), true)
		}
		if windowed && n%20 == 10 {
			v := sim.create(t, at.Add(-overlap*2/3))
			log.add(v, at, false)
			late[v.key] = true
		}
	}
	ended := time.Now()
	// The sweep reads the last stamps once they are an overlap old.
	time.Sleep(overlap + 2*time.Second)
	r.stop(t)

	// What must be there: every version that stayed current for mustLive.
	must := 0
	for _, vs := range log.byKey {
		for i, m := range vs {
			next := ended
			if i+1 < len(vs) {
				next = vs[i+1].made
			}
			if next.Sub(m.made) >= mustLive {
				must++
			}
		}
	}
	got := map[string][]changeEvent{}
	all := readChanges(t, c, addrs, topic, written)
	if len(all) != written {
		t.Fatalf("read %d events, the connector committed %d", len(all), written)
	}
	for _, e := range all {
		got[e.key] = append(got[e.key], e)
	}
	bad := 0
	report := func(format string, args ...any) {
		if bad++; bad <= 10 {
			t.Errorf(format, args...)
		}
	}
	found := 0
	for key, vs := range log.byKey {
		evs := got[key]
		j := 0 // the next version an event may be
		for k, e := range evs {
			ts, _ := e.after[c.updatedField].(time.Time)
			i := j
			for i < len(vs) && !vs[i].v.updated.Truncate(time.Millisecond).Equal(ts) {
				i++
			}
			if i == len(vs) {
				report("%s event %d (%s@%v): not a version made after the previous event's (twice, or out of order)", key, k, e.op, ts)
				break
			}
			want := "u"
			switch {
			case i == 0 && backfilled[key]:
				want = "r"
			case i == 0:
				want = "c"
			}
			if e.op != want {
				report("%s version %d: op %s, want %s", key, i, e.op, want)
			}
			if k > 0 && e.offset <= evs[k-1].offset {
				report("%s event %d: out of order in its partition", key, k)
			}
			j = i + 1
		}
		for i, m := range vs {
			next := ended
			if i+1 < len(vs) {
				next = vs[i+1].made
			}
			written := false
			for _, e := range evs {
				if ts, _ := e.after[c.updatedField].(time.Time); ts.Equal(m.v.updated.Truncate(time.Millisecond)) {
					written = true
				}
			}
			switch {
			case written:
				found++
			case late[key] && i == 0:
				report("%s: the late write stamped %v is missing", key, m.v.updated)
			case next.Sub(m.made) >= mustLive:
				report("%s version %d (current for %v) is missing", key, i, next.Sub(m.made).Round(time.Millisecond))
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d problems over %d events for %d versions of %d records", bad, len(all), log.total, len(log.byKey))
	}
	if largest > 256<<10 || dropped > 0 {
		t.Fatalf("largest offset %d bytes (want under 256 KiB), %d offsets dropped versions", largest, dropped)
	}
	t.Logf("%s: %d versions of %d records in %v (%d late writes); %d written exactly once, in order, all %d that stayed current %v; largest offset %d bytes",
		c.kind, log.total, len(log.byKey), load, len(late), found, must, mustLive, largest)
}
