package poll

import (
	"testing"
	"time"

	"github.com/vnstream/connector/pkg/source"
)

// The op says what a version is, whichever window reads it.
func TestVersionsOp(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	after := Cursor{Watermark: t0, BackfillUntil: t0.Add(-time.Hour), Seen: []Seen{{"7", t0.Add(-time.Minute)}}}
	during := Cursor{Watermark: t0, BackfillUntil: t0.Add(time.Hour)}
	tests := []struct {
		name             string
		cur              Cursor
		created, updated time.Time
		want             source.Op
	}{
		{"backfill, unchanged since the first poll", during, t0.Add(-48 * time.Hour), t0.Add(time.Minute), source.OpRead},
		{"backfill, created after the first poll", during, t0.Add(2 * time.Hour), t0.Add(2 * time.Hour), source.OpCreate},
		{"backfill, changed after the first poll", during, t0.Add(-48 * time.Hour), t0.Add(2 * time.Hour), source.OpUpdate},
		{"a creation version", after, t0.Add(time.Second), t0.Add(time.Second), source.OpCreate},
		{"a late creation version", after, t0.Add(-time.Hour), t0.Add(-time.Hour), source.OpCreate},
		{"created and changed before any poll read it", after, t0.Add(time.Second), t0.Add(time.Minute), source.OpUpdate},
		{"created long before the range read, first seen changed", after, t0.Add(-48 * time.Hour), t0.Add(time.Minute), source.OpUpdate},
		{"an older version emitted in the overlap", after, t0.Add(-time.Minute), t0.Add(time.Minute), source.OpUpdate},
	}
	for _, tt := range tests {
		if got := tt.cur.Versions().Op(tt.created, tt.updated); got != tt.want {
			t.Errorf("%s: op %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestCursorRoundTrip(t *testing.T) {
	c := Cursor{
		Watermark:     time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC),
		BackfillUntil: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC),
		Seen:          []Seen{{"1021110718827683840", time.Date(2026, 3, 1, 7, 59, 59, 500e6, time.UTC)}},
		Next:          []byte(`[1742545330,6478]`),
	}
	got, err := DecodeCursor(c.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if !got.Watermark.Equal(c.Watermark) || string(got.Next) != string(c.Next) || len(got.Seen) != 1 ||
		got.Seen[0].ID != c.Seen[0].ID || !got.Seen[0].Time.Equal(c.Seen[0].Time) {
		t.Fatalf("round trip: %+v", got)
	}
	for _, bad := range []string{`[]`, `{"seen":[]}`, `not json`, ``} {
		if _, err := DecodeCursor(source.Offset(bad)); err == nil {
			t.Errorf("DecodeCursor(%q) accepted", bad)
		}
	}
}
