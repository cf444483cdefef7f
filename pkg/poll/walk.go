package poll

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"math"
	"slices"
	"time"

	"github.com/vnstream/connector/pkg/fetch"
	"github.com/vnstream/connector/pkg/source"
)

// errWindowFull is what walk returns once a window holds more versions
// than its limit; pollWindow then halves the window.
var errWindowFull = errors.New("window holds more versions than max_window_records")

// pollWindow reads the tail window after offset when one is due, then as
// many pages of the sweep (see Windows.Sweep) as the tail took requests,
// at least minSweepPages, and returns the versions read, the sweep's late writes
// then the tail's, each in write order, with the cursor that follows them. more
// is true while the tail or a sweep has more to read. A tail walk that
// fails (its page failed after the fetch client's retries) resumes at that
// page on the next poll from the same offset, instead of reading its
// window again from the first page; after maxResumes failed resumes, or
// when the vendor refused the page's cursor, the window is read again
// from its first page. The sweep resumes from its position in the offset.
func (e *Engine) pollWindow(ctx context.Context, offset source.Offset) ([]source.Record, source.Offset, bool, error) {
	wk := e.resume(offset)
	if wk == nil {
		wk = &walk{offset: offset, now: e.now()}
		cur, err := e.windows.Decode(offset, wk.now)
		if err != nil {
			return nil, offset, false, err
		}
		wk.cur = cur
		wk.win, wk.tail = e.windows.Next(cur, wk.now)
		if span := time.Duration(e.span.Load()); span > 0 {
			wk.win = e.windows.Shorten(wk.win, span)
		}
		wk.restart(e.maxRecords())
	}
	cur, more := wk.cur, false
	var records []source.Record
	if wk.tail {
		recs, emitted, err := e.read(ctx, wk, cur.Versions())
		if err != nil {
			if wk.resumes++; wk.resumes <= maxResumes && fetch.ReasonOf(err) != fetch.ReasonCursor {
				e.suspend(wk)
			}
			return nil, offset, false, err
		}
		records, more = recs, wk.win.More
		cur = e.windows.Advance(cur, wk.win, emitted, wk.now)
	}
	win, token, ok := e.windows.Sweep(cur, wk.now)
	if !ok {
		return records, cur.Encode(), more, nil
	}
	cur, late, err := e.sweep(ctx, cur, win, token, max(minSweepPages, wk.fetched))
	if err != nil && len(records) == 0 {
		return nil, offset, false, err
	}
	// A failed sweep page after a tail that found records: those are
	// committed, and the next poll asks for the page again. The late
	// writes go first: they are stamped before the tail's.
	if len(late) > 0 {
		records = append(late, records...)
	}
	return records, cur.Encode(), more || (err == nil && cur.Sweep != nil), nil
}

// sweep reads up to pages pages of the sweep window win from token, and
// returns the cursor after them and the versions found that cur has not
// emitted (late writes), in write order page by page.
func (e *Engine) sweep(ctx context.Context, cur Cursor, win Window, token string, pages int) (Cursor, []source.Record, error) {
	var (
		out   []source.Record
		guard Pages
		req   = Request{Window: win, Token: token}
	)
	vs := cur.Versions()
	for range pages {
		p, err := e.page(ctx, req)
		if err != nil {
			return cur, out, err
		}
		var items []Item
		for _, it := range p.Items {
			if it.fresh(win, vs) {
				items = append(items, it)
			}
		}
		freePages.Put(p.Items) // its length stays p's
		records, emitted := emit(items, win, vs)
		out = append(out, records...)
		vs.remember(emitted)
		if p.More {
			if err := guard.Follow(p.Next, len(p.Items)); err != nil {
				return cur, out, e.cursorError(req, err.Error())
			}
		}
		cur = e.windows.AdvanceSweep(cur, win, p.Next, !p.More, emitted)
		if !p.More {
			break
		}
		req.Token = p.Next
	}
	return cur, out, nil
}

// walk is a tail window being read: where it stands, so that a failed
// walk can resume.
type walk struct {
	offset source.Offset // the offset the poll started from
	cur    Cursor        // offset, decoded
	now    time.Time     // when the walk started
	tail   bool          // whether a tail window is due
	win    Window
	limit  int     // the most new versions before the window is halved
	req    Request // the next page to fetch
	pages  Pages
	items  []Item // the new versions read so far
	// fetched counts the pages read; resumes the polls this walk failed in.
	fetched, resumes int
}

// minSweepPages is the fewest sweep pages a poll reads when one is due:
// enough that a long sweep does not take a poll (and an offset decoded
// and encoded) per page, few enough that the tail is not kept waiting
// (a second at the default five requests a second).
const minSweepPages = 5

// maxResumes is how many times a failed walk resumes before its window
// is read again from the first page.
const maxResumes = 3

// restart sets wk to read its window from the first page, keeping at
// most limit new versions.
func (wk *walk) restart(limit int) {
	wk.limit, wk.req, wk.pages, wk.items = limit, Request{Window: wk.win}, Pages{}, nil
}

// suspend keeps the failed walk wk for the next poll.
func (e *Engine) suspend(wk *walk) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.suspended = wk
}

// resume returns the walk that failed from offset, or nil.
func (e *Engine) resume(offset source.Offset) *walk {
	e.mu.Lock()
	defer e.mu.Unlock()
	wk := e.suspended
	e.suspended = nil
	if wk == nil || !bytes.Equal(wk.offset, offset) {
		return nil
	}
	return wk
}

// read walks wk's window to its end, halving it while it holds more than
// MaxRecords new versions, or the Limit when lower (a window as short as
// the granularity is read whole whatever it holds), and returns its new
// versions in write order as records, and what a later poll must skip
// (see emit).
//
// The next windows keep the length a halved one was read at, and double
// it after each window that kept less than half of that bound, up to
// Size: records as dense as those that filled a window would otherwise
// fill the next full one too, read and thrown away at each poll. (A
// backfill of 16,500 Tiki records a window of 10,000 read each record
// 2.3 times before.)
func (e *Engine) read(ctx context.Context, wk *walk, vs *Versions) ([]source.Record, []Seen, error) {
	err := e.walk(ctx, wk, vs)
	halved, most := false, e.maxRecords()
	for errors.Is(err, errWindowFull) {
		half, ok := e.windows.Halve(wk.win)
		limit := most
		if !ok {
			limit = math.MaxInt
		}
		wk.win, halved = half, true
		wk.restart(limit)
		err = e.walk(ctx, wk, vs)
	}
	if err != nil {
		return nil, nil, err
	}
	span := time.Duration(e.span.Load())
	switch {
	case halved:
		span = wk.win.To.Sub(wk.win.Since)
	case span > 0 && len(wk.items) < most/2:
		if span *= 2; span >= e.windows.Size {
			span = 0
		}
	}
	e.span.Store(int64(span))
	e.kept.Store(int32(min(len(wk.items), math.MaxInt32)))
	records, emitted := emit(wk.items, wk.win, vs)
	freeWalks.Put(wk.items)
	wk.items = nil
	return records, emitted, nil
}

// emit puts items, the new versions read in win, in write order, and
// returns them as records and what a later poll must skip: the versions
// among them that are known, and the marks of the others, stamped at the
// window's end, which a poll reading the record again (its real time is
// within win) starts at or before.
func emit(items []Item, win Window, vs *Versions) ([]source.Record, []Seen) {
	written := order(items, win)
	position := win.From.UTC().Format(time.RFC3339) + "/" + win.To.UTC().Format(time.RFC3339)
	records := make([]source.Record, len(written))
	emitted := make([]Seen, 0, len(written))
	for n, i := range written {
		it := &items[i]
		emitted = append(emitted, it.seen(win.To))
		records[n] = it.record(vs, position)
	}
	return records, emitted
}

// walk reads the pages of wk's window from wk.req to the last, keeping
// in wk the versions not yet emitted (those whose time is unreadable
// included); errWindowFull as soon as they are more than wk.limit. A page
// guard ends paging that does not advance.
func (e *Engine) walk(ctx context.Context, wk *walk, vs *Versions) error {
	win := wk.win
	for {
		p, err := e.page(ctx, wk.req)
		if err != nil {
			return err
		}
		wk.fetched++
		if wk.items == nil && len(p.Items) > 0 {
			// As many as the last walk kept: growing the slice a page at
			// a time copied each window's items about twice.
			wk.items = freeWalks.Take(max(len(p.Items), int(e.kept.Load())))
		}
		for _, it := range p.Items {
			if it.fresh(win, vs) {
				wk.items = append(wk.items, it)
			}
		}
		freePages.Put(p.Items) // its length stays p's
		if len(wk.items) > wk.limit {
			return errWindowFull
		}
		if !p.More {
			return nil
		}
		if err := wk.pages.Follow(p.Next, len(p.Items)); err != nil {
			return e.cursorError(wk.req, err.Error())
		}
		wk.req.Token = p.Next
	}
}

// fresh reports whether it is to be emitted from win: its time is
// unreadable or within win (the vendor's filter may be wider than asked),
// and its version was not emitted before (nor, when it cannot be read,
// its mark).
func (it *Item) fresh(win Window, vs *Versions) bool {
	inside := it.Time.IsZero() || (!it.Time.Before(win.From) && !it.Time.After(win.To))
	return inside && !it.seenIn(vs)
}

// order returns the indexes of items, the versions read in win, in
// write order: time (an unreadable time counts as the window's end), then
// id. A version served twice in one walk (the same id and time) is kept
// once, as last read. (A version with an older one in the window is an
// update: Versions.Op remembers the older one.) It sorts indexes rather
// than the items themselves: an Item is 136 bytes, and moving them was 7 %
// of the connector's CPU in cmd/bench's Tiki run.
func order(items []Item, win Window) []int32 {
	at := func(it *Item) time.Time {
		if it.Time.IsZero() {
			return win.To
		}
		return it.Time
	}
	written := make([]int32, len(items))
	for i := range written {
		written[i] = int32(i)
	}
	slices.SortFunc(written, func(i, j int32) int {
		a, b := &items[i], &items[j]
		if c := at(a).Compare(at(b)); c != 0 {
			return c
		}
		if c := source.OrderIDs(a.ID, b.ID); c != 0 {
			return c
		}
		return cmp.Compare(i, j) // as read
	})
	out := written[:0]
	for _, i := range written {
		it := &items[i]
		if n := len(out); n > 0 {
			if last := &items[out[n-1]]; it.known() && last.known() && last.ID == it.ID && last.Time.Equal(it.Time) {
				out[n-1] = i
				continue
			}
		}
		out = append(out, i)
	}
	return out
}
