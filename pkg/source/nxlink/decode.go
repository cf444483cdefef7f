package nxlink

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/vnstream/connector/pkg/source"
)

// customer is one decoded customer. value is set when it converted; err
// otherwise. id and updated are set whenever they could be read, even when
// the rest is bad, so that paging, ordering and deduplication go on.
type customer struct {
	id        int64
	idOK      bool
	updated   time.Time
	updatedOK bool
	value     *Customer
	raw       []byte // the customer as sent, for the dead-letter topic
	err       error
}

// wireCustomer is a customer as nxlink sends it, members matched by their
// exact documented names. Strings and integers decode as they are (null
// or missing is nil); the ids (sent as numbers or strings), the times,
// customize_field and tags are kept as sent and read by decodeCustomer;
// the members the schema does not know are gathered in Unknown, as sent
// (`embed` makes a jsontext.Value the struct's fallback for them).
type wireCustomer struct {
	ID               jsontext.Value `json:"id"`
	FirstName        *string        `json:"first_name"`
	LastName         *string        `json:"last_name"`
	FullName         *string        `json:"full_name"`
	SMSPhone         *string        `json:"sms_phone"`
	WhatsAppPhone    *string        `json:"whatsApp_phone"`
	ViberPhone       *string        `json:"viber_phone"`
	Line             *string        `json:"line"`
	Messenger        *string        `json:"messenger"`
	Instagram        *string        `json:"instagram"`
	Email            *string        `json:"email"`
	Country          *string        `json:"country"`
	Birthday         *string        `json:"birthday"`
	Remark           *string        `json:"remark"`
	SourceType       *int64         `json:"source_type"`
	SourceChannelKey *string        `json:"source_channel_key"`
	Gender           *int64         `json:"gender"`
	CreatedAt        jsontext.Value `json:"created_at"`
	UpdatedAt        jsontext.Value `json:"updated_at"`
	Status           *int64         `json:"status"`
	WhatAppSubscribe *string        `json:"whatApp_subscribe"`
	SMSSubscribe     *string        `json:"sms_subscribe"`
	CustomizeField   jsontext.Value `json:"customize_field"`
	TenantID         jsontext.Value `json:"tenant_id"`
	Weight           *int64         `json:"weight"`
	Web              *string        `json:"web"`
	Tags             jsontext.Value `json:"tags"`
	Unknown          jsontext.Value `json:",embed"`
}

// decodeCustomer converts one customer as sent; on any input it never
// panics. Members are matched by their exact documented names; every
// other member goes to extra_json, as sent. A member of the wrong JSON
// type, a missing id, created_at or updated_at, or a time that does not
// parse is an error, and every such error is told. Zone-less times are
// read in loc; a missing or null tenant_id is the tenant the request
// named.
func decodeCustomer(raw jsontext.Value, loc *time.Location, tenant int64) customer {
	c := customer{raw: raw}
	if raw.Kind() != '{' {
		c.err = errors.New("customer (id unknown): not a JSON object")
		return c
	}
	var w wireCustomer
	var errs []error
	err := json.Unmarshal(raw, &w, source.DecodeOptions)
	if _, ok := errors.AsType[*json.SemanticError](err); ok {
		// A member of the wrong JSON type stops the decoding. Decode again,
		// noting such members instead, so that the others (the id and
		// updated_at above all) are still read and every error is told.
		wrong := new(wrongTypes)
		w = wireCustomer{}
		err = json.Unmarshal(raw, &w, source.DecodeOptions, json.WithUnmarshalers(wrong.unmarshalers()))
		errs = wrong.errs
	}
	if err != nil {
		c.err = fmt.Errorf("customer (id unknown): not valid JSON: %w", err)
		return c
	}
	box := new(customerBox)
	v := &box.v
	*v = Customer{
		FirstName: w.FirstName, LastName: w.LastName, FullName: w.FullName, SMSPhone: w.SMSPhone,
		WhatsAppPhone: w.WhatsAppPhone, ViberPhone: w.ViberPhone, Line: w.Line, Messenger: w.Messenger,
		Instagram: w.Instagram, Email: w.Email, Country: w.Country, Birthday: w.Birthday, Remark: w.Remark,
		SourceType: w.SourceType, SourceChannelKey: w.SourceChannelKey, Gender: w.Gender, Status: w.Status,
		WhatAppSubscribe: w.WhatAppSubscribe, SMSSubscribe: w.SMSSubscribe, Weight: w.Weight, Web: w.Web,
	}
	if v.ID, err = integer("id", w.ID); err != nil {
		errs = append(errs, err)
	} else {
		c.id, c.idOK = v.ID, true
	}
	if v.CreatedAt, err = stamp("created_at", w.CreatedAt, loc); err != nil {
		errs = append(errs, err)
	}
	if v.UpdatedAt, err = stamp("updated_at", w.UpdatedAt, loc); err != nil {
		errs = append(errs, err)
	} else {
		c.updated, c.updatedOK = v.UpdatedAt, true
	}
	v.TenantID = tenant
	if !source.IsNull(w.TenantID) {
		if v.TenantID, err = integer("tenant_id", w.TenantID); err != nil {
			errs = append(errs, err)
		}
	}
	if v.CustomizeField, err = customize(w.CustomizeField, &box.customize); err != nil {
		errs = append(errs, err)
	}
	if v.Tags, err = tags(w.Tags, &box.tags); err != nil {
		errs = append(errs, err)
	}
	if len(w.Unknown) > 0 {
		box.extra = string(w.Unknown)
		v.ExtraJSON = &box.extra
	}
	if len(errs) > 0 {
		name := "(id unknown)"
		if c.idOK {
			name = strconv.FormatInt(c.id, 10)
		}
		c.err = fmt.Errorf("customer %s: %w", name, errors.Join(errs...))
		return c
	}
	c.value = v
	return c
}

// customerBox is a Customer with the strings its customize_field, tags
// and extra_json point to: one allocation instead of four.
type customerBox struct {
	v                      Customer
	customize, tags, extra string
}

// wrongTypes notes the string and integer members of the wrong JSON type
// met while decoding a customer again, leaving them nil: errs in document
// order.
type wrongTypes struct {
	errs []error
}

// unmarshalers returns the type-specific unmarshalers of the string and
// integer members that note a value of the wrong type in t and skip it.
func (t *wrongTypes) unmarshalers() *json.Unmarshalers {
	return json.JoinUnmarshalers(
		json.UnmarshalFromFunc(func(dec *jsontext.Decoder, _ **string) error {
			if k := dec.PeekKind(); k == '"' || k == 'n' {
				return errors.ErrUnsupported
			}
			return t.note(dec, "want a string")
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
				var n int64
				if err := json.Unmarshal(v, &n); err != nil {
					t.errs = append(t.errs, fmt.Errorf("%s %s is not a 64-bit integer", dec.StackPointer().LastToken(), v))
					return nil
				}
				*p = &n
				return nil
			}
			return t.note(dec, "want an integer")
		}),
	)
}

// note skips the value at hand, of the wrong type, and notes it.
func (t *wrongTypes) note(dec *jsontext.Decoder, want string) error {
	v, err := dec.ReadValue()
	if err != nil {
		return err
	}
	t.errs = append(t.errs, fmt.Errorf("%s is a JSON %s, %s", dec.StackPointer().LastToken(), source.JSONType(v), want))
	return nil
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
	var buf [64]byte
	b := source.AppendUnquote(buf[:0], v)
	layout := "2006-01-02T15:04:05.999999999"
	if len(b) > 10 && b[10] == ' ' {
		layout = "2006-01-02 15:04:05.999999999"
	}
	if t, err := time.ParseInLocation(layout, string(b), loc); err == nil {
		return t.UTC(), nil
	}
	// RFC 3339 allows a lower-case t and z, which time.Parse does not.
	if t, err := time.Parse(time.RFC3339Nano, string(bytes.ToUpper(b))); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%s %q is not a time (want RFC 3339 or 2006-01-02 15:04:05)", field, string(b))
}

// customize reads customize_field into s: the content of a JSON string
// (a JSON document inside a string, kept exactly), or an object or array
// sent unquoted, kept as its JSON text. Null or missing is nil.
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

// tags reads tags into s: an array of tag objects, byte for byte as
// sent. Null or missing is nil.
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
