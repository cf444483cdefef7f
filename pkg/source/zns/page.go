package zns

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/vnstream/connector/pkg/fetch"
	"github.com/vnstream/connector/pkg/source"
)

// page is one list answer: {"messages": [...], "paging": {"next": ..}}.
type page struct {
	// messages are the records, decoded; their raw bytes are slices of
	// the body until ownRaw.
	messages []message
	// next is paging.next, the cursor of the following page; "" (or
	// absent) on the last page.
	next string
}

// ownRaw copies out of the body the raw JSON of the messages that go to
// the dead-letter topic, and lets go of the others' (the engine keeps
// only the former, poll.Engine.page): the body is fetch.Client.DoJSON's,
// read into again once decoding returns.
func (p *page) ownRaw() {
	for i := range p.messages {
		m := &p.messages[i]
		if m.err != nil {
			m.raw = bytes.Clone(m.raw)
		} else {
			m.raw = nil
		}
	}
}

// pageJSON is a list answer as sent. Only "messages" has a Go type of its
// own: every other member is kept as JSON text and checked once the body
// is known to be JSON, so that no member of the wrong type stops v2 before
// the end of the body.
type pageJSON struct {
	Messages messageList    `json:"messages"`
	Paging   jsontext.Value `json:"paging"`
	Code     jsontext.Value `json:"code"`
	Msg      jsontext.Value `json:"msg"`
	Message  jsontext.Value `json:"message"`
}

// messageList is the "messages" member: whether it was sent, its records
// decoded as they are read (one pass over the body), and the value sent
// when it is not an array.
type messageList struct {
	d     *decoder // decodes each record of the answer
	sent  bool
	list  []message
	other jsontext.Value // a value that is neither an array nor null
}

// UnmarshalJSONFrom implements json.UnmarshalerFrom: it reads "messages"
// whatever its type, and an array record by record.
func (m *messageList) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	m.sent, m.list, m.other = true, m.list[:0], nil
	switch dec.PeekKind() {
	case '[':
	case 'n':
		return dec.SkipValue()
	default:
		v, err := dec.ReadValue()
		m.other = v.Clone()
		return err
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	for dec.PeekKind() != ']' {
		r, err := m.d.decodeFrom(dec)
		if err != nil {
			return err
		}
		m.list = append(m.list, r)
	}
	_, err := dec.ReadToken()
	return err
}

// pagingJSON is the paging object; its other members (after, limit, ...)
// are not needed.
type pagingJSON struct {
	Next jsontext.Value `json:"next"`
}

// vendorError is the platform's error object answered instead of a page:
// {"code": "...", "msg": "..."} (Twirp style, eTelecom) or {"code": 503,
// "message": "..."}; "msg" is told when both are sent.
type vendorError struct {
	code, msg string
}

func (e *vendorError) Error() string {
	if e.code == "" {
		return "the API answered an error: " + e.msg
	}
	return fmt.Sprintf("the API answered error %s: %s", e.code, e.msg)
}

// parsePage decodes a list answer. A body that is not JSON, or not the
// documented shape, is an error quoting it; the platform's error object is
// a *vendorError. "messages": null is an empty page, and so is an answer
// without "messages" that has "paging" (protobuf's JSON mapping leaves
// empty lists out); an answer with neither is refused, so that an
// unexpected answer never reads as "no more messages".
//
// The body is validated and its records decoded by d in the same pass; a
// member of the wrong shape is reported only once the body is known to be
// JSON, messages' problem before paging's.
func parsePage(body []byte, d *decoder) (page, error) {
	if jsontext.Value(body).Kind() != '{' {
		// v2 would read null as an empty object: refuse it, and every
		// other value, before decoding.
		if jsontext.Value(body).IsValid(source.DecodeOptions) {
			return page{}, fmt.Errorf("response is not a JSON object: %s", source.Quote(body))
		}
		return page{}, notJSON(body)
	}
	d.input = body
	a := pageJSON{Messages: messageList{d: d}}
	if err := jsonv2.Unmarshal(body, &a, source.DecodeOptions); err != nil {
		// Every member takes any JSON value: only the syntax can fail.
		return page{}, notJSON(body)
	}
	if a.Messages.other != nil {
		return page{}, fmt.Errorf("messages is %s, want an array: %s", source.JSONTypeArticle(a.Messages.other), source.Quote(body))
	}
	p := page{messages: a.Messages.list}
	sawMessages, sawPaging := a.Messages.sent, false
	if a.Paging != nil && a.Paging.Kind() != 'n' {
		next, err := pagingNext(a.Paging)
		if err != nil {
			return page{}, fmt.Errorf("%w: %s", err, source.Quote(body))
		}
		sawPaging, p.next = true, next
	}
	msg := a.Message
	if a.Msg != nil {
		msg = a.Msg
	}
	if isErrorCode(a.Code) || (!sawMessages && !sawPaging && msg != nil) {
		return page{}, &vendorError{code: text(a.Code), msg: text(msg)}
	}
	if !sawMessages && !sawPaging {
		return page{}, fmt.Errorf("response has neither messages nor paging: %s", source.Quote(body))
	}
	return p, nil
}

// notJSON is the error for a body that is not JSON. It keeps
// encoding/json's words ("unexpected end of JSON input", "invalid
// character '<' looking for beginning of value"), which the source's
// errors have always quoted, rather than v2's.
func notJSON(body []byte) error {
	var v struct{}
	err := json.Unmarshal(body, &v)
	if err == nil { // v2 and encoding/json disagree: say v2's reason
		err = jsonv2.Unmarshal(body, new(jsontext.Value), source.DecodeOptions)
	}
	return fetch.NotJSON(fmt.Errorf("response is not JSON: %v; body %s", err, source.Quote(body)))
}

// pagingNext reads paging.next from the paging object v.
func pagingNext(v jsontext.Value) (string, error) {
	if v.Kind() != '{' {
		return "", fmt.Errorf("paging is %s, want an object", source.JSONTypeArticle(v))
	}
	var p pagingJSON
	if err := jsonv2.Unmarshal(v, &p, source.DecodeOptions); err != nil {
		return "", fmt.Errorf("paging: %w", err) // v is valid JSON: not reached
	}
	switch p.Next.Kind() {
	case 0, 'n':
		return "", nil
	case '"':
		return string(source.AppendUnquote(nil, p.Next)), nil
	}
	return "", fmt.Errorf("paging.next is %s, want a string", source.JSONTypeArticle(p.Next))
}

// isErrorCode reports whether a top-level "code" marks a failure: any
// value but absent, null, 0, "0", "" or "ok".
func isErrorCode(v jsontext.Value) bool {
	if v == nil || v.Kind() == 'n' {
		return false
	}
	switch t := text(v); {
	case t == "0", t == "", strings.EqualFold(t, "ok"):
		return false
	}
	return true
}

// text is a JSON value as text: a string's content, any other value's
// JSON; "" for nil.
func text(v jsontext.Value) string {
	if v.Kind() == '"' {
		return string(source.AppendUnquote(nil, v))
	}
	return string(v)
}
