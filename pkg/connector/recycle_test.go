package connector

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
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

// A kept slice of records is given again, cleared, to a batch it has room
// for; a batch it has no room for gets a new one.
func TestRecordsSliceIsKeptCleared(t *testing.T) {
	s := takeRecords(3)
	s = append(s, kgo.Record{Topic: "t", Value: []byte("v")}, kgo.Record{Topic: "t"})
	recycleRecords(s)
	again := takeRecords(2)
	if len(again) != 0 || cap(again) != cap(s) || &again[:1][0] != &s[0] {
		t.Fatalf("took a slice of length %d and capacity %d, want the kept one (capacity %d), empty", len(again), cap(again), cap(s))
	}
	if s[0].Topic != "" || s[0].Value != nil {
		t.Fatalf("the kept slice still holds %+v", s[0])
	}
	recycleRecords(again)
	if bigger := takeRecords(cap(s) + 1); cap(bigger) < cap(s)+1 {
		t.Fatalf("capacity %d for %d records", cap(bigger), cap(s)+1)
	}
}
