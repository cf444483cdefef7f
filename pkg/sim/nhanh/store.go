package nhanhsim

import (
	"slices"
	"sort"
)

// store holds the conversations in keyset order. It is not safe for
// concurrent use; Sim guards it with dataMu.
//
// order is sorted by key. A new entry that sorts last is appended to it;
// other new entries and every move wait in pending, and the next read
// merges them in and drops the items of entries that moved since (stale
// ones, which only a move leaves behind, so order holds none after a
// read). Seeding and updating cost about O(1) each, a read after changes
// O(n).
type store struct {
	byID    map[string]*entry
	byIID   map[int64]bool
	order   []item
	pending []item
	nextIID int64 // the internal id freeIID tries next
}

// item is an entry at the key it had when it was queued.
type item struct {
	key key
	e   *entry
}

// stale reports whether the entry has moved since the item was queued.
func (it item) stale() bool { return it.key != it.e.key }

func newStore() store {
	return store{byID: map[string]*entry{}, byIID: map[int64]bool{}, nextIID: 1}
}

// freeIID returns the lowest unused internal id from nextIID on and moves
// nextIID past it.
func (st *store) freeIID() int64 {
	for st.byIID[st.nextIID] {
		st.nextIID++
	}
	st.nextIID++
	return st.nextIID - 1
}

// insert stores e, whose id and internal id must be new.
func (st *store) insert(e *entry) {
	st.byID[e.rec.ID] = e
	st.byIID[e.rec.InternalID] = true
	it := item{e.key, e}
	if len(st.pending) == 0 && (len(st.order) == 0 || compareKeys(st.order[len(st.order)-1].key, it.key) < 0) {
		st.order = append(st.order, it)
		return
	}
	st.pending = append(st.pending, it)
}

// move queues e at its new key; its item at the old key is now stale.
func (st *store) move(e *entry) {
	st.pending = append(st.pending, item{e.key, e})
}

// sorted returns the live items in key order, merging pending changes.
func (st *store) sorted() []item {
	if len(st.pending) == 0 {
		return st.order
	}
	byKey := func(a, b item) int { return compareKeys(a.key, b.key) }
	slices.SortFunc(st.pending, byKey)
	merged := make([]item, 0, len(st.byID))
	i, j := 0, 0
	for i < len(st.order) || j < len(st.pending) {
		var it item
		if j == len(st.pending) || (i < len(st.order) && byKey(st.order[i], st.pending[j]) < 0) {
			it, i = st.order[i], i+1
		} else {
			it, j = st.pending[j], j+1
		}
		if !it.stale() {
			merged = append(merged, it)
		}
	}
	st.order, st.pending = merged, nil
	return merged
}

// query is a validated list request.
type query struct {
	size     int
	desc     bool
	after    *key // the requested cursor; nil for the first page
	pageIDs  []string
	postIDs  []string
	typ      int   // 0: any
	status   int   // 0: any
	hasPhone *bool // nil: any
	hasReply *bool // nil: any
}

// matches reports whether r passes q's filters.
func (q *query) matches(r *Record) bool {
	switch {
	case q.typ != 0 && r.Type != q.typ,
		q.status != 0 && r.Status != q.status,
		q.hasPhone != nil && r.HasPhone != *q.hasPhone,
		q.hasReply != nil && r.HasReply != *q.hasReply,
		len(q.pageIDs) > 0 && !slices.Contains(q.pageIDs, r.PageID),
		len(q.postIDs) > 0 && (r.PagePostID == nil || !slices.Contains(q.postIDs, *r.PagePostID)):
		return false
	}
	return true
}

// page returns up to limit entries matching q after its cursor, in its
// sort order.
func (st *store) page(q *query, limit int) []*entry {
	items := st.sorted()
	var out []*entry
	if q.desc {
		i := len(items)
		if q.after != nil {
			i = sort.Search(len(items), func(i int) bool { return compareKeys(items[i].key, *q.after) >= 0 })
		}
		for i--; i >= 0 && len(out) < limit; i-- {
			if q.matches(&items[i].e.rec) {
				out = append(out, items[i].e)
			}
		}
		return out
	}
	i := 0
	if q.after != nil {
		i = sort.Search(len(items), func(i int) bool { return compareKeys(items[i].key, *q.after) > 0 })
	}
	for ; i < len(items) && len(out) < limit; i++ {
		if q.matches(&items[i].e.rec) {
			out = append(out, items[i].e)
		}
	}
	return out
}
