package source

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// The layouts ParseTime accepts after RFC 3339: a local date-time with a
// 'T' or a space, with or without fractions of a second.
var localLayouts = []string{"2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999"}

// ParseTime reads a vendor time: RFC 3339 with or without fractions
// ("2025-11-02T22:12:50.529Z"), or a local date-time without a zone
// ("2024-07-19T17:29:27", "2024-05-07 00:00:00") taken in loc. The result
// is in UTC. RFC 3339 goes through ParseRFC3339 first, which allocates
// nothing. The error names field and quotes the value.
func ParseTime(field, s string, loc *time.Location) (time.Time, error) {
	if t, ok := ParseRFC3339(s); ok {
		return t, nil
	}
	for _, layout := range localLayouts {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t.UTC(), nil
		}
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%s %q is not a time (want RFC 3339 or 2006-01-02 15:04:05)", field, s)
}

// UnixSeconds reads a JSON number of seconds since the epoch (a numeric
// string is accepted too). The error names field and quotes the value.
func UnixSeconds(field string, raw json.RawMessage) (time.Time, error) {
	s := string(bytes.Trim(bytes.TrimSpace(raw), `"`))
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > 1<<40 {
		return time.Time{}, fmt.Errorf("%s %s is not unix seconds", field, Quote(raw))
	}
	return time.Unix(n, 0).UTC(), nil
}

// ParseRFC3339 reads an RFC 3339 time as the vendors write it,
// "2006-01-02T15:04:05[.fraction](Z|±hh:mm)" with up to nine fraction
// digits, and returns it in UTC. Unlike time.Parse it allocates nothing,
// not even for a numeric zone offset. A time without a zone is refused:
// guessing one would shift every version silently.
func ParseRFC3339[T Text](s T) (time.Time, bool) {
	if len(s) < len("2006-01-02T15:04:05Z") || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	year, ok1 := number(s[0:4])
	month, ok2 := number(s[5:7])
	day, ok3 := number(s[8:10])
	hour, ok4 := number(s[11:13])
	minute, ok5 := number(s[14:16])
	sec, ok6 := number(s[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	i, nsec := 19, 0
	if s[i] == '.' {
		i++
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			nsec = nsec*10 + int(s[i]-'0')
			i++
		}
		n := i - start
		if n == 0 || n > 9 {
			return time.Time{}, false
		}
		for ; n < 9; n++ {
			nsec *= 10
		}
	}
	offset := 0
	switch zone := s[i:]; {
	case len(zone) == 1 && (zone[0] == 'Z' || zone[0] == 'z'):
	case len(zone) == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':':
		hh, ok1 := number(zone[1:3])
		mm, ok2 := number(zone[4:6])
		if !ok1 || !ok2 || hh > 23 || mm > 59 {
			return time.Time{}, false
		}
		offset = (hh*60 + mm) * 60
		if zone[0] == '-' {
			offset = -offset
		}
	default:
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	if t.Day() != day { // 31 April and the like roll over
		return time.Time{}, false
	}
	return t.Add(-time.Duration(offset) * time.Second), true
}

// number reads a short run of ASCII digits.
func number[T Text](b T) (int, bool) {
	n := 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
