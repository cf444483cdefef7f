// Package tikisim is an in-process simulator of Tiki's Tini App lead form
// responses API (GET /lead/customer-response/list), used by the connector's
// tests and by `connector dev`.
//
// Like the vendor, it checks the X-Tiniapp-* signature headers, validates
// the query, answers newest first (id descending, compared as integers) with
// lt_id paging and from_time/to_time filters, and silently caps page sizes.
// Faults (rate limits, server errors, slow, truncated and HTML answers) can be
// queued with FailNext or drawn at random with SetFaultRates.
//
// Mount a Sim at the server root, e.g. httptest.NewServer(tikisim.New(id,
// secret)), and use the server URL as the API base URL. register.go
// registers it for `connector dev` as a sim.Simulator whose records never
// change.
package tikisim

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vnstream/connector/pkg/sim"
	"github.com/vnstream/connector/pkg/sim/fault"
	"github.com/vnstream/connector/pkg/source"
	"github.com/vnstream/connector/pkg/source/tiki"
)

// ListPath is the path of the only endpoint the simulator serves, relative to
// the API base URL.
const ListPath = "/lead/customer-response/list"

// The authentication headers Tiki reads.
const (
	headerClientID  = "X-Tiniapp-Client-Id"
	headerTimestamp = "X-Tiniapp-Timestamp"
	headerSignature = "X-Tiniapp-Signature"
)

// maxSize is the largest page size the vendor accepts.
const maxSize = 500

// Sim simulates the Tiki lead form responses endpoint. It implements
// http.Handler and is safe for concurrent use: requests may run while
// responses are created or added. Create it with New.
type Sim struct {
	sim.Base
	// Controls are the Sim's FailNext, SetFaultRates and Stats.
	fault.Controls

	clientID string
	secret   string
	maxSkew  time.Duration
	arrayKey []byte        // the JSON-encoded name of the records array
	forms    []string      // the forms NewRecord takes in turn
	turn     atomic.Uint64 // NewRecord's calls so far

	dataMu sync.RWMutex
	data   store

	faults *fault.Injector // the injector of Controls
}

// Option configures a Sim in New.
type Option func(*Sim)

// New returns a simulator that accepts requests signed with clientID and
// secret. Without options it uses time.Now, a 60s timestamp skew, the array
// name "data", a page cap of 500, the first id 1000, the form "1" for
// NewRecord and no faults. The With functions panic on invalid values.
func New(clientID, secret string, opts ...Option) *Sim {
	faults := fault.New("tikisim", FaultRateLimit, FaultServerError, FaultSlow, FaultMalformed, FaultHTML)
	s := &Sim{
		Controls: faults.Controls(),
		clientID: clientID,
		secret:   secret,
		maxSkew:  60 * time.Second,
		arrayKey: []byte(`"data"`),
		Base:     sim.Base{Now: time.Now, PageCap: maxSize},
		forms:    []string{"1"},
		data:     store{forms: map[string]*formIndex{}, next: 1000},
		faults:   faults,
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// WithClock sets the clock that X-Tiniapp-Timestamp is checked against
// (default time.Now).
func WithClock(now func() time.Time) Option { return sim.WithClock[Sim](now) }

// WithMaxSkew sets how far X-Tiniapp-Timestamp may be from the clock, in
// either direction, before a request is rejected (default 60s; must not be
// negative).
func WithMaxSkew(d time.Duration) Option {
	if d < 0 {
		panic("tikisim: negative max skew")
	}
	return func(s *Sim) { s.maxSkew = d }
}

// WithArrayName sets the key of the records array inside "data" (default
// "data"; the vendor's table calls it "customer_responses"; must not be
// empty).
func WithArrayName(name string) Option {
	if name == "" {
		panic("tikisim: empty array name")
	}
	key, _ := json.Marshal(name) // a string always encodes
	return func(s *Sim) { s.arrayKey = key }
}

// WithPageCap sets the most records one page holds, whatever size asks for
// (default 500; must be positive). Like the vendor, the cap is silent.
func WithPageCap(n int) Option { return sim.WithPageCap[Sim](n) }

// WithStartID sets the first id Create assigns (default 1000; must not be
// negative).
func WithStartID(id int64) Option {
	if id < 0 {
		panic("tikisim: negative start id")
	}
	return func(s *Sim) { s.data.next = id }
}

// WithForms sets the forms NewRecord stores responses of, taking them in
// turn (default "1"; at least one, each a number without leading zeros).
func WithForms(ids ...string) Option {
	if len(ids) == 0 {
		panic("tikisim: no form ids")
	}
	for _, id := range ids {
		mustBeID("form id", id)
	}
	ids = slices.Clone(ids)
	return func(s *Sim) { s.forms = ids }
}

// ServeHTTP answers GET ListPath like the vendor. Unknown paths get 404 and
// other methods 405. Then, in order: authentication (401), query parameters
// (400), an injected fault if one is due, and finally the page of records.
// Stats counts the 401s as AuthFailed, the 400s as BadRequest.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.faults.CountRequest()
	if r.URL.Path != ListPath {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "no endpoint at "+r.URL.Path)
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		writeError(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "method "+r.Method+" is not allowed")
		return
	}
	if code, msg := s.authenticate(r); code != "" {
		s.faults.CountAuthFailed()
		writeError(w, http.StatusUnauthorized, code, msg)
		return
	}
	q, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		s.faults.CountBadRequest()
		writeError(w, http.StatusBadRequest, "BAD_REQUEST", err.Error())
		return
	}
	s.faults.Serve(w, r, writeFaultError, func(_ fault.Fault, b []byte) ([]byte, int, int) { return s.page(q, b) })
}

// authenticate checks the client id, timestamp and signature headers. It
// returns an error code and message, or "" when the request is authentic.
func (s *Sim) authenticate(r *http.Request) (code, msg string) {
	id := r.Header.Get(headerClientID)
	if id == "" {
		return "INVALID_CLIENT_ID", "missing " + headerClientID + " header"
	}
	if subtle.ConstantTimeCompare([]byte(id), []byte(s.clientID)) != 1 {
		return "INVALID_CLIENT_ID", "unknown client id"
	}
	raw := r.Header.Get(headerTimestamp)
	ts, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || strconv.FormatInt(ts, 10) != raw {
		// The signature covers the timestamp as sent, so only its
		// canonical decimal form can match.
		return "INVALID_TIMESTAMP", headerTimestamp + " must be a unix timestamp in milliseconds"
	}
	now, skew := s.Now().UnixMilli(), s.maxSkew.Milliseconds()
	if ts < now-skew || ts > now+skew {
		return "TIMESTAMP_EXPIRED", headerTimestamp + " is more than " + s.maxSkew.String() + " away from the server time"
	}
	sig := r.Header.Get(headerSignature)
	if sig == "" {
		return "INVALID_SIGNATURE", "missing " + headerSignature + " header"
	}
	want := tiki.Signature(s.secret, s.clientID, ts, r.URL.Path+"?"+r.URL.RawQuery)
	if subtle.ConstantTimeCompare([]byte(sig), []byte(want)) != 1 {
		return "INVALID_SIGNATURE", "signature does not match the request"
	}
	return "", ""
}

// query is a validated list request.
type query struct {
	forms    []string // distinct form ids, leading zeros removed
	size     int
	ltID     string // id without leading zeros; "" when absent
	from, to int64  // inclusive unix seconds
}

// parseQuery validates the list parameters.
func parseQuery(raw string) (query, error) {
	v, err := url.ParseQuery(raw)
	if err != nil {
		return query{}, errors.New("malformed query string")
	}
	q := query{from: math.MinInt64, to: math.MaxInt64}
	ids := v.Get("form_ids")
	if ids == "" {
		return query{}, errors.New("form_ids is required")
	}
	for f := range strings.SplitSeq(ids, ",") {
		if !source.Digits(f) {
			return query{}, errors.New("form_ids must be comma separated numeric ids")
		}
		if f = source.TrimZeros(f); !slices.Contains(q.forms, f) {
			q.forms = append(q.forms, f)
		}
	}
	if !v.Has("size") {
		return query{}, errors.New("size is required")
	}
	if q.size, err = strconv.Atoi(v.Get("size")); err != nil || q.size < 1 || q.size > maxSize {
		return query{}, errors.New("size must be between 1 and 500")
	}
	if v.Has("lt_id") {
		if q.ltID = v.Get("lt_id"); !source.Digits(q.ltID) {
			return query{}, errors.New("lt_id must be a numeric id")
		}
		q.ltID = source.TrimZeros(q.ltID)
	}
	for _, p := range []struct {
		name string
		dst  *int64
	}{{"from_time", &q.from}, {"to_time", &q.to}} {
		if v.Has(p.name) {
			if *p.dst, err = strconv.ParseInt(v.Get(p.name), 10, 64); err != nil {
				return query{}, errors.New(p.name + " must be a unix timestamp in seconds")
			}
		}
	}
	return q, nil
}

// page appends the answer to q to b. It returns the body and the offsets
// just inside the records array.
func (s *Sim) page(q query, b []byte) (body []byte, arrayStart, arrayEnd int) {
	s.dataMu.RLock()
	total, es := s.data.page(q, min(q.size, s.PageCap))
	s.dataMu.RUnlock()

	size := 64
	for _, e := range es {
		size += e.size()
	}
	b = slices.Grow(b, size)
	b = append(b, `{"data":{"total":`...)
	b = strconv.AppendInt(b, int64(total), 10)
	b = append(b, ',')
	b = append(b, s.arrayKey...)
	b = append(b, ":["...)
	arrayStart = len(b)
	for i, e := range es {
		if i > 0 {
			b = append(b, ',')
		}
		b = e.appendJSON(b)
	}
	return append(b, "]}}"...), arrayStart, len(b)
}

// writeError writes a vendor style error: {"error":{"code":..,"message":..}}.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	type apiError struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	body, _ := json.Marshal(struct {
		Error apiError `json:"error"`
	}{apiError{code, msg}}) // strings always encode
	sim.WriteJSON(w, status, body)
}
