package source

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
)

// ExtraFields returns the members of the JSON object obj whose names are
// not in known, as a JSON object with the members' values verbatim, or nil
// when there are none. It lets a source decode straight into a typed
// struct and still keep every field the vendor sent (design §4) without
// building a map for every record. obj must be valid JSON (decode it first).
func ExtraFields(obj []byte, known []string) ([]byte, error) {
	p := objScanner{b: obj}
	p.ws()
	if !p.eat('{') {
		return nil, fmt.Errorf("not a JSON object: %s", Quote(obj))
	}
	var extra []byte
	p.ws()
	if p.eat('}') {
		return nil, nil
	}
	for {
		p.ws()
		ks := p.i
		if !p.skipString() {
			return nil, fmt.Errorf("bad member name at byte %d", ks)
		}
		key := obj[ks:p.i]
		p.ws()
		if !p.eat(':') {
			return nil, fmt.Errorf("missing ':' at byte %d", p.i)
		}
		p.ws()
		vs := p.i
		if !p.skipValue() {
			return nil, fmt.Errorf("bad value at byte %d", vs)
		}
		if !isKnown(key, known) {
			if extra == nil {
				extra = append(extra, '{')
			} else {
				extra = append(extra, ',')
			}
			extra = append(extra, key...)
			extra = append(extra, ':')
			extra = append(extra, obj[vs:p.i]...)
		}
		p.ws()
		if p.eat('}') {
			break
		}
		if !p.eat(',') {
			return nil, fmt.Errorf("missing ',' at byte %d", p.i)
		}
	}
	if extra != nil {
		extra = append(extra, '}')
	}
	return extra, nil
}

// isKnown compares a quoted member name with the known names; a name with
// escapes is unquoted first.
func isKnown(quoted []byte, known []string) bool {
	name := quoted[1 : len(quoted)-1]
	if bytes.IndexByte(name, '\\') >= 0 {
		var s string
		if json.Unmarshal(quoted, &s) != nil {
			return false
		}
		return slices.Contains(known, s)
	}
	for _, k := range known {
		if string(name) == k {
			return true
		}
	}
	return false
}

type objScanner struct {
	b []byte
	i int
}

func (p *objScanner) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *objScanner) eat(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *objScanner) skipString() bool {
	if !p.eat('"') {
		return false
	}
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case '\\':
			p.i += 2
		case '"':
			p.i++
			return true
		default:
			p.i++
		}
	}
	return false
}

// skipValue skips one JSON value: strings and nested containers are
// skipped whole; a scalar runs to the next delimiter.
func (p *objScanner) skipValue() bool {
	if p.i >= len(p.b) {
		return false
	}
	switch p.b[p.i] {
	case '"':
		return p.skipString()
	case '{', '[':
		depth := 0
		for p.i < len(p.b) {
			switch p.b[p.i] {
			case '"':
				if !p.skipString() {
					return false
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					p.i++
					return true
				}
			}
			p.i++
		}
		return false
	default:
		start := p.i
		for p.i < len(p.b) {
			switch p.b[p.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return p.i > start
			}
			p.i++
		}
		return p.i > start
	}
}

// CompareIDs compares two non-negative decimal ids as integers, whatever
// their length ("99" < "100"), without parsing them into a fixed width.
// Leading zeros are ignored.
func CompareIDs(a, b string) int {
	a, b = trimZeros(a), trimZeros(b)
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func trimZeros(s string) string {
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	return s
}
