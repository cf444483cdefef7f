package tikisim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/vnstream/connector/pkg/sim"
	"github.com/vnstream/connector/pkg/source"
)

// timeLayout is how created_at is served.
const timeLayout = "2006-01-02T15:04:05Z"

// Response is one stored form response.
type Response struct {
	// ID is a numeric string without leading zeros, unique in the Sim. Ids
	// compare as integers ("99" < "100").
	ID string
	// FormID is a numeric string without leading zeros.
	FormID string
	// CreatedAt has second resolution; it is stored truncated to the second
	// and served in UTC as "2006-01-02T15:04:05Z".
	CreatedAt time.Time
	// Inputs is a JSON object, served verbatim; empty means {}.
	Inputs json.RawMessage
	// Extra holds additional top-level fields served with the record (to
	// check that clients keep unknown fields); may be nil. Its keys must not
	// be id, created_at, form_id or inputs.
	Extra map[string]json.RawMessage
}

// Create stores a response of formID created at createdAt with the next id
// of the counter (WithStartID, default 1000; ids taken by Add are skipped) and
// returns it. Its Inputs are derived from the id alone, e.g.
// {"name":"Lead 1001","phone":"09...","age":..}. Create panics if formID is
// not numeric.
func (s *Sim) Create(formID string, createdAt time.Time) Response {
	s.dataMu.Lock()
	defer s.dataMu.Unlock()
	n := s.data.next
	for s.data.has(strconv.FormatInt(n, 10)) {
		n++
	}
	e := newEntry(Response{ID: strconv.FormatInt(n, 10), FormID: formID, CreatedAt: createdAt, Inputs: leadInputs(n)})
	s.data.insert(e)
	s.data.next = n + 1
	return e.response()
}

// Add stores responses with explicit ids, for late writes, equal timestamps
// and ids of different lengths. It panics, storing none of rs, if an id is
// already stored or repeated in rs, or if a response is invalid (see
// Response).
func (s *Sim) Add(rs ...Response) {
	es := make([]*entry, len(rs))
	for i, r := range rs {
		es[i] = newEntry(r)
	}
	s.dataMu.Lock()
	defer s.dataMu.Unlock()
	seen := make(map[string]bool, len(es))
	for _, e := range es {
		if seen[e.resp.ID] || s.data.has(e.resp.ID) {
			panic("tikisim: duplicate response id " + e.resp.ID)
		}
		seen[e.resp.ID] = true
	}
	for _, e := range es {
		s.data.insert(e)
	}
}

// Responses returns a copy of every stored response, ascending by id as
// integers.
func (s *Sim) Responses() []Response {
	s.dataMu.RLock()
	defer s.dataMu.RUnlock()
	out := make([]Response, len(s.data.all))
	for i, e := range s.data.all {
		out[i] = e.response()
	}
	return out
}

// next stores a response of the next form of WithForms created at at, as
// Create does.
func (s *Sim) next(at time.Time) Response {
	return s.Create(s.forms[(s.turn.Add(1)-1)%uint64(len(s.forms))], at)
}

// leadInputs returns the deterministic answers of the lead with id n: a
// lead form's usual questions, in Vietnamese, about 300 bytes (a response
// about 400 bytes as served).
func leadInputs(n int64) json.RawMessage {
	families := [...]string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Võ", "Đặng"}
	givens := [...]string{"Thị Hương", "Văn Minh", "Ngọc Anh", "Đức Thắng", "Thu Trang", "Quốc Bảo", "Mỹ Linh"}
	cities := [...]string{"Hà Nội", "TP Hồ Chí Minh", "Đà Nẵng", "Cần Thơ", "Hải Phòng"}
	products := [...]string{"Máy lọc không khí", "Nồi chiên không dầu", "Bảo hiểm sức khỏe", "Khóa học tiếng Anh"}
	genders := [...]string{"female", "male", "other"}
	return fmt.Appendf(nil, `{"name":"%s %s","phone":"09%08d","email":"lead%d@example.com","age":%d,"gender":%q,`+
		`"city":%q,"address":"Số %d đường Trần Hưng Đạo","interest":%q,"message":"Tư vấn giúp tôi về sản phẩm này"}`,
		families[n%8], givens[n%7], uint64(n)*7919%100_000_000, n, 18+n%50, genders[n%3],
		cities[n%5], 1+n%300, products[n%4])
}

// entry is a stored response with what serving it needs.
type entry struct {
	resp  Response
	unix  int64  // resp.CreatedAt in unix seconds
	extra []byte // resp.Extra encoded as `,"key":value` pairs in key order
}

// newEntry validates r and returns it ready to store, owning copies of its
// JSON. It panics if r is invalid.
func newEntry(r Response) *entry {
	mustBeID("response id", r.ID)
	mustBeID("form id", r.FormID)
	r.CreatedAt = r.CreatedAt.UTC().Truncate(time.Second)
	if len(r.Inputs) == 0 {
		r.Inputs = json.RawMessage(`{}`)
	}
	if trimmed := bytes.TrimSpace(r.Inputs); !json.Valid(r.Inputs) || trimmed[0] != '{' {
		panic(fmt.Sprintf("tikisim: inputs of response %s are not a JSON object", r.ID))
	}
	r.Inputs = bytes.Clone(r.Inputs)
	e := &entry{unix: r.CreatedAt.Unix()}
	r.Extra = sim.CloneJSON(r.Extra)
	for _, k := range slices.Sorted(maps.Keys(r.Extra)) {
		switch k {
		case "id", "created_at", "form_id", "inputs":
			panic(fmt.Sprintf("tikisim: extra field %q of response %s shadows a standard field", k, r.ID))
		}
		v := r.Extra[k]
		if !json.Valid(v) {
			panic(fmt.Sprintf("tikisim: extra field %q of response %s is not valid JSON", k, r.ID))
		}
		key, _ := json.Marshal(k) // a string always encodes
		e.extra = append(append(append(append(e.extra, ','), key...), ':'), v...)
	}
	e.resp = r
	return e
}

// mustBeID panics unless id, the what of a response, is a number without
// leading zeros.
func mustBeID(what, id string) {
	if !source.Digits(id) || source.TrimZeros(id) != id {
		panic(fmt.Sprintf("tikisim: %s %q is not a number without leading zeros", what, id))
	}
}

// response returns a copy of the stored response that the caller may modify.
func (e *entry) response() Response {
	r := e.resp
	r.Inputs = bytes.Clone(r.Inputs)
	r.Extra = sim.CloneJSON(r.Extra)
	return r
}

// size is about the length of the record as served, never less.
func (e *entry) size() int {
	return len(`{"id":"","created_at":"","form_id":"","inputs":}`) + len(e.resp.ID) + len(timeLayout) + len(e.resp.FormID) + len(e.resp.Inputs) + len(e.extra) + 1
}

// appendJSON appends the record as the vendor serves it.
func (e *entry) appendJSON(b []byte) []byte {
	b = append(b, `{"id":"`...)
	b = append(b, e.resp.ID...)
	b = append(b, `","created_at":"`...)
	b = e.resp.CreatedAt.AppendFormat(b, timeLayout)
	b = append(b, `","form_id":"`...)
	b = append(b, e.resp.FormID...)
	b = append(b, `","inputs":`...)
	b = append(b, e.resp.Inputs...)
	b = append(b, e.extra...)
	return append(b, '}')
}

// byID is the comparison for binary searches of entries by id.
func byID(e *entry, id string) int { return source.CompareIDs(e.resp.ID, id) }

// store holds the responses. It is not safe for concurrent use; Sim guards
// it with dataMu.
type store struct {
	all   []*entry              // ascending by id
	forms map[string]*formIndex // by form id
	next  int64                 // the id Create tries next
}

// has reports whether id is stored.
func (st *store) has(id string) bool {
	_, found := slices.BinarySearchFunc(st.all, id, byID)
	return found
}

// insert stores e, whose id must be new.
func (st *store) insert(e *entry) {
	i, _ := slices.BinarySearchFunc(st.all, e.resp.ID, byID)
	st.all = slices.Insert(st.all, i, e)
	fi := st.forms[e.resp.FormID]
	if fi == nil {
		fi = &formIndex{}
		st.forms[e.resp.FormID] = fi
	}
	fi.insert(e)
}

// page returns the number of responses matching q's forms and time range,
// and the limit highest-id ones of them below q.ltID, id descending.
func (st *store) page(q query, limit int) (total int, out []*entry) {
	if q.from > q.to {
		return 0, nil
	}
	var cursors []cursor
	for _, f := range q.forms {
		fi := st.forms[f]
		if fi == nil {
			continue
		}
		total += fi.count(q.from, q.to)
		if c := fi.cursor(q); c.pos >= 0 {
			cursors = append(cursors, c)
		}
	}
	for len(out) < limit && len(cursors) > 0 {
		best := 0
		for i := 1; i < len(cursors); i++ {
			if source.CompareIDs(cursors[i].entry().resp.ID, cursors[best].entry().resp.ID) > 0 {
				best = i
			}
		}
		out = append(out, cursors[best].entry())
		if !cursors[best].next() {
			cursors = slices.Delete(cursors, best, best+1)
		}
	}
	return total, out
}

// formIndex holds one form's responses, indexed so that a page costs about
// its size plus the number of late writes it has to skip, not the number of
// responses stored.
type formIndex struct {
	byID []*entry // ascending by id
	// maxUpTo[i] is the latest created_at of byID[:i+1] and minFrom[i] the
	// earliest of byID[i:], in unix seconds: a downward scan stops once
	// maxUpTo is before from_time and starts below the first minFrom after
	// to_time, even when ids and created_at disagree.
	maxUpTo []int64
	minFrom []int64
	times   []int64 // every created_at in unix seconds, ascending, for totals
}

// insert adds e in id order and updates the time indexes.
func (fi *formIndex) insert(e *entry) {
	i, _ := slices.BinarySearchFunc(fi.byID, e.resp.ID, byID)
	fi.byID = slices.Insert(fi.byID, i, e)

	m := e.unix
	if i > 0 {
		m = max(m, fi.maxUpTo[i-1])
	}
	fi.maxUpTo = slices.Insert(fi.maxUpTo, i, m)
	for j := i + 1; j < len(fi.maxUpTo) && fi.maxUpTo[j] < e.unix; j++ {
		fi.maxUpTo[j] = e.unix
	}

	m = e.unix
	if i < len(fi.minFrom) {
		m = min(m, fi.minFrom[i])
	}
	fi.minFrom = slices.Insert(fi.minFrom, i, m)
	for j := i - 1; j >= 0 && fi.minFrom[j] > e.unix; j-- {
		fi.minFrom[j] = e.unix
	}

	t, _ := slices.BinarySearch(fi.times, e.unix)
	fi.times = slices.Insert(fi.times, t, e.unix)
}

// count returns how many responses were created in [from, to].
func (fi *formIndex) count(from, to int64) int {
	lo := sort.Search(len(fi.times), func(i int) bool { return fi.times[i] >= from })
	hi := sort.Search(len(fi.times), func(i int) bool { return fi.times[i] > to })
	return hi - lo
}

// cursor returns a cursor on the highest-id response matching q, with pos -1
// when there is none.
func (fi *formIndex) cursor(q query) cursor {
	hi := len(fi.byID)
	if q.ltID != "" {
		hi, _ = slices.BinarySearchFunc(fi.byID, q.ltID, byID)
	}
	// Every response at or above the first index whose suffix minimum is
	// after to_time was created after to_time.
	hi = min(hi, sort.Search(len(fi.minFrom), func(i int) bool { return fi.minFrom[i] > q.to }))
	c := cursor{fi: fi, pos: hi, from: q.from, to: q.to}
	c.next()
	return c
}

// cursor walks one form's responses downwards by id, stopping on those
// created in [from, to].
type cursor struct {
	fi       *formIndex
	pos      int
	from, to int64
}

// entry returns the response the cursor is on.
func (c *cursor) entry() *entry { return c.fi.byID[c.pos] }

// next moves to the next lower matching response; at the end it sets pos
// to -1 and returns false.
func (c *cursor) next() bool {
	for c.pos--; c.pos >= 0 && c.fi.maxUpTo[c.pos] >= c.from; c.pos-- {
		if u := c.fi.byID[c.pos].unix; u >= c.from && u <= c.to {
			return true
		}
	}
	c.pos = -1
	return false
}
