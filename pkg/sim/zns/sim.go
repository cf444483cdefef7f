// Package znssim is an in-process simulator of the ZNS message list API
// that InterITS CPaaS and eTelecom Zalo Cloud both sell, used by the
// connector's tests and by `connector dev`. One Sim speaks one Dialect:
//
//   - InterITS: POST /api/vendor/v1/zalo/list-messages with the API-KEY
//     header; messages lack is_development, zl_user_id and request_time,
//     some ids are JSON numbers, times carry a +07:00 offset; errors are
//     {"code": <HTTP status>, "message": ...};
//   - ETelecom: POST BasePath+".Zalo/ListMessages" (Twirp style) with
//     Authorization: Bearer <key>; ids are JSON strings, times UTC with
//     milliseconds; errors are Twirp's {"code": "unauthenticated", "msg":
//     ...}.
//
// Like the vendor, it checks the key, validates the body against the
// dialect's documented filter fields (an undocumented one is refused, and
// so are paging.before and paging.sort, whose meaning no document gives),
// filters on filter.time_type's time (updated_at by default, both ends
// inclusive), lists in (time, id) order with an opaque cursor in
// paging.next ("" on the last page) and silently caps page sizes. Messages
// change over time with Update, each change stamping a new updated_at.
// Faults (rate limits, server errors, slow, truncated and HTML answers, the
// platform's error object, empty pages and a stuck cursor) can be queued
// with FailNext or drawn at random with SetFaultRates.
//
// Mount a Sim at the server root, e.g. srv := httptest.NewServer(sim), and
// use srv.URL as the InterITS base URL or srv.URL+BasePath as the eTelecom
// one. register.go registers one of each dialect
// for `connector dev` as a sim.Simulator.
package znssim

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vnstream/connector/pkg/sim"
	"github.com/vnstream/connector/pkg/sim/fault"
)

// Dialect is the reseller whose API a Sim speaks.
type Dialect int

// The dialects.
const (
	InterITS Dialect = iota + 1
	ETelecom
)

// The paths the dialects serve. The eTelecom base URL is the server URL
// followed by BasePath.
const (
	InterITSPath = "/api/vendor/v1/zalo/list-messages"
	BasePath     = "/v1/shop"
	ETelecomPath = BasePath + ".Zalo/ListMessages"
)

// String returns interits or etelecom.
func (d Dialect) String() string {
	switch d {
	case InterITS:
		return "interits"
	case ETelecom:
		return "etelecom"
	}
	return fmt.Sprintf("Dialect(%d)", int(d))
}

// Path is the list endpoint the dialect serves.
func (d Dialect) Path() string {
	if d == ETelecom {
		return ETelecomPath
	}
	return InterITSPath
}

// The page sizes: paging.limit 0 asks for defaultLimit, and no page holds
// more than maxLimit whatever the request or WithPageCap say.
const (
	defaultLimit = 100
	maxLimit     = 1000
)

// Sim simulates the list endpoint of one account. It implements
// http.Handler and is safe for concurrent use: requests may run while
// messages are created, updated or added. Create it with New.
type Sim struct {
	sim.Base
	// Controls are the Sim's FailNext, SetFaultRates and Stats.
	fault.Controls

	dialect Dialect
	apiKey  string

	dataMu sync.RWMutex
	data   store

	faults *fault.Injector // the injector of Controls
}

// Option configures a Sim in New.
type Option func(*Sim)

// New returns a simulator of dialect that accepts apiKey. Without options
// it uses time.Now, a page cap of 1000, the first id 1021110718827683840
// and no faults. New and the With functions panic on invalid values.
func New(dialect Dialect, apiKey string, opts ...Option) *Sim {
	if dialect != InterITS && dialect != ETelecom {
		panic("znssim: unknown dialect " + dialect.String())
	}
	faults := fault.New("znssim", FaultRateLimit, FaultServerError, FaultSlow, FaultMalformed, FaultHTML,
		FaultVendorError, FaultEmptyPage, FaultStuckCursor)
	s := &Sim{
		Controls: faults.Controls(),
		dialect:  dialect,
		apiKey:   apiKey,
		Base:     sim.Base{Now: time.Now, PageCap: maxLimit},
		data:     store{byID: map[string]*entry{}, next: defaultStartID},
		faults:   faults,
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// WithClock sets the simulator's clock (default time.Now). The API keys
// carry no timestamp to check, so the clock decides what is visible: a
// message version stamped after now is not listed yet, as a write is not
// visible before it happens.
func WithClock(now func() time.Time) Option { return sim.WithClock[Sim](now) }

// WithPageCap sets the most messages one page holds, whatever
// paging.limit asks for (default 1000; must be positive). Like the vendor,
// the cap is silent.
func WithPageCap(n int) Option { return sim.WithPageCap[Sim](n) }

// WithStartID sets the first id Create assigns (default
// 1021110718827683840, beyond float64's exact integers; must be positive).
func WithStartID(id uint64) Option {
	if id == 0 {
		panic("znssim: start id must be positive")
	}
	return func(s *Sim) { s.data.next = id }
}

// ServeHTTP answers POST on the dialect's path like the vendor. Unknown
// paths get 404 and other methods 405. Then, in order: authentication
// (401), the body (400), an injected fault if one is due, and finally the
// page of messages. Stats counts the 401s as AuthFailed, the 400s as
// BadRequest.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.faults.CountRequest()
	if r.URL.Path != s.dialect.Path() {
		s.writeError(w, http.StatusNotFound, "bad_route", "no method at "+r.URL.Path)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		s.writeError(w, http.StatusMethodNotAllowed, "bad_route", "method "+r.Method+" is not allowed, use POST")
		return
	}
	if msg := s.authenticate(r); msg != "" {
		s.faults.CountAuthFailed()
		s.writeError(w, http.StatusUnauthorized, "unauthenticated", msg)
		return
	}
	q, err := s.parseRequest(w, r)
	if err != nil {
		s.faults.CountBadRequest()
		s.writeError(w, http.StatusBadRequest, "invalid_argument", err.Error())
		return
	}
	s.faults.Serve(w, r, s.writeFaultError, func(f fault.Fault, b []byte) ([]byte, int, int) { return s.page(q, f, b) })
}

// authenticate checks the dialect's credential header. It returns why the
// request is refused, or "" when it carries the key.
func (s *Sim) authenticate(r *http.Request) string {
	var got string
	switch s.dialect {
	case InterITS:
		got = r.Header.Get("API-KEY")
		if got == "" {
			return "missing API-KEY header"
		}
	case ETelecom:
		h := r.Header.Get("Authorization")
		scheme, token, ok := strings.Cut(h, " ")
		if h == "" {
			return "missing Authorization header"
		}
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return "Authorization must be Bearer <api key>"
		}
		got = token
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(s.apiKey)) != 1 {
		return "invalid API key"
	}
	return ""
}

// checkContentType refuses a body that is not declared JSON.
func checkContentType(r *http.Request) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return fmt.Errorf("Content-Type %q is not application/json", r.Header.Get("Content-Type"))
	}
	return nil
}

// errorBody is the dialect's error object: Twirp's {"code": code, "msg":
// msg} for eTelecom, {"code": status, "message": msg} for InterITS.
func (s *Sim) errorBody(status int, code, msg string) []byte {
	var v any
	if s.dialect == ETelecom {
		v = struct {
			Code string `json:"code"`
			Msg  string `json:"msg"`
		}{code, msg}
	} else {
		v = struct {
			Code    json.Number `json:"code"`
			Message string      `json:"message"`
		}{json.Number(strconv.Itoa(status)), msg}
	}
	body, _ := json.Marshal(v) // strings and a number made by strconv always encode
	return body
}

// writeError writes the dialect's error object with status.
func (s *Sim) writeError(w http.ResponseWriter, status int, code, msg string) {
	sim.WriteJSON(w, status, s.errorBody(status, code, msg))
}
