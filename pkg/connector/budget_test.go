package connector

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func testBudget(limit int) (*budget, prometheus.Gauge, prometheus.Counter) {
	held := prometheus.NewGauge(prometheus.GaugeOpts{Name: "held"})
	wait := prometheus.NewCounter(prometheus.CounterOpts{Name: "wait"})
	return newBudget(limit, held, wait), held, wait
}

// reserveAsync starts b.reserve(ctx, n, nil) and returns where its result
// arrives.
func reserveAsync(ctx context.Context, b *budget, n int) chan error {
	done := make(chan error, 1)
	go func() {
		_, err := b.reserve(ctx, n, nil)
		done <- err
	}()
	return done
}

// waiting reports whether done has no result within a short while.
func waiting(done chan error) bool {
	select {
	case <-done:
		return false
	case <-time.After(50 * time.Millisecond):
		return true
	}
}

func granted(t *testing.T, what string, done chan error) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: still waiting after 5s", what)
	}
}

// TestBudgetServesReservationsInOrder: a reservation that does not fit
// waits, and the small one asked after it waits behind it even though
// it would fit.
func TestBudgetServesReservationsInOrder(t *testing.T) {
	ctx := context.Background()
	b, held, wait := testBudget(100)
	if n, err := b.reserve(ctx, 60, nil); n != 60 || err != nil {
		t.Fatalf("reserve 60 of 100 = %d, %v", n, err)
	}
	big := reserveAsync(ctx, b, 70)
	if !waiting(big) {
		t.Fatal("70 more of 100 with 60 held did not wait")
	}
	small := reserveAsync(ctx, b, 10)
	if !waiting(small) {
		t.Fatal("10 asked after a waiting 70 went first")
	}
	b.release(60)
	granted(t, "70 once 60 released", big)
	granted(t, "10 behind it", small)
	if got := testutil.ToFloat64(held); got != 80 {
		t.Errorf("held = %v, want 80", got)
	}
	if testutil.ToFloat64(wait) <= 0 {
		t.Error("the waits were not counted")
	}
}

// TestBudgetSettlesPastTheLimit: a poll that read more than it reserved
// keeps them without waiting, and the next reservation waits until the
// budget is back under its limit.
func TestBudgetSettlesPastTheLimit(t *testing.T) {
	ctx := context.Background()
	b, held, _ := testBudget(100)
	n, _ := b.reserve(ctx, 10, nil)
	b.settle(n, 150) // returns at once: nothing to wait for
	if got := testutil.ToFloat64(held); got != 150 {
		t.Fatalf("held = %v, want 150", got)
	}
	next := reserveAsync(ctx, b, 1)
	if !waiting(next) {
		t.Fatal("a reservation past the limit did not wait")
	}
	b.settle(150, 40) // a batch that dropped records: under the limit again
	granted(t, "1 once 40 are held", next)
	if got := testutil.ToFloat64(held); got != 41 {
		t.Errorf("held = %v, want 41", got)
	}
}

// TestBudgetTellsWhenAReservationWaits: reserve calls its waits function
// before it waits, and only then.
func TestBudgetTellsWhenAReservationWaits(t *testing.T) {
	b, _, _ := testBudget(100)
	ctx := context.Background()
	var waits atomic.Int32
	n, _ := b.reserve(ctx, 80, func() { waits.Add(1) })
	if waits.Load() != 0 {
		t.Fatal("a reservation that fits said it waits")
	}
	done := make(chan error, 1)
	go func() {
		_, err := b.reserve(ctx, 50, func() { waits.Add(1) })
		done <- err
	}()
	if !waiting(done) || waits.Load() != 1 {
		t.Fatalf("a reservation that does not fit: waiting %d times", waits.Load())
	}
	b.release(n)
	granted(t, "the reservation after the release", done)
}

// TestBudgetCutsAReservationToItsLimit: a poll expecting more than the
// whole budget gets the whole budget instead of waiting forever.
func TestBudgetCutsAReservationToItsLimit(t *testing.T) {
	b, held, _ := testBudget(100)
	n, err := b.reserve(context.Background(), 1_000, nil)
	if n != 100 || err != nil {
		t.Fatalf("reserve 1000 of 100 = %d, %v; want 100", n, err)
	}
	b.release(n)
	if got := testutil.ToFloat64(held); got != 0 {
		t.Errorf("held after release = %v", got)
	}
}

// TestBudgetReservationEndsWithItsContext: a poll whose task stops stops
// waiting, holds nothing, and lets the reservations behind it through.
func TestBudgetReservationEndsWithItsContext(t *testing.T) {
	b, held, _ := testBudget(100)
	n, _ := b.reserve(context.Background(), 50, nil)
	ctx, cancel := context.WithCancel(context.Background())
	stopped := reserveAsync(ctx, b, 80)
	if !waiting(stopped) {
		t.Fatal("80 more of 100 with 50 held did not wait")
	}
	behind := reserveAsync(context.Background(), b, 40)
	if !waiting(behind) {
		t.Fatal("40 asked after a waiting 80 went first")
	}
	cancel()
	select {
	case err := <-stopped:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled reservation = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("cancelled reservation still waiting")
	}
	granted(t, "40 once the 80 ahead gave up", behind)
	b.release(n)
	b.release(40)
	if got := testutil.ToFloat64(held); got != 0 {
		t.Errorf("held after every release = %v", got)
	}
}

// TestBudgetLetsSmallReservationsPass: a caught-up source's poll, at most
// a hundredth of the budget, goes ahead of the reservations waiting when
// it fits, and is served behind one that does not fit when room comes
// back; a larger one waits its turn.
func TestBudgetLetsSmallReservationsPass(t *testing.T) {
	ctx := context.Background()
	b, held, _ := testBudget(1000)
	n, _ := b.reserve(ctx, 600, nil)
	big := reserveAsync(ctx, b, 500)
	if !waiting(big) {
		t.Fatal("500 more of 1000 with 600 held did not wait")
	}
	if m, err := b.reserve(ctx, 10, nil); m != 10 || err != nil {
		t.Fatalf("10 behind a waiting 500 = %d, %v; want it at once", m, err)
	}
	if m, err := b.reserve(ctx, 0, nil); m != 0 || err != nil {
		t.Fatalf("0 behind a waiting 500 = %d, %v; want it at once", m, err)
	}
	medium := reserveAsync(ctx, b, 20)
	if !waiting(medium) {
		t.Fatal("20, more than a hundredth, went ahead of a waiting 500")
	}
	b.settle(10, 395) // a poll read more than it reserved: 995 held
	small := reserveAsync(ctx, b, 10)
	if !waiting(small) {
		t.Fatal("10 more with 995 of 1000 held did not wait")
	}
	b.release(395) // 600 held: 10 fits, 500 does not
	granted(t, "10 once 395 released, behind a 500 that does not fit", small)
	if !waiting(big) || !waiting(medium) {
		t.Fatal("500 or the 20 behind it went ahead with 610 of 1000 held")
	}
	b.release(n)
	granted(t, "500 once 600 released", big)
	granted(t, "20 behind it", medium)
	if got := testutil.ToFloat64(held); got != 530 {
		t.Errorf("held = %v, want 530", got)
	}
}
