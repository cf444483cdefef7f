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
//     source's tail re-reads from its tie second, a keyset source from
//     Next);
//   - Swept (window sources): every stamp at or before it has been read
//     at least Overlap after it, so no late write is left to find there;
//     the sweep reads on from it, and Sweep is the window it is reading
//     and where (nil between sweeps);
//   - BackfillUntil: now − lag at the very first poll; versions stamped at
//     or before it are the initial backfill (op r);
//   - Seen: for each record that a later poll may read again (stamped at
//     or after the swept point or the tie second), the newest version
//     emitted, so that poll neither re-emits it nor loses a tie;
//   - Next: the vendor's own keyset cursor, stored as the vendor gave it,
//     for APIs that have one (Nhanh); empty otherwise.
//
// Seen is written as readable JSON up to packAbove versions and packed
// above (see pack.go), and it is bounded: Encode keeps the newest versions
// that pack into MaxSeenBytes. The versions it drops may be written again
// when the sweep re-reads them (never lost); Encode says how many in the
// offset ("seen_dropped", see SeenDropped), and the runtime counts and
// logs them.
type Cursor struct {
	Watermark     time.Time       `json:"watermark"`
	Swept         time.Time       `json:"swept,omitzero"`
	Sweep         *Sweep          `json:"sweep,omitempty"`
	BackfillUntil time.Time       `json:"backfill_until"`
	Seen          []Seen          `json:"seen,omitempty"`
	Next          json.RawMessage `json:"next,omitempty"`
}

// Sweep is a sweep in progress: its window runs from Cursor.Swept to To,
// and Token is its next page's ("" for the first).
type Sweep struct {
	To    time.Time `json:"to"`
	Token string    `json:"token,omitempty"`
}

// MaxSeenBytes bounds the packed Seen, so that an offset, in base64, stays
// under 256 KiB, a quarter of the broker's default 1 MB message limit. A
// Zalo campaign changing 100 messages a second, with the default 5-minute
// overlap, remembers about 20,000 messages in about 100 KiB.
const MaxSeenBytes = 192 << 10

// MaxOffsetBytes is what an offset stays under: the packed Seen in
// base64 and the rest.
const MaxOffsetBytes = 256 << 10

// packAbove is the most versions written as readable JSON.
const packAbove = 64

// cursorJSON is a Cursor as committed.
type cursorJSON struct {
	Watermark     time.Time       `json:"watermark"`
	Swept         time.Time       `json:"swept,omitzero"`
	Sweep         *Sweep          `json:"sweep,omitempty"`
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
	if j.Sweep != nil && (j.Swept.IsZero() || !j.Sweep.To.After(j.Swept)) {
		return Cursor{}, fmt.Errorf("offset %s: a sweep to %s needs a swept point before it", quoteOffset(off), j.Sweep.To.Format(time.RFC3339))
	}
	c := Cursor{Watermark: j.Watermark, Swept: j.Swept, Sweep: j.Sweep, BackfillUntil: j.BackfillUntil, Seen: j.Seen, Next: j.Next}
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
// versions, packed above, its oldest versions dropped beyond MaxSeenBytes.
func (c Cursor) Encode() source.Offset {
	j := cursorJSON{Watermark: c.Watermark, Swept: c.Swept, Sweep: c.Sweep, BackfillUntil: c.BackfillUntil, Seen: c.Seen, Next: c.Next}
	if len(c.Seen) > packAbove {
		j.Seen, j.SeenPacked = nil, packSeen(c.Seen)
		if len(j.SeenPacked) > MaxSeenBytes {
			seen := slices.Clone(c.Seen)
			slices.SortFunc(seen, compareSeen)
			for len(j.SeenPacked) > MaxSeenBytes {
				// Drop the share of the oldest that the excess is of the
				// whole, then pack again (fewer ids pack less tightly).
				n := 1 + len(seen)*(len(j.SeenPacked)-MaxSeenBytes)/len(j.SeenPacked)
				seen, j.SeenDropped = seen[n:], j.SeenDropped+n
				j.SeenPacked = packSeen(seen)
			}
		}
	}
	b, err := json.Marshal(j)
	if err != nil {
		panic(fmt.Sprintf("source: cursor does not marshal: %v", err))
	}
	return b
}

// SeenDropped returns how many versions the cursor committed as off
// dropped from its Seen (see MaxSeenBytes): they may be written twice.
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
	newest      map[string]time.Time // per id, the newest version emitted
	backfilling bool
	until       time.Time
}

// Versions returns the view of c for a poll.
func (c Cursor) Versions() *Versions {
	v := &Versions{
		newest:      make(map[string]time.Time, len(c.Seen)),
		backfilling: c.Watermark.Before(c.BackfillUntil),
		until:       c.BackfillUntil,
	}
	v.remember(c.Seen)
	return v
}

// remember adds the versions in seen as emitted.
func (v *Versions) remember(seen []Seen) {
	for _, e := range seen {
		if t, ok := v.newest[e.ID]; !ok || e.Time.After(t) {
			v.newest[e.ID] = e.Time
		}
	}
}

// Emitted reports whether the version (id, t) was already emitted, or is
// older than one that was: a list API serves a record's current version
// only, so an older one is a stale answer, and emitting it would move the
// record back.
func (v *Versions) Emitted(id string, t time.Time) bool {
	n, ok := v.newest[id]
	return ok && !t.After(n)
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
