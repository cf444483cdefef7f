package poll

import (
	"encoding/json"
	"math"
	"time"

	"github.com/vnstream/connector/pkg/source"
)

// Watermark returns the watermark of a committed offset (Cursor.Watermark:
// every version stamped before it has been read), and false when off is
// empty, not a cursor, or has no watermark. It reads only the watermark,
// so it is cheap enough to call on every commit.
func Watermark(off source.Offset) (time.Time, bool) {
	if len(off) == 0 {
		return time.Time{}, false
	}
	var c struct {
		Watermark time.Time `json:"watermark"`
	}
	if err := json.Unmarshal(off, &c); err != nil || c.Watermark.IsZero() {
		return time.Time{}, false
	}
	return c.Watermark.UTC(), true
}

// Expect is how many records a poll from offset may read, for a
// connector that bounds the records its sources hold (records_in_flight)
// before it has seen the source poll: in window mode MaxRecords, or the
// Limit when lower, when the offset's watermark is a whole window or more
// behind the horizon (a backfill, a source that was stopped), in
// proportion when it is less behind; in keyset mode the most a poll may
// read, its full pages, since how far behind a keyset cursor is shows
// only in the pages after it.
func (e *Engine) Expect(offset source.Offset) int {
	if e.keyset {
		return e.keysetPages() * e.pageSize
	}
	cur, err := e.windows.Decode(offset, e.now())
	if err != nil { // the poll fails on it
		return 0
	}
	behind := e.Horizon().Sub(cur.Watermark)
	switch {
	case behind <= 0:
		return 0
	case behind >= e.windows.Size:
		return e.maxRecords()
	}
	return int(math.Ceil(float64(e.maxRecords()) * behind.Seconds() / e.windows.Size.Seconds()))
}

// Horizon is how far a poll starting now may read, on the engine's clock:
// now − lag (in window mode truncated to the API's granularity, as the
// window's end is). A poll that returns more == false has read every
// version stamped at or before the horizon it started at, even when its
// watermark stays behind: a keyset watermark is the newest time read, so
// it stands still while the vendor sends nothing new.
func (e *Engine) Horizon() time.Time {
	if e.keyset {
		return e.now().Add(-e.lag)
	}
	return e.windows.truncate(e.now().Add(-e.windows.Lag))
}
