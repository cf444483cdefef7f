package freelist

import "testing"

// A kept slice is given again, cleared, to a Take it has room for; a Take
// it has no room for gets a new slice.
func TestSlicesReused(t *testing.T) {
	l := New[string](2)
	s := l.Take(4)
	s = append(s, "1", "2", "3")
	l.Put(s)
	again := l.Take(2)
	if len(again) != 0 || cap(again) != cap(s) || &again[:1][0] != &s[0] || s[0] != "" {
		t.Fatalf("took length %d capacity %d (kept %d), first kept element %q: want the kept slice, cleared", len(again), cap(again), cap(s), s[0])
	}
	l.Put(again)
	if bigger := l.Take(cap(s) + 1); cap(bigger) < cap(s)+1 {
		t.Fatalf("capacity %d for %d elements", cap(bigger), cap(s)+1)
	}
}

// A full list lets a slice go rather than wait.
func TestPutOnAFullListDoesNotWait(t *testing.T) {
	l := New[int](1)
	l.Put(make([]int, 1))
	l.Put(make([]int, 2))
	if len(l) != 1 {
		t.Fatalf("%d slices kept, want 1", len(l))
	}
}
