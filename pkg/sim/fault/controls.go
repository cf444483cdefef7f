package fault

import (
	"fmt"
	"maps"
	"math/rand/v2"
)

// Controls are the fault and counter methods a simulator's users call. A
// simulator embeds the Controls of its Injector (see Injector.Controls), so
// that FailNext, SetFaultRates and Stats are its own methods. The zero
// Controls has no Injector and panics on use.
type Controls struct {
	in *Injector
}

// Controls returns the Controls of in.
func (in *Injector) Controls() Controls {
	return Controls{in}
}

// FailNext makes the next n requests that pass the simulator's checks get
// fault f, after any faults queued before and before any random fault.
// FailNext(None, n) lets n requests through unharmed. It does nothing when
// n <= 0 and panics on a fault the simulator does not support.
func (c Controls) FailNext(f Fault, n int) {
	if !c.in.supports(f) {
		panic(c.in.name + ": unsupported fault " + f.String())
	}
	if n <= 0 {
		return
	}
	c.in.mu.Lock()
	c.in.queue = append(c.in.queue, queued{f, n})
	c.in.mu.Unlock()
}

// SetFaultRates replaces the random fault rates and restarts the random
// sequence from r.Seed. Queued faults stay queued. It panics on a
// probability outside 0..1, a non-zero probability of a fault the
// simulator does not support, or a negative SlowDelay.
func (c Controls) SetFaultRates(r Rates) {
	for f, p := range r.probabilities() {
		if !(p >= 0 && p <= 1) {
			panic(fmt.Sprintf("%s: %v probability %v is outside 0..1", c.in.name, Fault(f), p))
		}
		if p > 0 && !c.in.supports(Fault(f)) {
			panic(fmt.Sprintf("%s: unsupported fault %v", c.in.name, Fault(f)))
		}
	}
	if r.SlowDelay < 0 {
		panic(c.in.name + ": negative SlowDelay")
	}
	c.in.mu.Lock()
	c.in.rates = r
	c.in.rng = rand.New(rand.NewPCG(uint64(r.Seed), 0))
	c.in.mu.Unlock()
}

// Stats returns a copy of the request counters.
func (c Controls) Stats() Stats {
	c.in.mu.Lock()
	defer c.in.mu.Unlock()
	st := c.in.stats
	st.Faults = maps.Clone(c.in.stats.Faults)
	return st
}
