package znssim

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vnstream/connector/pkg/sim"
	"github.com/vnstream/connector/pkg/source"
)

// request is a list body. Fields are pointers so that presence can be told
// from zero values.
type request struct {
	Filter *filterFields `json:"filter"`
	Paging *pagingFields `json:"paging"`
}

// filterFields are the filter fields of both documents. charged is
// InterITS's only; is_development, time_type and user_id eTelecom's.
type filterFields struct {
	Charged        *bool   `json:"charged"`
	CampaignID     *string `json:"campaign_id"`
	DateFrom       *string `json:"date_from"`
	DateTo         *string `json:"date_to"`
	DeliveryStatus *string `json:"delivery_status"`
	IsCharged      *bool   `json:"is_charged"`
	IsDevelopment  *bool   `json:"is_development"`
	JourneyID      *string `json:"journey_id"`
	MsgID          *string `json:"msg_id"`
	MsgType        *string `json:"msg_type"`
	OAID           *string `json:"oa_id"`
	Phone          *string `json:"phone"`
	Status         *string `json:"status"`
	TemplateID     *int64  `json:"template_id"`
	TimeType       *string `json:"time_type"`
	TrackingID     *string `json:"tracking_id"`
	UserID         *string `json:"user_id"`
}

type pagingFields struct {
	After  string `json:"after"`
	Before string `json:"before"`
	Limit  int    `json:"limit"`
	Sort   string `json:"sort"`
}

// The values of filter.time_type: the time a query filters and orders on.
const (
	timeUpdated = "updated_time"
	timeRequest = "request_time"
	timeSubmit  = "submit_time"
)

// query is a validated list request.
type query struct {
	timeType string
	from, to time.Time // inclusive; zero when absent
	match    []func(*Record) bool
	after    position // where the page starts: after this
	cursor   string   // the cursor as requested, "" for a first page
	limit    int
}

// position is a place in a listing: after the message (t, id). The start
// of a listing has the zero position.
type position struct {
	serial int // pages served before this one in the walk
	t      time.Time
	id     string
}

// parseRequest validates the body of r against the dialect's documented
// fields.
func (s *Sim) parseRequest(w http.ResponseWriter, r *http.Request) (query, error) {
	if err := checkContentType(r); err != nil {
		return query{}, err
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, sim.MaxBody))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	var req request
	if err := dec.Decode(&req); err != nil {
		return query{}, fmt.Errorf("body is not a list request: %v", err)
	}
	if dec.More() {
		return query{}, errors.New("body holds more than one JSON value")
	}
	f := cmp.Or(req.Filter, &filterFields{})
	p := cmp.Or(req.Paging, &pagingFields{})
	for _, u := range []struct {
		set     bool
		field   string
		dialect Dialect // the dialect that does not document it
	}{
		{f.Charged != nil, "filter.charged", ETelecom},
		{f.IsDevelopment != nil, "filter.is_development", InterITS},
		{f.TimeType != nil, "filter.time_type", InterITS},
		{f.UserID != nil, "filter.user_id", InterITS},
	} {
		if u.set && u.dialect == s.dialect {
			return query{}, fmt.Errorf("unknown field %s", u.field)
		}
	}
	q := query{timeType: timeUpdated, match: matchers(f)}
	if tt := f.TimeType; tt != nil {
		switch *tt {
		case "", "unknown", timeUpdated:
		case timeRequest, timeSubmit:
			q.timeType = *tt
		default:
			return query{}, fmt.Errorf("filter.time_type %q is not request_time, updated_time or submit_time", *tt)
		}
	}
	var err error
	if q.from, err = parseTime("filter.date_from", f.DateFrom); err != nil {
		return query{}, err
	}
	if q.to, err = parseTime("filter.date_to", f.DateTo); err != nil {
		return query{}, err
	}
	switch {
	case p.Limit < 0:
		return query{}, errors.New("paging.limit must not be negative")
	case p.Limit == 0:
		q.limit = defaultLimit
	default:
		q.limit = min(p.Limit, maxLimit)
	}
	q.limit = min(q.limit, s.PageCap)
	if p.Before != "" {
		return query{}, errors.New("paging.before is not supported by the simulator")
	}
	if p.Sort != "" {
		return query{}, errors.New("paging.sort is not supported by the simulator")
	}
	if p.After != "" {
		if q.after, err = decodeCursor(p.After); err != nil {
			return query{}, err
		}
		q.cursor = p.After
	}
	return q, nil
}

// parseTime reads an optional RFC 3339 filter bound.
func parseTime(field string, v *string) (time.Time, error) {
	if v == nil || *v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, *v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q is not an RFC 3339 date-time", field, *v)
	}
	return t, nil
}

// matchers turns the equality filters into predicates. delivery_status and
// msg_type compare case-insensitively (the documents spell them both
// ways); msg_type "unknown" matches everything, as an unset enum does.
func matchers(f *filterFields) []func(*Record) bool {
	var out []func(*Record) bool
	eq := func(want *string, get func(*Record) string) {
		if want != nil {
			out = append(out, func(r *Record) bool { return get(r) == *want })
		}
	}
	fold := func(want *string, get func(*Record) string) {
		if want != nil {
			out = append(out, func(r *Record) bool { return strings.EqualFold(get(r), *want) })
		}
	}
	flag := func(want *bool, get func(*Record) bool) {
		if want != nil {
			out = append(out, func(r *Record) bool { return get(r) == *want })
		}
	}
	eq(f.CampaignID, func(r *Record) string { return r.CampaignID })
	eq(f.JourneyID, func(r *Record) string { return r.JourneyID })
	eq(f.MsgID, func(r *Record) string { return r.MsgID })
	eq(f.OAID, func(r *Record) string { return r.OAID })
	eq(f.Phone, func(r *Record) string { return r.Phone })
	eq(f.Status, func(r *Record) string { return r.Status })
	eq(f.TrackingID, func(r *Record) string { return r.TrackingID })
	eq(f.UserID, func(r *Record) string { return r.UserID })
	fold(f.DeliveryStatus, func(r *Record) string { return r.DeliveryStatus })
	if f.MsgType != nil && !strings.EqualFold(*f.MsgType, "unknown") {
		fold(f.MsgType, func(r *Record) string { return r.Type })
	}
	flag(f.Charged, func(r *Record) bool { return r.IsCharged })
	flag(f.IsCharged, func(r *Record) bool { return r.IsCharged })
	flag(f.IsDevelopment, func(r *Record) bool { return r.IsDevelopment })
	if f.TemplateID != nil {
		want := strconv.FormatInt(*f.TemplateID, 10)
		out = append(out, func(r *Record) bool { return r.TemplateID == want })
	}
	return out
}

// encodeCursor is the opaque cursor of a position: base64url of
// "serial.unixnano.id". The serial makes each page's cursor differ even
// when the position does not (an empty page).
func encodeCursor(p position) string {
	nanos := int64(math.MinInt64)
	if !p.t.IsZero() {
		nanos = p.t.UnixNano()
	}
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%d.%d.%s", p.serial, nanos, p.id))
}

// decodeCursor reads a cursor made by encodeCursor.
func decodeCursor(c string) (position, error) {
	bad := fmt.Errorf("paging.after %q is not a cursor of this API", c)
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return position{}, bad
	}
	parts := strings.SplitN(string(raw), ".", 3)
	if len(parts) != 3 {
		return position{}, bad
	}
	serial, err1 := strconv.Atoi(parts[0])
	nanos, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err1 != nil || err2 != nil || serial < 0 || (parts[2] != "" && !source.Digits(parts[2])) {
		return position{}, bad
	}
	p := position{serial: serial, id: parts[2]}
	if nanos != math.MinInt64 {
		p.t = time.Unix(0, nanos).UTC()
	}
	return p, nil
}

// keyTime is the time a query of timeType filters and orders e on; zero
// when the message has none.
func keyTime(r *Record, timeType string) time.Time {
	switch timeType {
	case timeRequest:
		return r.RequestTime
	case timeSubmit:
		return r.SubmitTime
	}
	return r.UpdatedAt
}

// page appends the answer to q to b under fault (FaultEmptyPage and
// FaultStuckCursor change it). It returns the body and the offsets just
// inside the messages array.
func (s *Sim) page(q query, fault Fault, b []byte) (body []byte, arrayStart, arrayEnd int) {
	now := s.Now()
	var es []*entry
	more := false
	if fault != FaultEmptyPage {
		s.dataMu.RLock()
		es, more = s.data.list(q, now)
		s.dataMu.RUnlock()
	}
	var first, last, next string
	serial := q.after.serial + 1
	if len(es) > 0 {
		first = encodeCursor(position{serial, keyTime(&es[0].rec, q.timeType), es[0].rec.ID})
		end := es[len(es)-1]
		last = encodeCursor(position{serial, keyTime(&end.rec, q.timeType), end.rec.ID})
	}
	switch {
	case fault == FaultEmptyPage:
		p := q.after
		p.serial = serial
		next = encodeCursor(p)
	case fault == FaultStuckCursor && q.cursor != "":
		next = q.cursor
	case fault == FaultStuckCursor:
		next = encodeCursor(position{})
	case more:
		next = last
	}

	b = slices.Grow(b, 128+len(es)*700)
	b = append(b, `{"messages":[`...)
	arrayStart = len(b)
	for i, e := range es {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, e.json...)
	}
	arrayEnd = len(b)
	b = append(b, `],"paging":{"after":`...)
	b = sim.AppendString(b, last)
	b = append(b, `,"before":`...)
	b = sim.AppendString(b, first)
	b = append(b, `,"limit":`...)
	b = strconv.AppendInt(b, int64(q.limit), 10)
	b = append(b, `,"next":`...)
	b = sim.AppendString(b, next)
	b = append(b, `,"prev":`...)
	b = sim.AppendString(b, q.cursor)
	b = append(b, `,"sort":""}}`...)
	return b, arrayStart, arrayEnd
}

// list returns the page of q as of now, and whether more messages match
// after it.
func (st *store) list(q query, now time.Time) ([]*entry, bool) {
	candidates := st.order
	if q.timeType != timeUpdated {
		candidates = st.byKeyTime(q.timeType)
	}
	// Skip to the first candidate after the cursor and at or after from.
	start := sort.Search(len(candidates), func(i int) bool {
		return comparePosition(keyTime(&candidates[i].rec, q.timeType), candidates[i].rec.ID, q.after) > 0
	})
	if !q.from.IsZero() {
		start = max(start, sort.Search(len(candidates), func(i int) bool {
			return !keyTime(&candidates[i].rec, q.timeType).Before(q.from)
		}))
	}
	var out []*entry
	for _, e := range candidates[start:] {
		r := &e.rec
		t := keyTime(r, q.timeType)
		if !q.to.IsZero() && t.After(q.to) || q.timeType == timeUpdated && t.After(now) {
			break
		}
		if r.UpdatedAt.After(now) || !matches(r, q.match) {
			continue
		}
		if len(out) == q.limit {
			return out, true
		}
		out = append(out, e)
	}
	return out, false
}

// matches reports whether r passes every predicate.
func matches(r *Record, match []func(*Record) bool) bool {
	for _, m := range match {
		if !m(r) {
			return false
		}
	}
	return true
}

// comparePosition compares the message (t, id) with position p; the zero
// position comes before everything.
func comparePosition(t time.Time, id string, p position) int {
	if p.t.IsZero() {
		return 1
	}
	if c := t.Compare(p.t); c != 0 {
		return c
	}
	return source.CompareIDs(id, p.id)
}
