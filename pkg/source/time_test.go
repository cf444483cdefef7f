package source

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	hcm := time.FixedZone("ICT", 7*3600)
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2025-11-02T22:12:50.529Z", time.Date(2025, 11, 2, 22, 12, 50, 529e6, time.UTC)},
		{"2019-08-24T14:15:22Z", time.Date(2019, 8, 24, 14, 15, 22, 0, time.UTC)},
		{"2019-08-24T21:15:22.5+07:00", time.Date(2019, 8, 24, 14, 15, 22, 500e6, time.UTC)},
		{"2024-07-19T17:29:27", time.Date(2024, 7, 19, 10, 29, 27, 0, time.UTC)},
		{"2024-05-07 00:00:00", time.Date(2024, 5, 6, 17, 0, 0, 0, time.UTC)},
		{"2024-05-07 00:00:00.25", time.Date(2024, 5, 6, 17, 0, 0, 250e6, time.UTC)},
	}
	for _, tt := range tests {
		got, err := ParseTime("updated_at", tt.in, hcm)
		if err != nil || !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "yesterday", "2024-13-01 00:00:00", "1718878288"} {
		if _, err := ParseTime("updated_at", bad, time.UTC); err == nil {
			t.Errorf("ParseTime(%q) accepted", bad)
		}
	}
}

func TestUnixSeconds(t *testing.T) {
	for in, want := range map[string]int64{`1742803465`: 1742803465, `"1718878288"`: 1718878288, `0`: 0} {
		got, err := UnixSeconds("updatedAt", json.RawMessage(in))
		if err != nil || got.Unix() != want {
			t.Errorf("UnixSeconds(%s) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{`1.7e9`, `-5`, `null`, `"abc"`, `true`, `1742803465000000`} {
		if _, err := UnixSeconds("updatedAt", json.RawMessage(bad)); err == nil {
			t.Errorf("UnixSeconds(%s) accepted", bad)
		}
	}
}

func TestParseRFC3339(t *testing.T) {
	for _, s := range []string{
		"2025-11-02T22:12:50Z", "2025-11-02T22:12:50.529Z", "2025-11-02t22:12:50.123456789z", "2025-11-03T05:12:50.5+07:00",
		"2024-02-29T23:59:59-00:30", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999+23:59",
	} {
		if _, ok := ParseRFC3339([]byte(s)); !ok {
			t.Errorf("%s: refused as bytes", s)
		}
		want, err := time.Parse(time.RFC3339Nano, strings.ToUpper(s)) // RFC 3339 allows t and z
		got, ok := ParseRFC3339(s)
		if err != nil || !ok || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("%s: got %v %v, time.Parse %v %v", s, got, ok, want, err)
		}
	}
	for _, s := range []string{
		"", "2025-11-02", "2025-11-02T22:12:50", "2025-11-02 22:12:50Z", "2025-11-02T22:12:50.Z", "2025-11-02T22:12:50.1234567891Z",
		"2025-13-02T22:12:50Z", "2025-02-30T22:12:50Z", "2023-02-29T00:00:00Z", "2025-11-02T24:00:00Z", "2025-11-02T22:60:00Z",
		"2025-11-02T22:12:60Z", "2025-11-02T22:12:50+0700", "2025-11-02T22:12:50+24:00", "2025-11-02T22:12:50 UTC", "2025-1a-02T22:12:50Z",
		"2025-11-02T22:12:50Zjunk", "+025-11-02T22:12:50Z",
	} {
		if got, ok := ParseRFC3339(s); ok {
			t.Errorf("%q accepted as %v", s, got)
		}
	}
}
