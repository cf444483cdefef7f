package zns

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/vnstream/connector/pkg/source"
)

// page is one list answer: {"messages": [...], "paging": {"next": ..}}.
type page struct {
	// messages are the records' bytes, slices of the validated body.
	messages []json.RawMessage
	// next is paging.next, the cursor of the following page; "" (or
	// absent) on the last page.
	next string
}

// vendorError is the platform's error object answered instead of a page:
// {"code": "...", "msg": "..."} (Twirp style, eTelecom) or {"code": 503,
// "message": "..."}.
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
// The body is validated and the messages split out in the same pass.
func parsePage(body []byte) (page, error) {
	members, ok := splitPage(body)
	if !ok {
		if valid(body) {
			return page{}, fmt.Errorf("response is not a JSON object: %s", source.Quote(body))
		}
		var v struct{}
		err := json.Unmarshal(body, &v) // for the syntax error's wording
		return page{}, fmt.Errorf("response is not JSON: %v; body %s", err, source.Quote(body))
	}
	var p page
	var code, msg []byte
	var sawMessages, sawPaging bool
	for _, m := range members {
		switch string(name(m.key)) {
		case "messages":
			sawMessages = true
			switch m.val[0] {
			case 'n':
				p.messages = nil
			case '[':
				p.messages = m.elements
			default:
				return page{}, fmt.Errorf("messages is %s, want an array: %s", kind(m.val), source.Quote(body))
			}
		case "paging":
			if m.val[0] == 'n' {
				continue
			}
			next, err := pagingNext(m.val)
			if err != nil {
				return page{}, fmt.Errorf("%w: %s", err, source.Quote(body))
			}
			sawPaging, p.next = true, next
		case "code":
			code = m.val
		case "msg", "message":
			msg = m.val
		}
	}
	if isErrorCode(code) || (!sawMessages && !sawPaging && msg != nil) {
		return page{}, &vendorError{code: text(code), msg: text(msg)}
	}
	if !sawMessages && !sawPaging {
		return page{}, fmt.Errorf("response has neither messages nor paging: %s", source.Quote(body))
	}
	return p, nil
}

// topMember is one member of the page object; elements holds the
// elements of an array value.
type topMember struct {
	key, val []byte
	elements []json.RawMessage
}

// splitPage validates body, which must be one JSON object, and returns its
// members with the elements of their array values; false when body is not
// valid JSON or not an object.
func splitPage(body []byte) ([]topMember, bool) {
	v := validator{b: body}
	v.ws()
	if !v.eat('{') {
		return nil, false
	}
	var members []topMember
	v.ws()
	for !v.eat('}') {
		if len(members) > 0 && !v.eat(',') {
			return nil, false
		}
		v.ws()
		ks := v.i
		if v.i >= len(body) || body[v.i] != '"' || !v.str() {
			return nil, false
		}
		m := topMember{key: body[ks:v.i]}
		v.ws()
		if !v.eat(':') {
			return nil, false
		}
		v.ws()
		vs := v.i
		if v.eat('[') {
			v.ws()
			for !v.eat(']') {
				if len(m.elements) > 0 && !v.eat(',') {
					return nil, false
				}
				v.ws()
				es := v.i
				if !v.value(2) {
					return nil, false
				}
				m.elements = append(m.elements, body[es:v.i])
				v.ws()
			}
		} else if !v.value(1) {
			return nil, false
		}
		m.val = body[vs:v.i]
		members = append(members, m)
		v.ws()
	}
	v.ws()
	return members, v.i == len(body)
}

// pagingNext reads paging.next from the paging object v.
func pagingNext(v []byte) (string, error) {
	it, ok := object(v)
	if !ok {
		return "", fmt.Errorf("paging is %s, want an object", kind(v))
	}
	next := ""
	for {
		key, v, ok := it.next()
		if !ok {
			return next, nil
		}
		if string(name(key)) != "next" {
			continue
		}
		switch v[0] {
		case 'n':
			next = ""
		case '"':
			next = string(appendText(nil, v))
		default:
			return "", fmt.Errorf("paging.next is %s, want a string", kind(v))
		}
	}
}

// isErrorCode reports whether a top-level "code" marks a failure: any
// value but absent, null, 0, "0", "" or "ok".
func isErrorCode(v []byte) bool {
	if v == nil {
		return false
	}
	switch t := text(v); {
	case v[0] == 'n', t == "0", t == "", strings.EqualFold(t, "ok"):
		return false
	}
	return true
}

// text is a JSON value as text: a string's content, any other value's
// JSON; "" for nil.
func text(v []byte) string {
	if v == nil {
		return ""
	}
	if v[0] == '"' {
		return string(appendText(nil, v))
	}
	return string(v)
}
