package zns

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// The scanner walks JSON that valid or splitPage has accepted, handing out
// the exact bytes of each member so that the decoder neither copies the
// body nor builds maps. It must not be given unvalidated bytes.

// members iterates over the members of a JSON object.
type members struct {
	b []byte
	i int
}

// object starts iterating over v, which must be a valid JSON value; false
// when v is not an object.
func object(v []byte) (members, bool) {
	it := members{b: v}
	it.ws()
	if it.i >= len(it.b) || it.b[it.i] != '{' {
		return members{}, false
	}
	it.i++
	return it, true
}

// next returns the next member's quoted name and value, or false after the
// last one.
func (it *members) next() (key, val []byte, ok bool) {
	it.ws()
	if it.i < len(it.b) && it.b[it.i] == ',' {
		it.i++
		it.ws()
	}
	if it.i >= len(it.b) || it.b[it.i] != '"' {
		return nil, nil, false
	}
	ks := it.i
	it.skip()
	key = it.b[ks:it.i]
	it.ws()
	it.i++ // ':'
	it.ws()
	vs := it.i
	it.skip()
	return key, it.b[vs:it.i], true
}

func (it *members) ws() {
	for it.i < len(it.b) {
		switch it.b[it.i] {
		case ' ', '\t', '\n', '\r':
			it.i++
		default:
			return
		}
	}
}

// skip moves past the value starting at it.i.
func (it *members) skip() { it.i = skipValue(it.b, it.i) }

// skipValue returns the index just after the valid JSON value starting at
// b[i]. It works on locals: the loops run over most of every body.
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	}
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}

// skipString returns the index just after the valid string starting at
// b[i]. Most strings are short: a table loop beats IndexByte's call.
func skipString(b []byte, i int) int {
	i++
	for i < len(b) {
		for i < len(b) && plain[b[i]] {
			i++
		}
		if i >= len(b) {
			break
		}
		if b[i] == '"' {
			return i + 1
		}
		i += 2 // a backslash and the byte it escapes
	}
	return i
}

// name returns a quoted member name without its quotes, unescaped when it
// holds escapes. Names are matched exactly, case included (encoding/json
// would match "ID" to "id").
func name(key []byte) []byte {
	inner := key[1 : len(key)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return inner
	}
	var s string
	_ = json.Unmarshal(key, &s) // key is a valid JSON string
	return []byte(s)
}

// appendText appends the content of the valid JSON string v to dst,
// unescaped; invalid UTF-8 becomes U+FFFD as encoding/json does.
func appendText(dst, v []byte) []byte {
	inner := v[1 : len(v)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return append(dst, inner...)
	}
	var s string
	_ = json.Unmarshal(v, &s) // v is a valid JSON string
	return append(dst, s...)
}

// kind names the JSON type of the valid value v, for error messages.
func kind(v []byte) string {
	switch v[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}
