package source

// maxDepth bounds nesting, as encoding/json does.
const maxDepth = 10000

// Valid reports whether b is one JSON value surrounded by nothing but
// whitespace: what json.Valid answers, several times faster. Like
// json.Valid it does not check that strings are UTF-8.
func Valid(b []byte) bool {
	v := Validator{b: b}
	v.Value()
	return v.Done()
}

// A Validator checks JSON text while its caller walks it, so that a page
// is validated and split in one pass: the caller enters containers with
// Object and Array, moves through them with Member and Element, and reads
// any value whole with Value; Done then says whether the text was one
// valid JSON value, nesting bounded as encoding/json bounds it. Names and
// values are handed out as slices of the text. Once the text is found
// invalid every method reports nothing, so a walk simply ends early; what
// it gathered means something only if Done is true.
type Validator struct {
	b     []byte
	i     int
	depth int  // containers entered and not yet left
	first bool // the container entered last has had no member or element yet
	whole bool // the outermost value has been read through
	bad   bool
}

// NewValidator starts a walk over b.
func NewValidator(b []byte) Validator { return Validator{b: b} }

// Peek returns the first byte of the value at hand, 0 at the end or once
// the text is found invalid.
func (v *Validator) Peek() byte {
	if v.bad {
		return 0
	}
	v.ws()
	if v.i < len(v.b) {
		return v.b[v.i]
	}
	return 0
}

// Object enters the value at hand if it is an object; false (nothing
// read) when it is not. Its members follow with Member.
func (v *Validator) Object() bool { return v.open('{') }

// Array enters the value at hand if it is an array; false (nothing read)
// when it is not. Its elements follow with Element.
func (v *Validator) Array() bool { return v.open('[') }

// open enters a container opened by c: an object or an array.
func (v *Validator) open(c byte) bool {
	if v.Peek() != c {
		return false
	}
	if v.whole || v.depth >= maxDepth {
		v.bad = true
		return false
	}
	v.i++
	v.depth++
	v.first = true
	return true
}

// Member moves to the next member of the object entered last and returns
// its quoted name; its value is then at hand, and the caller must read it
// (Value, Object or Array) before the next call. False once the object is
// closed, or the text is invalid.
func (v *Validator) Member() (key []byte, ok bool) {
	if !v.next('}') {
		return nil, false
	}
	start := v.i
	if v.i >= len(v.b) || v.b[v.i] != '"' || !v.str() {
		v.bad = true
		return nil, false
	}
	key = v.b[start:v.i]
	v.ws()
	if !v.eat(':') {
		v.bad = true
		return nil, false
	}
	return key, true
}

// Element moves to the next element of the array entered last, which is
// then at hand: the caller must read it (Value, Object or Array) before
// the next call. False once the array is closed, or the text is invalid.
func (v *Validator) Element() bool { return v.next(']') }

// next moves past the ',' before the next member or element of the
// container entered last; false when end closes the container instead.
func (v *Validator) next(end byte) bool {
	if v.bad || v.depth == 0 {
		return false
	}
	v.ws()
	if v.eat(end) {
		v.first = false
		if v.depth--; v.depth == 0 {
			v.whole = true
		}
		return false
	}
	if v.first {
		v.first = false
		return true
	}
	if !v.eat(',') {
		v.bad = true
		return false
	}
	v.ws()
	return true
}

// Value checks the value at hand and returns it; nil when it is not a
// valid JSON value.
func (v *Validator) Value() []byte {
	if v.bad || v.whole {
		v.bad = true
		return nil
	}
	v.ws()
	start := v.i
	if !v.value(v.depth) {
		v.bad = true
		return nil
	}
	if v.depth == 0 {
		v.whole = true
	}
	return v.b[start:v.i]
}

// Done reports whether the text walked was one valid JSON value with
// nothing but whitespace after it. A walk left before its end is not done.
func (v *Validator) Done() bool {
	if v.bad || !v.whole {
		return false
	}
	v.ws()
	return v.i == len(v.b)
}

// ws moves past whitespace.
func (v *Validator) ws() { v.i = ws(v.b, v.i) }

// eat moves past c if it is the next byte.
func (v *Validator) eat(c byte) bool {
	if v.i < len(v.b) && v.b[v.i] == c {
		v.i++
		return true
	}
	return false
}

// value checks the value at v.i, inside depth containers.
func (v *Validator) value(depth int) bool {
	if v.i >= len(v.b) {
		return false
	}
	switch c := v.b[v.i]; {
	case c == '"':
		return v.str()
	case c == '{':
		return depth < maxDepth && v.object(depth+1)
	case c == '[':
		return depth < maxDepth && v.array(depth+1)
	case c == '-' || c >= '0' && c <= '9':
		return v.number()
	case c == 't':
		return v.literal("true")
	case c == 'f':
		return v.literal("false")
	case c == 'n':
		return v.literal("null")
	}
	return false
}

// object checks the object at v.i, which is then inside depth containers.
func (v *Validator) object(depth int) bool {
	v.i++ // {
	v.ws()
	if v.eat('}') {
		return true
	}
	for {
		if v.i >= len(v.b) || v.b[v.i] != '"' || !v.str() {
			return false
		}
		v.ws()
		if !v.eat(':') {
			return false
		}
		v.ws()
		if !v.value(depth) {
			return false
		}
		v.ws()
		if v.eat('}') {
			return true
		}
		if !v.eat(',') {
			return false
		}
		v.ws()
	}
}

// array checks the array at v.i, which is then inside depth containers.
func (v *Validator) array(depth int) bool {
	v.i++ // [
	v.ws()
	if v.eat(']') {
		return true
	}
	for {
		if !v.value(depth) {
			return false
		}
		v.ws()
		if v.eat(']') {
			return true
		}
		if !v.eat(',') {
			return false
		}
		v.ws()
	}
}

// str checks the string whose opening quote is at v.i.
func (v *Validator) str() bool {
	b, i := v.b, v.i+1
	for {
		if i = plainRun(b, i); i >= len(b) {
			return false
		}
		switch b[i] {
		case '"':
			v.i = i + 1
			return true
		case '\\':
			if i+1 >= len(b) {
				return false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if hex4(b, i) < 0 {
					return false
				}
				i += 6
			default:
				return false
			}
		default: // a control character
			return false
		}
	}
}

// number checks -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (v *Validator) number() bool {
	b, i := v.b, v.i
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = digits(b, i)
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		j := digits(b, i+1)
		if j == i+1 {
			return false
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(b, i)
		if j == i {
			return false
		}
		i = j
	}
	v.i = i
	return true
}

// digits returns the index after the run of digits starting at i.
func digits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

// literal checks that want, true, false or null, is at v.i.
func (v *Validator) literal(want string) bool {
	if len(v.b)-v.i < len(want) || string(v.b[v.i:v.i+len(want)]) != want {
		return false
	}
	v.i += len(want)
	return true
}
