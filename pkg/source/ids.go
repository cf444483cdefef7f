package source

import "strings"

// CompareIDs compares two non-negative decimal ids as integers, whatever
// their length ("99" < "100"), without parsing them into a fixed width.
// Leading zeros are ignored.
func CompareIDs(a, b string) int {
	a, b = TrimZeros(a), TrimZeros(b)
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

// TrimZeros removes the leading zeros of a decimal id, keeping "0".
func TrimZeros(s string) string {
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	return s
}

// OrderIDs orders record ids of any shape: numeric ones as integers (ties broken by
// their text, so "007" and "7" stay apart), before the others, which
// order as text.
func OrderIDs(a, b string) int {
	an, bn := Digits(a), Digits(b)
	switch {
	case an && bn:
		if c := CompareIDs(a, b); c != 0 {
			return c
		}
	case an:
		return -1
	case bn:
		return 1
	}
	return strings.Compare(a, b)
}

// Digits reports whether s is a non-empty run of ASCII digits.
func Digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
