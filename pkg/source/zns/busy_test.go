package zns_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/vnstream/connector/pkg/poll"
	"github.com/vnstream/connector/pkg/sim/fault"
	znssim "github.com/vnstream/connector/pkg/sim/zns"
	"github.com/vnstream/connector/pkg/source"
	"github.com/vnstream/connector/pkg/source/sourcetest"
	"github.com/vnstream/connector/pkg/source/zns"
)

// campaign is a Zalo campaign on a simulated clock: rate status changes a
// second (one in every newEvery a new message, the others updates of
// messages made so far), read by one source; it counts what the source
// wrote per version.
type campaign struct {
	rate, newEvery int
	clk            *sourcetest.Clock
	sim            *znssim.Sim
	src            *zns.Source
	rng            *rand.Rand
	ids            []string
	emitted        map[version]int
}

// version is one (id, update time) of a message.
type version struct {
	id string
	at time.Time
}

// newCampaign starts a campaign of 100 changes a second, half of them new
// messages, whose source has the windowing w and pages of pageSize, its
// backfill starting a minute before the clock.
func newCampaign(t *testing.T, w poll.Windowing, pageSize int) *campaign {
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	clk := sourcetest.NewClock(t0)
	w.StartTime, w.Window, w.MaxWindowRecords = t0.Add(-time.Minute), time.Hour, 100_000
	s, sim := newSource(t, znssim.InterITS, clk, setup{w: w, pageSize: pageSize})
	return &campaign{rate: 100, newEvery: 2, clk: clk, sim: sim, src: s, rng: rand.New(rand.NewPCG(7, 100)), emitted: map[version]int{}}
}

// second makes one second's changes, spread evenly, and moves the clock
// a second on.
func (c *campaign) second(t *testing.T) {
	at := c.clk.Now()
	for i := range c.rate {
		stamp := at.Add(time.Duration(i) * time.Second / time.Duration(c.rate))
		if i%c.newEvery == 0 || len(c.ids) < 100 {
			c.ids = append(c.ids, c.sim.Create(stamp).ID)
			continue
		}
		if _, err := c.sim.Update(c.ids[c.rng.IntN(len(c.ids))], stamp); err != nil {
			t.Fatal(err)
		}
	}
	c.clk.Add(time.Second)
}

// count counts the versions recs hold.
func (c *campaign) count(t *testing.T, recs []source.Record) {
	for _, r := range recs {
		if r.Err != nil {
			t.Fatalf("record %s: %v", r.Raw, r.Err)
		}
		m := r.Value.(*zns.Message)
		c.emitted[version{m.ID, m.UpdatedAt}]++
	}
}

// verify reads what is left after wait and checks that every version was
// written once at most and every message's latest version once.
func (c *campaign) verify(t *testing.T, off source.Offset, wait time.Duration) source.Offset {
	c.clk.Add(wait)
	recs, off := sourcetest.Drain(t, c.src, off)
	c.count(t, recs)
	twice := 0
	for v, n := range c.emitted {
		if n > 1 {
			if twice++; twice <= 5 {
				t.Errorf("message %s version %s written %d times", v.id, v.at.Format(time.RFC3339Nano), n)
			}
		}
	}
	for _, r := range c.sim.Records() {
		if c.emitted[version{r.ID, r.UpdatedAt}] == 0 {
			t.Fatalf("message %s: its latest version (%s) was never written", r.ID, r.UpdatedAt.Format(time.RFC3339Nano))
		}
	}
	if twice > 0 {
		t.Fatalf("%d versions written twice", twice)
	}
	return off
}

// TestCampaignOffsetStaysSmall runs a Zalo campaign for ten simulated
// minutes with the default 5-minute overlap and a poll a minute, at 100
// changes a second (half new messages) and at 500 (a tenth new). Every
// version the source could see is written once, the offset stays under
// 256 KiB and drops nothing.
func TestCampaignOffsetStaysSmall(t *testing.T) {
	for _, tc := range []struct{ rate, newEvery int }{{100, 2}, {500, 10}} {
		t.Run(fmt.Sprintf("%d changes a second", tc.rate), func(t *testing.T) {
			c := newCampaign(t, poll.Windowing{Overlap: 5 * time.Minute}, 1000)
			c.rate, c.newEvery = tc.rate, tc.newEvery
			var off source.Offset
			largest, dropped := 0, 0
			for second := range 600 {
				c.second(t)
				if second%60 != 59 {
					continue
				}
				var recs []source.Record
				recs, off = sourcetest.Drain(t, c.src, off)
				c.count(t, recs)
				largest, dropped = max(largest, len(off)), dropped+poll.SeenDropped(off)
			}
			off = c.verify(t, off, time.Minute)
			cur, err := poll.DecodeCursor(off)
			if err != nil {
				t.Fatal(err)
			}
			if dropped > 0 {
				t.Fatalf("%d versions dropped from the offset", dropped)
			}
			if largest > 256<<10 {
				t.Errorf("the largest offset was %d bytes, want under 256 KiB", largest)
			}
			t.Logf("%d messages, %d versions written once each over 10 simulated minutes; largest offset %d bytes (%d messages remembered at the end)",
				len(c.sim.Records()), len(c.emitted), largest, len(cur.Seen))
		})
	}
}

// pollCost runs a campaign read by a source polling every two seconds
// (as many polls as it asks for: a sweep in progress asks for more) with
// the given overlap, with a late write stamped half the overlap back
// every ten seconds, for the simulated minutes given; it returns the most
// requests one poll made, and the mean requests per two seconds over the
// last five minutes.
func pollCost(t *testing.T, overlap time.Duration, minutes int) (pollMax int, mean float64) {
	t.Helper()
	c := newCampaign(t, poll.Windowing{Lag: 2 * time.Second, Overlap: overlap}, 50)
	var off source.Offset
	ticks, requests := 0, 0
	for second := range minutes * 60 {
		if second%10 == 5 && second > 60 {
			c.ids = append(c.ids, c.sim.Create(c.clk.Now().Add(-overlap/2)).ID)
		}
		c.second(t)
		if second%2 == 0 {
			continue
		}
		sent := c.sim.Stats().Requests
		for more := true; more; {
			before := c.sim.Stats().Requests
			recs, next, m, err := c.src.Poll(context.Background(), off)
			if err != nil {
				t.Fatal(err)
			}
			if off != nil { // not the backfill
				pollMax = max(pollMax, c.sim.Stats().Requests-before)
			}
			c.count(t, recs)
			off, more = next, m
		}
		if second >= (minutes-5)*60 {
			ticks, requests = ticks+1, requests+c.sim.Stats().Requests-sent
		}
	}
	c.verify(t, off, overlap+time.Minute)
	return pollMax, float64(requests) / float64(ticks)
}

// TestPollCostFollowsChangesNotOverlap: a poll reads what changed since
// the last one, and the sweep reads each stamp once more, so requests do
// not grow with the overlap, and late writes are still found, once
// (pollCost checks every version).
func TestPollCostFollowsChangesNotOverlap(t *testing.T) {
	shortMax, short := pollCost(t, time.Minute, 8)
	longMax, long := pollCost(t, 5*time.Minute, 12)
	t.Logf("requests at 100 changes/s, pages of 50, a poll every 2s: overlap 1m: %.1f per 2s, at most %d in one poll; overlap 5m: %.1f per 2s, at most %d in one poll", short, shortMax, long, longMax)
	// The tail reads the 2s since the last poll and the tie second: 300
	// versions, 6 pages, and one more for a page boundary; the sweep at
	// most as many.
	if shortMax > 14 || longMax > 14 {
		t.Errorf("a poll made %d (overlap 1m) and %d (overlap 5m) requests, want at most 14", shortMax, longMax)
	}
	// The sweep adds each stamp once more: 200 versions, 4 pages.
	if long > 1.25*short || long > 12 {
		t.Errorf("%.1f requests per 2s with a 5m overlap against %.1f with 1m: want at most 12, and no more than a quarter above", long, short)
	}
}

// A walk whose page still fails after the client's five attempts
// resumes at that page on the next poll; after three failed resumes the
// window is read again from its first page. Every message is emitted
// once.
func TestFailedWalkResumesAtItsPage(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name          string
		failed        int // attempts at page 5 that fail
		failingPolls  int
		lastPollPages int
	}{
		{"resumed", 5, 1, 6},
		{"read again after three failed resumes", 20, 4, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := sourcetest.NewClock(t0.Add(5 * time.Minute))
			s, sim := newSource(t, znssim.InterITS, clk, setup{w: poll.Windowing{StartTime: t0}, pageSize: 10})
			for i := range 100 {
				sim.Create(t0.Add(time.Duration(i) * time.Second))
			}
			sim.FailNext(fault.None, 4)
			sim.FailNext(fault.ServerError, tc.failed)
			for range tc.failingPolls {
				if _, _, _, err := s.Poll(context.Background(), nil); err == nil {
					t.Fatal("a poll succeeded through a page that keeps failing")
				}
			}
			before := sim.Stats().Requests
			recs, _, _, err := s.Poll(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := sim.Stats().Requests - before; got != tc.lastPollPages {
				t.Errorf("the last poll made %d requests, want %d", got, tc.lastPollPages)
			}
			if len(recs) != 100 {
				t.Fatalf("%d records, want 100", len(recs))
			}
		})
	}
}
