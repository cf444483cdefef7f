package nxlink

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/vnstream/connector/pkg/source"
)

// page is one decoded answer.
type page struct {
	customers []json.RawMessage
	// after is paging.after, "cursor at end of returned page".
	after cursor
	// more is a non-null paging.next: another page follows.
	more bool
}

// cursor is a customer id to continue after; ok is false at the start of
// a window or when nxlink sent none.
type cursor struct {
	id int64
	ok bool
}

func (c cursor) String() string {
	if !c.ok {
		return "none"
	}
	return strconv.FormatInt(c.id, 10)
}

// vendorError is an answer with code != 0.
type vendorError struct {
	code    int64
	message string
	traceID string
}

func (e *vendorError) Error() string {
	return fmt.Sprintf("nxlink answered code %d, message %q, traceId %q", e.code, e.message, e.traceID)
}

// authCodes are the NXCLOUD open API codes of a request the platform did
// not authenticate: 1001 missing public parameters (the accessKey, ts,
// bizType, action or sign header), 1003 invalid signature, 1004 timestamp
// expired (ts more than 60 s from the server's clock), 1005 insufficient
// permissions (unknown accessKey, or a tenant_id/app_key it may not read).
// Every other code != 0 is a vendor error.
var authCodes = map[int64]bool{1001: true, 1003: true, 1004: true, 1005: true}

// reason classifies a vendor error code.
func (e *vendorError) reason() source.Reason {
	if authCodes[e.code] {
		return source.ReasonAuth
	}
	return source.ReasonVendor
}

// parsePage decodes a query answer: {"code", "message", "traceId",
// "data": {"paging": {"after", "before", "previous", "next"},
// "customer_list": [...]}}. code != 0 is a *vendorError; an answer that is
// not the documented JSON is another error. The customers are returned
// raw, aliasing body, so that one bad customer does not fail the page.
func parsePage(body []byte) (page, error) {
	// One pass validates the body and reads it: data and paging are
	// entered, not skipped, and the list is split on the way.
	var r reply
	v := source.NewValidator(body)
	object := v.Object()
	if object {
		r.read(&v)
	} else {
		v.Value()
	}
	if !v.Done() {
		var x any
		err := json.Unmarshal(body, &x)
		return page{}, fmt.Errorf("response is not the documented JSON: %w; body %s", err, source.Quote(body))
	}
	if !object {
		return page{}, fmt.Errorf("response is not a JSON object: %s", source.Quote(body))
	}
	c, err := integer("code", string(r.code))
	if err != nil {
		return page{}, fmt.Errorf("response %w: %s", err, source.Quote(body))
	}
	if c != 0 {
		return page{}, &vendorError{code: c, message: text(r.message), traceID: text(r.traceID)}
	}
	switch {
	case r.data != '{':
		return page{}, fmt.Errorf("response has no \"data\" object: %s", source.Quote(body))
	case r.paging != '{':
		return page{}, fmt.Errorf("response has no \"data\".\"paging\" object: %s", source.Quote(body))
	case r.listKind == 0:
		return page{}, fmt.Errorf("response has no \"data\".\"customer_list\": %s", source.Quote(body))
	case r.listKind != '[' && !isNull(r.list):
		return page{}, fmt.Errorf("customer_list %s is not an array", source.Quote(r.list))
	}
	p := page{customers: r.customers, more: !isNull(r.next)}
	if !isNull(r.after) {
		if p.after.id, err = integer("paging.after", string(r.after)); err != nil {
			return page{}, fmt.Errorf("response %w: %s", err, source.Quote(body))
		}
		p.after.ok = true
	}
	return p, nil
}

// reply is what parsePage reads of an answer, values as sent.
type reply struct {
	code, message, traceID, after, next, list []byte
	// The kind of value data, paging and customer_list had: 0 missing.
	data, paging, listKind byte
	customers              []json.RawMessage
}

// read reads the members of the answer object v has entered.
func (r *reply) read(v *source.Validator) {
	for key, ok := v.Member(); ok; key, ok = v.Member() {
		switch string(source.Name(key)) {
		case "code":
			r.code = v.Value()
		case "message":
			r.message = v.Value()
		case "traceId":
			r.traceID = v.Value()
		case "data":
			if r.data = v.Peek(); v.Object() {
				r.readData(v)
			} else {
				v.Value()
			}
		default:
			v.Value()
		}
	}
}

// readData reads the members of the data object v has entered.
func (r *reply) readData(v *source.Validator) {
	for key, ok := v.Member(); ok; key, ok = v.Member() {
		switch string(source.Name(key)) {
		case "paging":
			if r.paging = v.Peek(); v.Object() {
				r.readPaging(v)
			} else {
				v.Value()
			}
		case "customer_list":
			if r.listKind = v.Peek(); v.Array() {
				r.customers = []json.RawMessage{}
				for v.Element() {
					r.customers = append(r.customers, v.Value())
				}
			} else {
				r.list = v.Value()
			}
		default:
			v.Value()
		}
	}
}

// readPaging reads the members of the paging object v has entered.
func (r *reply) readPaging(v *source.Validator) {
	for key, ok := v.Member(); ok; key, ok = v.Member() {
		switch string(source.Name(key)) {
		case "after":
			r.after = v.Value()
		case "next":
			r.next = v.Value()
		default:
			v.Value()
		}
	}
}

// text is the content of a JSON string, the JSON text of another value,
// or "" for null or missing.
func text(raw []byte) string {
	if isNull(raw) {
		return ""
	}
	if raw[0] == '"' {
		if s, err := source.Unquote(string(raw)); err == nil {
			return s
		}
	}
	return string(raw)
}

// isNull reports whether a raw member is missing or null.
func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}

// integer reads a signed 64-bit integer sent as a JSON number or a numeric
// string, exactly (never through float64). The error names field.
func integer(field, val string) (int64, error) {
	s := val
	switch {
	case val == "" || val == "null":
		return 0, fmt.Errorf("%s is missing", field)
	case val[0] == '"':
		var err error
		if s, err = source.Unquote(val); err != nil {
			return 0, fmt.Errorf("%s: %w", field, err)
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s %s is not a signed 64-bit integer", field, source.Quote([]byte(val)))
	}
	return n, nil
}
