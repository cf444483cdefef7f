package poll

import (
	"context"
	"errors"
	"math"
	"slices"
	"time"

	"github.com/vnstream/connector/pkg/source"
)

// errWindowFull is what walk returns once a window holds more versions
// than its limit; pollWindow then halves the window.
var errWindowFull = errors.New("window holds more versions than max_window_records")

// pollWindow reads the window that follows offset, halving it while it
// holds more than MaxRecords new versions (a window as short as the
// granularity is read whole whatever it holds), and returns its versions
// in write order with the cursor that follows them.
func (e *Engine) pollWindow(ctx context.Context, offset source.Offset) ([]source.Record, source.Offset, bool, error) {
	now := e.now()
	cur, err := e.windows.Decode(offset, now)
	if err != nil {
		return nil, offset, false, err
	}
	win, ok := e.windows.Next(cur, now)
	if !ok {
		return nil, offset, false, nil
	}
	vs := cur.Versions()
	items, err := e.walk(ctx, win, vs, e.windows.MaxRecords)
	for errors.Is(err, errWindowFull) {
		half, ok := e.windows.Halve(win)
		limit := e.windows.MaxRecords
		if !ok {
			limit = math.MaxInt
		}
		win = half
		items, err = e.walk(ctx, win, vs, limit)
	}
	if err != nil {
		return nil, offset, false, err
	}
	items = order(items, win)
	position := win.From.UTC().Format(time.RFC3339) + "/" + win.To.UTC().Format(time.RFC3339)
	records := make([]source.Record, len(items))
	emitted := make([]Seen, 0, len(items))
	for i := range items {
		it := &items[i]
		if it.known() {
			emitted = append(emitted, Seen{ID: it.ID, Time: it.Time})
		}
		records[i] = it.record(vs, position)
	}
	return records, e.windows.Advance(cur, win, emitted).Encode(), win.More, nil
}

// walk reads every page of win and returns the versions in it not yet
// emitted (those whose time is unreadable included); errWindowFull as
// soon as they are more than limit. A page guard ends paging that does
// not advance.
func (e *Engine) walk(ctx context.Context, win Window, vs *Versions, limit int) ([]Item, error) {
	var (
		out   []Item
		pages Pages
		req   = Request{Window: win}
	)
	for {
		p, err := e.api.Page(ctx, req)
		if err != nil {
			return nil, err
		}
		for _, it := range p.Items {
			if !it.Time.IsZero() && (it.Time.Before(win.From) || it.Time.After(win.To)) {
				continue // the vendor's filter is wider than asked
			}
			if it.known() && vs.Emitted(it.ID, it.Time) {
				continue
			}
			out = append(out, it)
		}
		if len(out) > limit {
			return nil, errWindowFull
		}
		if !p.More {
			return out, nil
		}
		if err := pages.Follow(p.Next, len(p.Items)); err != nil {
			return nil, e.cursorError(req, err.Error())
		}
		req.Token = p.Next
	}
}

// order sorts the versions read in win into write order: time (an
// unreadable time counts as the window's end), then id. A version served
// twice in one walk (the same id and time) is kept once, as last read.
// (A version with an older one in the window is an update: Versions.Op
// remembers the older one.)
func order(items []Item, win Window) []Item {
	at := func(it *Item) time.Time {
		if it.Time.IsZero() {
			return win.To
		}
		return it.Time
	}
	slices.SortStableFunc(items, func(a, b Item) int {
		if c := at(&a).Compare(at(&b)); c != 0 {
			return c
		}
		return source.OrderIDs(a.ID, b.ID)
	})
	out := items[:0]
	for i := range items {
		it := &items[i]
		if n := len(out); n > 0 && it.known() && out[n-1].known() && out[n-1].ID == it.ID && out[n-1].Time.Equal(it.Time) {
			out[n-1] = *it
			continue
		}
		out = append(out, *it)
	}
	return out
}
