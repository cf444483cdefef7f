// Package nhanhsim is an in-process simulator of Nhanh.vn vPage's
// conversation list API (POST /v3.0/conversation/list), used by the
// connector's tests and by `connector dev`.
//
// Like the vendor, it checks the appId and businessId query parameters and
// the Authorization header (the access token itself, no "Bearer") and
// answers a failure with HTTP 200, code 0, an errorCode and messages. It
// validates the body, filters by pageIds, type, status, hasPhone, hasReply
// and postIds, sorts by updatedAt (asc or desc; desc when sort is left
// out) and pages with a keyset cursor: the conversations are ordered by
// (updatedAt, internal id) and paginator.next is [updatedAt, internal id]
// of the last row served, a JSON array. An empty page echoes the requested
// cursor as its next (non-null: a trap for clients that wait for a null),
// and next is null only on an empty first page. Page sizes above 50 are
// refused; WithPageCap caps them lower, silently.
//
// Faults (rate limits, server errors, slow, truncated and HTML answers,
// vendor error envelopes, a stuck cursor, the document's trailing comma)
// can be queued with FailNext or drawn at random with SetFaultRates.
//
// The document shows no failed response: the shape {"code":0,"errorCode":
// "...","messages":...} and the error codes below are the simulator's own.
// messages is a string for auth errors, an object (field: problem) for
// invalid requests and an array for FaultVendorError, so that clients meet
// every shape.
//
// Mount a Sim at the server root, e.g. httptest.NewServer(nhanhsim.New(app,
// business, token)), and use the server URL as the API base URL. register.go
// registers it for `connector dev` as a sim.Simulator.
package nhanhsim

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/vnstream/connector/pkg/sim"
	"github.com/vnstream/connector/pkg/sim/fault"
	"github.com/vnstream/connector/pkg/source"
)

// ListPath is the path of the only endpoint the simulator serves, relative
// to the API base URL.
const ListPath = "/v3.0/conversation/list"

// The errorCodes the simulator answers with.
const (
	CodeInvalidAppID       = "ERR_INVALID_APP_ID"       // appId is missing or not the Sim's
	CodeInvalidBusinessID  = "ERR_INVALID_BUSINESS_ID"  // businessId is missing or not the Sim's
	CodeInvalidAccessToken = "ERR_INVALID_ACCESS_TOKEN" // Authorization is missing or not the token
	CodeExpiredAccessToken = "ERR_EXPIRED_ACCESS_TOKEN" // the token is past WithTokenExpiry
	CodeInvalidData        = "ERR_INVALID_DATA"         // the body is not a valid list request
	CodeSystemBusy         = "ERR_SYSTEM_BUSY"          // FaultVendorError
	CodeTooManyRequests    = "ERR_TOO_MANY_REQUESTS"    // FaultRateLimit (HTTP 429)
	CodeInternal           = "ERR_INTERNAL"             // FaultServerError (HTTP 500)
	CodeNotFound           = "ERR_NOT_FOUND"            // another path (HTTP 404)
	CodeMethodNotAllowed   = "ERR_METHOD_NOT_ALLOWED"   // another method than POST (HTTP 405)
)

// maxSize is the largest paginator.size the vendor accepts.
const maxSize = 50

// defaultPages are the page ids of the document's examples.
var defaultPages = []string{"331526780045341", "101286204573840"}

// Sim simulates the vPage conversation list endpoint of one business. It
// implements http.Handler and is safe for concurrent use: requests may run
// while conversations are created, updated or added. Create it with New.
type Sim struct {
	sim.Base
	// Controls are the Sim's FailNext, SetFaultRates and Stats.
	fault.Controls

	appID, businessID, token string
	expiry                   time.Time // zero: the token never expires
	pages                    []string

	dataMu sync.Mutex
	data   store

	faults *fault.Injector // the injector of Controls
}

// Option configures a Sim in New.
type Option func(*Sim)

// New returns a simulator of the business businessID that accepts requests
// of the app appID with accessToken. Without options it uses time.Now, a
// token that never expires, a page cap of 50, the two page ids of the
// document's examples and no faults. The With functions panic on invalid
// values.
func New(appID, businessID, accessToken string, opts ...Option) *Sim {
	faults := fault.New("nhanhsim", FaultRateLimit, FaultServerError, FaultSlow, FaultMalformed, FaultHTML,
		FaultVendorError, FaultStuckCursor, FaultTrailingComma)
	s := &Sim{
		Controls:   faults.Controls(),
		appID:      appID,
		businessID: businessID,
		token:      accessToken,
		Base:       sim.Base{Now: time.Now, PageCap: maxSize},
		pages:      defaultPages,
		data:       newStore(),
		faults:     faults,
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// WithClock sets the clock the token expiry is checked against (default
// time.Now).
func WithClock(now func() time.Time) Option { return sim.WithClock[Sim](now) }

// WithTokenExpiry makes the access token expire at t: from then on the
// clock (WithClock) is at or after t, requests get
// ERR_EXPIRED_ACCESS_TOKEN (default: never).
func WithTokenExpiry(t time.Time) Option {
	if t.IsZero() {
		panic("nhanhsim: zero token expiry")
	}
	return func(s *Sim) { s.expiry = t }
}

// WithPageCap sets the most conversations one page holds, whatever size
// asks for (default 50; must be positive). Like the vendor, the cap is
// silent.
func WithPageCap(n int) Option { return sim.WithPageCap[Sim](n) }

// WithPages sets the page ids Create spreads conversations over (default
// the two of the document's examples; at least one, none empty).
func WithPages(ids ...string) Option {
	if len(ids) == 0 {
		panic("nhanhsim: no page ids")
	}
	if slices.Contains(ids, "") {
		panic("nhanhsim: empty page id")
	}
	ids = slices.Clone(ids)
	return func(s *Sim) { s.pages = ids }
}

// ServeHTTP answers POST ListPath like the vendor. Unknown paths get 404
// and other methods 405. Then, in order: authentication and request
// validation (HTTP 200 with code 0), an injected fault if one is due, and
// finally the page of conversations. Stats counts bad appIds, businessIds
// and access tokens as AuthFailed, invalid bodies as BadRequest.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.faults.CountRequest()
	if r.URL.Path != ListPath {
		writeError(w, http.StatusNotFound, CodeNotFound, "no endpoint at "+r.URL.Path)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, CodeMethodNotAllowed, "method "+r.Method+" is not allowed")
		return
	}
	if code, msg := s.authenticate(r); code != "" {
		s.faults.CountAuthFailed()
		writeError(w, http.StatusOK, code, msg)
		return
	}
	q, problems := parseRequest(r)
	if problems != nil {
		s.faults.CountBadRequest()
		writeError(w, http.StatusOK, CodeInvalidData, problems)
		return
	}
	s.faults.Serve(w, r, writeFaultError, func(f fault.Fault, b []byte) ([]byte, int, int) { return s.page(q, f, b) })
}

// authenticate checks appId, businessId and the Authorization header. It
// returns an errorCode and message, or "" when the request may go on.
func (s *Sim) authenticate(r *http.Request) (code, msg string) {
	q := r.URL.Query()
	if q.Get("appId") != s.appID {
		return CodeInvalidAppID, "appId không hợp lệ (invalid appId)"
	}
	if q.Get("businessId") != s.businessID {
		return CodeInvalidBusinessID, "businessId không hợp lệ (invalid businessId)"
	}
	token := r.Header.Get("Authorization")
	if token == "" || subtle.ConstantTimeCompare([]byte(token), []byte(s.token)) != 1 {
		return CodeInvalidAccessToken, "accessToken không hợp lệ (invalid access token)"
	}
	if !s.expiry.IsZero() && !s.Now().Before(s.expiry) {
		return CodeExpiredAccessToken, "accessToken đã hết hạn (the access token has expired)"
	}
	return "", ""
}

// listBody is the request body.
type listBody struct {
	Filters   map[string]json.RawMessage `json:"filters"`
	Paginator *struct {
		Size json.RawMessage   `json:"size"`
		Sort map[string]string `json:"sort"`
		Next json.RawMessage   `json:"next"`
	} `json:"paginator"`
}

// parseRequest reads and validates the body. problems maps each wrong
// field to what is wrong with it; it is nil when the request is valid.
func parseRequest(r *http.Request) (*query, map[string]string) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, sim.MaxBody+1))
	switch {
	case err != nil:
		return nil, map[string]string{"body": "cannot be read: " + err.Error()}
	case len(raw) > sim.MaxBody:
		return nil, map[string]string{"body": fmt.Sprintf("is larger than %d bytes", sim.MaxBody)}
	}
	var b listBody
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, map[string]string{"body": "is not a JSON object: " + err.Error()}
	}
	problems := map[string]string{}
	q := &query{desc: true}
	if b.Paginator == nil {
		problems["paginator.size"] = "is required"
	} else {
		p := b.Paginator
		if err := json.Unmarshal(p.Size, &q.size); err != nil || q.size < 1 || q.size > maxSize {
			problems["paginator.size"] = fmt.Sprintf("must be an integer from 1 to %d", maxSize)
		}
		if err := parseSort(p.Sort, q); err != "" {
			problems["paginator.sort"] = err
		}
		if !source.IsNull(jsontext.Value(p.Next)) {
			var k []int64
			if json.Unmarshal(p.Next, &k) != nil || len(k) != 2 {
				problems["paginator.next"] = "must be the next array of a previous page: [updatedAt, id]"
			} else {
				q.after = &key{k[0], k[1]}
			}
		}
	}
	for name, v := range b.Filters {
		if err := parseFilter(name, v, q); err != "" {
			problems["filters."+name] = err
		}
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return q, nil
}

// parseSort reads paginator.sort: {"updatedAt": "asc"|"desc"} (the
// document's table calls the key updatedTime; both are accepted, the value
// in any case). It returns what is wrong, or "".
func parseSort(sort map[string]string, q *query) string {
	if sort == nil {
		return ""
	}
	if len(sort) != 1 {
		return "must hold exactly one criterion: updatedAt"
	}
	for k, v := range sort {
		if k != "updatedAt" && k != "updatedTime" {
			return "cannot sort by " + strconv.Quote(k) + ": only updatedAt"
		}
		switch strings.ToLower(v) {
		case "asc":
			q.desc = false
		case "desc":
			q.desc = true
		default:
			return "order must be asc or desc, not " + strconv.Quote(v)
		}
	}
	return ""
}

// parseFilter reads one member of filters into q. It returns what is
// wrong, or "".
func parseFilter(name string, v json.RawMessage, q *query) string {
	if source.IsNull(jsontext.Value(v)) {
		return ""
	}
	switch name {
	case "pageIds", "postIds":
		var ids []string
		if json.Unmarshal(v, &ids) != nil {
			return "must be an array of id strings"
		}
		if name == "pageIds" {
			q.pageIDs = ids
		} else {
			q.postIDs = ids
		}
	case "type":
		if json.Unmarshal(v, &q.typ) != nil || (q.typ != typeComment && q.typ != typeMessage) {
			return "must be 1 (comments) or 2 (messages)"
		}
	case "status":
		if json.Unmarshal(v, &q.status) != nil || (q.status != statusUnread && q.status != statusRead) {
			return "must be 1 (unread) or 2 (read)"
		}
	case "hasPhone", "hasReply":
		var b bool
		if json.Unmarshal(v, &b) != nil {
			return "must be true or false"
		}
		if name == "hasPhone" {
			q.hasPhone = &b
		} else {
			q.hasReply = &b
		}
	case "tagIds":
		return "is not supported by the simulator (it has no tags)"
	default:
		return "is not a known filter"
	}
	return ""
}

// page appends the answer to q to b, shaped by fault f (FaultStuckCursor,
// FaultTrailingComma). It returns the body and the offsets just inside
// the data array.
func (s *Sim) page(q *query, f Fault, b []byte) (body []byte, arrayStart, arrayEnd int) {
	s.dataMu.Lock()
	defer s.dataMu.Unlock()
	es := s.data.page(q, min(q.size, s.PageCap))
	b = slices.Grow(b, 64+len(es)*512)
	b = append(b, `{"code":1,"paginator":{"next":`...)
	switch {
	case len(es) > 0 && f != FaultStuckCursor:
		b = appendKey(b, es[len(es)-1].key)
	case q.after != nil:
		b = appendKey(b, *q.after)
	default:
		b = append(b, "null"...)
	}
	b = append(b, `},"data":[`...)
	arrayStart = len(b)
	for i, e := range es {
		if i > 0 {
			b = append(b, ',')
		}
		if f == FaultTrailingComma {
			b = append(append(b, e.json[:len(e.json)-1]...), ",}"...)
			continue
		}
		b = append(b, e.json...)
	}
	return append(b, "]}"...), arrayStart, len(b)
}

// appendKey appends a keyset cursor: [updatedAt, internal id].
func appendKey(b []byte, k key) []byte {
	b = append(b, '[')
	b = strconv.AppendInt(b, k.unix, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, k.iid, 10)
	return append(b, ']')
}

// writeError writes a vendor style failure: {"code":0,"errorCode":..,
// "messages":..}, messages being a string, an array or an object.
func writeError(w http.ResponseWriter, status int, code string, messages any) {
	body, err := json.Marshal(struct {
		Code      int    `json:"code"`
		ErrorCode string `json:"errorCode"`
		Messages  any    `json:"messages"`
	}{0, code, messages})
	if err != nil {
		panic("nhanhsim: encode error: " + err.Error())
	}
	sim.WriteJSON(w, status, body)
}
