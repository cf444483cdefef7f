package nxlink

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unsafe"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/vnstream/connector/pkg/source"
)

// customer is one decoded customer. value is set when it converted; err
// otherwise. id and updated are set whenever they could be read, even when
// the rest is bad, so that paging, ordering and deduplication go on; they
// are zero otherwise.
type customer struct {
	id        int64
	idOK      bool
	updated   time.Time
	updatedOK bool
	value     *Customer
	raw       []byte // the customer as sent, for the dead-letter topic
	err       error
}

// wireCustomer is a customer as nxlink sends it. Its strings and integers
// decode into the embedded Customer by their json tags (null or missing is
// nil). The members read by hand are kept as sent in the fields below,
// which take the place of Customer's of the same names (v2: the shallowest
// field wins): the ids, sent as numbers or strings, the times,
// customize_field and tags. The members the schema does not know are
// gathered in Unknown, as sent (`embed` makes a jsontext.Value the
// struct's fallback for them). texts holds the strings CustomizeField,
// Tags and ExtraJSON point to, saving an allocation each.
type wireCustomer struct {
	Customer
	ID             jsontext.Value `json:"id"`
	CreatedAt      jsontext.Value `json:"created_at"`
	UpdatedAt      jsontext.Value `json:"updated_at"`
	TenantID       jsontext.Value `json:"tenant_id"`
	CustomizeField jsontext.Value `json:"customize_field"`
	Tags           jsontext.Value `json:"tags"`
	Unknown        jsontext.Value `json:",embed"`
	texts          [3]string
	// strings are what the string members of Customer point to while
	// decoding: see point.
	strings [17]string
}

// absent is what a string member's cell holds before decoding: after it,
// a cell still holding this very string (the same bytes in memory, not
// merely equal ones) was not sent.
var absent = string([]byte{0})

// point makes each string member of w's Customer point to one of w's
// strings, holding absent. v2 decodes a member into the string its
// pointer points to, where it would allocate a string pointer of its own
// for each member sent (17 of nxlink's 43 allocations per customer;
// cmd/bench's nxlink run took 17.7 µs per record before this); null
// still sets the pointer to nil.
func (w *wireCustomer) point() {
	for i, p := range w.members() {
		w.strings[i] = absent
		*p = &w.strings[i]
	}
}

// unpoint sets to nil the string members that were not sent.
func (w *wireCustomer) unpoint() {
	for _, p := range w.members() {
		if *p != nil && unsafe.StringData(**p) == unsafe.StringData(absent) {
			*p = nil
		}
	}
}

// members are the string members of w's Customer that v2 decodes.
func (w *wireCustomer) members() [17]**string {
	c := &w.Customer
	return [...]**string{&c.FirstName, &c.LastName, &c.FullName, &c.SMSPhone, &c.WhatsAppPhone,
		&c.ViberPhone, &c.Line, &c.Messenger, &c.Instagram, &c.Email, &c.Country, &c.Birthday,
		&c.Remark, &c.SourceChannelKey, &c.WhatAppSubscribe, &c.SMSSubscribe, &c.Web}
}

// decodeCustomer converts one customer as sent; on any input it never
// panics. Members are matched by their exact documented names; every
// other member goes to extra_json, as sent. A member of the wrong JSON
// type, a missing id, created_at or updated_at, or a time that does not
// parse is an error, and every such error is told: the strings and
// integers in the order sent, then the members read by hand. Zone-less
// times are read in loc; a missing or null tenant_id is the tenant the
// request named.
func decodeCustomer(raw jsontext.Value, loc *time.Location, tenant int64) customer {
	c := customer{raw: raw}
	if raw.Kind() != '{' {
		c.err = errors.New("customer (id unknown): not a JSON object")
		return c
	}
	w := new(wireCustomer)
	w.point()
	var errs []error
	err := json.Unmarshal(raw, w, source.DecodeOptions)
	if _, ok := errors.AsType[*json.SemanticError](err); ok {
		// A member of the wrong JSON type stops the decoding. Decode again,
		// noting such members instead, so that the others (the id and
		// updated_at above all) are still read and every error is told.
		wrong := new([]error)
		*w = wireCustomer{}
		w.point()
		err = json.Unmarshal(raw, w, source.DecodeOptions, json.WithUnmarshalers(wrongTypes(wrong)))
		errs = *wrong
	}
	w.unpoint()
	if err != nil {
		c.err = fmt.Errorf("customer (id unknown): not valid JSON: %w", err)
		return c
	}
	v := &w.Customer
	var bad [6]error // the members read by hand, told in this order
	v.ID, bad[0] = integer("id", w.ID)
	v.CreatedAt, bad[1] = stamp("created_at", w.CreatedAt, loc)
	v.UpdatedAt, bad[2] = stamp("updated_at", w.UpdatedAt, loc)
	v.TenantID = tenant
	if !source.IsNull(w.TenantID) {
		v.TenantID, bad[3] = integer("tenant_id", w.TenantID)
	}
	v.CustomizeField, bad[4] = customize(w.CustomizeField, &w.texts[0])
	v.Tags, bad[5] = tags(w.Tags, &w.texts[1])
	if len(w.Unknown) > 0 {
		w.texts[2] = string(w.Unknown)
		v.ExtraJSON = &w.texts[2]
	}
	// The value points into w: let go of the members read by hand, which
	// are copied out (3 MiB of a window of 8,300 customers on cmd/bench).
	w.ID, w.CreatedAt, w.UpdatedAt, w.TenantID, w.CustomizeField, w.Tags, w.Unknown = nil, nil, nil, nil, nil, nil, nil
	c.id, c.idOK = v.ID, bad[0] == nil
	c.updated, c.updatedOK = v.UpdatedAt, bad[2] == nil
	if len(errs) == 0 && errors.Join(bad[:]...) == nil {
		c.value = v
		return c
	}
	name := "(id unknown)"
	if c.idOK {
		name = strconv.FormatInt(c.id, 10)
	}
	c.err = fmt.Errorf("customer %s: %w", name, errors.Join(append(errs, bad[:]...)...))
	return c
}

// wrongTypes returns the unmarshalers of a customer's second decoding: a
// string or integer member of the wrong JSON type is skipped, leaving its
// field nil, and its error added to errs.
func wrongTypes(errs *[]error) *json.Unmarshalers {
	note := func(dec *jsontext.Decoder, want string) error {
		v, err := dec.ReadValue()
		if err == nil {
			*errs = append(*errs, fmt.Errorf("%s is a JSON %s, %s", dec.StackPointer().LastToken(), source.JSONType(v), want))
		}
		return err
	}
	return json.JoinUnmarshalers(
		json.UnmarshalFromFunc(func(dec *jsontext.Decoder, _ **string) error {
			if k := dec.PeekKind(); k == '"' || k == 'n' {
				return errors.ErrUnsupported
			}
			return note(dec, "want a string")
		}),
		json.UnmarshalFromFunc(func(dec *jsontext.Decoder, p **int64) error {
			switch dec.PeekKind() {
			case 'n':
				return errors.ErrUnsupported
			case '0':
				v, err := dec.ReadValue()
				if err != nil {
					return err
				}
				if n, err := strconv.ParseInt(string(v), 10, 64); err == nil {
					*p = &n
				} else {
					*errs = append(*errs, fmt.Errorf("%s %s is not a 64-bit integer", dec.StackPointer().LastToken(), v))
				}
				return nil
			}
			return note(dec, "want an integer")
		}),
	)
}

// stamp reads a required time member, a JSON string: nxlink's
// "2024-07-19T17:29:27" (or with a space) in loc, with or without
// fractions of a second, or an RFC 3339 time with its own offset. The
// result is in UTC.
func stamp(field string, v jsontext.Value, loc *time.Location) (time.Time, error) {
	switch v.Kind() {
	case 0, 'n':
		return time.Time{}, fmt.Errorf("%s is missing", field)
	case '"':
	default:
		return time.Time{}, fmt.Errorf("%s is a JSON %s, want a string", field, source.JSONType(v))
	}
	var buf, zbuf [64]byte
	b := source.AppendUnquote(buf[:0], v)
	// A zone-less time, a "Z" appended (and a space made a T), reads as RFC
	// 3339 through time.Parse's fast path; its wall clock is then put in
	// loc, as time.ParseInLocation would, at a fraction of the cost.
	z := append(append(zbuf[:0], b...), 'Z')
	if len(z) > 10 && z[10] == ' ' {
		z[10] = 'T'
	}
	if t, err := time.Parse(time.RFC3339Nano, string(z)); err == nil {
		y, mo, d := t.Date()
		h, mi, s := t.Clock()
		return time.Date(y, mo, d, h, mi, s, t.Nanosecond(), loc).UTC(), nil
	}
	// RFC 3339 allows a lower-case t and z, which time.Parse does not.
	if t, err := time.Parse(time.RFC3339Nano, string(bytes.ToUpper(b))); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%s %q is not a time (want RFC 3339 or 2006-01-02 15:04:05)", field, string(b))
}

// customize reads customize_field: the content of a JSON string (a JSON
// document inside a string, kept exactly), or an object or array sent
// unquoted, kept as its JSON text. Null or missing is nil.
func customize(v jsontext.Value, s *string) (*string, error) {
	switch v.Kind() {
	case 0, 'n':
		return nil, nil
	case '"':
		*s = source.Unquote(v)
		return s, nil
	case '{', '[':
		*s = string(v)
		return s, nil
	}
	return nil, fmt.Errorf("customize_field %s is not a string", source.Quote(v))
}

// tags reads tags: an array of tag objects, byte for byte as sent. Null or
// missing is nil.
func tags(v jsontext.Value, s *string) (*string, error) {
	switch v.Kind() {
	case 0, 'n':
		return nil, nil
	case '[':
		*s = string(v)
		return s, nil
	}
	return nil, fmt.Errorf("tags %s is not an array", source.Quote(v))
}
