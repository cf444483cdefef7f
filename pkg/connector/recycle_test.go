package connector

import (
	"bytes"
	"fmt"
	"testing"
)

// appendText is an encoder that appends s, as the codec appends an event.
func appendText(s string) func([]byte) ([]byte, error) {
	return func(dst []byte) ([]byte, error) { return append(dst, s...), nil }
}

// Events encoded into chunks read back as encoded across many chunks, one
// larger than a chunk included; none can be appended to over the next;
// once recycled, their bytes are zeroed.
func TestChunksKeepEventsApart(t *testing.T) {
	var c chunks
	var got [][]byte
	var want []string
	for i := range 1000 {
		s := fmt.Sprintf("event %d %s", i, bytes.Repeat([]byte{'x'}, i%300))
		if i == 500 {
			s = string(bytes.Repeat([]byte{'L'}, chunkSize+1))
		}
		b, err := c.add(appendText(s))
		if err != nil {
			t.Fatal(err)
		}
		if i != 500 && cap(b) != len(b) { // 500 is the encoder's own
			t.Fatalf("event %d: capacity %d beyond its length %d: an append would write into the next", i, cap(b), len(b))
		}
		got, want = append(got, b), append(want, s)
	}
	if len(c.full) < 2 {
		t.Fatalf("%d full chunks, want the events spread over several", len(c.full))
	}
	for i := range got {
		if string(got[i]) != want[i] {
			t.Fatalf("event %d reads %.40q, want %.40q", i, got[i], want[i])
		}
	}
	c.recycle()
	for i, b := range got {
		if i != 500 && bytes.Count(b, []byte{0}) != len(b) {
			t.Fatalf("event %d reads %.40q after its chunk was recycled, want NUL bytes", i, b)
		}
	}
	for len(freeChunks) > 0 { // leave no chunk of this test to others
		<-freeChunks
	}
}
