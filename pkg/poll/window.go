// Package poll is the one polling engine every provider runs (engine.go):
// a provider supplies how to fetch one page (API) and the Engine does the
// rest, in window mode (walk.go) or keyset mode (keyset.go). Beside it:
// the offset a source commits and the c/u/r decision (cursor.go, its seen
// versions packed by pack.go, bounded by MaxSeenBytes), the time windows with
// lag, overlap and halving (window.go, windowing.go: the settings
// providers embed), and the guard that keeps paging from looping
// (paging.go).
package poll

import (
	"time"

	"github.com/vnstream/connector/pkg/source"
)

// Windows walks a time-filtered list API in bounded windows without losing
// late writes or ties and without emitting a record twice (design §3).
// Each stamp is read twice, so a poll costs what changed since the last
// one, whatever the overlap:
//
//   - the tail (Next): a window from the watermark, less the tie second,
//     to now − Lag, because a write stamped T can become visible after T;
//   - the sweep (Sweep): a window that trails now by Overlap, reading each
//     stamp once more when it is Overlap old, so that a write that became
//     visible up to Overlap late is found; it is read a few pages a poll,
//     its position in the offset; a window of the tail read that late
//     (the backfill) counts as swept;
//   - the offset remembers, for each record read since the swept point,
//     the newest version emitted, so reading it again emits nothing.
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
	// Overlap is how late a write may become visible and still be read:
	// the sweep reads each stamp again once it is Overlap old.
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
		return Cursor{Watermark: w.Start, Swept: w.Start, BackfillUntil: w.truncate(now.Add(-w.Lag))}, nil
	}
	c, err := DecodeCursor(off)
	if err == nil && c.Swept.IsZero() { // an offset from before the sweep
		c.Swept = maxTime(w.Start, c.Watermark.Add(-w.Overlap))
	}
	return c, err
}

// Next returns the tail window to read after c at time now, and false
// when no time has passed the lag since the last window (nothing to read
// yet). It starts a tie second before the watermark: a write stamped in
// the watermark's second may have been made after the last window.
func (w Windows) Next(c Cursor, now time.Time) (Window, bool) {
	limit := w.truncate(now.Add(-w.Lag))
	if !limit.After(c.Watermark) {
		return Window{}, false
	}
	from := maxTime(w.Start, c.Watermark.Add(-w.tie()))
	to := c.Watermark.Add(w.Size)
	more := to.Before(limit)
	if !more {
		to = limit
	}
	return Window{From: from, To: to, Since: c.Watermark, More: more}, true
}

// Sweep returns the sweep window of c at time now and the token of its
// next page: the one in progress (Cursor.Sweep), or a new one from the
// swept point to where stamps are Overlap old (never past the watermark),
// at most Size long, when that is a sweep step (Overlap/5, at least the
// granularity) past the swept point, so that a quiet source sweeps every
// few polls, not on each one; false when none is due.
func (w Windows) Sweep(c Cursor, now time.Time) (Window, string, bool) {
	if c.Sweep != nil {
		return Window{From: c.Swept, To: c.Sweep.To, Since: c.Swept}, c.Sweep.Token, true
	}
	limit := w.truncate(now.Add(-w.Overlap))
	if c.Watermark.Before(limit) {
		limit = c.Watermark
	}
	if limit.Sub(c.Swept) < max(w.Granularity, w.Overlap/5) {
		return Window{}, "", false
	}
	to := minTime(limit, c.Swept.Add(w.Size))
	return Window{From: c.Swept, To: to, Since: c.Swept}, "", true
}

// tie is how far before the watermark the tail starts: the granularity,
// within the overlap.
func (w Windows) tie() time.Duration { return min(w.Granularity, w.Overlap) }

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

// Shorten returns win with its new part (after Since) cut to d, at the
// granularity, as Halve cuts it; win as it is when it is no longer than
// that or d is shorter than the granularity.
func (w Windows) Shorten(win Window, d time.Duration) Window {
	to := w.truncate(win.Since.Add(d))
	if !to.After(win.Since) || !to.Before(win.To) {
		return win
	}
	win.To = to
	win.More = true
	return win
}

// Advance returns the cursor after the tail window win has been read at
// time now and the versions in emitted have been written. A window that
// starts at or before the swept point, with no sweep in progress, and was
// read at least Overlap after a stamp sweeps that stamp too (the
// backfill, a source catching up).
func (w Windows) Advance(c Cursor, win Window, emitted []Seen, now time.Time) Cursor {
	next := Cursor{Watermark: win.To, Swept: c.Swept, Sweep: c.Sweep, BackfillUntil: c.BackfillUntil}
	if c.Sweep == nil && !win.From.After(c.Swept) {
		next.Swept = maxTime(c.Swept, minTime(win.To, w.truncate(now.Add(-w.Overlap))))
	}
	next.Seen = w.keep(next, c.Seen, emitted)
	return next
}

// AdvanceSweep returns the cursor after a page of the sweep window win has
// been read and the versions in emitted (late writes) have been written:
// the sweep goes on at the page token next, or, when that page was the
// last, the window is swept.
func (w Windows) AdvanceSweep(c Cursor, win Window, next string, last bool, emitted []Seen) Cursor {
	out := Cursor{Watermark: c.Watermark, Swept: c.Swept, Sweep: &Sweep{To: win.To, Token: next}, BackfillUntil: c.BackfillUntil}
	if last {
		out.Swept, out.Sweep = win.To, nil
	}
	out.Seen = w.keep(out, c.Seen, emitted)
	return out
}

// keep is the Seen of next: the newest version emitted of each record,
// among the old and just emitted, stamped where the tail or the sweep
// reads again.
func (w Windows) keep(next Cursor, old, emitted []Seen) []Seen {
	return newest(old, emitted, minTime(next.Swept, next.Watermark.Add(-w.tie())))
}

func (w Windows) truncate(t time.Time) time.Time {
	if w.Granularity <= 0 {
		return t.UTC()
	}
	return t.Truncate(w.Granularity).UTC()
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
