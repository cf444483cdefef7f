// Package poll is the one polling engine every provider runs (engine.go):
// a provider supplies how to fetch one page (API) and the Engine does the
// rest, in window mode (walk.go) or keyset mode (keyset.go). Beside it:
// the offset a source commits and the c/u/r decision (cursor.go, its seen
// versions packed by pack.go, bounded by MaxSeen), the time windows with
// lag, overlap and halving (window.go, windowing.go: the settings
// providers embed), and the guard that keeps paging from looping
// (paging.go).
package poll

import (
	"time"

	"github.com/vnstream/connector/pkg/source"
)

// Windows walks a time-filtered list API in bounded windows without losing
// late writes or ties and without emitting a record twice (design §3):
//
//   - a window never ends after now − Lag, because a write stamped T can
//     become visible after T;
//   - each window starts Overlap before the previous one ended, so late
//     writes and records in the boundary second are read again;
//   - the offset remembers which (id, time) pairs were emitted inside the
//     overlap, so reading them again emits nothing.
//
// Memory is bounded by one window: the Engine halves a window that holds
// more than MaxRecords new versions (see Halve).
type Windows struct {
	// Start is where the initial backfill begins.
	Start time.Time
	// Size is the longest window one poll reads.
	Size time.Duration
	// Lag is how far behind now a window must end.
	Lag time.Duration
	// Overlap is how far each window reaches back before the previous end.
	Overlap time.Duration
	// Granularity is the resolution of the API's time filter (a second for
	// unix-second filters); window bounds are multiples of it.
	Granularity time.Duration
	// MaxRecords is the most new versions a walk keeps before the Engine
	// halves the window.
	MaxRecords int
}

// WindowsFor returns the Windows of a source's windowing settings, at the
// one-second resolution of every vendor's time filter.
func WindowsFor(c Windowing) Windows {
	return Windows{
		Start:       c.StartTime.UTC().Truncate(time.Second),
		Size:        c.Window,
		Lag:         c.Lag,
		Overlap:     c.Overlap,
		Granularity: time.Second,
		MaxRecords:  c.MaxWindowRecords,
	}
}

// Window is the time range one poll reads, both ends inclusive at the
// API's granularity.
type Window struct {
	From, To time.Time
	// Since is the watermark the window was cut from: what is stamped at
	// or after it is new, what lies between From and Since is the overlap.
	Since time.Time
	// More is true when another full window is already waiting after this one.
	More bool
}

// Decode reads the Cursor of a committed offset. A nil offset gives the
// cursor of a source that has never committed, starting at w.Start.
func (w Windows) Decode(off source.Offset, now time.Time) (Cursor, error) {
	if len(off) == 0 {
		return Cursor{Watermark: w.Start, BackfillUntil: w.truncate(now.Add(-w.Lag))}, nil
	}
	return DecodeCursor(off)
}

// Next returns the window to read after c at time now, and false when no
// time has passed the lag since the last window (nothing to read yet).
func (w Windows) Next(c Cursor, now time.Time) (Window, bool) {
	limit := w.truncate(now.Add(-w.Lag))
	if !limit.After(c.Watermark) {
		return Window{}, false
	}
	from := c.Watermark.Add(-w.Overlap)
	if from.Before(w.Start) {
		from = w.Start
	}
	to := c.Watermark.Add(w.Size)
	more := to.Before(limit)
	if !more {
		to = limit
	}
	return Window{From: from, To: to, Since: c.Watermark, More: more}, true
}

// Halve returns win cut to the first half of its new part (after Since),
// and false when that is already as short as the API's granularity
// allows. The cut window never ends at or before Since, so the watermark
// always moves forward; it leaves more waiting.
func (w Windows) Halve(win Window) (Window, bool) {
	half := w.truncate(win.Since.Add(win.To.Sub(win.Since) / 2))
	if !half.After(win.Since) || !half.Before(win.To) {
		return win, false
	}
	win.To = half
	win.More = true
	return win, true
}

// Advance returns the cursor after window win has been read and the
// versions in emitted have been written. Seen keeps what the next window's
// overlap will read again.
func (w Windows) Advance(c Cursor, win Window, emitted []Seen) Cursor {
	keepFrom := win.To.Add(-w.Overlap)
	next := Cursor{Watermark: win.To, BackfillUntil: c.BackfillUntil}
	for _, list := range [][]Seen{c.Seen, emitted} {
		for _, s := range list {
			if !s.Time.Before(keepFrom) {
				next.Seen = append(next.Seen, Seen{ID: s.ID, Time: s.Time.UTC()})
			}
		}
	}
	return next
}

func (w Windows) truncate(t time.Time) time.Time {
	if w.Granularity <= 0 {
		return t.UTC()
	}
	return t.Truncate(w.Granularity).UTC()
}
