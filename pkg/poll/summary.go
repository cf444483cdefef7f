package poll

import (
	"encoding/json"
	"time"

	"github.com/vnstream/connector/pkg/source"
)

// Summary is what /status shows of a committed offset: its size and how
// far it has read, not the versions it remembers (`connector offsets
// list` prints the whole offset).
type Summary struct {
	// Bytes is the offset's size as committed.
	Bytes     int       `json:"bytes"`
	Watermark time.Time `json:"watermark,omitzero"`
	// Swept is how far the sweep has read (window sources).
	Swept         time.Time `json:"swept,omitzero"`
	BackfillUntil time.Time `json:"backfill_until,omitzero"`
	// SeenVersions counts the versions the offset remembers (Cursor.Seen)
	// and SeenDropped those it could not (see MaxSeenBytes).
	SeenVersions int `json:"seen_versions"`
	SeenDropped  int `json:"seen_dropped,omitempty"`
	// Next is the vendor's keyset cursor, as stored.
	Next json.RawMessage `json:"next,omitempty"`
	// Error says why the offset is not a cursor (it was set by hand or by
	// another build); the other fields are then zero.
	Error string `json:"error,omitempty"`
}

// Summarize returns the Summary of off, a committed offset; nil for none.
func Summarize(off source.Offset) *Summary {
	if len(off) == 0 {
		return nil
	}
	s := &Summary{Bytes: len(off)}
	c, err := DecodeCursor(off)
	if err != nil {
		s.Error = err.Error()
		return s
	}
	s.Watermark, s.Swept, s.BackfillUntil, s.Next = c.Watermark.UTC(), c.Swept.UTC(), c.BackfillUntil.UTC(), c.Next
	s.SeenVersions, s.SeenDropped = len(c.Seen), SeenDropped(off)
	return s
}
