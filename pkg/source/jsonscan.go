package source

import (
	"errors"
	"fmt"
	"math/bits"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// The providers decode vendor JSON without encoding/json's reflection and
// without building maps: a page is checked once by a Validator
// (jsonvalid.go), which also splits it, and each record is then read
// member by member with Members, which hands out the exact bytes of every
// name and value.

// Text is JSON text held as bytes, or as a string so that the names and
// values Members hands out are substrings rather than copies.
type Text interface{ ~[]byte | ~string }

// plain marks the bytes a JSON string holds as they are: not a quote, a
// backslash or a control character.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// bracket marks the bytes a container's bounds depend on.
var bracket = func() (t [256]bool) {
	for _, c := range `"{}[]` {
		t[c] = true
	}
	return t
}()

// delimiter marks the bytes that end a number or a literal.
var delimiter = func() (t [256]bool) {
	for _, c := range ",}] \t\n\r" {
		t[c] = true
	}
	return t
}()

// ws returns the index of the first byte at or after i that is not JSON
// whitespace.
func ws[T Text](b T, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// load64 reads the 8 bytes at b[i:], little-endian: one load.
func load64[T Text](b T, i int) uint64 {
	b = b[i : i+8]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

const (
	lsb = 0x0101010101010101 // the low bit of every byte of a word
	msb = 0x8080808080808080 // the high bit of every byte
)

// The functions below find bytes in a word with the "has a zero byte"
// trick: (x-lsb)&^x&msb flags the zero bytes of x, and may flag a byte
// above a flagged one, never one below it, so its lowest flag is exact.

// stringEnd flags the bytes of w that end a run of string content: quotes,
// backslashes and control characters.
func stringEnd(w uint64) uint64 {
	q, s := w^(lsb*'"'), w^(lsb*'\\')
	return ((q-lsb)&^q | (s-lsb)&^s | (w-lsb*0x20)&^w) & msb
}

// notASCII flags the bytes of w that are not plain ASCII string content:
// as stringEnd, and bytes of multi-byte UTF-8 sequences.
func notASCII(w uint64) uint64 {
	return stringEnd(w) | w&msb
}

// firstFlag is the index in its word of the lowest flagged byte.
func firstFlag(t uint64) int { return bits.TrailingZeros64(t) >> 3 }

// plainRun returns the index of the first byte at or after i that a
// string does not hold as it is (a quote, a backslash or a control
// character), or len(b). It looks at a word at a time: most strings are
// too short for IndexByte's call to pay.
func plainRun[T Text](b T, i int) int {
	for i+8 <= len(b) {
		if t := stringEnd(load64(b, i)); t != 0 {
			return i + firstFlag(t)
		}
		i += 8
	}
	for i < len(b) && plain[b[i]] {
		i++
	}
	return i
}

// skipString returns the index just after the string whose opening quote
// is b[i], or -1 when it is not closed.
func skipString[T Text](b T, i int) int {
	i++
	for {
		if i = plainRun(b, i); i >= len(b) {
			return -1
		}
		switch b[i] {
		case '"':
			return i + 1
		case '\\':
			i += 2 // the backslash and the byte it escapes
		default:
			i++ // a control character: invalid, but bounds are all this looks for
		}
	}
}

// skipValue returns the index just after the value starting at b[i]:
// strings and containers are skipped whole, a number or a literal runs to
// the next delimiter. It returns -1 when no value starts there or it is
// not closed. It checks nothing else.
func skipValue[T Text](b T, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for {
			for i < len(b) && !bracket[b[i]] {
				i++
			}
			if i >= len(b) {
				return -1
			}
			switch b[i] {
			case '"':
				if i = skipString(b, i); i < 0 {
					return -1
				}
				continue
			case '{', '[':
				depth++
			default:
				if depth--; depth == 0 {
					return i + 1
				}
			}
			i++
		}
	}
	start := i
	for i < len(b) && !delimiter[b[i]] {
		i++
	}
	if i == start {
		return -1
	}
	return i
}

// Members iterates over the members of a JSON object, handing out each
// member's quoted name and its value as the exact text sent: slices of the
// object, never copies. It finds the bounds of names and values and checks
// the object's punctuation, nothing more, so it is meant for text a
// Validator (or encoding/json) has accepted; on other text it never reads
// out of bounds and stops at the first problem it notices (Err). Every
// member is handed out, repeated names included, in the order sent. It
// allocates nothing.
type Members[T Text] struct {
	b       T
	i       int
	started bool // a member has been handed out
	done    bool
	err     error
}

// Object starts iterating over the object v, which may be surrounded by
// whitespace; false when v does not start with '{'.
func Object[T Text](v T) (Members[T], bool) {
	i := ws(v, 0)
	if i >= len(v) || v[i] != '{' {
		return Members[T]{}, false
	}
	return Members[T]{b: v, i: i + 1}, true
}

// Next returns the next member's quoted name and its value; false after
// the last member or at a problem (Err).
func (it *Members[T]) Next() (key, val T, ok bool) {
	if it.done {
		return key, val, false
	}
	b := it.b
	i := ws(b, it.i)
	if i < len(b) && b[i] == '}' {
		it.i, it.done = i+1, true
		return key, val, false
	}
	if it.started {
		if i >= len(b) || b[i] != ',' {
			return it.fail("missing ','", i)
		}
		i = ws(b, i+1)
	}
	ks := i
	if i >= len(b) || b[i] != '"' {
		return it.fail("bad member name", ks)
	}
	if i = skipString(b, i); i < 0 {
		return it.fail("bad member name", ks)
	}
	key = b[ks:i]
	if i = ws(b, i); i >= len(b) || b[i] != ':' {
		return it.fail("missing ':'", i)
	}
	vs := ws(b, i+1)
	if i = skipValue(b, vs); i < 0 {
		return it.fail("bad value", vs)
	}
	it.i, it.started = i, true
	return key, b[vs:i], true
}

// fail ends the iteration with a problem at byte i.
func (it *Members[T]) fail(problem string, i int) (key, val T, ok bool) {
	it.done, it.err = true, fmt.Errorf("%s at byte %d", problem, i)
	return key, val, false
}

// Err returns the problem that ended the iteration early, if any.
func (it *Members[T]) Err() error { return it.err }

// Name returns a quoted member name without its quotes, unescaped when it
// holds escapes, for matching: names are matched exactly, case included
// (encoding/json would match "ID" to "id"). key must be a JSON string as
// Members or a Validator hands it out.
func Name[T Text](key T) T {
	inner := key[1 : len(key)-1]
	for i := 0; i < len(inner); i++ {
		if inner[i] == '\\' {
			name, _ := Unquote(key)
			return name
		}
	}
	return inner
}

var errString = errors.New("not a valid JSON string")

// Unquote returns the content of the JSON string q, decoded as
// encoding/json decodes it (invalid UTF-8 and lone surrogates become
// U+FFFD). Without escapes or invalid UTF-8 it is a slice of q, not a
// copy.
func Unquote[T Text](q T) (T, error) {
	var zero T
	if len(q) < 2 || q[0] != '"' || q[len(q)-1] != '"' {
		return zero, errString
	}
	inner := q[1 : len(q)-1]
	i := 0
	for i < len(inner) {
		if i+8 <= len(inner) {
			t := notASCII(load64(inner, i))
			if t == 0 {
				i += 8
				continue
			}
			i += firstFlag(t)
		}
		c := inner[i]
		if c < utf8.RuneSelf {
			if !plain[c] {
				break
			}
			i++
			continue
		}
		r, n := decodeRune(inner, i)
		if r == utf8.RuneError && n == 1 {
			break
		}
		i += n
	}
	if i == len(inner) {
		return inner, nil
	}
	var sb strings.Builder
	sb.Grow(len(inner))
	if !unescape(&sb, inner) {
		return zero, errString
	}
	return T(sb.String()), nil
}

// decodeRune decodes the UTF-8 sequence starting at s[i].
func decodeRune[T Text](s T, i int) (rune, int) {
	var buf [utf8.UTFMax]byte
	n := copy(buf[:], s[i:min(i+utf8.UTFMax, len(s))])
	return utf8.DecodeRune(buf[:n])
}

// unescape writes the content of a string, s without its quotes, to sb as
// encoding/json decodes it; false on an invalid escape, a quote or a
// control character.
func unescape[T Text](sb *strings.Builder, s T) bool {
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == '\\':
			if i+1 >= len(s) {
				return false
			}
			switch e := s[i+1]; e {
			case '"', '\\', '/':
				sb.WriteByte(e)
			case 'b':
				sb.WriteByte('\b')
			case 'f':
				sb.WriteByte('\f')
			case 'n':
				sb.WriteByte('\n')
			case 'r':
				sb.WriteByte('\r')
			case 't':
				sb.WriteByte('\t')
			case 'u':
				r := hex4(s, i)
				if r < 0 {
					return false
				}
				i += 6
				if utf16.IsSurrogate(r) {
					if r = utf16.DecodeRune(r, hex4(s, i)); r != utf8.RuneError {
						i += 6
					}
				}
				sb.WriteRune(r)
				continue
			default:
				return false
			}
			i += 2
		case c < ' ' || c == '"':
			return false
		case c < utf8.RuneSelf:
			sb.WriteByte(c)
			i++
		default:
			r, n := decodeRune(s, i)
			sb.WriteRune(r)
			i += n
		}
	}
	return true
}

// hex4 reads the escape \uXXXX at s[i]; -1 when there is none.
func hex4[T Text](s T, i int) rune {
	if i+6 > len(s) || s[i] != '\\' || s[i+1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range [4]byte{s[i+2], s[i+3], s[i+4], s[i+5]} {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// Kind names the JSON type of the valid value v, for error messages:
// "string", "object", "array", "boolean", "null" or "number".
func Kind[T Text](v T) string {
	switch v[0] {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

// AppendMember appends the member key: val to obj, a JSON object being
// built from members as sent: '{' before the first, ',' between. The
// caller closes a non-empty obj with '}'.
func AppendMember[T Text](obj []byte, key, val T) []byte {
	if len(obj) == 0 {
		obj = append(obj, '{')
	} else {
		obj = append(obj, ',')
	}
	obj = append(obj, key...)
	obj = append(obj, ':')
	return append(obj, val...)
}
