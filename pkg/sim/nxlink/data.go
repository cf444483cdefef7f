package nxlinksim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/vnstream/connector/pkg/sim"
)

// DefaultStartID is the first id Create assigns unless WithStartID says
// otherwise: the customer id of nxlink's document example.
const DefaultStartID int64 = 1021110718827683840

// Record is one stored customer. A nil pointer or nil JSON is served as
// null.
type Record struct {
	// ID is the customer id: a positive decimal 64-bit integer without
	// leading zeros, served as a JSON number.
	ID string
	// TenantID is served as tenant_id; Add stores 0 as the Sim's tenant.
	TenantID int64
	// CreatedAt and UpdatedAt have second resolution: they are stored
	// truncated to the second, in UTC, and served zone-less
	// ("2024-07-19T17:29:27") in the Sim's zone. Add stores a zero
	// UpdatedAt as CreatedAt. UpdatedAt is what start_time and end_time
	// filter on.
	CreatedAt, UpdatedAt time.Time

	FirstName, LastName, FullName       *string
	SMSPhone, WhatsAppPhone, ViberPhone *string
	Line, Messenger, Instagram, Email   *string
	Country, Birthday, Remark           *string
	SourceType                          *int64
	SourceChannelKey                    *string
	Gender                              *int64
	Status                              *int64
	WhatAppSubscribe, SMSSubscribe      *string
	// CustomizeField is served as a JSON string (nxlink's custom fields
	// are a JSON document inside a string).
	CustomizeField *string
	Weight         *int64
	Web            *string
	// Tags is a JSON array of tag objects, served verbatim.
	Tags json.RawMessage
	// Extra holds additional top-level fields served after the documented
	// ones, in key order (to check that clients keep unknown fields). Its
	// keys must not be documented field names.
	Extra map[string]json.RawMessage
	// Raw, when set, is served verbatim instead of the record's JSON: a
	// trap such as a field of the wrong type or a bad time. ID and
	// UpdatedAt still place the record in the listing.
	Raw json.RawMessage
}

// strings returns pointers to r's string fields.
func (r *Record) strings() []**string {
	return []**string{&r.FirstName, &r.LastName, &r.FullName, &r.SMSPhone, &r.WhatsAppPhone, &r.ViberPhone,
		&r.Line, &r.Messenger, &r.Instagram, &r.Email, &r.Country, &r.Birthday, &r.Remark,
		&r.SourceChannelKey, &r.WhatAppSubscribe, &r.SMSSubscribe, &r.CustomizeField, &r.Web}
}

// clone returns a copy of r sharing no memory with it.
func (r Record) clone() Record {
	box := new(fieldBox)
	for i, p := range r.strings() {
		if *p != nil {
			box.strs[i] = **p
			*p = &box.strs[i]
		}
	}
	for i, p := range r.ints() {
		if *p != nil {
			box.ints[i] = **p
			*p = &box.ints[i]
		}
	}
	r.Tags = bytes.Clone(r.Tags)
	r.Raw = bytes.Clone(r.Raw)
	r.Extra = sim.CloneJSON(r.Extra)
	return r
}

// ints returns pointers to r's integer fields.
func (r *Record) ints() []**int64 {
	return []**int64{&r.SourceType, &r.Gender, &r.Status, &r.Weight}
}

// fieldBox holds the values a Record's pointers point to: one allocation
// instead of one per field.
type fieldBox struct {
	strs [18]string
	ints [4]int64
}

// documented are the field names nxlink documents; Extra may not use them.
var documented = []string{"id", "first_name", "last_name", "full_name", "sms_phone", "whatsApp_phone",
	"viber_phone", "line", "messenger", "instagram", "email", "country", "birthday", "remark", "source_type",
	"source_channel_key", "gender", "created_at", "updated_at", "status", "whatApp_subscribe", "sms_subscribe",
	"customize_field", "tenant_id", "weight", "web", "tags"}

// Create stores a new customer created and updated at at, with the next
// id (DefaultStartID, or WithStartID, then growing by irregular steps like
// a snowflake id; ids taken by Add are skipped) and realistic Vietnamese
// content derived from the id, and returns a copy.
func (s *Sim) Create(at time.Time) Record {
	s.dataMu.Lock()
	defer s.dataMu.Unlock()
	id := s.data.next
	for s.data.byID[id] != nil {
		id++
	}
	e := newEntry(generate(id, s.tenantID, at, s.zone), id)
	s.data.insert(e)
	s.data.next = id + 1 + int64(mix(uint64(id))&0xfff)
	return e.rec.clone()
}

// Update changes customer id the way nxlink customers change: a new given
// name, email, remark and custom fields, one more tag, and every third
// update the status flips. It stamps updated_at = at and returns a copy.
// It fails for an unknown id, or when at is before the customer's current
// updated_at (at second resolution). A Raw record keeps its Raw.
func (s *Sim) Update(id string, at time.Time) (Record, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return Record{}, fmt.Errorf("nxlinksim: update: id %q is not a 64-bit integer", id)
	}
	at = at.UTC().Truncate(time.Second)
	s.dataMu.Lock()
	defer s.dataMu.Unlock()
	e := s.data.byID[n]
	if e == nil {
		return Record{}, fmt.Errorf("nxlinksim: update: no customer %s", id)
	}
	if at.Before(e.rec.UpdatedAt) {
		return Record{}, fmt.Errorf("nxlinksim: update: customer %s was updated at %s, after %s", id,
			e.rec.UpdatedAt.Format(time.RFC3339), at.Format(time.RFC3339))
	}
	e.version++
	change(&e.rec, e.id, e.version, at, s.zone)
	e.updated = at.Unix()
	s.data.dirty = true
	return e.rec.clone(), nil
}

// Add stores records with explicit content: late writes, equal
// timestamps, traps. It panics, storing none of rs, if an id is invalid,
// already stored or repeated in rs, or if a record is otherwise invalid
// (see Record).
func (s *Sim) Add(rs ...Record) {
	es := make([]*entry, len(rs))
	for i, r := range rs {
		es[i] = checked(r.clone(), s.tenantID)
	}
	s.dataMu.Lock()
	defer s.dataMu.Unlock()
	seen := make(map[int64]bool, len(es))
	for _, e := range es {
		if seen[e.id] || s.data.byID[e.id] != nil {
			panic("nxlinksim: duplicate customer id " + e.rec.ID)
		}
		seen[e.id] = true
	}
	for _, e := range es {
		s.data.insert(e)
	}
}

// Records returns a copy of every stored customer, ascending by id.
func (s *Sim) Records() []Record {
	s.dataMu.Lock()
	defer s.dataMu.Unlock()
	s.data.ensure()
	out := make([]Record, len(s.data.all))
	for i, e := range s.data.all {
		out[i] = e.rec.clone()
	}
	return out
}

// entry is a stored customer with what serving it needs.
type entry struct {
	rec     Record
	id      int64
	updated int64 // rec.UpdatedAt in unix seconds
	version int   // updates applied
}

// newEntry returns the entry of customer id, whose record it then owns,
// with times at second resolution in UTC.
func newEntry(r Record, id int64) *entry {
	r.CreatedAt = r.CreatedAt.UTC().Truncate(time.Second)
	r.UpdatedAt = r.UpdatedAt.UTC().Truncate(time.Second)
	return &entry{rec: r, id: id, updated: r.UpdatedAt.Unix()}
}

// checked validates a record given to Add, fills its defaults and returns
// its entry. It panics if r is invalid.
func checked(r Record, tenant int64) *entry {
	id, err := strconv.ParseInt(r.ID, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != r.ID {
		panic(fmt.Sprintf("nxlinksim: customer id %q is not a positive 64-bit integer without leading zeros", r.ID))
	}
	if r.TenantID == 0 {
		r.TenantID = tenant
	}
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = r.CreatedAt
	}
	for _, p := range r.strings() {
		if *p != nil && !utf8.ValidString(**p) {
			panic(fmt.Sprintf("nxlinksim: customer %s has a string that is not UTF-8", r.ID))
		}
	}
	if r.Tags != nil && !json.Valid(r.Tags) {
		panic(fmt.Sprintf("nxlinksim: tags of customer %s are not valid JSON", r.ID))
	}
	if r.Raw != nil && !json.Valid(r.Raw) {
		panic(fmt.Sprintf("nxlinksim: raw of customer %s is not valid JSON", r.ID))
	}
	for k, v := range r.Extra {
		if slices.Contains(documented, k) {
			panic(fmt.Sprintf("nxlinksim: extra field %q of customer %s shadows a documented field", k, r.ID))
		}
		if !json.Valid(v) {
			panic(fmt.Sprintf("nxlinksim: extra field %q of customer %s is not valid JSON", k, r.ID))
		}
	}
	return newEntry(r, id)
}

// wireTime is how created_at and updated_at are served.
const wireTime = "2006-01-02T15:04:05"

// appendJSON appends the customer as nxlink serves it, times in zone.
func (e *entry) appendJSON(b []byte, zone *time.Location) []byte {
	r := &e.rec
	if r.Raw != nil {
		return append(b, r.Raw...)
	}
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, e.id, 10)
	b = appendString(b, "first_name", r.FirstName)
	b = appendString(b, "last_name", r.LastName)
	b = appendString(b, "full_name", r.FullName)
	b = appendString(b, "sms_phone", r.SMSPhone)
	b = appendString(b, "whatsApp_phone", r.WhatsAppPhone)
	b = appendString(b, "viber_phone", r.ViberPhone)
	b = appendString(b, "line", r.Line)
	b = appendString(b, "messenger", r.Messenger)
	b = appendString(b, "instagram", r.Instagram)
	b = appendString(b, "email", r.Email)
	b = appendString(b, "country", r.Country)
	b = appendString(b, "birthday", r.Birthday)
	b = appendString(b, "remark", r.Remark)
	b = appendInt(b, "source_type", r.SourceType)
	b = appendString(b, "source_channel_key", r.SourceChannelKey)
	b = appendInt(b, "gender", r.Gender)
	b = append(b, `,"created_at":"`...)
	b = r.CreatedAt.In(zone).AppendFormat(b, wireTime)
	b = append(b, '"')
	b = appendInt(b, "status", r.Status)
	b = append(b, `,"updated_at":"`...)
	b = r.UpdatedAt.In(zone).AppendFormat(b, wireTime)
	b = append(b, '"')
	b = appendString(b, "web", r.Web)
	b = append(b, `,"tags":`...)
	if r.Tags == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, r.Tags...)
	}
	b = appendString(b, "whatApp_subscribe", r.WhatAppSubscribe)
	b = appendString(b, "sms_subscribe", r.SMSSubscribe)
	b = appendString(b, "customize_field", r.CustomizeField)
	b = append(b, `,"tenant_id":`...)
	b = strconv.AppendInt(b, r.TenantID, 10)
	b = appendInt(b, "weight", r.Weight)
	for _, k := range slices.Sorted(maps.Keys(r.Extra)) {
		b = append(b, ',')
		b = sim.AppendString(b, k)
		b = append(b, ':')
		b = append(b, r.Extra[k]...)
	}
	return append(b, '}')
}

// appendString appends `,"name":` and s as a JSON string, or null.
func appendString(b []byte, name string, s *string) []byte {
	b = append(b, `,"`...)
	b = append(b, name...)
	b = append(b, `":`...)
	if s == nil {
		return append(b, "null"...)
	}
	return sim.AppendString(b, *s)
}

// appendInt appends `,"name":` and n, or null.
func appendInt(b []byte, name string, n *int64) []byte {
	b = append(b, `,"`...)
	b = append(b, name...)
	b = append(b, `":`...)
	if n == nil {
		return append(b, "null"...)
	}
	return strconv.AppendInt(b, *n, 10)
}
