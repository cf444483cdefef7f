package nxlink

import (
	"fmt"
	"strconv"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/vnstream/connector/pkg/fetch"
	"github.com/vnstream/connector/pkg/source"
)

// page is one decoded answer.
type page struct {
	// customers are the elements of customer_list, each as sent.
	customers []jsontext.Value
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

// token is the cursor as a poll.Request's Token: "" when unset.
func (c cursor) token() string {
	if !c.ok {
		return ""
	}
	return strconv.FormatInt(c.id, 10)
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
func (e *vendorError) reason() fetch.Reason {
	if authCodes[e.code] {
		return fetch.ReasonAuth
	}
	return fetch.ReasonVendor
}

// reply is a query answer: {"code", "message", "traceId", "data":
// {"paging": {"after", "before", "previous", "next"}, "customer_list":
// [...]}}. Every member is read whatever its JSON type, so that an
// answer with code != 0 is a vendor error whatever its data holds.
type reply struct {
	Code    jsontext.Value    `json:"code"`
	Message jsontext.Value    `json:"message"`
	TraceID jsontext.Value    `json:"traceId"`
	Data    object[replyData] `json:"data"`
}

type replyData struct {
	Paging       object[paging]  `json:"paging"`
	CustomerList source.Elements `json:"customer_list"`
}

type paging struct {
	After jsontext.Value `json:"after"`
	Next  jsontext.Value `json:"next"`
}

// object is a member that should be a JSON object, decoded into v; ok
// says it was one. A value of another type is skipped instead of failing
// the answer, for parsePage to report in its turn.
type object[T any] struct {
	v  T
	ok bool
}

func (o *object[T]) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	if o.ok = dec.PeekKind() == '{'; !o.ok {
		return dec.SkipValue()
	}
	return json.UnmarshalDecode(dec, &o.v)
}

// parsePage decodes a query answer (see reply). code != 0 is a
// *vendorError; an answer that is not the documented JSON is another
// error. The customers are returned as sent, so that one bad customer
// does not fail the page.
func parsePage(body []byte) (page, error) {
	if jsontext.Value(body).Kind() != '{' {
		var v jsontext.Value
		if err := json.Unmarshal(body, &v, source.DecodeOptions); err != nil {
			return page{}, source.NotDocumented(err, body)
		}
		return page{}, fmt.Errorf("response is not a JSON object: %s", source.Quote(body))
	}
	r := reply{Data: object[replyData]{v: replyData{CustomerList: source.Elements{Body: body}}}}
	if err := json.Unmarshal(body, &r, source.DecodeOptions); err != nil {
		return page{}, source.NotDocumented(err, body)
	}
	c, err := integer("code", r.Code)
	if err != nil {
		return page{}, fmt.Errorf("response %w: %s", err, source.Quote(body))
	}
	if c != 0 {
		return page{}, &vendorError{code: c, message: text(r.Message), traceID: text(r.TraceID)}
	}
	data := &r.Data.v
	list := &data.CustomerList
	switch {
	case !r.Data.ok:
		return page{}, fmt.Errorf("response has no \"data\" object: %s", source.Quote(body))
	case !data.Paging.ok:
		return page{}, fmt.Errorf("response has no \"data\".\"paging\" object: %s", source.Quote(body))
	case !list.Sent:
		return page{}, fmt.Errorf("response has no \"data\".\"customer_list\": %s", source.Quote(body))
	case list.List == nil && !source.IsNull(list.Other):
		return page{}, fmt.Errorf("customer_list %s is not an array", source.Quote(list.Other))
	}
	paging := &data.Paging.v
	p := page{customers: list.List, more: !source.IsNull(paging.Next)}
	if !source.IsNull(paging.After) {
		if p.after.id, err = integer("paging.after", paging.After); err != nil {
			return page{}, fmt.Errorf("response %w: %s", err, source.Quote(body))
		}
		p.after.ok = true
	}
	return p, nil
}

// text is the content of a JSON string, the JSON text of another value,
// or "" for null or missing.
func text(v jsontext.Value) string {
	if source.IsNull(v) {
		return ""
	}
	if v.Kind() == '"' {
		return source.Unquote(v)
	}
	return string(v)
}

// integer reads a signed 64-bit integer sent as a JSON number or a numeric
// string, exactly (never through float64). The error names field.
func integer(field string, v jsontext.Value) (int64, error) {
	digits := []byte(v)
	switch v.Kind() {
	case 0, 'n':
		return 0, fmt.Errorf("%s is missing", field)
	case '"':
		var buf [32]byte
		digits = source.AppendUnquote(buf[:0], v)
	}
	n, err := strconv.ParseInt(string(digits), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s %s is not a signed 64-bit integer", field, source.Quote(v))
	}
	return n, nil
}
