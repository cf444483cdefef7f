package poll

// A page's items and a walk's versions are slices of Item, 136 bytes each,
// which the engine is done with once it has copied what it keeps: a page's
// once it has read it, a walk's once it is emitted. Allocated afresh for
// every page and every window they were an eighth of the bytes cmd/bench's
// Tiki run allocated. They are kept for the next page or walk in channels
// shared by every source of the process, two of each, so that what is kept
// is bounded whatever the number of sources (a thousand accounts that have
// just caught up must not each keep a window of their backfill).
var (
	freePages = make(chan []Item, 2)
	freeWalks = make(chan []Item, 2)
)

// PageItems returns n zeroed items for a Page's Items: a slice the engine
// is done with when one has room. The engine gives a page's Items back
// once it has read them, whoever made them, so a provider must not keep
// them.
func PageItems(n int) []Item { return take(freePages, n)[:n] }

// take returns an empty slice with room for n, the one on top of free
// when it has.
func take(free chan []Item, n int) []Item {
	select {
	case s := <-free:
		if cap(s) >= n {
			return s
		}
	default:
	}
	return make([]Item, 0, n)
}

// recycle keeps s for the next take of free, cleared so that it holds
// none of the records.
func recycle(free chan []Item, s []Item) {
	clear(s)
	select {
	case free <- s[:0]:
	default:
	}
}
