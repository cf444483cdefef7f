// Package nxlink is the nxlink_customer source: the CDP customers of one
// NXCLOUD nxlink tenant (POST /saas/cdp/openapi/customers/query), signed
// with NXCLOUD's md5 sign header (see Sign).
//
// Customers change, so the source is the poll.Engine in window mode: it
// reads bounded windows of update time (one-second granularity), each
// asked for with start_time/end_time and walked in id order with the `after` keyset
// cursor (limit = page_size, default 50), then emitted in write order
// (updated_at, then id) in one batch. A version already emitted in an
// earlier window's overlap is skipped; a customer seen before comes out as
// an update (op u). A window holding more than max_window_records new
// versions is halved; when the second just past the last window's end
// holds more, that second is read whole.
//
// Customer ids and tenant ids are read as 64-bit integers from their
// digits, never through float64. customize_field, a JSON document inside
// a string, is kept exactly; tags, an array of objects, is kept byte for
// byte as JSON text; members the schema does not know go to extra_json.
// Members are matched by their exact documented names.
//
// Assumptions where nxlink's document is silent:
//   - start_time and end_time filter on updated_at, both ends inclusive,
//     at one-second resolution (an exclusive bound is covered by the
//     overlap, which is at least one second). They, and the zone-less
//     created_at/updated_at ("2024-07-19T17:29:27"), are in the configured
//     time_zone (in a zone with daylight saving time, the repeated hour is
//     ambiguous); times with fractions or an explicit offset are accepted.
//   - A request's `after` may be inclusive or exclusive: the walk continues
//     from the page's paging.after ("cursor at end of returned page"), or
//     the last customer id received when nxlink sends none, and a customer
//     read twice in a window is emitted once. paging.next is only the
//     has-more signal (null: last page); a short page is not the end, since
//     vendors cap page sizes silently.
//   - A page with customers whose paging.after does not move past the
//     request's after is a ReasonCursor error. An empty page with a
//     non-null next is asked for again (or from its paging.after when that
//     moves forward), at most poll.DefaultMaxEmptyPages (3) times in a
//     row; one more is a ReasonCursor error.
//   - code != 0 is an error whatever the HTTP status, reported with
//     nxlink's message and traceId. The NXCLOUD platform codes 1001
//     (missing public parameters), 1003 (invalid signature), 1004
//     (timestamp expired) and 1005 (insufficient permissions: accessKey,
//     tenant or app key) are ReasonAuth; every other code is ReasonVendor.
//     A non-2xx answer is classified by the shared client by its status.
//   - A customer without tenant_id belongs to the configured tenant.
//   - The headers are sent with the exact names of the document
//     (accessKey, ts, bizType, action, sign), although HTTP names are
//     case-insensitive.
//
// A customer that cannot be converted (a member of the wrong JSON type, a
// bad time) becomes a record with Err for the dead-letter topic. When its
// id and updated_at are readable it is deduplicated like any version; when
// they are not, every window that returns it sends it again.
package nxlink

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vnstream/connector/pkg/fetch"
	"github.com/vnstream/connector/pkg/poll"
)

// Source reads one tenant's customers: the polling engine in window mode
// over the query API.
type Source = poll.Engine

// New returns the source named name for cfg, sending requests through
// client. cfg is expected validated (config.Load): an unknown TimeZone
// makes every Poll fail.
func New(name string, cfg Settings, client *fetch.Client, opts ...poll.Option) *Source {
	return poll.NewWindowed(name, poll.WindowsFor(cfg.Windowing), newAPI(name, cfg, client, poll.Clock(opts)), opts...)
}

// newAPI returns the API of the source named name, stamping its requests
// with now.
func newAPI(name string, cfg Settings, client *fetch.Client, now func() time.Time) *api {
	a := &api{name: name, cfg: cfg, client: client, url: strings.TrimRight(cfg.BaseURL, "/") + Path, now: now}
	if cfg.TimeZone == "" {
		a.locErr = errors.New("time_zone is required")
	} else if a.loc, a.locErr = time.LoadLocation(cfg.TimeZone); a.locErr != nil {
		a.locErr = fmt.Errorf("time_zone %q: %w", cfg.TimeZone, a.locErr)
	}
	return a
}

// api is nxlink's query API as the engine reads it.
type api struct {
	name   string
	cfg    Settings
	client *fetch.Client
	loc    *time.Location
	locErr error
	url    string
	now    func() time.Time
}

// Page implements poll.API: the customers of req.Window after the id
// req.Token ("" from the start), in id order; the next page continues
// from paging.after, or the last customer id when nxlink sent none, and
// a null paging.next ends the window.
func (a *api) Page(ctx context.Context, req poll.Request) (poll.Page, error) {
	if a.locErr != nil {
		return poll.Page{}, fmt.Errorf("source %s: %w", a.name, a.locErr)
	}
	var after cursor
	if req.Token != "" {
		id, err := strconv.ParseInt(req.Token, 10, 64)
		if err != nil {
			return poll.Page{}, fmt.Errorf("source %s: cursor %q is not a customer id: %w", a.name, req.Token, err)
		}
		after = cursor{id: id, ok: true}
	}
	p, err := a.fetch(ctx, req, after)
	if err != nil {
		return poll.Page{}, err
	}
	items := poll.PageItems(len(p.customers))
	var last cursor
	for i, raw := range p.customers {
		c := decodeCustomer(raw, a.loc, a.cfg.TenantID)
		it := poll.Item{Time: c.updated, Raw: c.raw, Err: c.err}
		if c.idOK {
			last = cursor{id: c.id, ok: true}
			it.ID = strconv.FormatInt(c.id, 10)
		}
		if v := c.value; v != nil {
			it.Created, it.Key, it.Value = v.CreatedAt, &Key{TenantID: v.TenantID, ID: v.ID}, v
		}
		items[i] = it
	}
	if !p.more {
		return poll.Page{Items: items}, nil
	}
	next, err := advance(after, p, last)
	if err != nil {
		return poll.Page{}, &fetch.Error{Source: a.name, Request: a.Describe(req), Reason: fetch.ReasonCursor, Msg: err.Error()}
	}
	return poll.Page{Items: items, More: true, Next: next.token()}, nil
}

// advance returns the cursor to continue from after page p, asked for
// after after, whose last readable customer id is last: paging.after, or
// last when nxlink sent none. A page with customers must move the cursor
// forward; an empty one may leave it where it was.
func advance(after cursor, p page, last cursor) (cursor, error) {
	next := p.after
	if !next.ok {
		next = last
	}
	switch {
	case !next.ok && len(p.customers) > 0:
		return cursor{}, errors.New("a page of customers has neither paging.after nor a readable customer id to continue from")
	case !next.ok:
		return after, nil
	case after.ok && next.id < after.id:
		return cursor{}, fmt.Errorf("paging.after %d goes back before the request's after %d", next.id, after.id)
	case after.ok && next.id == after.id && len(p.customers) > 0:
		return cursor{}, fmt.Errorf("paging.after %d does not advance past the request's after: paging is stuck", next.id)
	}
	return next, nil
}
