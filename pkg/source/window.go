package source

import (
	"encoding/json"
	"fmt"
	"time"
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
// Memory is bounded by one window: a source halves a window that holds more
// records than it is willing to keep (see Halve).
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
}

// WindowCursor is the offset of a window-walking source.
type WindowCursor struct {
	// Watermark is the end of the last committed window: every record
	// stamped before it was read (records stamped at or after
	// Watermark − Overlap are read again and filtered through Seen).
	Watermark time.Time `json:"watermark"`
	// BackfillUntil is now − Lag at the very first poll: records stamped
	// at or before it are the initial backfill (op r, see Op).
	BackfillUntil time.Time `json:"backfill_until"`
	// Seen holds the records emitted at or after Watermark − Overlap.
	Seen []Seen `json:"seen,omitempty"`
}

// Seen names one emitted version of one record.
type Seen struct {
	ID   string    `json:"id"`
	Time time.Time `json:"t"`
}

// Window is the time range one poll reads, both ends inclusive at the
// API's granularity.
type Window struct {
	From, To time.Time
	// More is true when another full window is already waiting after this one.
	More bool
}

// Decode reads a WindowCursor from a committed offset. A nil offset gives
// the cursor of a source that has never committed, starting at w.Start.
func (w Windows) Decode(off Offset, now time.Time) (WindowCursor, error) {
	if len(off) == 0 {
		return WindowCursor{Watermark: w.Start, BackfillUntil: w.truncate(now.Add(-w.Lag))}, nil
	}
	var c WindowCursor
	if err := json.Unmarshal(off, &c); err != nil {
		return WindowCursor{}, fmt.Errorf("offset %s is not a window cursor: %w", string(off), err)
	}
	if c.Watermark.IsZero() {
		return WindowCursor{}, fmt.Errorf("offset %s has no watermark", string(off))
	}
	return c, nil
}

// Next returns the window to read after c at time now, and false when no
// time has passed the lag since the last window (nothing to read yet).
func (w Windows) Next(c WindowCursor, now time.Time) (Window, bool) {
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
	return Window{From: from, To: to, More: more}, true
}

// Halve returns win cut to its first half, and false when it is already as
// short as the API's granularity allows. The cut window leaves more waiting.
func (w Windows) Halve(win Window) (Window, bool) {
	half := w.truncate(win.From.Add(win.To.Sub(win.From) / 2))
	if !half.After(win.From) || !half.Before(win.To) {
		return win, false
	}
	win.To = half
	win.More = true
	return win, true
}

// Op is the operation of a new record stamped t, read in the window that
// follows c: a read (r) while the initial backfill is being caught up and
// the record is stamped before the first poll; a create (c) otherwise, so
// a late write found after the backfill is a create.
func (c WindowCursor) Op(t time.Time) Op {
	if c.Watermark.Before(c.BackfillUntil) && !t.After(c.BackfillUntil) {
		return OpRead
	}
	return OpCreate
}

// SeenSet indexes Seen for lookups while a window is read.
type SeenSet map[seenKey]struct{}

type seenKey struct {
	id string
	t  int64
}

// SeenSet returns the versions already emitted by earlier windows that
// overlap the next one.
func (c WindowCursor) SeenSet() SeenSet {
	s := make(SeenSet, len(c.Seen))
	for _, e := range c.Seen {
		s[seenKey{e.ID, e.Time.UnixNano()}] = struct{}{}
	}
	return s
}

// Has reports whether the version (id, t) was already emitted.
func (s SeenSet) Has(id string, t time.Time) bool {
	_, ok := s[seenKey{id, t.UnixNano()}]
	return ok
}

// Advance returns the cursor after window win has been read and the
// versions in emitted have been written. Seen keeps what the next window's
// overlap will read again.
func (w Windows) Advance(c WindowCursor, win Window, emitted []Seen) WindowCursor {
	keepFrom := win.To.Add(-w.Overlap)
	next := WindowCursor{Watermark: win.To, BackfillUntil: c.BackfillUntil}
	for _, list := range [][]Seen{c.Seen, emitted} {
		for _, s := range list {
			if !s.Time.Before(keepFrom) {
				next.Seen = append(next.Seen, Seen{ID: s.ID, Time: s.Time.UTC()})
			}
		}
	}
	return next
}

// Encode is the offset to commit for c.
func (c WindowCursor) Encode() Offset {
	b, err := json.Marshal(c)
	if err != nil {
		panic(fmt.Sprintf("source: window cursor does not marshal: %v", err))
	}
	return b
}

func (w Windows) truncate(t time.Time) time.Time {
	if w.Granularity <= 0 {
		return t.UTC()
	}
	return t.Truncate(w.Granularity).UTC()
}
