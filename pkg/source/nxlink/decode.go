package nxlink

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

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
	raw       json.RawMessage
	err       error
}

// customerBox is a Customer with the storage its optional fields point
// to: one allocation per customer instead of one per field (its 17
// strings, customize_field, tags and extra_json).
type customerBox struct {
	v    Customer
	strs [20]string
	ints [4]int64
}

// fields decodes the members of one customer.
type fields struct {
	// text is the customer as a string: a string value without escapes
	// is a substring of it, not a copy.
	text       string
	box        *customerBox
	nstr, nint int
	errs       []error
}

// decodeCustomer converts one raw customer, which must be valid JSON (its
// page was checked whole); on other input it never panics.
// Members are matched by their exact documented names; a member of the
// wrong JSON type, a missing id, created_at or updated_at, or a time that
// does not parse is an error. Every other member goes to extra_json, as
// sent, in the same pass. Zone-less times are read in loc; a missing or
// null tenant_id is the tenant the request named.
func decodeCustomer(raw json.RawMessage, loc *time.Location, tenant int64) customer {
	c := customer{raw: raw}
	d := fields{text: string(raw), box: new(customerBox)}
	v := &d.box.v
	it, ok := source.Object(d.text)
	if !ok {
		c.err = errors.New("customer (id unknown): not a JSON object")
		return c
	}
	var id, created, updated, tenantID, customize, tags string
	var buf [256]byte
	extra := buf[:0]
	for {
		key, val, ok := it.Next()
		if !ok {
			break
		}
		switch name := source.Name(key); name {
		case "id":
			id = val
		case "first_name":
			v.FirstName = d.optString(name, val)
		case "last_name":
			v.LastName = d.optString(name, val)
		case "full_name":
			v.FullName = d.optString(name, val)
		case "sms_phone":
			v.SMSPhone = d.optString(name, val)
		case "whatsApp_phone":
			v.WhatsAppPhone = d.optString(name, val)
		case "viber_phone":
			v.ViberPhone = d.optString(name, val)
		case "line":
			v.Line = d.optString(name, val)
		case "messenger":
			v.Messenger = d.optString(name, val)
		case "instagram":
			v.Instagram = d.optString(name, val)
		case "email":
			v.Email = d.optString(name, val)
		case "country":
			v.Country = d.optString(name, val)
		case "birthday":
			v.Birthday = d.optString(name, val)
		case "remark":
			v.Remark = d.optString(name, val)
		case "source_type":
			v.SourceType = d.optInt(name, val)
		case "source_channel_key":
			v.SourceChannelKey = d.optString(name, val)
		case "gender":
			v.Gender = d.optInt(name, val)
		case "created_at":
			created = val
		case "updated_at":
			updated = val
		case "status":
			v.Status = d.optInt(name, val)
		case "whatApp_subscribe":
			v.WhatAppSubscribe = d.optString(name, val)
		case "sms_subscribe":
			v.SMSSubscribe = d.optString(name, val)
		case "customize_field":
			customize = val
		case "tenant_id":
			tenantID = val
		case "weight":
			v.Weight = d.optInt(name, val)
		case "web":
			v.Web = d.optString(name, val)
		case "tags":
			tags = val
		default:
			extra = source.AppendMember(extra, key, val)
		}
	}
	if err := it.Err(); err != nil {
		c.err = fmt.Errorf("customer (id unknown): not valid JSON: %w", err)
		return c
	}
	var err error
	if v.ID, err = integer("id", id); err != nil {
		d.errs = append(d.errs, err)
	} else {
		c.id, c.idOK = v.ID, true
	}
	if v.CreatedAt, err = d.stamp("created_at", created, loc); err != nil {
		d.errs = append(d.errs, err)
	}
	if v.UpdatedAt, err = d.stamp("updated_at", updated, loc); err != nil {
		d.errs = append(d.errs, err)
	} else {
		c.updated, c.updatedOK = v.UpdatedAt, true
	}
	v.TenantID = tenant
	if tenantID != "" && tenantID != "null" {
		if v.TenantID, err = integer("tenant_id", tenantID); err != nil {
			d.errs = append(d.errs, err)
		}
	}
	v.CustomizeField = d.customize(customize)
	v.Tags = d.tags(tags)
	if len(extra) > 0 {
		v.ExtraJSON = d.keep(string(append(extra, '}')))
	}
	if len(d.errs) > 0 {
		name := "(id unknown)"
		if c.idOK {
			name = strconv.FormatInt(c.id, 10)
		}
		c.err = fmt.Errorf("customer %s: %w", name, errors.Join(d.errs...))
		return c
	}
	c.value = v
	return c
}

// optString reads an optional string member into the box.
func (d *fields) optString(field, val string) *string {
	if val == "null" {
		return nil
	}
	if val[0] != '"' {
		d.errs = append(d.errs, fmt.Errorf("%s is a JSON %s, want a string", field, source.Kind(val)))
		return nil
	}
	s, err := source.Unquote(val)
	if err != nil {
		d.errs = append(d.errs, fmt.Errorf("%s: %w", field, err))
		return nil
	}
	return d.keep(s)
}

// optInt reads an optional integer member into the box.
func (d *fields) optInt(field, val string) *int64 {
	if val == "null" {
		return nil
	}
	n, err := strconv.ParseInt(val, 10, 64)
	if err != nil {
		if k := source.Kind(val); k != "number" {
			d.errs = append(d.errs, fmt.Errorf("%s is a JSON %s, want an integer", field, k))
		} else {
			d.errs = append(d.errs, fmt.Errorf("%s %s is not a 64-bit integer", field, val))
		}
		return nil
	}
	var slot *int64
	if d.nint < len(d.box.ints) {
		slot = &d.box.ints[d.nint]
		d.nint++
	} else {
		slot = new(int64)
	}
	*slot = n
	return slot
}

// stamp reads a required time member: nxlink's "2024-07-19T17:29:27" in
// loc, or anything else source.ParseTime accepts.
func (d *fields) stamp(field, val string, loc *time.Location) (time.Time, error) {
	if val == "" || val == "null" {
		return time.Time{}, fmt.Errorf("%s is missing", field)
	}
	if val[0] != '"' {
		return time.Time{}, fmt.Errorf("%s is a JSON %s, want a string", field, source.Kind(val))
	}
	s, err := source.Unquote(val)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %w", field, err)
	}
	return source.ParseTime(field, s, loc)
}

// customize reads customize_field: the content of a JSON string (a JSON
// document inside a string, kept exactly), or an object or array sent
// unquoted, kept as its JSON text. Null or missing is nil.
func (d *fields) customize(val string) *string {
	switch {
	case val == "" || val == "null":
		return nil
	case val[0] == '"':
		return d.optString("customize_field", val)
	case val[0] == '{' || val[0] == '[':
		return d.keep(val)
	}
	d.errs = append(d.errs, fmt.Errorf("customize_field %s is not a string", source.Quote([]byte(val))))
	return nil
}

// tags reads tags, an array of tag objects, byte for byte as sent. Null
// or missing is nil.
func (d *fields) tags(val string) *string {
	switch {
	case val == "" || val == "null":
		return nil
	case val[0] == '[':
		return d.keep(val)
	}
	d.errs = append(d.errs, fmt.Errorf("tags %s is not an array", source.Quote([]byte(val))))
	return nil
}

// keep stores val as is in the box.
func (d *fields) keep(val string) *string {
	var slot *string
	if d.nstr < len(d.box.strs) {
		slot = &d.box.strs[d.nstr]
		d.nstr++
	} else {
		slot = new(string)
	}
	*slot = val
	return slot
}
