package poll

import "github.com/vnstream/connector/internal/freelist"

// A page's items and a walk's versions are slices of Item, 136 bytes each,
// which the engine is done with once it has copied what it keeps: a page's
// once it has read it, a walk's once it is emitted. Allocated afresh for
// every page and every window they were an eighth of the bytes cmd/bench's
// Tiki run allocated. They are kept for the next page or walk, two of
// each for the whole process (a thousand accounts that have just caught
// up must not each keep a window of their backfill).
var (
	freePages = freelist.New[Item](2)
	freeWalks = freelist.New[Item](2)
)

// PageItems returns n zeroed items for a Page's Items: a slice the engine
// is done with when one has room. The engine gives a page's Items back
// once it has read them, whoever made them, so a provider must not keep
// them.
func PageItems(n int) []Item { return freePages.Take(n)[:n] }
