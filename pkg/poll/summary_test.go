package poll

import (
	"fmt"
	"testing"
	"time"
)

func TestSummarizeCountsWithoutListing(t *testing.T) {
	wm := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	c := Cursor{Watermark: wm, Swept: wm.Add(-5 * time.Minute), BackfillUntil: wm.Add(-time.Hour), Next: []byte(`[1742545330,6478]`)}
	for i := range 200 {
		c.Seen = append(c.Seen, Seen{ID: fmt.Sprint(1000 + i), Time: wm.Add(-time.Duration(i) * time.Second)})
	}
	off := c.Encode()
	s := Summarize(off)
	if s.Bytes != len(off) || !s.Watermark.Equal(wm) || !s.Swept.Equal(wm.Add(-5*time.Minute)) || !s.BackfillUntil.Equal(wm.Add(-time.Hour)) || s.SeenVersions != 200 ||
		s.SeenDropped != 0 || string(s.Next) != `[1742545330,6478]` || s.Error != "" {
		t.Errorf("Summarize = %+v", s)
	}
	if s := Summarize(nil); s != nil {
		t.Errorf("Summarize(nil) = %+v, want nil", s)
	}
	if s := Summarize([]byte(`{"seen":[]}`)); s == nil || s.Bytes != 11 || s.Error == "" || !s.Watermark.IsZero() {
		t.Errorf("Summarize of an offset set by hand = %+v, want its size and why it is not a cursor", s)
	}
}
