package znssim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/vnstream/connector/pkg/sim"
	"github.com/vnstream/connector/pkg/source"
)

// defaultStartID is the first id Create assigns: beyond 2^53, so a client
// that reads ids through float64 loses digits.
const defaultStartID = 1021110718827683840

// Record is one stored message, in its current version. The platform
// keeps no history: listing serves the current version only.
//
// A record is served as a JSON object with its members in name order (as
// in eTelecom's document); empty strings, zero times and nil JSON are left
// out, numbers and booleans are always there, and Extra is merged in.
// eTelecom sends every id as a JSON string (template_id as a number),
// times in UTC with milliseconds ("2025-11-02T22:12:50.529Z"), and
// is_development, zl_user_id and request_time. InterITS leaves those three
// out, sends shop_id, user_id and template_id as JSON numbers, id as a
// number when its last digit is odd (a string otherwise), and times at
// +07:00 with as many fraction digits as needed
// ("2025-11-03T05:12:50.5+07:00").
type Record struct {
	// ID is a decimal number without leading zeros, unique in the Sim.
	ID string
	// The other ids and the texts; ShopID and UserID are decimal numbers
	// in generated messages.
	ShopID, UserID, OAID, CampaignID, JourneyID, MsgID, TrackingID string
	// TemplateID is a decimal number or empty.
	TemplateID   string
	Type, Status string
	Phone        string
	// TemplateData is a JSON object served verbatim; nil leaves it out.
	TemplateData json.RawMessage
	ZlUserID     string
	// IsDevelopment, IsCharged and the numbers are always served.
	IsDevelopment, IsCharged bool
	FeeMain, FeeToken        int64
	ErrorCode                int64
	ErrorMessage             string
	Timeout                  int64
	DeliveryStatus           string
	// The times have millisecond resolution: they are stored truncated
	// to the millisecond, in UTC. A zero time is left out.
	DeliveryTime, RequestTime, SentTime, SubmitTime time.Time
	Rate                                            int64
	Note                                            string
	// Feedback is a JSON array served verbatim; nil leaves it out.
	Feedback json.RawMessage
	// CreatedAt and UpdatedAt are required.
	CreatedAt, UpdatedAt time.Time
	// Extra holds top-level fields served with the record: a new name
	// adds a field (unknown fields clients must keep), a standard name
	// replaces that field's value (to serve a wrong type). May be nil.
	Extra map[string]json.RawMessage
}

// entry is a stored record with its JSON as the Sim's dialect serves it.
type entry struct {
	rec  Record
	json []byte
}

// store holds the messages. It is not safe for concurrent use; Sim guards
// it with dataMu.
type store struct {
	byID  map[string]*entry
	order []*entry // by (UpdatedAt, ID), ids as integers
	next  uint64   // the id Create tries next
}

// Create stores a new message sent at at, with the next id of the counter
// (WithStartID; ids taken by Add are skipped), and returns it. Its content
// is derived from the id alone: an order notification to a Vietnamese
// name and phone, delivery_status unknown, created_at = updated_at =
// request_time = sent_time = at.
func (s *Sim) Create(at time.Time) Record {
	s.dataMu.Lock()
	defer s.dataMu.Unlock()
	n := s.data.next
	for s.data.byID[strconv.FormatUint(n, 10)] != nil {
		n++
	}
	s.data.next = n + 1
	e := s.newEntry(generate(n, at))
	s.data.insert(e)
	return e.rec.clone()
}

// Update moves message id one step along its life, as the platform's
// messages change, and stamps updated_at = at: delivery_status unknown ->
// received (delivery_time = at) -> seen -> a rating arrives (rate 1..5,
// feedback, note, submit_time = at) -> later, the feedback and note
// change (submit_time = at). It returns the new version; an unknown id or
// an at before the current updated_at is an error.
func (s *Sim) Update(id string, at time.Time) (Record, error) {
	s.dataMu.Lock()
	defer s.dataMu.Unlock()
	old := s.data.byID[id]
	if old == nil {
		return Record{}, fmt.Errorf("znssim: no message %s", id)
	}
	at = at.UTC().Truncate(time.Millisecond)
	if at.Before(old.rec.UpdatedAt) {
		return Record{}, fmt.Errorf("znssim: message %s was updated at %s, after %s", id, old.rec.UpdatedAt.Format(time.RFC3339Nano), at.Format(time.RFC3339Nano))
	}
	r := old.rec.clone()
	advance(&r, at)
	s.data.remove(old)
	e := s.newEntry(r)
	s.data.insert(e)
	return e.rec.clone(), nil
}

// Add stores messages with explicit content, for late writes, equal
// timestamps, wrong types and unknown fields. It panics, storing none of
// rs, if an id is already stored or repeated in rs, or if a record is
// invalid (see Record).
func (s *Sim) Add(rs ...Record) {
	es := make([]*entry, len(rs))
	for i, r := range rs {
		if err := r.validate(); err != nil {
			panic("znssim: " + err.Error())
		}
		es[i] = s.newEntry(r.clone())
	}
	s.dataMu.Lock()
	defer s.dataMu.Unlock()
	seen := make(map[string]bool, len(es))
	for _, e := range es {
		if seen[e.rec.ID] || s.data.byID[e.rec.ID] != nil {
			panic("znssim: duplicate message id " + e.rec.ID)
		}
		seen[e.rec.ID] = true
	}
	if len(es) == 1 {
		s.data.insert(es[0])
		return
	}
	for _, e := range es {
		s.data.byID[e.rec.ID] = e
	}
	s.data.order = append(s.data.order, es...)
	slices.SortFunc(s.data.order, compareEntries)
}

// Records returns a copy of every stored message in list order: updated_at,
// then id as integers.
func (s *Sim) Records() []Record {
	s.dataMu.RLock()
	defer s.dataMu.RUnlock()
	out := make([]Record, len(s.data.order))
	for i, e := range s.data.order {
		out[i] = e.rec.clone()
	}
	return out
}

// validate checks a record given to Add.
func (r *Record) validate() error {
	switch {
	case !source.Digits(r.ID) || (len(r.ID) > 1 && r.ID[0] == '0'):
		return fmt.Errorf("message id %q is not a number without leading zeros", r.ID)
	case r.CreatedAt.IsZero() || r.UpdatedAt.IsZero():
		return fmt.Errorf("message %s has no created_at or updated_at", r.ID)
	case r.TemplateID != "" && !source.Digits(r.TemplateID):
		return fmt.Errorf("template_id %q of message %s is not a number", r.TemplateID, r.ID)
	case r.TemplateData != nil && !validJSON(r.TemplateData, '{'):
		return fmt.Errorf("template_data of message %s is not a JSON object", r.ID)
	case r.Feedback != nil && !validJSON(r.Feedback, '['):
		return fmt.Errorf("feedback of message %s is not a JSON array", r.ID)
	}
	for k, v := range r.Extra {
		if !validJSON(v, 0) {
			return fmt.Errorf("extra field %q of message %s is not valid JSON", k, r.ID)
		}
	}
	return nil
}

// clone returns a copy of r that shares no memory with it, its times in
// UTC truncated to the millisecond.
func (r Record) clone() Record {
	r.TemplateData = bytes.Clone(r.TemplateData)
	r.Feedback = bytes.Clone(r.Feedback)
	r.Extra = sim.CloneJSON(r.Extra)
	for _, t := range []*time.Time{&r.DeliveryTime, &r.RequestTime, &r.SentTime, &r.SubmitTime, &r.CreatedAt, &r.UpdatedAt} {
		if !t.IsZero() {
			*t = t.UTC().Truncate(time.Millisecond)
		}
	}
	return r
}

// newEntry encodes r, which the entry then owns, as the dialect serves it.
func (s *Sim) newEntry(r Record) *entry {
	return &entry{rec: r, json: s.encode(&r)}
}

// insert stores e, whose id must be new.
func (st *store) insert(e *entry) {
	st.byID[e.rec.ID] = e
	i, _ := slices.BinarySearchFunc(st.order, e, compareEntries)
	st.order = slices.Insert(st.order, i, e)
}

// remove deletes the stored e.
func (st *store) remove(e *entry) {
	delete(st.byID, e.rec.ID)
	if i, found := slices.BinarySearchFunc(st.order, e, compareEntries); found {
		st.order = slices.Delete(st.order, i, i+1)
	}
}

// byKeyTime returns the messages that have the time of timeType, ordered
// by it and then id.
func (st *store) byKeyTime(timeType string) []*entry {
	var out []*entry
	for _, e := range st.order {
		if !keyTime(&e.rec, timeType).IsZero() {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b *entry) int {
		if c := keyTime(&a.rec, timeType).Compare(keyTime(&b.rec, timeType)); c != 0 {
			return c
		}
		return source.CompareIDs(a.rec.ID, b.rec.ID)
	})
	return out
}

// compareEntries orders entries by (UpdatedAt, ID).
func compareEntries(a, b *entry) int {
	if c := a.rec.UpdatedAt.Compare(b.rec.UpdatedAt); c != 0 {
		return c
	}
	return source.CompareIDs(a.rec.ID, b.rec.ID)
}

// validJSON reports whether v is one JSON value opening with open (any
// value when open is 0).
func validJSON(v json.RawMessage, open byte) bool {
	t := bytes.TrimSpace(v)
	return json.Valid(v) && len(t) > 0 && (open == 0 || t[0] == open)
}
