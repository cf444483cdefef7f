package source

import (
	"encoding/json"
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

func TestID(t *testing.T) {
	for in, want := range map[string]string{
		`1021110718827683840`:                "1021110718827683840",
		`"1021110718827683840"`:              "1021110718827683840",
		`"331526780045341_7521482117936821"`: "331526780045341_7521482117936821",
		`18446744073709551615`:               "18446744073709551615",
	} {
		got, err := ID("id", json.RawMessage(in))
		if err != nil || got != want {
			t.Errorf("ID(%s) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{``, `null`, `""`, `1.5e18`, `1021110718827683840.0`, `{}`, `[1]`, `true`, `99999999999999999999`} {
		if _, err := ID("id", json.RawMessage(bad)); err == nil {
			t.Errorf("ID(%s) accepted", bad)
		}
	}
}
