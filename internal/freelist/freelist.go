// Package freelist keeps slices for reuse in a bounded channel: a few
// slices shared by every user in the process, so that what is kept stays
// bounded whatever the number of sources. A channel rather than a
// sync.Pool, which the garbage collector empties, and it runs every few
// pages while a source backfills.
package freelist

// Slices keeps at most cap(l) slices of T.
type Slices[T any] chan []T

// New returns a list that keeps at most n slices.
func New[T any](n int) Slices[T] { return make(Slices[T], n) }

// Take returns an empty slice with room for n: the one on top of l when
// it has (one that has not is let go), a new one otherwise.
func (l Slices[T]) Take(n int) []T {
	select {
	case s := <-l:
		if cap(s) >= n {
			return s
		}
	default:
	}
	return make([]T, 0, n)
}

// Put keeps s for a later Take, its elements zeroed so that it holds
// nothing of what it was used for; when l is full, s is let go.
func (l Slices[T]) Put(s []T) {
	clear(s)
	select {
	case l <- s[:0]:
	default:
	}
}
