package poll

import (
	"encoding/base64"
	"math/rand/v2"
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
			slices.SortFunc(got.Seen, compareSeen)
			if !slices.EqualFunc(got.Seen, want, func(a, b Seen) bool { return a.ID == b.ID && a.Time.Equal(b.Time) }) {
				t.Fatalf("round trip changed the versions: got %v…, want %v…", got.Seen[:3], want[:3])
			}
			if SeenDropped(off) != 0 {
				t.Errorf("SeenDropped = %d, want 0", SeenDropped(off))
			}
		})
	}
}

// At 100 changes a second the default 5-minute overlap and the sweep step
// hold about 20,000 records: with ids handed out in sequence, packed, the
// offset stays far under 256 KiB; ids spread over all of 64 bits cost
// more (about 20,000 fit); records created in sequence and never changed,
// far less.
func TestSeenPackedSize(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		n    int
		seen func(i int) Seen
		max  float64
	}{
		{"changed records, ids in sequence", 20_000, func(i int) Seen {
			return Seen{strconv.Itoa(1040105911278962688 + i*3), t0.Add(time.Duration(rand.IntN(360_000)) * time.Millisecond)}
		}, 6},
		{"changed records, random 64-bit ids", 15_000, func(i int) Seen {
			return Seen{strconv.FormatUint(rand.Uint64(), 10), t0.Add(time.Duration(rand.IntN(360_000)) * time.Millisecond)}
		}, 16},
		{"500 new records a second, never changed", 180_000, func(i int) Seen {
			return Seen{strconv.Itoa(1_000_000 + i*3 + rand.IntN(3)), t0.Add(time.Duration(i*2+rand.IntN(2)) * time.Millisecond)}
		}, 1},
	} {
		seen := make([]Seen, tc.n)
		for i := range seen {
			seen[i] = tc.seen(i)
		}
		readable := len(Cursor{Watermark: t0, Seen: seen[:packAbove]}.Encode())
		off := Cursor{Watermark: t0, Seen: seen}.Encode()
		perVersion := float64(len(off)) / float64(len(seen))
		t.Logf("%s: %d versions in 6 minutes: an offset of %d bytes (%.1f per version; %.1f as JSON)", tc.name, tc.n, len(off), perVersion, float64(readable)/packAbove)
		if perVersion > tc.max || SeenDropped(off) > 0 {
			t.Errorf("%s: %.1f bytes per version, %d dropped; want at most %.0f, none dropped", tc.name, perVersion, SeenDropped(off), tc.max)
		}
		c, err := DecodeCursor(off)
		if err != nil || len(c.Seen) != tc.n {
			t.Fatalf("%s: decoded %d versions of %d: %v", tc.name, len(c.Seen), tc.n, err)
		}
	}
}

func TestSeenBoundDropsTheOldest(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	seen := make([]Seen, 60_000)
	for i := range seen {
		seen[i] = Seen{ID: strconv.FormatUint(rand.Uint64(), 10), Time: t0.Add(-time.Duration(i) * time.Millisecond)}
	}
	off := Cursor{Watermark: t0, Seen: seen}.Encode()
	dropped := SeenDropped(off)
	c, err := DecodeCursor(off)
	if err != nil {
		t.Fatal(err)
	}
	if dropped == 0 || dropped+len(c.Seen) != len(seen) {
		t.Fatalf("dropped %d and kept %d of %d versions", dropped, len(c.Seen), len(seen))
	}
	slices.SortFunc(c.Seen, compareSeen)
	if !c.Seen[0].Time.Equal(seen[len(c.Seen)-1].Time) || !c.Seen[len(c.Seen)-1].Time.Equal(t0) {
		t.Fatalf("kept %d versions from %v to %v, want the newest", len(c.Seen), c.Seen[0].Time, c.Seen[len(c.Seen)-1].Time)
	}
	if len(off) > 256<<10 || len(off) < 200<<10 {
		t.Errorf("a full cursor is %d bytes, want just under 256 KiB", len(off))
	}
	t.Logf("60,000 random ids: kept %d in %d bytes, dropped %d", len(c.Seen), len(off), dropped)
}

func TestSeenPackedRefusesGarbage(t *testing.T) {
	good := packSeen([]Seen{{"1", time.Unix(1, 0)}, {"x", time.Unix(2, 0)}})
	for name, b := range map[string][]byte{
		"unknown format": {9, 0},
		"unit":           {packFormat, 4},
		"truncated":      good[:len(good)-1],
		"trailing bytes": append(good[:len(good):len(good)], 0),
		"huge count":     {packFormat, 9, 2, 0xff, 0xff, 0xff, 0x0f},
		"format 1":       {1, 9, 2, 1, 0, 1, 5},
		"shared prefix":  {packFormat, 9, 2, 0, 1, 4, 1, 'a', 0},
		"not deflate":    {packCompressed, 1, 2, 3},
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
		slices.SortFunc(seen, compareSeen)
		slices.SortFunc(again, compareSeen)
		if err != nil || !slices.EqualFunc(again, seen, func(a, b Seen) bool { return a.ID == b.ID && a.Time.Equal(b.Time) }) {
			t.Fatalf("%x unpacks to %v, which does not round trip: %v %v", b, seen, again, err)
		}
	})
}
