package nxlink

import (
	"encoding/json"
	"errors"
)

// scanner walks JSON that encoding/json has already checked (a page body
// is validated whole before its customers are read), so it only finds the
// bounds of values. On input that is not valid JSON it stops with an error
// and never reads out of bounds.
type scanner struct {
	b []byte
	i int
}

var errSyntax = errors.New("not valid JSON")

func (p *scanner) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *scanner) eat(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// skipString skips a string starting at p.i and reports whether it
// contained a backslash escape.
func (p *scanner) skipString() (escaped bool, err error) {
	if !p.eat('"') {
		return false, errSyntax
	}
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case '\\':
			escaped = true
			p.i += 2
		case '"':
			p.i++
			return escaped, nil
		default:
			p.i++
		}
	}
	return false, errSyntax
}

// skipValue skips one value: strings and containers whole, a scalar to the
// next delimiter.
func (p *scanner) skipValue() error {
	if p.i >= len(p.b) {
		return errSyntax
	}
	switch p.b[p.i] {
	case '"':
		_, err := p.skipString()
		return err
	case '{', '[':
		depth := 0
		for p.i < len(p.b) {
			switch p.b[p.i] {
			case '"':
				if _, err := p.skipString(); err != nil {
					return err
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					p.i++
					return nil
				}
			}
			p.i++
		}
		return errSyntax
	default:
		start := p.i
		for p.i < len(p.b) {
			switch p.b[p.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				if p.i == start {
					return errSyntax
				}
				return nil
			}
			p.i++
		}
		if p.i == start {
			return errSyntax
		}
		return nil
	}
}

// peek returns the byte at p.i, 0 at the end.
func (p *scanner) peek() byte {
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

// value skips the value at p.i and returns it, or nil when it is not a
// value.
func (p *scanner) value() []byte {
	start := p.i
	if p.skipValue() != nil {
		return nil
	}
	return p.b[start:p.i]
}

// object walks the object at p.i, calling fn with each member's name and
// p.i on its value, which fn must consume.
func (p *scanner) object(fn func(key string) error) error {
	p.ws()
	if !p.eat('{') {
		return errSyntax
	}
	p.ws()
	if p.eat('}') {
		return nil
	}
	for {
		p.ws()
		start := p.i
		if _, err := p.skipString(); err != nil {
			return err
		}
		key, err := unquote(string(p.b[start:p.i]))
		if err != nil {
			return err
		}
		p.ws()
		if !p.eat(':') {
			return errSyntax
		}
		p.ws()
		if err := fn(key); err != nil {
			return err
		}
		p.ws()
		if p.eat('}') {
			return nil
		}
		if !p.eat(',') {
			return errSyntax
		}
	}
}

// elements splits the array at p.i into its elements, which alias p.b.
func (p *scanner) elements() ([]json.RawMessage, error) {
	if !p.eat('[') {
		return nil, errSyntax
	}
	out := []json.RawMessage{}
	p.ws()
	if p.eat(']') {
		return out, nil
	}
	for {
		p.ws()
		start := p.i
		if err := p.skipValue(); err != nil {
			return nil, err
		}
		out = append(out, p.b[start:p.i])
		p.ws()
		if p.eat(']') {
			return out, nil
		}
		if !p.eat(',') {
			return nil, errSyntax
		}
	}
}

// member is one member of an object: the bounds of its quoted name and of
// its value.
type member struct {
	keyStart, keyEnd, valStart, valEnd int
	// escapedKey is set when the name holds a backslash escape.
	escapedKey bool
}

// members iterates the members of the object in p.b.
type members struct {
	p     scanner
	m     member
	err   error
	first bool
	done  bool
}

// newMembers starts iterating obj; err is set when obj is not an object.
func newMembers(obj []byte) members {
	it := members{p: scanner{b: obj}, first: true}
	it.p.ws()
	if !it.p.eat('{') {
		it.err, it.done = errors.New("not a JSON object"), true
	}
	return it
}

// next moves to the next member; false at the end or on an error (err).
func (it *members) next() bool {
	if it.done {
		return false
	}
	p := &it.p
	p.ws()
	if it.first {
		it.first = false
		if p.eat('}') {
			it.done = true
			return false
		}
	} else {
		if p.eat('}') {
			it.done = true
			return false
		}
		if !p.eat(',') {
			it.err, it.done = errSyntax, true
			return false
		}
		p.ws()
	}
	it.m.keyStart = p.i
	escaped, err := p.skipString()
	if err != nil {
		it.err, it.done = err, true
		return false
	}
	it.m.keyEnd, it.m.escapedKey = p.i, escaped
	p.ws()
	if !p.eat(':') {
		it.err, it.done = errSyntax, true
		return false
	}
	p.ws()
	it.m.valStart = p.i
	if err := p.skipValue(); err != nil {
		it.err, it.done = err, true
		return false
	}
	it.m.valEnd = p.i
	return true
}
