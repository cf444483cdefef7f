package poll

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/vnstream/connector/pkg/source"
)

// Cursor is the offset every source commits. It says how far the vendor's
// history has been read and remembers just enough to tell, without loss or
// repetition, what the next poll finds:
//
//   - Watermark: every version stamped before it has been read (a window
//     source re-reads from Watermark − Overlap, a keyset source from Next);
//   - BackfillUntil: now − lag at the very first poll; versions stamped at
//     or before it are the initial backfill (op r);
//   - Seen: the (id, time) versions already emitted that the next poll may
//     read again, so it neither re-emits them nor loses a tie;
//   - Next: the vendor's own keyset cursor, stored as the vendor gave it,
//     for APIs that have one (Nhanh); empty otherwise.
//
// Seen is written as readable JSON up to packAbove versions and packed
// above (see pack.go), and it is bounded: Encode keeps the newest MaxSeen
// versions. The versions it drops may be written again when the overlap
// re-reads them (never lost); Encode says how many in the offset
// ("seen_dropped", see SeenDropped), and the runtime counts and logs them.
type Cursor struct {
	Watermark     time.Time       `json:"watermark"`
	BackfillUntil time.Time       `json:"backfill_until"`
	Seen          []Seen          `json:"seen,omitempty"`
	Next          json.RawMessage `json:"next,omitempty"`
}

// MaxSeen is the most versions a cursor remembers: packed, about 12 bytes
// each, so the offset stays far below the broker's default 1 MB message
// limit (a Zalo campaign changing 100 messages a second fills the default
// 5-minute overlap with 30,000).
const MaxSeen = 40_000

// packAbove is the most versions written as readable JSON.
const packAbove = 64

// cursorJSON is a Cursor as committed.
type cursorJSON struct {
	Watermark     time.Time       `json:"watermark"`
	BackfillUntil time.Time       `json:"backfill_until"`
	Seen          []Seen          `json:"seen,omitempty"`
	SeenPacked    []byte          `json:"seen_packed,omitempty"`
	SeenDropped   int             `json:"seen_dropped,omitempty"`
	Next          json.RawMessage `json:"next,omitempty"`
}

// Seen names one emitted version of one record.
type Seen struct {
	ID   string    `json:"id"`
	Time time.Time `json:"t"`
}

// DecodeCursor reads a Cursor from a committed offset; the offset must not
// be empty (a source builds its first cursor itself).
func DecodeCursor(off source.Offset) (Cursor, error) {
	var j cursorJSON
	if err := json.Unmarshal(off, &j); err != nil {
		return Cursor{}, fmt.Errorf("offset %s is not a cursor: %w", quoteOffset(off), err)
	}
	if j.Watermark.IsZero() {
		return Cursor{}, fmt.Errorf("offset %s has no watermark", quoteOffset(off))
	}
	c := Cursor{Watermark: j.Watermark, BackfillUntil: j.BackfillUntil, Seen: j.Seen, Next: j.Next}
	if len(j.SeenPacked) > 0 {
		seen, err := unpackSeen(j.SeenPacked)
		if err != nil {
			return Cursor{}, fmt.Errorf("offset %s: seen_packed: %w", quoteOffset(off), err)
		}
		c.Seen = append(c.Seen, seen...)
	}
	return c, nil
}

// CheckCursor checks an offset a person wrote (connector offsets set):
// what DecodeCursor refuses, and also members a cursor does not have and
// a missing backfill_until.
func CheckCursor(off source.Offset) error {
	if _, err := DecodeCursor(off); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(off))
	dec.DisallowUnknownFields()
	var j cursorJSON
	if err := dec.Decode(&j); err != nil {
		return fmt.Errorf("offset %s is not a cursor: %w", quoteOffset(off), err)
	}
	if j.BackfillUntil.IsZero() {
		return fmt.Errorf("offset %s has no backfill_until (versions stamped at or before it are emitted as op r; use the watermark to emit none as r)", quoteOffset(off))
	}
	return nil
}

// quoteOffset shortens an offset for an error message.
func quoteOffset(off source.Offset) string {
	if len(off) > 200 {
		return string(off[:200]) + "…"
	}
	return string(off)
}

// Encode is the offset to commit for c: Seen as JSON up to packAbove
// versions, packed above, its oldest versions dropped beyond MaxSeen.
func (c Cursor) Encode() source.Offset {
	j := cursorJSON{Watermark: c.Watermark, BackfillUntil: c.BackfillUntil, Seen: c.Seen, Next: c.Next}
	if len(c.Seen) > packAbove {
		seen := slices.Clone(c.Seen)
		slices.SortFunc(seen, compareSeen)
		if n := len(seen) - MaxSeen; n > 0 {
			seen, j.SeenDropped = seen[n:], n
		}
		j.Seen, j.SeenPacked = nil, packSeen(seen)
	}
	b, err := json.Marshal(j)
	if err != nil {
		panic(fmt.Sprintf("source: cursor does not marshal: %v", err))
	}
	return b
}

// SeenDropped returns how many versions the cursor committed as off
// dropped from its Seen (see MaxSeen): they may be written twice.
func SeenDropped(off source.Offset) int {
	_, rest, ok := bytes.Cut(off, []byte(`"seen_dropped":`))
	if !ok {
		return 0
	}
	end := bytes.IndexAny(rest, ",}")
	if end < 0 {
		return 0
	}
	n, _ := strconv.Atoi(string(rest[:end]))
	return n
}

// Versions answers, for one poll, which versions were emitted before and
// which operation a new version is. Build it with Cursor.Versions.
type Versions struct {
	seen        map[seenKey]struct{}
	backfilling bool
	until       time.Time
}

type seenKey struct {
	id string
	t  int64
}

// Versions returns the view of c for a poll.
func (c Cursor) Versions() *Versions {
	v := &Versions{
		seen:        make(map[seenKey]struct{}, len(c.Seen)),
		backfilling: c.Watermark.Before(c.BackfillUntil),
		until:       c.BackfillUntil,
	}
	for _, e := range c.Seen {
		v.seen[seenKey{e.ID, e.Time.UnixNano()}] = struct{}{}
	}
	return v
}

// Emitted reports whether the version (id, t) was already emitted.
func (v *Versions) Emitted(id string, t time.Time) bool {
	_, ok := v.seen[seenKey{id, t.UnixNano()}]
	return ok
}

// Op is the operation of a version about to be emitted, of a record
// created at created, in its version stamped updated. It says what the
// version is, whichever poll or window reads it:
//
//   - r while the initial backfill is being caught up, for a version stamped
//     at or before the first poll;
//   - c for a record's creation version: stamped at its creation time (a
//     record that never changes, like a Tiki form response, has only that);
//   - u for any later version, also when it is the first the connector sees.
func (v *Versions) Op(created, updated time.Time) source.Op {
	switch {
	case v.backfilling && !updated.After(v.until):
		return source.OpRead
	case updated.Equal(created):
		return source.OpCreate
	}
	return source.OpUpdate
}
