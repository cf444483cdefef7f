package source

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
