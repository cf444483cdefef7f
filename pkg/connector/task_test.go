package connector

import (
	"testing"
	"time"
)

// Waits of a slot or more end on the next slot boundary after the time
// asked for, so that sources due within one slot wake together; shorter
// waits are kept.
func TestSlottedWaitsEndOnASlot(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		now     time.Time
		d, want time.Duration
	}{
		{t0.Add(37 * time.Millisecond), 250 * time.Millisecond, 263 * time.Millisecond}, // ends at 0.300
		{t0.Add(81 * time.Millisecond), 210 * time.Millisecond, 219 * time.Millisecond}, // 0.291 → 0.300
		{t0, 30 * time.Second, 30*time.Second + wakeSlot},                               // on a boundary: the next one
		{t0.Add(5 * time.Millisecond), 50 * time.Millisecond, 50 * time.Millisecond},    // shorter than a slot
		{t0.Add(5 * time.Millisecond), 0, 0},
	} {
		if got := slotted(c.now, c.d); got != c.want {
			t.Errorf("slotted(%v, %v) = %v, want %v", c.now.Sub(t0), c.d, got, c.want)
		}
	}
}
