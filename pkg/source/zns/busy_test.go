package zns_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/vnstream/connector/pkg/poll"
	znssim "github.com/vnstream/connector/pkg/sim/zns"
	"github.com/vnstream/connector/pkg/source"
	"github.com/vnstream/connector/pkg/source/sourcetest"
	"github.com/vnstream/connector/pkg/source/zns"
)

// TestCampaignOf100ChangesASecond runs a Zalo campaign for ten simulated
// minutes: 100 status changes a second (half new messages, half updates),
// the default 5-minute overlap, a poll a minute. Every version the
// source could see is written once, the offset stays far below the
// broker's 1 MB message limit and drops nothing.
func TestCampaignOf100ChangesASecond(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	clk := sourcetest.NewClock(t0)
	s, sim := newSource(t, znssim.InterITS, clk, setup{
		w:        poll.Windowing{StartTime: t0.Add(-time.Minute), Window: time.Hour, Overlap: 5 * time.Minute, MaxWindowRecords: 100_000},
		pageSize: 1000,
	})
	rng := rand.New(rand.NewPCG(7, 100))
	type version struct {
		id string
		at time.Time
	}
	emitted := map[version]int{}
	var ids []string
	var off source.Offset
	largest, dropped := 0, 0
	for second := range 600 {
		at := clk.Now()
		for i := range 100 {
			stamp := at.Add(time.Duration(i) * 10 * time.Millisecond)
			if i%2 == 0 || len(ids) < 100 {
				ids = append(ids, sim.Create(stamp).ID)
				continue
			}
			if _, err := sim.Update(ids[rng.IntN(len(ids))], stamp); err != nil {
				t.Fatal(err)
			}
		}
		clk.Add(time.Second)
		if second%60 != 59 {
			continue
		}
		var recs []source.Record
		recs, off = sourcetest.Drain(t, s, off)
		for _, r := range recs {
			if r.Err != nil {
				t.Fatalf("record %s: %v", r.Raw, r.Err)
			}
			m := r.Value.(*zns.Message)
			emitted[version{m.ID, m.UpdatedAt}]++
		}
		largest, dropped = max(largest, len(off)), dropped+poll.SeenDropped(off)
	}
	clk.Add(time.Minute)
	recs, off := sourcetest.Drain(t, s, off)
	for _, r := range recs {
		m := r.Value.(*zns.Message)
		emitted[version{m.ID, m.UpdatedAt}]++
	}
	twice := 0
	for v, n := range emitted {
		if n > 1 {
			if twice++; twice <= 5 {
				t.Errorf("message %s version %s written %d times", v.id, v.at.Format(time.RFC3339Nano), n)
			}
		}
	}
	for _, r := range sim.Records() {
		if emitted[version{r.ID, r.UpdatedAt}] == 0 {
			t.Fatalf("message %s: its latest version (%s) was never written", r.ID, r.UpdatedAt.Format(time.RFC3339Nano))
		}
	}
	cur, err := poll.DecodeCursor(off)
	if err != nil {
		t.Fatal(err)
	}
	if twice > 0 || dropped > 0 {
		t.Fatalf("%d versions written twice, %d dropped from the offset", twice, dropped)
	}
	if largest > 1<<20/2 {
		t.Errorf("the largest offset was %d bytes, want under half the broker's 1 MB limit", largest)
	}
	t.Logf("%d messages, %d versions written once each over 10 simulated minutes; largest offset %d bytes (%d versions remembered at the end)",
		len(sim.Records()), len(emitted), largest, len(cur.Seen))
}
