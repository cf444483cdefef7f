package tiki

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/vnstream/connector/pkg/source"
)

// Tiki's JSON is read without encoding/json's reflection and without maps:
// parsePage validates a page and splits it into its records in one pass
// (source.Validator), and decodeResponse reads each record in one more pass
// straight into a FormResponse. Members are matched by their exact names;
// of a member sent twice, the last counts.

// parsePage decodes a list response, {"data": {"total": n, "data": [...]}},
// into its raw records: slices of body. Tiki's example names the array
// `data`, the field table names it `customer_responses`: both are
// accepted, `data` first when both are sent. A body that is not JSON, or
// that has one of these members with the wrong JSON type, is not the
// documented JSON; a body without a "data" object is refused too.
func parsePage(body []byte) ([]json.RawMessage, error) {
	v := source.NewValidator(body)
	var top, data []byte // the body and its "data" member when they are not objects
	var d dataObject
	if v.Object() {
		for key, ok := v.Member(); ok; key, ok = v.Member() {
			if string(source.Name(key)) != "data" {
				v.Value()
				continue
			}
			d, data = dataObject{}, nil
			if v.Object() {
				d.read(&v)
				d.sent = true
			} else {
				data = v.Value()
			}
		}
	} else {
		top = v.Value()
	}
	if !v.Done() {
		return nil, notDocumented(syntaxError(body), body)
	}
	switch {
	case top != nil && !isNull(top):
		return nil, notDocumented(fmt.Errorf("the response is %s, want an object", source.KindArticle(top)), body)
	case data != nil && !isNull(data):
		return nil, notDocumented(fmt.Errorf("data is %s, want an object", source.KindArticle(data)), body)
	case !d.sent:
		return nil, fmt.Errorf("response has no \"data\" object: %s", source.Quote(body))
	}
	if err := cmp.Or(d.totalErr, d.dataErr, d.responsesErr); err != nil {
		return nil, notDocumented(err, body)
	}
	if d.data != nil {
		return d.data, nil
	}
	return d.responses, nil
}

// dataObject is what parsePage reads of a "data" object.
type dataObject struct {
	// sent is set when the last "data" member of the body is an object.
	sent bool
	// data and responses are the data and customer_responses arrays, nil
	// when absent or null.
	data, responses []json.RawMessage
	// The members of the wrong JSON type: the first one is reported.
	totalErr, dataErr, responsesErr error
}

// read reads the members of the data object v has entered.
func (d *dataObject) read(v *source.Validator) {
	for key, ok := v.Member(); ok; key, ok = v.Member() {
		switch string(source.Name(key)) {
		case "total":
			d.totalErr = total(v.Value())
		case "data":
			d.data, d.dataErr = records(v, "data.data")
		case "customer_responses":
			d.responses, d.responsesErr = records(v, "data.customer_responses")
		default:
			v.Value()
		}
	}
}

// total checks data.total: null or a 64-bit integer.
func total(val []byte) error {
	switch {
	case len(val) == 0 || isNull(val):
		return nil
	case source.Kind(val) != "number":
		return fmt.Errorf("data.total is %s, want an integer", source.KindArticle(val))
	}
	if _, err := strconv.ParseInt(string(val), 10, 64); err != nil {
		return fmt.Errorf("data.total %s is not a 64-bit integer", val)
	}
	return nil
}

// records reads the array of records at hand, splitting it as it is
// validated; nil for null. An empty array is an empty slice, not nil.
func records(v *source.Validator, field string) ([]json.RawMessage, error) {
	if !v.Array() {
		if val := v.Value(); len(val) > 0 && !isNull(val) {
			return nil, fmt.Errorf("%s is %s, want an array", field, source.KindArticle(val))
		}
		return nil, nil
	}
	rs := []json.RawMessage{}
	for v.Element() {
		rs = append(rs, v.Value())
	}
	return rs, nil
}

// response is one decoded record; err is set when it cannot become an event.
type response struct {
	value *FormResponse
	raw   json.RawMessage
	err   error
}

// responseBox is a FormResponse with the string its ExtraJSON points to:
// one allocation.
type responseBox struct {
	v     FormResponse
	extra string
}

// decodeResponse converts one raw record, validating it as it reads it: a
// record of a page is valid JSON, one given alone may not be. id, form_id,
// created_at and inputs are read; every other member goes to extra_json as
// sent. The id is returned whenever it can be read, even when the rest of
// the record is bad, so paging goes on.
func decodeResponse(raw json.RawMessage) (id string, r response) {
	r.raw = raw
	v := source.NewValidator(raw)
	if !v.Object() {
		val := v.Value()
		if !v.Done() {
			r.err = fmt.Errorf("form response (id unknown): %w", syntaxError(raw))
		} else {
			r.err = fmt.Errorf("form response (id unknown): the record is %s, want a JSON object", source.KindArticle(val))
		}
		return "", r
	}
	var idVal, formIDVal, createdVal, inputsVal []byte
	var buf [256]byte
	extra := buf[:0]
	for key, ok := v.Member(); ok; key, ok = v.Member() {
		val := v.Value()
		switch string(source.Name(key)) {
		case "id":
			idVal = val
		case "form_id":
			formIDVal = val
		case "created_at":
			createdVal = val
		case "inputs":
			inputsVal = val
		default:
			extra = source.AppendMember(extra, key, val)
		}
	}
	if !v.Done() {
		r.err = fmt.Errorf("form response (id unknown): %w", syntaxError(raw))
		return "", r
	}
	t := text{source.NewRecordText(raw, extra)}
	var errs []error
	id, err := t.decimal("id", idVal)
	if err != nil {
		errs = append(errs, err)
	}
	formID, err := t.decimal("form_id", formIDVal)
	if err != nil {
		errs = append(errs, err)
	}
	created, err := t.created(createdVal)
	if err != nil {
		errs = append(errs, err)
	}
	if inputsVal == nil {
		errs = append(errs, errors.New("inputs is missing"))
	}
	if len(errs) > 0 {
		name := id
		if name == "" {
			name = "(id unknown)"
		}
		r.err = fmt.Errorf("form response %s: %w", name, errors.Join(errs...))
		return id, r
	}
	box := &responseBox{v: FormResponse{ID: id, FormID: formID, CreatedAt: created.UTC(), Inputs: t.Of(inputsVal)}}
	if len(extra) > 0 {
		box.extra = t.Extra()
		box.v.ExtraJSON = &box.extra
	}
	r.value = &box.v
	return id, r
}

// text is the record as one string (see source.RecordText).
type text struct{ source.RecordText }

// decimal reads a decimal id that Tiki sends as a JSON string; a JSON
// number is accepted too, its digits kept exactly. val is the member's
// value, nil when absent; a null or empty id (or the string "null") is
// missing.
func (t text) decimal(field string, val []byte) (string, error) {
	s := t.Of(val)
	if len(val) > 0 && val[0] == '"' {
		s, _ = source.Unquote(s) // val is a valid JSON string
	}
	if s == "" || s == "null" {
		return "", fmt.Errorf("%s is missing", field)
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return "", fmt.Errorf("%s %s is not a decimal number", field, val)
		}
	}
	return s, nil
}

// created reads created_at, an RFC 3339 time string. Absent or null, it is
// the empty string, which is not a time.
func (t text) created(val []byte) (time.Time, error) {
	s := ""
	switch {
	case len(val) > 0 && val[0] == '"':
		s, _ = source.Unquote(t.Of(val)) // val is a valid JSON string
	case len(val) > 0 && !isNull(val):
		return time.Time{}, fmt.Errorf("created_at is %s, want an RFC 3339 time string", source.KindArticle(val))
	}
	created, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("created_at %q is not RFC 3339", s)
	}
	return created, nil
}

// isNull reports whether the valid JSON value v is null.
func isNull(v []byte) bool { return string(v) == "null" }

// syntaxError is encoding/json's account of what is wrong with b, which is
// not valid JSON.
func syntaxError(b []byte) error {
	var v struct{}
	return json.Unmarshal(b, &v)
}

// notDocumented is the error for a body that is not the documented JSON.
func notDocumented(err error, body []byte) error {
	return fmt.Errorf("response is not the documented JSON: %w; body %s", err, source.Quote(body))
}
