// Package nhanh is the nhanh_conversation source: the conversations of
// Nhanh.vn vPage (POST /v3.0/conversation/list?appId=..&businessId=..,
// header Authorization: <access token>).
//
// The API has no time filter: it pages with an opaque keyset cursor
// (paginator.next, [updatedAt, internal id] in the document's example)
// over conversations sorted by updatedAt ascending. A conversation moves
// to the end of that order each time it changes, so resuming from the
// stored cursor sees every change. The source reads one page per poll and
// never moves its cursor past now − lag (see Source.Poll).
//
// Assumptions where Nhanh's document is silent:
//   - next is stored as given (whitespace compacted) and sent back as
//     given; the source never looks inside it. null or a missing next means
//     there is no page after this one.
//   - A failed answer has code other than 1, an errorCode string and
//     messages that may be a string, an array or an object. The errorCodes
//     ERR_INVALID_ACCESS_TOKEN, ERR_EXPIRED_ACCESS_TOKEN,
//     ERR_INVALID_APP_ID and ERR_INVALID_BUSINESS_ID are auth errors
//     (fetch.ReasonAuth); any other code is a fetch.ReasonVendor error.
//   - Only strict JSON is accepted: the document's example has a trailing
//     comma, which is a decode error (fetch.ReasonDecode).
//   - "data": null is an empty page, like []; an answer with code 1 and no
//     data at all is a decode error.
//   - Times are unix seconds (a JSON number, or a numeric string).
//   - The fields both of the document's examples carry are required; a
//     conversation without one of them, or with a field of the wrong type,
//     goes to the dead-letter topic rather than being guessed.
//     assignedGroupId, lastSeenMessageAt, isFromLive and pagePostId are
//     optional (each is missing from one example).
//   - Ids (id, pageId, pageUserId, pagePostId, assignedGroupId) may come as
//     strings or integers; an integer's digits are kept exactly.
//   - The sort key is sent as "updatedAt" (the example's name; the
//     document's table says updatedTime).
//   - Nhanh serves only a conversation's current version: once a newer
//     version of an id has been seen, an older one is never served again.
//   - The end of the data is an empty page or a null next, never a short
//     page (vendors cap page sizes silently): after any page that moved
//     the cursor the source polls again at once (more = true).
package nhanh

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/vnstream/connector/pkg/fetch"
	"github.com/vnstream/connector/pkg/poll"
	"github.com/vnstream/connector/pkg/source"
)

// Source reads the conversations of one Nhanh business.
type Source struct {
	name   string
	cfg    Settings
	client *fetch.Client
	url    string
	now    func() time.Time
}

// Option tunes a Source.
type Option func(*Source)

// WithClock replaces time.Now, for tests: it places the lag.
func WithClock(now func() time.Time) Option { return func(s *Source) { s.now = now } }

// New returns the source named name for cfg, sending requests through
// client. cfg is used as given (config applies the defaults: page size 50,
// lag 2s).
func New(name string, cfg Settings, client *fetch.Client, opts ...Option) *Source {
	s := &Source{name: name, cfg: cfg, client: client, url: listURL(cfg), now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Poll implements source.Source. It reads one page per call, from the
// keyset cursor in the offset (poll.Cursor.Next), oldest update first:
//
//  1. A nil offset starts the initial backfill: Watermark is the Unix
//     epoch and BackfillUntil is now − lag, truncated to the second;
//     versions stamped at or before it are emitted as op r.
//  2. It requests the page after Cursor.Next (the first page when it is
//     empty). cut = now − lag: a write stamped T can become visible after
//     T, so nothing later than cut is emitted yet.
//  3. It walks the page in order and stops at the first conversation
//     updated after cut: it and all after it wait for a later poll. It
//     skips the versions already emitted (id and updatedAt in
//     Cursor.Seen) and emits the others with Time = updatedAt and op r, c
//     or u (poll.Versions.Op, from the watermark). A conversation that
//     cannot be converted becomes a Record with Err (and Key when its id
//     is readable); when its updatedAt is unreadable it counts as before
//     cut, so paging goes on, and when its id and updatedAt are readable it is
//     remembered in Seen like an emitted version.
//  4. When the whole page was read (nothing after cut), the page was not
//     empty and Nhanh sent a next cursor, the source adopts next as given:
//     Watermark becomes the latest updatedAt read, Seen keeps the versions
//     stamped at or after it, and more is true: the end of the data is an
//     empty page or a null next, never a short page. A next equal to the cursor
//     just requested is a fetch.ReasonCursor error: paging would not
//     advance.
//  5. Otherwise (the page was cut by the lag, or next was null) the cursor
//     stays where it was, so the next poll reads the same page again;
//     Seen gains the versions just emitted, which that re-read skips.
//     more is false: the rest is not ready yet.
//
// In both 4 and 5, Seen keeps only the newest version of each id: Nhanh
// never serves an older version of a conversation again, and the id alone
// is enough for the c/u decision. An empty page never loops: more is
// false, and when it carries a next different from the one requested
// (no data lies between them) the source adopts it, watermark and Seen
// unchanged. Each poll holds one page in memory.
func (s *Source) Poll(ctx context.Context, offset source.Offset) ([]source.Record, source.Offset, bool, error) {
	now := s.now()
	cut := now.Add(-s.cfg.Lag)
	cur, err := decodeOffset(offset, cut)
	if err != nil {
		return nil, nil, false, err
	}
	pg, err := s.fetch(ctx, cur.Next)
	if err != nil {
		return nil, nil, false, err
	}
	if len(pg.data) == 0 {
		if pg.next != nil && !bytes.Equal(pg.next, cur.Next) {
			cur.Next = json.RawMessage(pg.next)
		}
		return nil, cur.Encode(), false, nil
	}

	vs := cur.Versions(cur.Watermark)
	at := position(cur.Next)
	records := make([]source.Record, 0, len(pg.data))
	emitted := make([]poll.Seen, 0, len(pg.data))
	latest := cur.Watermark
	whole := true
	for i, raw := range pg.data {
		c := decodeConversation(raw)
		known := !c.updated.IsZero()
		if known && c.updated.After(cut) {
			whole = false
			break
		}
		if known && c.updated.After(latest) {
			latest = c.updated
		}
		remember := known && c.id != ""
		if remember && vs.Emitted(c.id, c.updated) {
			continue
		}
		rec := source.Record{Op: source.OpCreate, Time: c.updated, Position: fmt.Sprintf("%s row=%d", at, i), Raw: json.RawMessage(c.raw), Err: c.err}
		if c.id != "" {
			rec.Key = &Key{ID: c.id}
		}
		if v := c.value; v != nil {
			rec.Value = v
			rec.Op = vs.Op(v.ID, v.CreatedAt, v.UpdatedAt)
		}
		if remember {
			emitted = append(emitted, poll.Seen{ID: c.id, Time: c.updated})
		}
		records = append(records, rec)
	}

	if !whole || pg.next == nil {
		cur.Seen = newest(cur.Seen, emitted, time.Time{})
		return records, cur.Encode(), false, nil
	}
	if bytes.Equal(pg.next, cur.Next) {
		return nil, nil, false, &fetch.Error{Source: s.name, Request: s.describe(cur.Next), Reason: fetch.ReasonCursor,
			Msg: fmt.Sprintf("a page of %d conversations returned the requested cursor as its next: paging does not advance", len(pg.data))}
	}
	next := poll.Cursor{Watermark: latest, BackfillUntil: cur.BackfillUntil, Next: json.RawMessage(pg.next)}
	next.Seen = newest(cur.Seen, emitted, latest)
	return records, next.Encode(), true, nil
}

// decodeOffset reads the cursor of offset, or starts the backfill for a
// nil offset. The stored next is compacted, so it compares with the one a
// page returns.
func decodeOffset(offset source.Offset, cut time.Time) (poll.Cursor, error) {
	if len(offset) == 0 {
		return poll.Cursor{Watermark: time.Unix(0, 0).UTC(), BackfillUntil: cut.Truncate(time.Second).UTC()}, nil
	}
	cur, err := poll.DecodeCursor(offset)
	if err != nil {
		return poll.Cursor{}, err
	}
	if len(cur.Next) > 0 {
		cur.Next = json.RawMessage(compact(cur.Next))
	}
	return cur, nil
}

// newest returns the versions of old and emitted stamped at or after from,
// keeping only the newest version of each id, in UTC.
func newest(old, emitted []poll.Seen, from time.Time) []poll.Seen {
	at := make(map[string]time.Time, len(old)+len(emitted))
	order := make([]string, 0, len(old)+len(emitted))
	for _, list := range [][]poll.Seen{old, emitted} {
		for _, e := range list {
			if e.Time.Before(from) {
				continue
			}
			t, ok := at[e.ID]
			if !ok {
				order = append(order, e.ID)
			}
			if !ok || e.Time.After(t) {
				at[e.ID] = e.Time.UTC()
			}
		}
	}
	out := make([]poll.Seen, 0, len(order))
	for _, id := range order {
		out = append(out, poll.Seen{ID: id, Time: at[id]})
	}
	return out
}

// position renders the cursor a page was read from, for Record.Position.
func position(next json.RawMessage) string {
	if len(next) == 0 {
		return "next=none"
	}
	return "next=" + string(next)
}

// describe names the request for errors: method, URL (appId and
// businessId, no secret) and the cursor sent.
func (s *Source) describe(next json.RawMessage) string {
	return "POST " + s.url + " (" + position(next) + ")"
}

// fetch reads the page after next.
func (s *Source) fetch(ctx context.Context, next json.RawMessage) (page, error) {
	body, err := requestBody(s.cfg, next)
	if err != nil {
		return page{}, &fetch.Error{Source: s.name, Request: s.describe(next), Reason: fetch.ReasonCursor, Msg: "building the request body", Err: err}
	}
	var pg page
	err = s.client.DoJSON(ctx, func(ctx context.Context) (*http.Request, error) {
		return newRequest(ctx, s.url, s.cfg.AccessToken, body)
	}, func(resp []byte) (err error) {
		pg, err = parsePage(resp)
		var ve *vendorError
		if errors.As(err, &ve) {
			reason := fetch.ReasonVendor
			if ve.auth() {
				reason = fetch.ReasonAuth
			}
			return fetch.Refused(reason, ve)
		}
		return err
	})
	if err != nil {
		return page{}, fetch.Describe(err, s.describe(next))
	}
	return pg, nil
}
