package poll

import (
	"context"
	"testing"
	"time"

	"github.com/vnstream/connector/pkg/source"
)

func TestWatermark(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.FixedZone("ICT", 7*3600))
	many := make([]Seen, packAbove+1)
	for i := range many {
		many[i] = Seen{ID: string(rune('a' + i%26)), Time: t0.Add(time.Duration(i) * time.Second)}
	}
	for _, tt := range []struct {
		name string
		off  source.Offset
		want time.Time
		ok   bool
	}{
		{"window cursor", Cursor{Watermark: t0, BackfillUntil: t0.Add(-time.Hour)}.Encode(), t0.UTC(), true},
		{"packed seen", Cursor{Watermark: t0, Seen: many}.Encode(), t0.UTC(), true},
		{"keyset before the first page", Cursor{Watermark: time.Unix(0, 0).UTC(), Next: []byte(`[1742545330,6478]`)}.Encode(), time.Unix(0, 0).UTC(), true},
		{"written by hand", source.Offset(`{"watermark":"2026-03-01T08:00:00+07:00","backfill_until":"2026-03-01T00:00:00Z"}`), t0.UTC(), true},
		{"nil", nil, time.Time{}, false},
		{"no watermark", source.Offset(`{"seen":[]}`), time.Time{}, false},
		{"not a time", source.Offset(`{"watermark":"yesterday"}`), time.Time{}, false},
		{"not JSON", source.Offset(`garbage`), time.Time{}, false},
	} {
		got, ok := Watermark(tt.off)
		if ok != tt.ok || !got.Equal(tt.want) || (ok && got.Location() != time.UTC) {
			t.Errorf("%s: Watermark(%s) = %v, %v; want %v, %v", tt.name, tt.off, got, ok, tt.want, tt.ok)
		}
	}
}

// watermarkPages is a keyset API that serves its pages in turn and then
// empty pages that repeat the last cursor.
type watermarkPages struct{ pages []Page }

func (p *watermarkPages) Describe(req Request) string { return "keyset " + req.Token }

func (p *watermarkPages) Page(_ context.Context, req Request) (Page, error) {
	if len(p.pages) == 0 {
		return Page{Next: req.Token}, nil
	}
	pg := p.pages[0]
	p.pages = p.pages[1:]
	return pg, nil
}

// A caught-up keyset source keeps its watermark at the newest time it
// read while the vendor is quiet; its horizon moves on with the clock. A
// caught-up window source moves its watermark to the horizon.
func TestHorizon(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	now := t0.Add(time.Hour + 700*time.Millisecond)
	clock := WithClock(func() time.Time { return now })
	ctx := context.Background()

	read := t0.Add(30 * time.Minute)
	keyset := NewKeyset("k", 2*time.Second, 50, &watermarkPages{pages: []Page{
		{Items: []Item{{ID: "1", Time: read, Created: read, Value: 1}}, Next: `[1]`},
	}}, clock)
	if h := keyset.Horizon(); !h.Equal(now.Add(-2 * time.Second)) {
		t.Fatalf("keyset horizon %v, want now − lag", h)
	}
	_, off, more, err := keyset.Poll(ctx, nil)
	if wm, ok := Watermark(off); err != nil || more || !ok || !wm.Equal(read) {
		t.Fatalf("first page, then an empty one: watermark %v (%v), more %v, err %v", wm, ok, more, err)
	}
	now = now.Add(6 * time.Hour)
	horizon := keyset.Horizon()
	_, off, more, err = keyset.Poll(ctx, off)
	if wm, ok := Watermark(off); err != nil || more || !ok || !wm.Equal(read) || !horizon.After(wm) {
		t.Fatalf("quiet vendor: watermark %v (%v), more %v, err %v, horizon %v", wm, ok, more, err, horizon)
	}

	now = t0.Add(time.Hour + 700*time.Millisecond)
	w := Windows{Start: t0, Size: 2 * time.Hour, Lag: 10 * time.Second, Overlap: time.Minute, Granularity: time.Second}
	window := NewWindowed("w", w, &listAPI{}, clock)
	horizon = window.Horizon()
	if want := t0.Add(time.Hour - 10*time.Second); !horizon.Equal(want) {
		t.Fatalf("window horizon %v, want %v (now − lag, to the second)", horizon, want)
	}
	_, off, more, err = window.Poll(ctx, nil)
	if wm, ok := Watermark(off); err != nil || more || !ok || !wm.Equal(horizon) {
		t.Fatalf("window: watermark %v (%v), more %v, err %v; want the horizon %v", wm, ok, more, err, horizon)
	}
}

// Before a source's first poll, a window engine expects a whole window's
// MaxRecords from a backfill or a watermark a window or more behind, a
// share of them from one less behind, none from one caught up; a keyset
// engine cannot tell, and expects the most a poll may read.
func TestExpect(t *testing.T) {
	now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	clock := WithClock(func() time.Time { return now })
	w := Windows{Start: now.Add(-48 * time.Hour), Size: time.Hour, Lag: 2 * time.Second, Overlap: 5 * time.Minute, Granularity: time.Second, MaxRecords: 1000}
	e := NewWindowed("w", w, &watermarkPages{}, clock)
	horizon := e.Horizon()
	at := func(wm time.Time) source.Offset { return Cursor{Watermark: wm, Swept: wm.Add(-w.Overlap)}.Encode() }
	for _, tt := range []struct {
		name string
		off  source.Offset
		want int
	}{
		{"backfill", nil, 1000},
		{"a day behind", at(horizon.Add(-24 * time.Hour)), 1000},
		{"a window behind", at(horizon.Add(-time.Hour)), 1000},
		{"a quarter of a window behind", at(horizon.Add(-15 * time.Minute)), 250},
		{"a second behind", at(horizon.Add(-time.Second)), 1},
		{"caught up", at(horizon), 0},
		{"not an offset", source.Offset(`garbage`), 0},
	} {
		if got := e.Expect(tt.off); got != tt.want {
			t.Errorf("%s: Expect = %d, want %d", tt.name, got, tt.want)
		}
	}
	w.Start = horizon.Add(-30 * time.Minute)
	if got := NewWindowed("w", w, &watermarkPages{}, clock).Expect(nil); got != 500 {
		t.Errorf("backfill of half a window: Expect = %d, want 500", got)
	}
	if got := NewKeyset("k", 2*time.Second, 50, &watermarkPages{}, clock).Expect(nil); got != keysetPages*50 {
		t.Errorf("keyset: Expect = %d, want %d", got, keysetPages*50)
	}
}
