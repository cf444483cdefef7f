package poll

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"
)

// pageFunc is an API that answers with a function.
type pageFunc func(req Request) (Page, error)

func (f pageFunc) Describe(req Request) string { return "keyset " + req.Token }

func (f pageFunc) Page(_ context.Context, req Request) (Page, error) { return f(req) }

// countedPages serves n whole pages of one record each, the record of
// page i stamped t0 + i seconds, then empty pages; Next is the page's
// number. It counts the pages served in served.
func countedPages(t0 time.Time, n int, served *int) pageFunc {
	return func(req Request) (Page, error) {
		*served++
		i := 0
		if req.Token != "" {
			i, _ = strconv.Atoi(req.Token)
		}
		if i >= n {
			return Page{Next: req.Token}, nil
		}
		at := t0.Add(time.Duration(i) * time.Second)
		return Page{Items: []Item{{ID: fmt.Sprint(i), Time: at, Created: at, Value: i}}, Next: strconv.Itoa(i + 1)}, nil
	}
}

// A keyset poll reads whole pages one after the other, at most
// keysetPages, and says more when it stopped at that bound.
func TestKeysetPagesPerPoll(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	now := t0.Add(time.Hour)
	served := 0
	e := NewKeyset("k", 2*time.Second, 50, countedPages(t0, keysetPages+5, &served), WithClock(func() time.Time { return now }))

	recs, off, more, err := e.Poll(context.Background(), nil)
	if err != nil || len(recs) != keysetPages || !more || served != keysetPages {
		t.Fatalf("first poll: %d records from %d pages, more %v, err %v; want %d records and more", len(recs), served, more, err, keysetPages)
	}
	if wm, _ := Watermark(off); !wm.Equal(t0.Add((keysetPages - 1) * time.Second)) {
		t.Fatalf("watermark %v after %d pages", wm, keysetPages)
	}
	recs, _, more, err = e.Poll(context.Background(), off)
	if err != nil || len(recs) != 5 || more || served != keysetPages+6 {
		t.Fatalf("second poll: %d records, %d pages served in all, more %v, err %v; want the last 5 and an empty page", len(recs), served, more, err)
	}
	if got := recs[0].Value; got != keysetPages {
		t.Fatalf("second poll starts at record %v, want %d", got, keysetPages)
	}
}

// Limit bounds a keyset poll to the full pages it holds, at least one,
// and the engine expects no more.
func TestKeysetLimitReadsFewerPages(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	now := t0.Add(time.Hour)
	const pageSize = 50
	for _, tc := range []struct{ limit, pages int }{{3*pageSize + 10, 3}, {10, 1}, {0, keysetPages}, {100 * pageSize, keysetPages}} {
		served := 0
		e := NewKeyset("k", 2*time.Second, pageSize, countedPages(t0, keysetPages+5, &served), WithClock(func() time.Time { return now }))
		e.Limit(tc.limit)
		if got := e.Expect(nil); got != tc.pages*pageSize {
			t.Errorf("limit %d: expects %d records, want %d pages' %d", tc.limit, got, tc.pages, tc.pages*pageSize)
		}
		recs, _, more, err := e.Poll(context.Background(), nil)
		if err != nil || len(recs) != tc.pages || !more || served != tc.pages {
			t.Errorf("limit %d: %d records from %d pages, more %v, err %v; want %d pages and more", tc.limit, len(recs), served, more, err, tc.pages)
		}
	}
}

// The engine keeps the JSON of the records that could not be converted,
// for the dead-letter topic, and lets go of the others' (and so of the
// pages' bodies).
func TestOnlyUnconvertedRecordsKeepTheirJSON(t *testing.T) {
	at := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	bad := errors.New("created_at is not a time")
	e := NewKeyset("k", 2*time.Second, 50, &watermarkPages{pages: []Page{{Items: []Item{
		{ID: "1", Time: at, Created: at, Value: 1, Raw: []byte(`{"id":1}`)},
		{ID: "2", Time: at, Raw: []byte(`{"id":2,"created_at":"x"}`), Err: bad},
	}}}}, WithClock(func() time.Time { return at.Add(time.Hour) }))
	recs, _, _, err := e.Poll(context.Background(), nil)
	if err != nil || len(recs) != 2 {
		t.Fatalf("%d records, err %v", len(recs), err)
	}
	if recs[0].Raw != nil || string(recs[1].Raw) != `{"id":2,"created_at":"x"}` || recs[1].Err != bad {
		t.Fatalf("Raw %q and %q (err %v); want none for the converted record, the JSON of the other", recs[0].Raw, recs[1].Raw, recs[1].Err)
	}
}

// When a later page fails after pages that held nothing new, the poll
// still returns the cursor they moved to, without an error; the next poll
// starts at the failed page and fails with its error.
func TestKeysetLaterPageFailsAfterNothingNew(t *testing.T) {
	at := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	down := errors.New("page 1 is down")
	next := "" // page 0 has no next page yet
	api := pageFunc(func(req Request) (Page, error) {
		if req.Token == "1" {
			return Page{}, down
		}
		return Page{Items: []Item{{ID: "a", Time: at, Created: at, Value: 1}}, Next: next}, nil
	})
	e := NewKeyset("k", 2*time.Second, 50, api, WithClock(func() time.Time { return at.Add(time.Hour) }))
	recs, off, more, err := e.Poll(context.Background(), nil)
	if err != nil || len(recs) != 1 || more {
		t.Fatalf("first poll: %d records, more %v, err %v; want a, and no next page yet", len(recs), more, err)
	}
	next = "1"
	recs, off, more, err = e.Poll(context.Background(), off)
	if err != nil || len(recs) != 0 || !more {
		t.Fatalf("second poll: %d records, more %v, err %v; want nothing new, more, no error", len(recs), more, err)
	}
	if c, err := DecodeCursor(off); err != nil || string(c.Next) != "1" {
		t.Fatalf("offset %s (%v): want the cursor moved to the failed page", off, err)
	}
	if _, _, _, err := e.Poll(context.Background(), off); !errors.Is(err, down) {
		t.Fatalf("third poll: err %v, want the failed page's", err)
	}
}

// A keyset page read again (cut by the lag) does not send a record whose
// version cannot be read to the dead-letter topic again, unless its JSON
// changed.
func TestKeysetUnreadableVersionIsEmittedOnce(t *testing.T) {
	at := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	now := at.Add(time.Minute)
	raw := `{"id":"c1","updatedAt":"x"}`
	api := pageFunc(func(Request) (Page, error) {
		return Page{Items: []Item{
			{ID: "a", Time: at, Created: at, Value: 1},
			{ID: "c1", Raw: []byte(raw), Err: errors.New("updatedAt is not a time")},
			{ID: "b", Time: now, Created: now, Value: 2}, // after the lag: the page is read again
		}, Next: "1"}, nil
	})
	e := NewKeyset("k", 2*time.Second, 50, api, WithClock(func() time.Time { return now }))
	var off []byte
	for i, want := range []int{2, 0, 1} {
		if i == 2 {
			raw = `{"id":"c1","updatedAt":"y"}`
		}
		recs, next, _, err := e.Poll(context.Background(), off)
		if err != nil || len(recs) != want {
			t.Fatalf("poll %d: %d records, err %v; want %d", i+1, len(recs), err, want)
		}
		off = next
	}
}
