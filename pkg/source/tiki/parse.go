package tiki

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/vnstream/connector/pkg/source"
)

// Tiki's JSON is decoded with encoding/json/v2 (go-json-experiment/json)
// into tagged structs, with source.DecodeOptions: a string that is not
// valid UTF-8 becomes U+FFFD where it is read as a string and is kept as
// sent in inputs and extra_json, rather than refusing the whole page over
// one lead's bad byte.

// pageOptions are source.DecodeOptions plus one rule: a "data" object
// sent twice replaces the first instead of merging into it (v2 decodes
// into the value already there, which would keep members of the first).
var pageOptions = json.JoinOptions(source.DecodeOptions,
	json.WithUnmarshalers(json.JoinUnmarshalers(
		json.UnmarshalFromFunc(func(_ *jsontext.Decoder, d *pageData[jsontext.Value]) error {
			*d = pageData[jsontext.Value]{}
			return errors.ErrUnsupported // then decode as usual
		}),
		json.UnmarshalFromFunc(func(_ *jsontext.Decoder, d *pageData[fastRecord]) error {
			putRecords(d)
			*d = pageData[fastRecord]{}
			return errors.ErrUnsupported
		}),
		json.UnmarshalFromFunc(func(_ *jsontext.Decoder, s *[]fastRecord) error {
			if *s == nil {
				*s = *recordSlices.Get().(*[]fastRecord)
			}
			return errors.ErrUnsupported
		}))))

// recordSlices keeps the slices a page's records are read into in
// decodePage, for the next page: v2 fills a slice's capacity before it
// grows it, and growing one by doubling for each page was 8 % of the bytes
// cmd/bench's tiki_lead run allocated. A member left out or null still
// leaves its slice nil, as pageData says: v2 sets a null slice to nil, and
// the slice is taken only for a member that is sent.
var recordSlices = sync.Pool{New: func() any { return new([]fastRecord) }}

// putRecords gives d's slices back to recordSlices, cleared so that they
// hold nothing of the page.
func putRecords(d *pageData[fastRecord]) {
	for _, s := range [...][]fastRecord{d.Data, d.Responses} {
		if cap(s) > 0 {
			s = s[:0]
			clear(s[:cap(s)])
			recordSlices.Put(&s)
		}
	}
}

// page is a list response, {"data": {"total": n, "data": [...]}}, its
// records kept as T.
type page[T any] struct {
	Data *pageData[T] `json:"data"` // nil when absent or null
}

// pageData is the "data" object. Tiki's example names the array `data`,
// the field table names it `customer_responses`: both are accepted, `data`
// first when both are sent. Each is nil when absent or null; an empty
// array is an empty slice.
type pageData[T any] struct {
	Total     int64 `json:"total"` // checked (an integer or null), not used
	Data      []T   `json:"data"`
	Responses []T   `json:"customer_responses"`
}

// decoded is one record of a page: its id when readable, and what it
// converts to.
type decoded struct {
	id string
	response
}

// decodePage decodes a list response into its records. The page is read
// in one pass straight into records; only when that fails, or a record
// does not convert, is it read again record by record (parsePage, then
// responseDecoder), so that every bad record keeps its JSON as sent for
// the dead-letter topic and the page's error names what is wrong. Measured
// with BenchmarkDecodePage on the 2-core development machine, one pass
// takes 3.1–3.4 µs per record, reading every page twice 3.8–4.4.
func decodePage(body []byte) ([]decoded, error) {
	var p page[fastRecord]
	if json.Unmarshal(body, &p, pageOptions) == nil && p.Data != nil {
		recs := p.Data.Data
		if recs == nil {
			recs = p.Data.Responses
		}
		out := make([]decoded, len(recs))
		ok := true
		for i := 0; ok && i < len(recs); i++ {
			out[i], ok = recs[i].convert()
		}
		putRecords(p.Data)
		if ok {
			return out, nil
		}
	}
	return decodeEach(body)
}

// decodeEach decodes a list response record by record.
func decodeEach(body []byte) ([]decoded, error) {
	raws, err := parsePage(body)
	if err != nil {
		return nil, err
	}
	var d responseDecoder
	out := make([]decoded, len(raws))
	for i, raw := range raws {
		out[i].id, out[i].response = d.decode(raw)
	}
	return out, nil
}

// parsePage decodes a list response into its raw records. A body that is
// not JSON, or that has one of the members above with the wrong JSON type,
// is not the documented JSON; a body without a "data" object is refused
// too.
func parsePage(body []byte) ([]jsontext.Value, error) {
	var p page[jsontext.Value]
	if err := json.Unmarshal(body, &p, pageOptions); err != nil {
		return nil, source.NotDocumented(pageError(err), body)
	}
	switch {
	case p.Data == nil:
		return nil, fmt.Errorf("response has no \"data\" object: %s", source.Quote(body))
	case p.Data.Data != nil:
		return p.Data.Data, nil
	}
	return p.Data.Responses, nil
}

// pageError names the member of a page that has the wrong JSON type, from
// where v2 found it; other errors are the body not being JSON.
func pageError(err error) error {
	var se *json.SemanticError
	if !errors.As(err, &se) {
		return syntaxError(err)
	}
	// The JSON type of the value v2 refused, from the kind it reports
	// (a kind is the first byte of a value of that kind).
	got := source.JSONTypeArticle(jsontext.Value{byte(se.JSONKind)})
	switch field := strings.Join(slices.Collect(se.JSONPointer.Tokens()), "."); {
	case se.JSONKind == 0:
	case field == "":
		return fmt.Errorf("the response is %s, want an object", got)
	case field == "data":
		return fmt.Errorf("data is %s, want an object", got)
	case field == "data.total" && se.JSONKind == '0':
		return fmt.Errorf("data.total %s is not a 64-bit integer", se.JSONValue)
	case field == "data.total":
		return fmt.Errorf("data.total is %s, want an integer", got)
	case field == "data.data", field == "data.customer_responses":
		return fmt.Errorf("%s is %s, want an array", field, got)
	}
	return err
}

// record is a form response as Tiki sends it. The ids and created_at are
// kept as JSON text and read by decimal and createdAt, which name the
// member when it has the wrong type and keep a numeric id's digits exactly.
// Every other member goes to Extra, in order and as sent.
type record struct {
	ID        jsontext.Value `json:"id"`
	FormID    jsontext.Value `json:"form_id"`
	CreatedAt jsontext.Value `json:"created_at"`
	Inputs    jsontext.Value `json:"inputs"`
	Extra     jsontext.Value `json:",embed"` // the unknown members, as an object; empty when none
}

// response is one decoded record; err is set when it cannot become an event.
type response struct {
	value *FormResponse
	raw   jsontext.Value
	err   error
}

// responseBox is a FormResponse with the string its ExtraJSON points to:
// one allocation.
type responseBox struct {
	v     FormResponse
	extra string
}

// A responseDecoder converts records one after another, reusing the
// buffers its record was decoded into last time.
type responseDecoder struct{ rec record }

// decode converts one raw record: a record of a page is valid JSON, one
// given alone may not be. The id is returned whenever it can be read, even
// when the rest of the record is bad, so paging goes on.
func (d *responseDecoder) decode(raw jsontext.Value) (id string, r response) {
	r.raw = raw
	if raw.Kind() != '{' {
		// v2 would decode null into an empty record and report an array
		// without checking the rest is JSON: read it whole to tell.
		if err := json.Unmarshal(raw, new(jsontext.Value), source.DecodeOptions); err != nil {
			r.err = fmt.Errorf("form response (id unknown): %w", syntaxError(err))
		} else {
			r.err = fmt.Errorf("form response (id unknown): the record is %s, want a JSON object", source.JSONTypeArticle(raw))
		}
		return "", r
	}
	// Empty, not nil, so that v2 appends into last time's arrays: an
	// absent member stays empty, a member sent is never empty.
	rec := &d.rec
	*rec = record{ID: rec.ID[:0], FormID: rec.FormID[:0], CreatedAt: rec.CreatedAt[:0], Inputs: rec.Inputs[:0], Extra: rec.Extra[:0]}
	if err := json.Unmarshal(raw, rec, source.DecodeOptions); err != nil {
		r.err = fmt.Errorf("form response (id unknown): %w", syntaxError(err))
		return "", r
	}
	return convert(rec, raw)
}

// convert reads a decoded record into a FormResponse; raw is its JSON as
// sent, kept with an error.
func convert(rec *record, raw jsontext.Value) (id string, r response) {
	r.raw = raw
	var errs []error
	id, err := decimal("id", rec.ID)
	if err != nil {
		errs = append(errs, err)
	}
	formID, err := decimal("form_id", rec.FormID)
	if err != nil {
		errs = append(errs, err)
	}
	created, err := createdAt(rec.CreatedAt)
	if err != nil {
		errs = append(errs, err)
	}
	if len(rec.Inputs) == 0 {
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
	r.value = newResponse(id, formID, created, string(rec.Inputs), rec.Extra)
	return id, r
}

// newResponse builds a FormResponse with its ExtraJSON (nil when extra is
// empty) in one allocation.
func newResponse(id, formID string, created time.Time, inputs string, extra jsontext.Value) *FormResponse {
	box := &responseBox{v: FormResponse{ID: id, FormID: formID, CreatedAt: created.UTC(), Inputs: inputs}}
	if len(extra) > 0 {
		box.extra = string(extra)
		box.v.ExtraJSON = &box.extra
	}
	return &box.v
}

// fastRecord is a record as decodePage's one pass reads it: created_at
// as a time (v2 reads RFC 3339 itself), the ids and inputs straight into
// strings, the rest as in record.
type fastRecord struct {
	ID        digits         `json:"id"`
	FormID    digits         `json:"form_id"`
	CreatedAt time.Time      `json:"created_at"`
	Inputs    text           `json:"inputs"`
	Extra     jsontext.Value `json:",embed"`
}

// convert converts f, and reports false when f needs reading again by
// responseDecoder to tell what is wrong with it (an absent or null member
// included: v2 leaves those empty).
func (f *fastRecord) convert() (decoded, bool) {
	if !f.ID.ok || !f.FormID.ok || f.CreatedAt.IsZero() || f.Inputs == "" {
		return decoded{}, false
	}
	return decoded{id: f.ID.s, response: response{value: newResponse(f.ID.s, f.FormID.s, f.CreatedAt, string(f.Inputs), f.Extra)}}, true
}

// digits is an id as decodePage's one pass reads it, straight into a
// string (a jsontext.Value would be copied twice); ok is false when it is
// not a decimal number (see decimal).
type digits struct {
	s  string
	ok bool
}

func (d *digits) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	v, err := dec.ReadValue()
	if err != nil {
		return err
	}
	s, err := decimal("", v)
	d.s, d.ok = s, err == nil
	return nil
}

// text is a member kept as its JSON text, read straight into a string;
// null is empty.
type text string

func (t *text) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	v, err := dec.ReadValue()
	if err != nil {
		return err
	}
	*t = ""
	if v.Kind() != 'n' {
		*t = text(v)
	}
	return nil
}

// decimal reads a decimal id that Tiki sends as a JSON string; a JSON
// number is accepted too, its digits kept exactly. v is the member's
// value, empty when absent; a null or empty id (or the string "null") is
// missing.
func decimal(field string, v jsontext.Value) (string, error) {
	var s string
	if v.Kind() == '"' {
		s = source.Unquote(v)
	} else {
		s = string(v)
	}
	if s == "" || s == "null" {
		return "", fmt.Errorf("%s is missing", field)
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return "", fmt.Errorf("%s %s is not a decimal number", field, v)
		}
	}
	return s, nil
}

// createdAt reads created_at, an RFC 3339 time string. Absent or null, it
// is the empty string, which is not a time.
func createdAt(v jsontext.Value) (time.Time, error) {
	s := ""
	switch v.Kind() {
	case '"':
		s = source.Unquote(v)
	case 'n', 0: // null, absent
	default:
		return time.Time{}, fmt.Errorf("created_at is %s, want an RFC 3339 time string", source.JSONTypeArticle(v))
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("created_at %q is not RFC 3339", s)
	}
	return t, nil
}

// syntaxError is v2's account of a body that is not JSON. A cut body is
// also worded as encoding/json words it, "unexpected end of JSON input",
// as the source's errors always have.
func syntaxError(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("unexpected end of JSON input (%w)", err)
	}
	return err
}
