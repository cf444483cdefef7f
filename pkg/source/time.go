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
// is in UTC. The error names field and quotes the value.
func ParseTime(field, s string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	for _, layout := range localLayouts {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t.UTC(), nil
		}
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

// ID reads an identifier sent as a JSON string or a JSON number; a number's
// digits are kept exactly as sent (never through float64). The error names
// field. A null or missing id is an error.
func ID(field string, raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return "", fmt.Errorf("%s is missing", field)
	case raw[0] == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", fmt.Errorf("%s: %w", field, err)
		}
		if s == "" {
			return "", fmt.Errorf("%s is empty", field)
		}
		return s, nil
	}
	if _, err := strconv.ParseInt(string(raw), 10, 64); err != nil {
		if _, err := strconv.ParseUint(string(raw), 10, 64); err != nil {
			return "", fmt.Errorf("%s %s is neither a string nor a 64-bit integer", field, Quote(raw))
		}
	}
	return string(raw), nil
}
