// Package nxlink is the nxlink_customer source: the CDP customers of one
// NXCLOUD nxlink tenant (POST /saas/cdp/openapi/customers/query), signed
// with NXCLOUD's md5 sign header (see Sign).
//
// Customers change, so the source reads bounded windows of update time
// (poll.Windows, one-second granularity): each window is asked for with
// start_time/end_time and walked in id order with the `after` keyset
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
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vnstream/connector/pkg/fetch"
	"github.com/vnstream/connector/pkg/poll"
	"github.com/vnstream/connector/pkg/source"
)

// Source reads one tenant's customers.
type Source struct {
	name    string
	cfg     Settings
	client  *fetch.Client
	windows poll.Windows
	loc     *time.Location
	locErr  error
	url     string
	now     func() time.Time
}

// Option tunes a Source.
type Option func(*Source)

// WithClock replaces time.Now, for tests: it stamps the ts header and
// places the windows.
func WithClock(now func() time.Time) Option { return func(s *Source) { s.now = now } }

// New returns the source named name for cfg, sending requests through
// client. cfg is expected validated (config.Load): an unknown TimeZone
// makes every Poll fail.
func New(name string, cfg Settings, client *fetch.Client, opts ...Option) *Source {
	s := &Source{
		name:    name,
		cfg:     cfg,
		client:  client,
		windows: poll.WindowsFor(cfg.Windowing),
		url:     strings.TrimRight(cfg.BaseURL, "/") + Path,
		now:     time.Now,
	}
	if cfg.TimeZone == "" {
		s.locErr = errors.New("time_zone is required")
	} else if s.loc, s.locErr = time.LoadLocation(cfg.TimeZone); s.locErr != nil {
		s.locErr = fmt.Errorf("time_zone %q: %w", cfg.TimeZone, s.locErr)
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Poll implements source.Source: it reads the next window after offset.
func (s *Source) Poll(ctx context.Context, offset source.Offset) ([]source.Record, source.Offset, bool, error) {
	if s.locErr != nil {
		return nil, nil, false, fmt.Errorf("source %s: %w", s.name, s.locErr)
	}
	read, ok, err := poll.ReadWindow(ctx, s.windows, offset, s.now(), s.walk)
	if err != nil || !ok {
		return nil, offset, false, err
	}
	win, got := read.Window, read.Found
	records, emitted := batch(got, win, read.Versions)
	return records, s.windows.Advance(read.Cursor, win, emitted).Encode(), win.More, nil
}

// batch orders the customers of window win by (updated_at, id), drops
// the repeats of a walk that re-read a page, and turns them into records.
// A customer whose updated_at is unreadable is placed at the window's end.
// It returns the versions emitted.
func batch(got []customer, win poll.Window, vs *poll.Versions) ([]source.Record, []poll.Seen) {
	at := func(c *customer) time.Time {
		if c.updatedOK {
			return c.updated
		}
		return win.To
	}
	slices.SortStableFunc(got, func(a, b customer) int {
		if c := at(&a).Compare(at(&b)); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	position := win.From.Format(time.RFC3339) + "/" + win.To.Format(time.RFC3339)
	records := make([]source.Record, 0, len(got))
	emitted := make([]poll.Seen, 0, len(got))
	for i := range got {
		c := &got[i]
		if i > 0 {
			p := &got[i-1]
			if c.idOK && p.idOK && c.id == p.id && c.updatedOK == p.updatedOK && at(c).Equal(at(p)) {
				continue
			}
		}
		rec := source.Record{Op: source.OpCreate, Position: position, Raw: c.raw, Err: c.err}
		if c.updatedOK {
			rec.Time = c.updated
			if c.idOK {
				emitted = append(emitted, poll.Seen{ID: strconv.FormatInt(c.id, 10), Time: c.updated})
			}
		}
		if v := c.value; v != nil {
			rec.Op = vs.Op(strconv.FormatInt(v.ID, 10), v.CreatedAt, v.UpdatedAt)
			rec.Key = &Key{TenantID: v.TenantID, ID: v.ID}
			rec.Value = v
		}
		records = append(records, rec)
	}
	return records, emitted
}

// walk reads every customer of win page by page with the after cursor and
// returns those stamped inside win and not yet emitted; poll.ErrWindowFull when
// more than limit.
func (s *Source) walk(ctx context.Context, win poll.Window, vs *poll.Versions, limit int) ([]customer, error) {
	var out []customer
	var after cursor
	var pages poll.Pages
	empty := 0
	for {
		p, err := s.fetch(ctx, win, after)
		if err != nil {
			return nil, err
		}
		var last cursor
		for _, raw := range p.customers {
			c := decodeCustomer(raw, s.loc, s.cfg.TenantID)
			if c.idOK {
				last = cursor{id: c.id, ok: true}
			}
			if c.updatedOK && (c.updated.Before(win.From) || c.updated.After(win.To) ||
				(c.idOK && vs.Emitted(strconv.FormatInt(c.id, 10), c.updated))) {
				continue
			}
			out = append(out, c)
		}
		if len(out) > limit {
			return nil, poll.ErrWindowFull
		}
		if !p.more {
			return out, nil
		}
		next, err := advance(after, p, last)
		if err != nil {
			return nil, s.cursorError(win, after, err.Error())
		}
		key := "after=" + next.String()
		if len(p.customers) == 0 {
			empty++
			key += fmt.Sprintf(" (empty page %d)", empty)
		} else {
			empty = 0
		}
		if err := pages.Follow(key, len(p.customers)); err != nil {
			return nil, s.cursorError(win, after, err.Error())
		}
		after = next
	}
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

// cursorError is a ReasonCursor error of the request for win after after.
func (s *Source) cursorError(win poll.Window, after cursor, msg string) error {
	return &fetch.Error{Source: s.name, Request: s.describe(win, after), Reason: fetch.ReasonCursor, Msg: msg}
}
