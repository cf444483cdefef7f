package sim

import "time"

// Base holds the settings every simulator has besides its credentials:
// its clock and its page cap. A simulator embeds it, and its New takes
// WithClock and WithPageCap options made by the functions below.
type Base struct {
	// Now is the clock that signed timestamps and token expiries are
	// checked against.
	Now func() time.Time
	// PageCap is the most records one page holds, whatever the request
	// asks for. Like the vendors', the cap is silent.
	PageCap int
}

func (b *Base) simBase() *Base { return b }

// based is a simulator type that embeds Base.
type based[S any] interface {
	*S
	simBase() *Base
}

// WithClock returns the option of a simulator of type S that sets its
// clock. It panics on nil.
func WithClock[S any, PS based[S]](now func() time.Time) func(*S) {
	if now == nil {
		panic("sim: WithClock(nil)")
	}
	return func(s *S) { PS(s).simBase().Now = now }
}

// WithPageCap returns the option of a simulator of type S that sets its
// page cap. It panics unless n is positive.
func WithPageCap[S any, PS based[S]](n int) func(*S) {
	if n < 1 {
		panic("sim: page cap must be positive")
	}
	return func(s *S) { PS(s).simBase().PageCap = n }
}
