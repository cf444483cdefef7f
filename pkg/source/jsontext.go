package source

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// KindArticle is Kind with its article, for error messages: "a string",
// "an object", "an array", "a boolean", "a number" or "null".
func KindArticle[T Text](v T) string {
	switch k := Kind(v); k {
	case "null":
		return k
	case "object", "array":
		return "an " + k
	default:
		return "a " + k
	}
}

// RecordText is one vendor record as a single string, with its unknown
// members, if any, after it as a JSON object: every string a decoder keeps
// from the record is a substring of it, one allocation for all of them.
type RecordText struct {
	raw []byte // the record, whose slices the Validator handed out
	s   string
}

// NewRecordText copies raw, and extra closed with '}' when it is not
// empty (members built with AppendMember), into one string.
func NewRecordText(raw, extra []byte) RecordText {
	if len(extra) == 0 {
		return RecordText{raw: raw, s: string(raw)}
	}
	var sb strings.Builder
	sb.Grow(len(raw) + len(extra) + 1)
	sb.Write(raw)
	sb.Write(extra)
	sb.WriteByte('}')
	return RecordText{raw: raw, s: sb.String()}
}

// Of returns v, a slice of the record as the Validator hands it out, as
// the same bytes of the string: a slice of raw starts cap(raw)−cap(v)
// bytes into it.
func (t RecordText) Of(v []byte) string {
	if len(v) == 0 {
		return ""
	}
	i := cap(t.raw) - cap(v)
	return t.s[i : i+len(v)]
}

// Extra returns the unknown members as a JSON object, "" when there were
// none.
func (t RecordText) Extra() string { return t.s[len(t.raw):] }

// AppendString appends s to b as a JSON string: quotes, backslashes and
// control characters escaped, other UTF-8 as it is. A string that is not
// valid UTF-8 goes through encoding/json, which replaces the bad bytes.
// The simulators build their answers with it.
func AppendString(b []byte, s string) []byte {
	if !utf8.ValidString(s) {
		q, _ := json.Marshal(s) // a string always encodes
		return append(b, q...)
	}
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
