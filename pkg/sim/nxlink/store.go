package nxlinksim

import (
	"cmp"
	"slices"
	"sort"
)

// store holds the customers. It is not safe for concurrent use; Sim guards
// it with dataMu.
type store struct {
	byID map[int64]*entry
	all  []*entry // ascending by id when sorted
	// sorted is false after an Add out of id order; dirty is true after
	// any change, until ensure rebuilds the indexes.
	sorted, dirty bool
	// maxUpTo[i] is the latest updated of all[:i+1] and minFrom[i] the
	// earliest of all[i:], in unix seconds: a scan skips the ids below the
	// first maxUpTo at or after start_time and stops at the first minFrom
	// after end_time, even when ids and update times disagree.
	maxUpTo, minFrom []int64
	next             int64 // the id Create tries next
}

// insert stores e, whose id must be new.
func (st *store) insert(e *entry) {
	if n := len(st.all); n > 0 && st.all[n-1].id > e.id {
		st.sorted = false
	}
	st.all = append(st.all, e)
	st.byID[e.id] = e
	st.dirty = true
}

// ensure sorts the customers by id and rebuilds the time indexes.
func (st *store) ensure() {
	if !st.sorted {
		slices.SortFunc(st.all, func(a, b *entry) int { return cmp.Compare(a.id, b.id) })
		st.sorted = true
	}
	if !st.dirty {
		return
	}
	n := len(st.all)
	st.maxUpTo = slices.Grow(st.maxUpTo[:0], n)[:n]
	st.minFrom = slices.Grow(st.minFrom[:0], n)[:n]
	for i, e := range st.all {
		st.maxUpTo[i] = e.updated
		if i > 0 {
			st.maxUpTo[i] = max(e.updated, st.maxUpTo[i-1])
		}
	}
	for i := n - 1; i >= 0; i-- {
		st.minFrom[i] = st.all[i].updated
		if i < n-1 {
			st.minFrom[i] = min(st.minFrom[i], st.minFrom[i+1])
		}
	}
	st.dirty = false
}

// filter is a listing's update-time range, unix seconds, both inclusive.
type filter struct{ from, to int64 }

// listing is one page of customers, ascending by id, and its neighbours.
type listing struct {
	page []*entry
	// previous is the first customer of the page before, next the first
	// of the page after; nil when there is none.
	previous, next *entry
}

// list returns the page of at most limit customers updated in f with
// after < id < before (each bound only when set): the lowest ids, or the
// highest when only before is set (paging backwards).
func (st *store) list(f filter, after, before *int64, limit int) listing {
	st.ensure()
	n := len(st.all)
	// Below lo every update is before from; from hi on every one is after to.
	lo := sort.Search(n, func(i int) bool { return st.maxUpTo[i] >= f.from })
	hi := sort.Search(n, func(i int) bool { return st.minFrom[i] > f.to })
	match := func(i int) bool { u := st.all[i].updated; return u >= f.from && u <= f.to }
	start, end := 0, n
	if after != nil {
		if start = st.search(*after); start < n && st.all[start].id == *after {
			start++
		}
	}
	if before != nil {
		end = st.search(*before)
	}
	var idx []int
	// first and last are where the neighbours are looked for when the
	// page is empty.
	first, last := start, start-1
	if after == nil && before != nil {
		for i := min(end, hi) - 1; i >= max(start, lo) && len(idx) < limit; i-- {
			if match(i) {
				idx = append(idx, i)
			}
		}
		slices.Reverse(idx)
		first, last = end, end-1
	} else {
		for i := max(start, lo); i < min(end, hi) && len(idx) < limit; i++ {
			if match(i) {
				idx = append(idx, i)
			}
		}
	}
	var l listing
	if len(idx) > 0 {
		first, last = idx[0], idx[len(idx)-1]
		l.page = make([]*entry, len(idx))
		for i, j := range idx {
			l.page[i] = st.all[j]
		}
	}
	for i := max(last+1, lo); i < hi; i++ {
		if match(i) {
			l.next = st.all[i]
			break
		}
	}
	for i, found := min(first, hi)-1, 0; i >= lo && found < limit; i-- {
		if match(i) {
			l.previous = st.all[i]
			found++
		}
	}
	return l
}

// search returns the index of the first customer whose id is at least id.
func (st *store) search(id int64) int {
	i, _ := slices.BinarySearchFunc(st.all, id, func(e *entry, id int64) int { return cmp.Compare(e.id, id) })
	return i
}
