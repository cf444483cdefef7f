package connector

import (
	"container/list"
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// budget bounds the records the connector's sources hold at once
// (records_in_flight): a poll reserves the records it expects to read
// before it starts, and its batch holds the records it read until it is
// committed or dropped. Reservations are served in the order asked, so
// a large one is not starved by small ones; but a small one (at most a
// hundredth of the limit: a caught-up source's poll) that fits goes
// ahead of those waiting, so that backfills do not hold back the
// freshness of the sources that are caught up.
//
// A poll that read more than it reserved takes the rest without waiting,
// past the limit if need be: a source waiting for records while holding
// others could wait for itself, and the bound stays within one poll's
// surprise per source. golang.org/x/sync/semaphore.Weighted serves
// reservations in the same order but cannot take more than is free
// without waiting, hence this type.
type budget struct {
	limit int
	held  prometheus.Gauge   // records_in_flight
	wait  prometheus.Counter // records_in_flight_wait_seconds_total

	mu      sync.Mutex
	n       int       // records held
	waiters list.List // of *reservation, in the order asked
	sources int       // the sources running (see share)
}

// reservation is a poll waiting for the budget; ready is closed once it
// holds its records.
type reservation struct {
	n     int
	ready chan struct{}
}

func newBudget(limit int, held prometheus.Gauge, wait prometheus.Counter) *budget {
	return &budget{limit: limit, held: held, wait: wait}
}

// reserve waits until n records fit in the budget and holds them; n is
// cut to the limit, so that a reservation always fits once the others
// are released. It calls waits, when not nil, before it waits, if it
// does. It returns the records it holds, and ctx's error, holding none,
// when ctx ends first.
func (b *budget) reserve(ctx context.Context, n int, waits func()) (int, error) {
	n = min(max(n, 0), b.limit)
	b.mu.Lock()
	if b.admits(n, b.waiters.Len() == 0) {
		b.add(n)
		b.mu.Unlock()
		return n, nil
	}
	r := &reservation{n: n, ready: make(chan struct{})}
	e := b.waiters.PushBack(r)
	b.mu.Unlock()
	if waits != nil {
		waits()
	}
	start := time.Now()
	defer func() { b.wait.Add(time.Since(start).Seconds()) }()
	select {
	case <-r.ready:
		return n, nil
	case <-ctx.Done():
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case <-r.ready: // granted meanwhile
		b.add(-n)
	default:
		b.waiters.Remove(e)
	}
	b.grant()
	return 0, ctx.Err()
}

// settle turns a holding of held records into one of n: it takes the
// difference at once, whatever the limit, or gives it back.
func (b *budget) settle(held, n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.add(n - held)
	b.grant()
}

// release gives back n records.
func (b *budget) release(n int) { b.settle(n, 0) }

// admits reports whether a reservation of n is served now: it fits, and
// it is first in line or small (at most a hundredth of the limit), so
// that it may go ahead of those waiting. b.mu is held.
func (b *budget) admits(n int, first bool) bool {
	return b.n+n <= b.limit && (first || n <= b.limit/100)
}

// grant serves the reservations waiting that admits lets through, in
// order. b.mu is held.
func (b *budget) grant() {
	for e := b.waiters.Front(); e != nil; {
		r, next := e.Value.(*reservation), e.Next()
		if b.admits(r.n, e == b.waiters.Front()) {
			b.add(r.n)
			b.waiters.Remove(e)
			close(r.ready)
		}
		e = next
	}
}

// run counts n more sources running (fewer when negative).
func (b *budget) run(n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sources += n
}

// minShare is the smallest share: a page or two of most vendors, so that
// a thousand sources backfilling at once still read windows worth a
// transaction each.
const minShare = 500

// share is the most records one poll of a source keeps while the sources
// running share the budget: limit / (2 × sources), since a source holds
// two polls' records at most (the batch being committed and the next
// poll), and at least minShare. A source's windows are halved down to it
// (poll.Engine.Limit), so five sources backfilling at once hold about
// what one would, where each would otherwise read windows of up to
// max_window_records.
func (b *budget) share() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return max(minShare, b.limit/(2*max(b.sources, 1)))
}

// add counts n more records held (fewer when negative). b.mu is held.
func (b *budget) add(n int) {
	b.n += n
	b.held.Set(float64(b.n))
}
