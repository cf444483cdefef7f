package fault

import "time"

// DefaultSlowDelay is how long Slow waits when Rates.SlowDelay is 0.
const DefaultSlowDelay = 2 * time.Second

// Rates sets random faults. Each request that reaches the fault stage and
// has no queued fault (see Injector.FailNext) gets at most one fault: the
// probabilities are stacked in field order, so their sum should not exceed
// 1. The zero value injects nothing.
type Rates struct {
	// RateLimit, ServerError, Slow, Malformed, HTML, VendorError,
	// EmptyPage, StuckCursor and TrailingComma are the probabilities,
	// 0..1, of each fault per request (default 0). Only the faults the
	// simulator supports may have one.
	RateLimit, ServerError, Slow, Malformed, HTML, VendorError, EmptyPage, StuckCursor, TrailingComma float64
	// SlowDelay is how long Slow waits, whether drawn at random or queued
	// by FailNext (default DefaultSlowDelay, 2s).
	SlowDelay time.Duration
	// Seed seeds the random draws (default 0): the same seed and the same
	// sequence of requests give the same faults.
	Seed int64
}

// probabilities returns the probabilities indexed by Fault, which is their
// draw order; None's is 0.
func (r Rates) probabilities() [numFaults]float64 {
	return [numFaults]float64{
		RateLimit: r.RateLimit, ServerError: r.ServerError, Slow: r.Slow, Malformed: r.Malformed, HTML: r.HTML,
		VendorError: r.VendorError, EmptyPage: r.EmptyPage, StuckCursor: r.StuckCursor, TrailingComma: r.TrailingComma,
	}
}

// slowDelay returns SlowDelay, or DefaultSlowDelay when it is 0.
func (r Rates) slowDelay() time.Duration {
	if r.SlowDelay == 0 {
		return DefaultSlowDelay
	}
	return r.SlowDelay
}
