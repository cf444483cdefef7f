// Package nxlinksim is an in-process simulator of NXCLOUD nxlink's CDP
// customers query API (POST /saas/cdp/openapi/customers/query), used by
// the connector's tests and by `connector dev`.
//
// Like the vendor, it checks the public headers (accessKey, ts within 60 s
// of its clock, bizType "2", action "mt") and the md5 sign over the exact
// body bytes received, validates tenant_id, app_key and limit (1..50),
// lists the customers updated between start_time and end_time (both
// inclusive, zone-less in the Sim's zone) in ascending id order with the
// `after` keyset cursor (exclusive; `before` pages backwards), and silently
// caps page sizes. Every answer is the vendor's envelope {"code",
// "message", "traceId", "data"}; a rejected request gets HTTP 200 with a
// code != 0, as NXCLOUD does: 1001 missing public parameters, 1002
// parameter error, 1003 invalid signature, 1004 timestamp expired, 1005
// insufficient permissions (unknown accessKey, or another tenant_id or
// app_key). The other documented filters (name, tags, phones ...) are
// accepted and ignored. Faults (rate limits, server errors, slow,
// truncated and HTML answers, vendor errors, paging traps) can be queued
// with FailNext or drawn at random with SetFaultRates.
//
// Mount a Sim at the server root, e.g. httptest.NewServer(nxlinksim.New(
// accessKey, secret, tenantID, appKey)), and use the server URL as the
// API base URL. register.go registers it for `connector dev` as a
// sim.Simulator.
package nxlinksim

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/vnstream/connector/pkg/sim"
	"github.com/vnstream/connector/pkg/sim/fault"
	"github.com/vnstream/connector/pkg/source"
	"github.com/vnstream/connector/pkg/source/nxlink"
)

// QueryPath is the path of the only endpoint the simulator serves,
// relative to the API base URL.
const QueryPath = "/saas/cdp/openapi/customers/query"

// The codes of the vendor's envelope.
const (
	CodeOK              = 0
	CodeMissingParams   = 1001 // a public header is missing
	CodeBadParams       = 1002 // bizType/action or a body parameter is wrong
	CodeBadSign         = 1003 // the sign does not match
	CodeTimestamp       = 1004 // ts is not unix milliseconds within 60 s
	CodeNoPermission    = 1005 // unknown accessKey, or another tenant or app key
	CodeSystemBusy      = 500  // FaultVendorError
	CodeNotFound        = 404  // an unknown path
	CodeMethod          = 405  // a method other than POST
	CodeTooManyRequests = 429  // FaultRateLimit
)

const (
	maxLimit = 50
	maxSkew  = 60 * time.Second
)

// Sim simulates the nxlink customers query endpoint. It implements
// http.Handler and is safe for concurrent use: requests may run while
// customers are created, updated or added. Create it with New.
type Sim struct {
	sim.Base
	// Controls are the Sim's FailNext, SetFaultRates and Stats.
	fault.Controls

	accessKey, secret string
	tenantID          int64
	appKey            string
	zone              *time.Location

	dataMu sync.Mutex
	data   store

	faults *fault.Injector // the injector of Controls
}

// Option configures a Sim in New.
type Option func(*Sim)

// New returns a simulator of tenant tenantID that accepts requests from
// accessKey signed with secret and carrying appKey. Without options it
// uses time.Now, the UTC zone, a page cap of 50, the first id
// DefaultStartID and no faults. The With functions panic on invalid
// values.
func New(accessKey, secret string, tenantID int64, appKey string, opts ...Option) *Sim {
	faults := fault.New("nxlinksim", FaultRateLimit, FaultServerError, FaultSlow, FaultMalformed, FaultHTML,
		FaultVendorError, FaultEmptyPage, FaultStuckCursor)
	s := &Sim{
		Controls:  faults.Controls(),
		accessKey: accessKey,
		secret:    secret,
		tenantID:  tenantID,
		appKey:    appKey,
		zone:      time.UTC,
		Base:      sim.Base{Now: time.Now, PageCap: maxLimit},
		data:      store{byID: map[int64]*entry{}, sorted: true, next: DefaultStartID},
		faults:    faults,
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// WithClock sets the clock that the ts header is checked against (default
// time.Now).
func WithClock(now func() time.Time) Option { return sim.WithClock[Sim](now) }

// WithZone sets the zone of the zone-less times: created_at and
// updated_at served, start_time and end_time read (default UTC).
func WithZone(loc *time.Location) Option {
	if loc == nil {
		panic("nxlinksim: WithZone(nil)")
	}
	return func(s *Sim) { s.zone = loc }
}

// WithPageCap sets the most customers one page holds, whatever limit asks
// for (default 50; must be positive). Like the vendor, the cap is silent.
func WithPageCap(n int) Option { return sim.WithPageCap[Sim](n) }

// WithStartID sets the first id Create assigns (default DefaultStartID;
// must be positive).
func WithStartID(id int64) Option {
	if id < 1 {
		panic("nxlinksim: start id must be positive")
	}
	return func(s *Sim) { s.data.next = id }
}

// ServeHTTP answers POST QueryPath like the vendor. An unknown path gets
// HTTP 404 and another method 405. Then, in order, each with HTTP 200 and
// a code != 0 on failure: the public headers and sign, the body
// parameters, an injected fault if one is due, and finally the page.
// Stats counts codes 1001, 1003, 1004 and 1005 as AuthFailed, 1002 as
// BadRequest.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	trace := s.begin()
	if r.URL.Path != QueryPath {
		writeEnvelope(w, http.StatusNotFound, CodeNotFound, "no endpoint at "+r.URL.Path, trace)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeEnvelope(w, http.StatusMethodNotAllowed, CodeMethod, "method "+r.Method+" is not allowed", trace)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, sim.MaxBody))
	if err != nil {
		s.faults.CountBadRequest()
		writeEnvelope(w, http.StatusOK, CodeBadParams, "Parameter error: the body is unreadable or larger than 1 MiB", trace)
		return
	}
	code, msg := s.authenticate(r.Header, body)
	var q query
	if code == CodeOK {
		q, code, msg = s.parseQuery(r.Header, body)
	}
	if code != CodeOK {
		if code == CodeBadParams {
			s.faults.CountBadRequest()
		} else {
			s.faults.CountAuthFailed()
		}
		writeEnvelope(w, http.StatusOK, code, msg, trace)
		return
	}
	s.faults.Serve(w, r, faultErrorWriter(trace), func(f fault.Fault, b []byte) ([]byte, int, int) { return s.page(q, f, trace, b) })
}

// begin counts a request and returns its traceId: 32 hex digits.
func (s *Sim) begin() string {
	n := uint64(s.faults.CountRequest())
	return fmt.Sprintf("%016x%016x", mix(n), mix(^n))
}

// authenticate checks the public headers and the sign over body. It
// returns a code and message, or CodeOK.
func (s *Sim) authenticate(h http.Header, body []byte) (int, string) {
	for _, name := range []string{"accessKey", "ts", "bizType", "action", "sign"} {
		if h.Get(name) == "" {
			return CodeMissingParams, "Missing public parameters: " + name
		}
	}
	if h.Get("bizType") != nxlink.BizType || h.Get("action") != nxlink.Action {
		return CodeBadParams, `Parameter error: bizType must be "2" and action "mt"`
	}
	if subtle.ConstantTimeCompare([]byte(h.Get("accessKey")), []byte(s.accessKey)) != 1 {
		return CodeNoPermission, "Insufficient permissions: unknown accessKey"
	}
	raw := h.Get("ts")
	ts, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || strconv.FormatInt(ts, 10) != raw {
		// The sign covers ts as sent: only its canonical form can match.
		return CodeTimestamp, "Timestamp expired: ts must be unix milliseconds"
	}
	if now := s.Now().UnixMilli(); ts < now-maxSkew.Milliseconds() || ts > now+maxSkew.Milliseconds() {
		return CodeTimestamp, "Timestamp expired: ts is more than 60 seconds from the server time"
	}
	want := nxlink.Sign(s.accessKey, s.secret, ts, body)
	if subtle.ConstantTimeCompare([]byte(h.Get("sign")), []byte(want)) != 1 {
		return CodeBadSign, "Invalid signature"
	}
	return CodeOK, ""
}

// query is a validated request.
type query struct {
	f             filter
	after, before *int64
	limit         int
}

// parseQuery validates the Content-Type and the body parameters.
func (s *Sim) parseQuery(h http.Header, body []byte) (query, int, string) {
	if mt, _, err := mime.ParseMediaType(h.Get("Content-Type")); err != nil || mt != "application/json" {
		return query{}, CodeBadParams, "Parameter error: Content-Type must be application/json"
	}
	var b struct {
		TenantID  json.RawMessage `json:"tenant_id"`
		AppKey    *string         `json:"app_key"`
		Limit     json.RawMessage `json:"limit"`
		StartTime *string         `json:"start_time"`
		EndTime   *string         `json:"end_time"`
		After     json.RawMessage `json:"after"`
		Before    json.RawMessage `json:"before"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return query{}, CodeBadParams, "Parameter error: the body is not a JSON object"
	}
	tenant, ok := integer(b.TenantID)
	if !ok {
		return query{}, CodeBadParams, "Parameter error: tenant_id is required and must be an integer"
	}
	if b.AppKey == nil || *b.AppKey == "" {
		return query{}, CodeBadParams, "Parameter error: app_key is required"
	}
	if tenant != s.tenantID || subtle.ConstantTimeCompare([]byte(*b.AppKey), []byte(s.appKey)) != 1 {
		return query{}, CodeNoPermission, "Insufficient permissions: tenant_id and app_key do not match the accessKey"
	}
	limit, ok := integer(b.Limit)
	if !ok || limit < 1 || limit > maxLimit {
		return query{}, CodeBadParams, "Parameter error: limit must be an integer between 1 and 50"
	}
	q := query{f: filter{from: math.MinInt64, to: math.MaxInt64}, limit: int(limit)}
	for _, t := range []struct {
		name string
		val  *string
		dst  *int64
	}{{"start_time", b.StartTime, &q.f.from}, {"end_time", b.EndTime, &q.f.to}} {
		if t.val == nil || *t.val == "" {
			continue
		}
		at, err := time.ParseInLocation(nxlink.TimeLayout, *t.val, s.zone)
		if err != nil {
			return query{}, CodeBadParams, "Parameter error: " + t.name + " must be yyyy-MM-dd HH:mm:ss"
		}
		*t.dst = at.Unix()
	}
	for _, c := range []struct {
		name string
		raw  json.RawMessage
		dst  **int64
	}{{"after", b.After, &q.after}, {"before", b.Before, &q.before}} {
		if source.IsNull(jsontext.Value(c.raw)) {
			continue
		}
		n, ok := integer(c.raw)
		if !ok {
			return query{}, CodeBadParams, "Parameter error: " + c.name + " must be an integer customer id"
		}
		*c.dst = &n
	}
	return q, CodeOK, ""
}

// integer reads a JSON integer (or a numeric string, as a Java backend
// accepts for a Long) exactly.
func integer(raw json.RawMessage) (int64, bool) {
	if source.IsNull(jsontext.Value(raw)) {
		return 0, false
	}
	s := string(raw)
	if raw[0] == '"' {
		if json.Unmarshal(raw, &s) != nil {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// page appends the answer to q to b, bent by a paging trap fault. It returns
// the body and the offsets just inside the customer list.
func (s *Sim) page(q query, fault Fault, trace string, b []byte) (body []byte, arrayStart, arrayEnd int) {
	s.dataMu.Lock()
	defer s.dataMu.Unlock()
	l := s.data.list(q.f, q.after, q.before, min(q.limit, s.PageCap))
	var after, before, previous, next *int64
	if len(l.page) > 0 {
		before, after = &l.page[0].id, &l.page[len(l.page)-1].id
	} else {
		before, after = q.before, q.after
	}
	if l.previous != nil {
		previous = &l.previous.id
	}
	if l.next != nil {
		next = &l.next.id
	}
	switch fault {
	case FaultEmptyPage:
		// Nothing served, the cursors where they were, and a next page.
		switch {
		case len(l.page) > 0:
			next = &l.page[0].id
		case next == nil:
			next = ptr(int64(0))
		}
		l.page, before, after = nil, q.before, q.after
	case FaultStuckCursor:
		after = q.after
	}
	b = slices.Grow(b, 256+len(l.page)*700)
	b = append(b, `{"code":0,"message":null,"traceId":"`...)
	b = append(b, trace...)
	b = append(b, `","data":{"paging":{"after":`...)
	b = appendID(b, after)
	b = append(b, `,"before":`...)
	b = appendID(b, before)
	b = append(b, `,"previous":`...)
	b = appendID(b, previous)
	b = append(b, `,"next":`...)
	b = appendID(b, next)
	b = append(b, `},"customer_list":[`...)
	arrayStart = len(b)
	for i, e := range l.page {
		if i > 0 {
			b = append(b, ',')
		}
		b = e.appendJSON(b, s.zone)
	}
	return append(b, "]}}"...), arrayStart, len(b)
}

// appendID appends an id or null.
func appendID(b []byte, id *int64) []byte {
	if id == nil {
		return append(b, "null"...)
	}
	return strconv.AppendInt(b, *id, 10)
}

// writeEnvelope writes the vendor's envelope with code != 0 and data null.
func writeEnvelope(w http.ResponseWriter, status, code int, msg, trace string) {
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"code":%d,"message":`, code)
	b.Write(sim.AppendString(nil, msg))
	fmt.Fprintf(&b, `,"traceId":%q,"data":null}`, trace)
	sim.WriteJSON(w, status, b.Bytes())
}
