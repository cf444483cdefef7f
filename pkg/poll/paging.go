package poll

import "fmt"

// DefaultMaxEmptyPages is how many empty pages in a row a Pages guard
// follows before it reports the paging as stuck.
const DefaultMaxEmptyPages = 3

// Pages guards one walk through a cursor-paged API so it always ends:
// a page of records pointing to a cursor the walk has already requested,
// or more than MaxEmpty empty pages in a row that still point to a next
// page, is reported as an error instead of being followed forever. An
// empty page may point to a cursor already requested (the API is asked
// again, as some do while data is being written).
type Pages struct {
	// MaxEmpty is the most empty pages in a row that may still carry a
	// next cursor; 0 means DefaultMaxEmptyPages.
	MaxEmpty  int
	requested map[string]struct{}
	empty     int
}

// Follow is called before requesting the page at cursor (the vendor's
// "next" as given) after a page of n records. It returns an error saying
// what is wrong when the cursor does not advance.
func (p *Pages) Follow(cursor string, n int) error {
	if p.requested == nil {
		p.requested = map[string]struct{}{}
	}
	_, again := p.requested[cursor]
	p.requested[cursor] = struct{}{}
	if n > 0 {
		p.empty = 0
		if again {
			return fmt.Errorf("next cursor %s was already requested in this walk: paging does not advance", cursor)
		}
		return nil
	}
	p.empty++
	limit := p.MaxEmpty
	if limit == 0 {
		limit = DefaultMaxEmptyPages
	}
	if p.empty > limit {
		return fmt.Errorf("%d empty pages in a row still point to a next page (last %s): paging does not advance", p.empty, cursor)
	}
	return nil
}
