package poll

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/vnstream/connector/pkg/source"
)

// pollKeyset reads pages from the keyset cursor in the offset
// (Cursor.Next), oldest update first, while each is read whole, at most
// e.keysetPages():
//
//  1. A nil offset starts the initial backfill: Watermark is the Unix
//     epoch and BackfillUntil is now − lag, truncated to the second;
//     versions stamped at or before it are emitted as op r.
//  2. It requests the page after Cursor.Next (the first page when it is
//     empty). cut = now − lag: a write stamped T can become visible after
//     T, so nothing later than cut is emitted yet.
//  3. It walks the page in order and stops at the first record updated
//     after cut: it and all after it wait for a later poll. It skips the
//     versions already emitted (in Cursor.Seen) and emits the others with
//     op r, c or u (Versions.Op, from the watermark). A record whose time
//     is unreadable counts as before cut, so paging goes on; when its id
//     and time are readable it is remembered in Seen like an emitted
//     version, otherwise by its mark (Item.seen), stamped cut.
//  4. When the whole page was read (nothing after cut), the page was not
//     empty and the API sent a next cursor, the engine adopts it as given:
//     Watermark becomes the latest time read, Seen keeps the versions
//     stamped at or after it, and it reads the next page (more is true
//     after the last page a poll may read): the end of the data is an
//     empty page or no next, never a short page. A next equal to the
//     cursor just requested is a fetch.ReasonCursor error: paging would
//     not advance.
//  5. Otherwise (the page was cut by the lag, or there is no next) the
//     cursor stays where it was, so the next poll reads the same page
//     again; Seen gains the versions just emitted, which that re-read
//     skips. The poll ends with more false: the rest is not ready yet.
//
// In both 4 and 5, Seen keeps only the newest version of each id: a keyset
// API serves a record's current version only, at its place in the update
// order, so the id alone is enough for the c/u decision. An empty page
// ends the poll and never loops: more is false, and when it carries a next
// different from the one requested (no data lies between them) the engine
// adopts it, watermark and Seen unchanged. A page that fails after the
// first ends the poll with the pages before it and their cursor, more
// true: those are committed, and the next poll asks for the failed page
// again (its error is the poll's when it fails first). Each poll holds at
// most e.keysetPages() pages in memory.
func (e *Engine) pollKeyset(ctx context.Context, offset source.Offset) ([]source.Record, source.Offset, bool, error) {
	cut := e.now().Add(-e.lag)
	cur, err := e.decodeKeyset(offset, cut)
	if err != nil {
		return nil, nil, false, err
	}
	var out []source.Record
	for i := range e.keysetPages() {
		records, next, more, err := e.keysetPage(ctx, cur, cut)
		if err != nil {
			if i == 0 {
				return nil, nil, false, err
			}
			// The pages before are committed (or, when they held nothing
			// new, their cursor kept); the next poll asks for this one
			// again.
			return out, cur.Encode(), true, nil
		}
		out, cur = append(out, records...), next
		if !more {
			return out, cur.Encode(), false, nil
		}
	}
	return out, cur.Encode(), true, nil
}

// keysetPages is the most pages one keyset poll reads, one transaction.
// A transaction per page of 50 (Nhanh's cap) cost more than the page: on
// cmd/bench's nhanh_conversation run, 20 pages a poll instead of one took
// 12.3 instead of 15.2 µs of CPU per record and 13.4 instead of 20.2 s.
const keysetPages = 20

// keysetPage reads the page after cur's cursor, as pollKeyset describes,
// and returns its records and the cursor after them.
func (e *Engine) keysetPage(ctx context.Context, cur Cursor, cut time.Time) ([]source.Record, Cursor, bool, error) {
	req := Request{Token: string(cur.Next)}
	pg, err := e.page(ctx, req)
	if err != nil {
		return nil, cur, false, err
	}
	defer freePages.Put(pg.Items)
	if len(pg.Items) == 0 {
		if pg.Next != "" && pg.Next != req.Token {
			cur.Next = json.RawMessage(pg.Next)
		}
		return nil, cur, false, nil
	}

	vs := cur.Versions()
	at := "next=none"
	if req.Token != "" {
		at = "next=" + req.Token
	}
	records := make([]source.Record, 0, len(pg.Items))
	emitted := make([]Seen, 0, len(pg.Items))
	latest := cur.Watermark
	whole := true
	for i := range pg.Items {
		it := &pg.Items[i]
		known := !it.Time.IsZero()
		if known && it.Time.After(cut) {
			whole = false
			break
		}
		if known && it.Time.After(latest) {
			latest = it.Time
		}
		if it.seenIn(vs) {
			continue
		}
		emitted = append(emitted, it.seen(cut))
		records = append(records, it.record(vs, fmt.Sprintf("%s row=%d", at, i)))
	}

	if !whole || pg.Next == "" {
		cur.Seen = newest(cur.Seen, emitted, time.Time{})
		return records, cur, false, nil
	}
	if pg.Next == req.Token {
		return nil, cur, false, e.cursorError(req, fmt.Sprintf("a page of %d records returned the requested cursor as its next: paging does not advance", len(pg.Items)))
	}
	next := Cursor{Watermark: latest, BackfillUntil: cur.BackfillUntil, Next: json.RawMessage(pg.Next)}
	next.Seen = newest(cur.Seen, emitted, latest)
	return records, next, true, nil
}

// decodeKeyset reads the cursor of offset, or starts the backfill for a
// nil offset. The stored next is compacted, so it compares with the one a
// page returns (Page.Next is compact JSON).
func (e *Engine) decodeKeyset(offset source.Offset, cut time.Time) (Cursor, error) {
	if len(offset) == 0 {
		return Cursor{Watermark: time.Unix(0, 0).UTC(), BackfillUntil: cut.Truncate(time.Second).UTC()}, nil
	}
	cur, err := DecodeCursor(offset)
	if err != nil {
		return Cursor{}, err
	}
	if len(cur.Next) > 0 {
		var b bytes.Buffer
		if err := json.Compact(&b, cur.Next); err != nil {
			return Cursor{}, fmt.Errorf("offset %s: next: %w", quoteOffset(offset), err)
		}
		cur.Next = b.Bytes()
	}
	return cur, nil
}

// newest returns the versions of old and emitted stamped at or after from,
// keeping only the newest version of each id, in UTC.
func newest(old, emitted []Seen, from time.Time) []Seen {
	lists, n := [][]Seen{old, emitted}, 0
	for _, list := range lists {
		for _, s := range list {
			if !s.Time.Before(from) {
				n++
			}
		}
	}
	// Sized for those kept: a backfill window emits thousands of versions
	// and keeps the last second's.
	at := make(map[string]time.Time, n)
	order := make([]string, 0, n)
	for _, list := range lists {
		for _, s := range list {
			if s.Time.Before(from) {
				continue
			}
			t, ok := at[s.ID]
			if !ok {
				order = append(order, s.ID)
			}
			if !ok || s.Time.After(t) {
				at[s.ID] = s.Time.UTC()
			}
		}
	}
	out := make([]Seen, 0, len(order))
	for _, id := range order {
		out = append(out, Seen{ID: id, Time: at[id]})
	}
	return out
}
