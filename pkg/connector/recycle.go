package connector

import (
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/vnstream/connector/internal/freelist"
)

// A batch's Kafka records, keys and values are read by franz-go until the
// batch's transaction ends. Once it has committed, their memory is kept
// for the batches that follow, in free lists shared by every source of
// the process, so that what is kept is bounded whatever the number of
// sources. Each record and each key and value allocated on its own was a
// fifth of the bytes the connector allocated in cmd/bench's Tiki run, and
// each collection also empties the pools franz-go writes its produce
// requests into; kept, with the bodies (fetch) and the slices of items
// (poll), they took 31 % off its CPU per record.

// chunkSize is the size of the buffers a batch's keys and values are
// encoded into: 64 KiB, about 160 Tiki events.
const chunkSize = 64 << 10

// minChunkRoom is the room below which a chunk is full: an event larger
// than what is left is encoded into a buffer of its own, so a full chunk
// wastes at most this much.
const minChunkRoom = 2 << 10

// freeChunks keeps at most 64 chunks (4 MiB, the keys and values of about
// one Tiki window of 8,000 events; 32 measured 7 % more CPU per record on
// Tiki).
var freeChunks = freelist.New[byte](64)

// chunks holds the encoded keys and values of one batch, given back with
// recycle once it has committed.
type chunks struct {
	cur  []byte   // the chunk being filled
	full [][]byte // the chunks filled before it
}

// add returns what encode appends to the empty slice it is given, the
// room left in the current chunk, capped at its length so that appending
// to it cannot write into the next event. An event that does not fit the
// room is encode's own allocation.
func (c *chunks) add(encode func(dst []byte) ([]byte, error)) ([]byte, error) {
	if cap(c.cur)-len(c.cur) < minChunkRoom {
		c.next()
	}
	dst := c.cur[len(c.cur):]
	out, err := encode(dst)
	if err != nil || len(out) > cap(dst) {
		return out, err
	}
	c.cur = c.cur[:len(c.cur)+len(out)]
	return out[:len(out):len(out)], nil
}

// next starts a chunk, a kept one when there is one.
func (c *chunks) next() {
	if c.cur != nil {
		c.full = append(c.full, c.cur)
	}
	c.cur = freeChunks.Take(chunkSize)
}

// recycle gives the chunks to freeChunks, zeroed: were an event read after
// its batch committed, it would read NUL bytes at once, in every test,
// rather than another batch's events some time later.
func (c *chunks) recycle() {
	for _, b := range append(c.full, c.cur) {
		if b != nil {
			freeChunks.Put(b)
		}
	}
	*c = chunks{}
}

// freeRecords keeps the slice of Kafka records of one committed batch (two
// measured no better). A slice taken from it must not grow: the batch
// points into it.
var freeRecords = freelist.New[kgo.Record](1)
