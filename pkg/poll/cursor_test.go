package poll

import (
	"testing"
	"time"

	"github.com/vnstream/connector/pkg/source"
)

func TestVersionsOp(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	from := t0.Add(-5 * time.Minute)
	after := Cursor{Watermark: t0, BackfillUntil: t0.Add(-time.Hour), Seen: []Seen{{"7", t0.Add(-time.Minute)}}}
	during := Cursor{Watermark: t0, BackfillUntil: t0.Add(time.Hour)}
	tests := []struct {
		name             string
		cur              Cursor
		id               string
		created, updated time.Time
		want             source.Op
	}{
		{"backfill, unchanged since the first poll", during, "1", t0.Add(-48 * time.Hour), t0.Add(time.Minute), source.OpRead},
		{"backfill, changed after the first poll", during, "1", t0.Add(-48 * time.Hour), t0.Add(2 * time.Hour), source.OpUpdate},
		{"created inside the range read", after, "2", t0.Add(time.Second), t0.Add(time.Second), source.OpCreate},
		{"created and changed inside the range read", after, "2", t0.Add(time.Second), t0.Add(time.Minute), source.OpCreate},
		{"late write inside the overlap", after, "3", from, from, source.OpCreate},
		{"created before the range read", after, "4", from.Add(-time.Second), t0.Add(time.Minute), source.OpUpdate},
		{"an older version emitted in the overlap", after, "7", t0.Add(-time.Minute), t0.Add(time.Minute), source.OpUpdate},
	}
	for _, tt := range tests {
		if got := tt.cur.Versions(from).Op(tt.id, tt.created, tt.updated); got != tt.want {
			t.Errorf("%s: op %s, want %s", tt.name, got, tt.want)
		}
	}
}

// Two versions of one record in one poll: the later one is an update,
// whatever the first was.
func TestVersionsOpRemembersThePoll(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		cur   Cursor
		first source.Op
	}{
		{"after the backfill", Cursor{Watermark: t0, BackfillUntil: t0.Add(-time.Hour)}, source.OpCreate},
		{"during the backfill", Cursor{Watermark: t0, BackfillUntil: t0.Add(time.Hour)}, source.OpRead},
	} {
		vs := tc.cur.Versions(t0)
		created := t0.Add(time.Second)
		if got := vs.Op("5", created, created); got != tc.first {
			t.Errorf("%s: first version %s, want %s", tc.name, got, tc.first)
		}
		if got := vs.Op("5", created, t0.Add(2*time.Hour)); got != source.OpUpdate {
			t.Errorf("%s: second version %s, want u", tc.name, got)
		}
		if got := vs.Op("6", created, created); got != tc.first {
			t.Errorf("%s: another record %s, want %s", tc.name, got, tc.first)
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
