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
// The body is validated and the messages split out in the same pass; a
// member of the wrong shape is reported only once the body is known to be
// JSON, the first one if several are wrong.
func parsePage(body []byte) (page, error) {
	v := source.NewValidator(body)
	if !v.Object() {
		if source.Valid(body) {
			return page{}, fmt.Errorf("response is not a JSON object: %s", source.Quote(body))
		}
		return page{}, notJSON(body)
	}
	var p page
	var code, msg []byte
	var sawMessages, sawPaging bool
	var bad error
	for key, ok := v.Member(); ok; key, ok = v.Member() {
		switch string(source.Name(key)) {
		case "messages":
			sawMessages, p.messages = true, nil
			if v.Array() {
				for v.Element() {
					p.messages = append(p.messages, v.Value())
				}
			} else if val := v.Value(); len(val) > 0 && val[0] != 'n' && bad == nil {
				bad = fmt.Errorf("messages is %s, want an array: %s", source.KindArticle(val), source.Quote(body))
			}
		case "paging":
			val := v.Value()
			if len(val) == 0 || val[0] == 'n' {
				continue
			}
			next, err := pagingNext(val)
			if err != nil {
				if bad == nil {
					bad = fmt.Errorf("%w: %s", err, source.Quote(body))
				}
				continue
			}
			sawPaging, p.next = true, next
		case "code":
			code = v.Value()
		case "msg", "message":
			msg = v.Value()
		default:
			v.Value()
		}
	}
	if !v.Done() {
		return page{}, notJSON(body)
	}
	if bad != nil {
		return page{}, bad
	}
	if isErrorCode(code) || (!sawMessages && !sawPaging && msg != nil) {
		return page{}, &vendorError{code: text(code), msg: text(msg)}
	}
	if !sawMessages && !sawPaging {
		return page{}, fmt.Errorf("response has neither messages nor paging: %s", source.Quote(body))
	}
	return p, nil
}

// notJSON is the error for a body that is not JSON, in encoding/json's
// words.
func notJSON(body []byte) error {
	var v struct{}
	err := json.Unmarshal(body, &v)
	return fmt.Errorf("response is not JSON: %v; body %s", err, source.Quote(body))
}

// pagingNext reads paging.next from the paging object v.
func pagingNext(v []byte) (string, error) {
	it, ok := source.Object(v)
	if !ok {
		return "", fmt.Errorf("paging is %s, want an object", source.KindArticle(v))
	}
	next := ""
	for {
		key, v, ok := it.Next()
		if !ok {
			return next, nil
		}
		if string(source.Name(key)) != "next" {
			continue
		}
		switch v[0] {
		case 'n':
			next = ""
		case '"':
			next = string(appendText(nil, v))
		default:
			return "", fmt.Errorf("paging.next is %s, want a string", source.KindArticle(v))
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
