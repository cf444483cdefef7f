package source

import "fmt"

// ExtraFields returns the members of the JSON object obj whose names are
// not in known, as a JSON object with the members' values verbatim, or nil
// when there are none. It lets a source decode straight into a typed
// struct and still keep every field the vendor sent (design §4) without
// building a map for every record. obj must be valid JSON (decode it first).
// A source that reads its records with Members collects the unknown
// members in the same pass instead, with AppendMember.
func ExtraFields(obj []byte, known []string) ([]byte, error) {
	it, ok := Object(obj)
	if !ok {
		return nil, fmt.Errorf("not a JSON object: %s", Quote(obj))
	}
	var extra []byte
	for {
		key, val, ok := it.Next()
		if !ok {
			break
		}
		if !isKnown(Name(key), known) {
			extra = AppendMember(extra, key, val)
		}
	}
	if err := it.Err(); err != nil {
		return nil, err
	}
	if extra != nil {
		extra = append(extra, '}')
	}
	return extra, nil
}

// isKnown reports whether name is one of known; the comparisons copy
// nothing.
func isKnown(name []byte, known []string) bool {
	for _, k := range known {
		if string(name) == k {
			return true
		}
	}
	return false
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
