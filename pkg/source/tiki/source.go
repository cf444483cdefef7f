// Package tiki is the tiki_lead source: Tiki Tini App lead-form responses
// (GET /lead/customer-response/list), signed with Tiki's HMAC signature.
//
// The API lists newest first and has no forward cursor, so the source
// reads bounded time windows (poll.Windows), walks each one backwards
// with lt_id until an empty page, and emits the window oldest first (by
// integer id) in one batch. Form responses are never updated: every event
// is a create, or a read (op r) for the responses that existed before the
// source's first poll.
//
// Assumptions where Tiki's document is silent: from_time and to_time are
// treated as inclusive (an exclusive bound is covered by the overlap, which
// is at least one second); the end of a window is an empty page, never a
// short one, since vendors cap page sizes silently.
package tiki

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vnstream/connector/pkg/fetch"
	"github.com/vnstream/connector/pkg/poll"
	"github.com/vnstream/connector/pkg/source"
)

// Path is the list endpoint, below the base URL.
const Path = "/lead/customer-response/list"

// Source reads one Tiki app's lead forms.
type Source struct {
	name    string
	cfg     Settings
	client  *fetch.Client
	windows poll.Windows
	now     func() time.Time
}

// Option tunes a Source.
type Option func(*Source)

// WithClock replaces time.Now, for tests.
func WithClock(now func() time.Time) Option { return func(s *Source) { s.now = now } }

// New returns the source named name for cfg, sending requests through client.
func New(name string, cfg Settings, client *fetch.Client, opts ...Option) *Source {
	s := &Source{
		name:    name,
		cfg:     cfg,
		client:  client,
		windows: poll.WindowsFor(cfg.Windowing),
		now:     time.Now,
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Poll implements source.Source: it reads the next window after offset.
func (s *Source) Poll(ctx context.Context, offset source.Offset) ([]source.Record, source.Offset, bool, error) {
	read, ok, err := poll.ReadWindow(ctx, s.windows, offset, s.now(), s.walk)
	if err != nil || !ok {
		return nil, offset, false, err
	}
	win, vs, got := read.Window, read.Versions, read.Found
	slices.SortFunc(got, func(a, b walked) int { return source.CompareIDs(a.id, b.id) })

	position := win.From.Format(time.RFC3339) + "/" + win.To.Format(time.RFC3339)
	records := make([]source.Record, 0, len(got))
	emitted := make([]poll.Seen, 0, len(got))
	for _, w := range got {
		rec := source.Record{Op: source.OpCreate, Position: position, Raw: json.RawMessage(w.raw), Err: w.err}
		if w.id != "" { // also for a record that goes to the dead-letter topic
			rec.Key = &Key{ID: w.id}
		}
		if w.value != nil {
			rec.Op = vs.Op(w.value.ID, w.value.CreatedAt, w.value.CreatedAt)
			rec.Value = w.value
			rec.Time = w.value.CreatedAt
			emitted = append(emitted, poll.Seen{ID: w.value.ID, Time: w.value.CreatedAt})
		}
		records = append(records, rec)
	}
	return records, s.windows.Advance(read.Cursor, win, emitted).Encode(), win.More, nil
}

type walked struct {
	id string
	response
}

// walk reads every response in win, newest first, page by page with lt_id,
// and returns those not yet emitted; poll.ErrWindowFull when more than limit.
func (s *Source) walk(ctx context.Context, win poll.Window, vs *poll.Versions, limit int) ([]walked, error) {
	var out []walked
	lt := ""
	for {
		recs, err := s.fetch(ctx, win, lt)
		if err != nil {
			return nil, err
		}
		if len(recs) == 0 {
			return out, nil
		}
		lowest := ""
		for _, rec := range recs {
			id, r := rec.id, rec.response
			if id != "" && (lowest == "" || source.CompareIDs(id, lowest) < 0) {
				lowest = id
			}
			if r.value != nil {
				t := r.value.CreatedAt
				if t.Before(win.From) || t.After(win.To) || vs.Emitted(id, t) {
					continue
				}
			}
			out = append(out, walked{id: id, response: r})
		}
		if lowest == "" || (lt != "" && source.CompareIDs(lowest, lt) >= 0) {
			return nil, &fetch.Error{Source: s.name, Request: "GET " + Path, Reason: fetch.ReasonCursor,
				Msg: fmt.Sprintf("lt_id=%s returned no lower id (lowest %q): paging does not advance", lt, lowest)}
		}
		lt = lowest
		if len(out) > limit {
			return nil, poll.ErrWindowFull
		}
	}
}

// fetch reads one page of win below lt (all of it when lt is empty).
func (s *Source) fetch(ctx context.Context, win poll.Window, lt string) ([]decoded, error) {
	params := [][2]string{
		{"form_ids", strings.Join(s.cfg.FormIDs, ",")},
		{"size", strconv.Itoa(s.cfg.PageSize)},
		{"from_time", strconv.FormatInt(win.From.Unix(), 10)},
		{"to_time", strconv.FormatInt(win.To.Unix(), 10)},
	}
	if lt != "" {
		params = append(params, [2]string{"lt_id", lt})
	}
	query := Query(params)
	base := strings.TrimRight(s.cfg.BaseURL, "/")
	var recs []decoded
	err := s.client.DoJSON(ctx, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+Path+"?"+query, nil)
		if err != nil {
			return nil, err
		}
		ts := s.now().UnixMilli()
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Tiniapp-Client-Id", s.cfg.ClientID)
		req.Header.Set("X-Tiniapp-Timestamp", strconv.FormatInt(ts, 10))
		req.Header.Set("X-Tiniapp-Signature", Signature(s.cfg.ClientSecret.Value(), s.cfg.ClientID, ts, Path+"?"+query))
		return req, nil
	}, func(body []byte) (err error) {
		recs, err = decodePage(body)
		return err
	})
	if err != nil {
		return nil, err
	}
	return recs, nil
}
