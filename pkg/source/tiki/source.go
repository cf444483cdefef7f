// Package tiki is the tiki_lead source: Tiki Tini App lead-form responses
// (GET /lead/customer-response/list), signed with Tiki's HMAC signature.
//
// The API lists newest first and has no forward cursor, so the source
// reads bounded time windows (the poll.Engine in window mode), walks each
// one backwards with lt_id until an empty page, and emits the window
// oldest first (by created_at, then integer id) in one batch. Form
// responses are never updated: every event is a create, or a read (op r)
// for the responses that existed before the source's first poll.
//
// Assumptions where Tiki's document is silent: from_time and to_time are
// treated as inclusive (an exclusive bound is covered by the overlap, which
// is at least one second); the end of a window is an empty page, never a
// short one, since vendors cap page sizes silently.
package tiki

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vnstream/connector/pkg/fetch"
	"github.com/vnstream/connector/pkg/poll"
	"github.com/vnstream/connector/pkg/source"
)

// Path is the list endpoint, below the base URL.
const Path = "/lead/customer-response/list"

// Source reads one Tiki app's lead forms: the polling engine in window
// mode over the list API.
type Source = poll.Engine

// New returns the source named name for cfg, sending requests through
// client.
func New(name string, cfg Settings, client *fetch.Client, opts ...poll.Option) *Source {
	return poll.NewWindowed(name, poll.WindowsFor(cfg.Windowing), &api{name: name, cfg: cfg, client: client, now: poll.Clock(opts)}, opts...)
}

// api is Tiki's list API as the engine reads it.
type api struct {
	name   string
	cfg    Settings
	client *fetch.Client
	now    func() time.Time
}

// Describe implements poll.API.
func (a *api) Describe(poll.Request) string { return "GET " + Path }

// Page implements poll.API: the page of req.Window below the id
// req.Token, newest first; the next page is below its lowest id, and an
// empty page ends the window.
func (a *api) Page(ctx context.Context, req poll.Request) (poll.Page, error) {
	recs, err := a.fetch(ctx, req.Window, req.Token)
	if err != nil || len(recs) == 0 {
		return poll.Page{}, err
	}
	items := poll.PageItems(len(recs))
	lowest := ""
	for i, rec := range recs {
		if rec.id != "" && (lowest == "" || source.CompareIDs(rec.id, lowest) < 0) {
			lowest = rec.id
		}
		items[i] = poll.Item{ID: rec.id, Raw: rec.raw, Err: rec.err}
		if rec.id != "" { // also for a record that goes to the dead-letter topic
			items[i].Key = &Key{ID: rec.id}
		}
		if v := rec.value; v != nil {
			items[i].Time, items[i].Created, items[i].Value = v.CreatedAt, v.CreatedAt, v
		}
	}
	if lowest == "" || (req.Token != "" && source.CompareIDs(lowest, req.Token) >= 0) {
		return poll.Page{}, &fetch.Error{Source: a.name, Request: a.Describe(req), Reason: fetch.ReasonCursor,
			Msg: fmt.Sprintf("lt_id=%s returned no lower id (lowest %q): paging does not advance", req.Token, lowest)}
	}
	return poll.Page{Items: items, More: true, Next: lowest}, nil
}

// fetch reads one page of win below lt (all of it when lt is empty).
func (a *api) fetch(ctx context.Context, win poll.Window, lt string) ([]decoded, error) {
	params := [][2]string{
		{"form_ids", strings.Join(a.cfg.FormIDs, ",")},
		{"size", strconv.Itoa(a.cfg.PageSize)},
		{"from_time", strconv.FormatInt(win.From.Unix(), 10)},
		{"to_time", strconv.FormatInt(win.To.Unix(), 10)},
	}
	if lt != "" {
		params = append(params, [2]string{"lt_id", lt})
	}
	query := Query(params)
	base := strings.TrimRight(a.cfg.BaseURL, "/")
	var recs []decoded
	err := a.client.DoJSON(ctx, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+Path+"?"+query, nil)
		if err != nil {
			return nil, err
		}
		ts := a.now().UnixMilli()
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Tiniapp-Client-Id", a.cfg.ClientID)
		req.Header.Set("X-Tiniapp-Timestamp", strconv.FormatInt(ts, 10))
		req.Header.Set("X-Tiniapp-Signature", Signature(a.cfg.ClientSecret.Value(), a.cfg.ClientID, ts, Path+"?"+query))
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
