package poll

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/vnstream/connector/pkg/source"
)

func TestWindows(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	w := Windows{Start: t0, Size: time.Hour, Lag: 10 * time.Second, Overlap: time.Minute, Granularity: time.Second}
	now := t0.Add(90 * time.Minute).Add(500 * time.Millisecond)

	cur, err := w.Decode(nil, now)
	if err != nil {
		t.Fatal(err)
	}
	if want := t0.Add(90*time.Minute - 10*time.Second); !cur.Watermark.Equal(t0) || !cur.BackfillUntil.Equal(want) {
		t.Fatalf("fresh cursor %+v, want watermark %v, backfill until %v", cur, t0, want)
	}
	win, ok := w.Next(cur, now)
	if !ok || !win.From.Equal(t0) || !win.To.Equal(t0.Add(time.Hour)) || !win.More {
		t.Fatalf("first window %+v", win)
	}
	emitted := []Seen{{"a", t0.Add(30 * time.Minute)}, {"b", t0.Add(59*time.Minute + 30*time.Second)}, {"c", t0.Add(time.Hour)}}
	cur = w.Advance(cur, win, emitted, now)
	// Read more than the overlap after its stamps, the window is swept:
	// only the tie second is read again.
	if len(cur.Seen) != 1 || cur.Seen[0].ID != "c" || !cur.Watermark.Equal(win.To) || !cur.Swept.Equal(win.To) {
		t.Fatalf("after the first window %+v: want it swept, c kept for the tie second", cur)
	}
	if vs := cur.Versions(); !vs.Emitted("c", t0.Add(time.Hour)) || vs.Emitted("c", t0.Add(time.Hour+time.Second)) || !vs.Emitted("c", t0) || vs.Emitted("d", t0.Add(time.Hour)) {
		t.Fatal("Emitted must hold the id's newest version and those before it, nothing else")
	}

	// The second window starts at the tie second and stops at now − lag;
	// what it reads less than the overlap ago is not swept.
	win, ok = w.Next(cur, now)
	if want := t0.Add(90*time.Minute - 10*time.Second); !ok || !win.From.Equal(t0.Add(time.Hour-time.Second)) || !win.To.Equal(want) || win.More {
		t.Fatalf("second window %+v", win)
	}
	late := t0.Add(80 * time.Minute)
	if got := cur.Versions().Op(late, late); got != source.OpRead {
		t.Errorf("a record from before the first poll, read during the backfill: op %s", got)
	}
	cur = w.Advance(cur, win, []Seen{{"d", t0.Add(89*time.Minute + 45*time.Second)}}, now)
	if got := cur.Versions().Op(late, late); got != source.OpCreate {
		t.Errorf("a late write found after the backfill: op %s", got)
	}
	if swept := t0.Add(89 * time.Minute); !cur.Swept.Equal(swept) || len(cur.Seen) != 1 || cur.Seen[0].ID != "d" {
		t.Fatalf("after the second window %+v: want swept up to now − overlap, %v, and d kept", cur, swept)
	}
	// The sweep waits for a step of a fifth of the overlap, then reads
	// from the swept point to now − overlap.
	if win, _, ok := w.Sweep(cur, now.Add(11*time.Second)); ok {
		t.Fatalf("a sweep of 11s is due: %+v", win)
	}
	sweep, token, ok := w.Sweep(cur, now.Add(40*time.Second))
	if !ok || token != "" || !sweep.From.Equal(cur.Swept) || !sweep.To.Equal(t0.Add(89*time.Minute+40*time.Second)) {
		t.Fatalf("sweep 40s later: %+v, %q, %v", sweep, token, ok)
	}
	// A page with more to follow: the sweep's place is in the cursor, and
	// the next poll goes on from it.
	going := w.AdvanceSweep(cur, sweep, "p2", false, []Seen{{"e", t0.Add(89*time.Minute + 10*time.Second)}})
	if going.Sweep == nil || going.Sweep.Token != "p2" || !going.Swept.Equal(cur.Swept) || len(going.Seen) != 2 {
		t.Fatalf("after a sweep page %+v: want the sweep at p2, nothing swept yet, d and e kept", going)
	}
	round, err := w.Decode(going.Encode(), now)
	if err != nil || round.Sweep == nil || round.Sweep.Token != "p2" || !round.Sweep.To.Equal(sweep.To) {
		t.Fatalf("a sweep in progress does not round trip: %+v, %v", round, err)
	}
	if again, token, ok := w.Sweep(round, now.Add(time.Hour)); !ok || token != "p2" || !again.To.Equal(sweep.To) || !again.From.Equal(sweep.From) {
		t.Fatalf("the sweep in progress: %+v, %q, %v", again, token, ok)
	}
	swept := w.AdvanceSweep(going, sweep, "", true, nil)
	if !swept.Swept.Equal(sweep.To) || swept.Sweep != nil || !swept.Watermark.Equal(cur.Watermark) || len(swept.Seen) != 1 || swept.Seen[0].ID != "d" {
		t.Fatalf("after the sweep %+v: want the swept point moved, the watermark kept, only d (e is behind the sweep)", swept)
	}
	if _, err := DecodeCursor(source.Offset(`{"watermark":"2026-01-01T01:00:00Z","backfill_until":"2026-01-01T00:00:00Z","sweep":{"to":"2026-01-01T00:00:00Z"}}`)); err == nil {
		t.Error("a sweep without a swept point before it was accepted")
	}
	// An offset committed before the sweep existed is swept up to an
	// overlap before its watermark.
	old, err := w.Decode(source.Offset(`{"watermark":"2026-01-01T01:00:00Z","backfill_until":"2026-01-01T00:00:00Z"}`), now)
	if err != nil || !old.Swept.Equal(t0.Add(59*time.Minute)) {
		t.Fatalf("an offset without swept: %+v, %v", old, err)
	}
	if _, ok := w.Next(cur, now.Add(400*time.Millisecond)); ok {
		t.Error("a window before the next second has passed the lag")
	}
	if win, ok := w.Next(cur, now.Add(time.Second)); !ok || !win.To.Equal(cur.Watermark.Add(time.Second)) {
		t.Errorf("one second later: %+v, %v", win, ok)
	}

	half, ok := w.Halve(Window{From: t0, Since: t0, To: t0.Add(3 * time.Second)})
	if !ok || !half.To.Equal(t0.Add(time.Second)) || !half.More {
		t.Fatalf("Halve = %+v", half)
	}
	if _, ok := w.Halve(Window{From: t0, Since: t0, To: t0.Add(time.Second)}); ok {
		t.Fatal("a one-second window was halved")
	}
	// The overlap reaches a minute behind the watermark: halving cuts the
	// new part only, so the watermark still moves forward.
	half, ok = w.Halve(Window{From: t0.Add(-time.Minute), Since: t0, To: t0.Add(2 * time.Second)})
	if !ok || !half.To.Equal(t0.Add(time.Second)) {
		t.Fatalf("Halve with overlap = %+v, %v", half, ok)
	}
	if _, ok := w.Halve(Window{From: t0.Add(-time.Minute), Since: t0, To: t0.Add(time.Second)}); ok {
		t.Fatal("a window with one new second was halved")
	}

	round, err = w.Decode(cur.Encode(), now)
	if err != nil || !round.Watermark.Equal(cur.Watermark) || !round.Swept.Equal(cur.Swept) || len(round.Seen) != len(cur.Seen) {
		t.Fatalf("Encode/Decode = %+v, %v", round, err)
	}
	for _, bad := range []string{`[]`, `{"seen":[]}`, `not json`} {
		if _, err := w.Decode(source.Offset(bad), now); err == nil {
			t.Errorf("Decode(%s) accepted", bad)
		}
	}
}

// listAPI serves items filtered by the request's window, two to a page,
// and records the windows asked for.
type listAPI struct {
	items  []Item
	walked []Window
}

func (l *listAPI) Describe(req Request) string { return "list " + req.Token }

func (l *listAPI) Page(_ context.Context, req Request) (Page, error) {
	if req.Token == "" {
		l.walked = append(l.walked, req.Window)
	}
	var in []Item
	for _, it := range l.items {
		if !it.Time.Before(req.Window.From) && !it.Time.After(req.Window.To) {
			in = append(in, it)
		}
	}
	from, _ := strconv.Atoi(req.Token)
	to := min(from+2, len(in))
	return Page{Items: in[from:to], More: to < len(in), Next: strconv.Itoa(to)}, nil
}

// The engine halves a window while its walk is full, never behind the
// watermark, and reads a one-second window whole.
func TestEngineHalves(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	w := Windows{Start: t0, Size: time.Hour, Overlap: time.Minute, Granularity: time.Second, MaxRecords: 3}
	cur := Cursor{Watermark: t0.Add(10 * time.Minute), Swept: t0.Add(10 * time.Minute), BackfillUntil: t0}
	dense := t0.Add(10*time.Minute + time.Second) // five versions in the second after the watermark
	api := &listAPI{}
	for i := range 5 {
		api.items = append(api.items, Item{ID: strconv.Itoa(i), Time: dense, Created: dense, Value: i})
	}
	now := t0.Add(2 * time.Hour)
	e := NewWindowed("s", w, api, WithClock(func() time.Time { return now }))
	recs, next, more, err := e.Poll(context.Background(), cur.Encode())
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeCursor(next)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 5 || !more || !got.Watermark.Equal(dense) {
		t.Fatalf("read %d records, more %v, watermark %v; want the one second after the watermark read whole", len(recs), more, got.Watermark)
	}
	for _, win := range api.walked {
		if !win.To.After(cur.Watermark) {
			t.Fatalf("walked %+v, ending at or before the watermark", win)
		}
	}
	now = cur.Watermark.Add(500 * time.Millisecond)
	if recs, next, _, err := e.Poll(context.Background(), cur.Encode()); len(recs) != 0 || string(next) != string(cur.Encode()) || err != nil {
		t.Fatalf("before a second has passed: %d records, offset %s, err %v", len(recs), next, err)
	}
}

// After halving, the engine reads the next windows at the halved length,
// so that records as dense do not fill a full window again at each poll,
// and doubles the length back to the window size where they thin out.
func TestEngineKeepsAHalvedWindowsLength(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	w := Windows{Start: t0, Size: time.Hour, Overlap: time.Minute, Granularity: time.Second, MaxRecords: 20}
	api := &listAPI{}
	add := func(at time.Time) {
		id := strconv.Itoa(len(api.items))
		api.items = append(api.items, Item{ID: id, Time: at, Created: at, Value: id})
	}
	for i := range 300 { // 5 hours of one a minute: 60 a full window
		add(t0.Add(time.Duration(i)*time.Minute + 30*time.Second))
	}
	for i := range 60 { // then 10 hours of one every 10 minutes
		add(t0.Add(5*time.Hour + time.Duration(i)*10*time.Minute + 30*time.Second))
	}
	now := t0.Add(16 * time.Hour)
	e := NewWindowed("s", w, api, WithClock(func() time.Time { return now }))
	var offset source.Offset
	seen := map[string]int{}
	polls := 0
	for more := true; more; polls++ {
		recs, next, m, err := e.Poll(context.Background(), offset)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			seen[r.Value.(string)]++
		}
		offset, more = next, m
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("record %s emitted %d times", id, n)
		}
	}
	if len(seen) != len(api.items) {
		t.Errorf("emitted %d records of %d", len(seen), len(api.items))
	}
	var lengths []time.Duration
	for _, win := range api.walked {
		lengths = append(lengths, win.To.Sub(win.Since))
	}
	// The first poll halves twice (60 a window, then 30, then 15); every
	// later poll walks one window.
	if len(api.walked) != polls+2 {
		t.Errorf("%d polls walked %d windows, %v; want two more, the first poll's halvings", polls, len(api.walked), lengths)
	}
	if got := lengths[3]; got != 15*time.Minute {
		t.Errorf("the second poll's window is %v long, want the halved 15m", got)
	}
	if got := lengths[len(lengths)-2]; got != time.Hour {
		t.Errorf("once the records thinned out the windows are %v long, want doubled back to 1h: %v", got, lengths)
	}
}

// Limit bounds the records a poll keeps below MaxRecords: the engine
// halves its windows down to it and expects no more, every record is
// emitted once, and once the limit is lifted the windows double back to
// the window size.
func TestEngineLimitHalvesWindows(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	w := Windows{Start: t0, Size: time.Hour, Overlap: time.Minute, Granularity: time.Second, MaxRecords: 1000}
	api := &listAPI{}
	for i := range 600 { // 10 hours of one a minute: 60 a full window
		at := t0.Add(time.Duration(i)*time.Minute + 30*time.Second)
		api.items = append(api.items, Item{ID: strconv.Itoa(i), Time: at, Created: at, Value: i})
	}
	now := t0.Add(11 * time.Hour)
	e := NewWindowed("s", w, api, WithClock(func() time.Time { return now }))
	const limit = 20
	e.Limit(limit)
	if got := e.Expect(nil); got != limit {
		t.Errorf("a backfill's first poll expects %d records under the limit, want %d", got, limit)
	}
	var offset source.Offset
	seen := map[int]int{}
	poll := func() (int, bool) {
		recs, next, more, err := e.Poll(context.Background(), offset)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			seen[r.Value.(int)]++
		}
		offset = next
		return len(recs), more
	}
	for len(seen) < 300 {
		if n, _ := poll(); n > limit {
			t.Fatalf("a poll kept %d records under a limit of %d", n, limit)
		}
	}
	e.Limit(0)
	most := 0
	for more := true; more; {
		var n int
		n, more = poll()
		most = max(most, n)
	}
	if most < 59 {
		t.Errorf("once the limit was lifted the polls kept at most %d records, want a full window's 60 (the windows doubled back)", most)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("record %d emitted %d times", id, n)
		}
	}
	if len(seen) != len(api.items) {
		t.Errorf("emitted %d records of %d", len(seen), len(api.items))
	}
}

// A record whose version cannot be read goes to the dead-letter topic
// once, not again from each poll whose tail overlap or sweep reads it;
// the versions around it are emitted once too.
func TestUnreadableVersionIsEmittedOnce(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	w := Windows{Start: t0, Size: 10 * time.Minute, Overlap: 5 * time.Minute, Granularity: time.Second, MaxRecords: 1000}
	type served struct {
		at time.Time // the vendor's own time, which its filter reads
		it Item
	}
	var list []served
	for i := range 20 {
		at := t0.Add(time.Duration(i)*time.Minute + 30*time.Second)
		list = append(list, served{at, Item{ID: strconv.Itoa(i), Time: at, Created: at, Value: i}})
	}
	bad := errors.New("updated_at is not a time")
	list = append(list,
		served{t0.Add(3 * time.Minute), Item{ID: "bad", Raw: []byte(`{"id":"bad","updated_at":"hôm qua"}`), Err: bad}},
		served{t0.Add(4 * time.Minute), Item{Raw: []byte(`{"id":[],"updated_at":"x"}`), Err: bad}})
	api := pageFunc(func(req Request) (Page, error) {
		var in []Item
		for _, s := range list {
			if !s.at.Before(req.Window.From) && !s.at.After(req.Window.To) {
				in = append(in, s.it)
			}
		}
		return Page{Items: in}, nil
	})
	now := t0.Add(time.Minute)
	e := NewWindowed("s", w, api, WithClock(func() time.Time { return now }))
	var offset source.Offset
	emitted := map[string]int{}
	for ; now.Before(t0.Add(40 * time.Minute)); now = now.Add(20 * time.Second) {
		recs, next, _, err := e.Poll(context.Background(), offset)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if r.Err != nil {
				emitted[string(r.Raw)]++
			} else {
				emitted[strconv.Itoa(r.Value.(int))]++
			}
		}
		offset = next
	}
	if len(emitted) != 22 {
		t.Errorf("emitted %d records, want 22: %v", len(emitted), emitted)
	}
	for rec, n := range emitted {
		if n != 1 {
			t.Errorf("%s emitted %d times", rec, n)
		}
	}
}
