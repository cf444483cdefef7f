package poll

import (
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vnstream/connector/pkg/source"
)

func TestSeenPacksAndRoundTrips(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		unit time.Duration
		ids  func(i int) string
	}{
		{"19-digit ids, millisecond times", time.Millisecond, func(i int) string { return strconv.Itoa(1040105911278962688 + i) }},
		{"second times", time.Second, func(i int) string { return strconv.Itoa(i) }},
		{"nanosecond times", time.Nanosecond, func(i int) string { return strconv.Itoa(i * 7) }},
		{"ids that are not canonical numbers", time.Millisecond, func(i int) string {
			return []string{"007", "", "ab-" + strconv.Itoa(i), "18446744073709551616", "-1", "Khách"}[i%6]
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seen := make([]Seen, 1000)
			for i := range seen {
				seen[i] = Seen{ID: tc.ids(i), Time: t0.Add(-time.Duration(i) * 10 * tc.unit)}
			}
			c := Cursor{Watermark: t0, BackfillUntil: t0.Add(-time.Hour), Seen: seen}
			off := c.Encode()
			if strings.Contains(string(off), `"seen":`) || !strings.Contains(string(off), `"seen_packed":`) {
				t.Fatalf("1,000 versions not packed: %.200s", off)
			}
			got, err := DecodeCursor(off)
			if err != nil {
				t.Fatal(err)
			}
			want := slices.Clone(seen)
			slices.SortFunc(want, compareSeen)
			if !slices.EqualFunc(got.Seen, want, func(a, b Seen) bool { return a.ID == b.ID && a.Time.Equal(b.Time) }) {
				t.Fatalf("round trip changed the versions: got %v…, want %v…", got.Seen[:3], want[:3])
			}
			if SeenDropped(off) != 0 {
				t.Errorf("SeenDropped = %d, want 0", SeenDropped(off))
			}
		})
	}
}

// At 100 changes a second the default 5-minute overlap holds 30,000
// versions: packed, the offset stays far below the broker's 1 MB limit.
func TestSeenPackedSize(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	seen := make([]Seen, 30_000)
	for i := range seen {
		seen[i] = Seen{ID: strconv.Itoa(1040105911278962688 + i*7919), Time: t0.Add(time.Duration(i) * 10 * time.Millisecond)}
	}
	readable := len(Cursor{Watermark: t0, Seen: seen[:packAbove]}.Encode())
	packed := len(Cursor{Watermark: t0, Seen: seen}.Encode())
	perVersion := float64(packed) / float64(len(seen))
	t.Logf("30,000 versions: %d bytes packed (%.1f per version; %.1f as JSON)", packed, perVersion, float64(readable)/packAbove)
	if perVersion > 16 {
		t.Errorf("%.1f bytes per packed version, want at most 16", perVersion)
	}
}

func TestSeenBoundDropsTheOldest(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	seen := make([]Seen, MaxSeen+2500)
	for i := range seen {
		seen[i] = Seen{ID: strconv.Itoa(len(seen) - i), Time: t0.Add(-time.Duration(i) * time.Millisecond)}
	}
	off := Cursor{Watermark: t0, Seen: seen}.Encode()
	if got := SeenDropped(off); got != 2500 {
		t.Fatalf("SeenDropped = %d, want 2500", got)
	}
	c, err := DecodeCursor(off)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Seen) != MaxSeen || !c.Seen[0].Time.Equal(seen[MaxSeen-1].Time) || !c.Seen[MaxSeen-1].Time.Equal(t0) {
		t.Fatalf("kept %d versions from %v to %v, want the newest %d", len(c.Seen), c.Seen[0].Time, c.Seen[len(c.Seen)-1].Time, MaxSeen)
	}
	if len(off) > 1<<20/2 {
		t.Errorf("a full cursor is %d bytes, want under half the broker's 1 MB limit", len(off))
	}
}

func TestSeenPackedRefusesGarbage(t *testing.T) {
	good := packSeen([]Seen{{"1", time.Unix(1, 0)}, {"x", time.Unix(2, 0)}})
	for name, b := range map[string][]byte{
		"unknown format": {9, 0},
		"unit":           {packFormat, 4},
		"truncated":      good[:len(good)-1],
		"trailing bytes": append(good[:len(good):len(good)], 0),
		"huge count":     {packFormat, 9, 2, 0xff, 0xff, 0xff, 0x0f},
	} {
		off := `{"watermark":"2026-03-01T08:00:00Z","seen_packed":"` + base64.StdEncoding.EncodeToString(b) + `"}`
		if _, err := DecodeCursor(source.Offset(off)); err == nil || !strings.Contains(err.Error(), "seen_packed") {
			t.Errorf("%s: err %v, want a seen_packed error", name, err)
		}
	}
}

func FuzzUnpackSeen(f *testing.F) {
	f.Add(packSeen([]Seen{{"1", time.Unix(1, 0)}, {"x", time.Unix(2, 5e6)}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		seen, err := unpackSeen(b)
		if err != nil {
			return
		}
		again, err := unpackSeen(packSeen(seen))
		if err != nil || !slices.EqualFunc(again, seen, func(a, b Seen) bool { return a.ID == b.ID && a.Time.Equal(b.Time) }) {
			t.Fatalf("%x unpacks to %v, which does not round trip: %v %v", b, seen, again, err)
		}
	})
}
