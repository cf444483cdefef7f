package fault

import (
	"math/rand/v2"
	"sync"
	"time"
)

// Injector picks the fault of each request a simulator lets through its
// checks, from a queue (Controls.FailNext) and then from a seeded random
// draw (Controls.SetFaultRates), and keeps the simulator's Stats. It is
// safe for concurrent use. Create it with New.
type Injector struct {
	name      string          // the simulator's package name, prefixed to panics
	supported [numFaults]bool // the faults FailNext and SetFaultRates accept

	mu    sync.Mutex // guards the fields below
	queue []queued   // FIFO
	rates Rates
	rng   *rand.Rand // nil until SetFaultRates
	stats Stats
}

// queued is a fault for the next n requests.
type queued struct {
	fault Fault
	n     int
}

// New returns an Injector of the simulator called name (its package name,
// as in "tikisim") that supports None and the faults given, with nothing
// queued and no random faults. It panics on an unknown fault.
func New(name string, supported ...Fault) *Injector {
	in := &Injector{name: name, stats: Stats{Faults: map[Fault]int{}}}
	in.supported[None] = true
	for _, f := range supported {
		if !f.known() {
			panic(name + ": unknown fault " + f.String())
		}
		in.supported[f] = true
	}
	return in
}

// supports reports whether the simulator supports f.
func (in *Injector) supports(f Fault) bool {
	return f.known() && in.supported[f]
}

// Next picks the fault for a request that passed the simulator's checks:
// the first queued one, or else a random one (None without rates). It
// counts the fault in Stats and returns it with the delay of Slow.
func (in *Injector) Next() (Fault, time.Duration) {
	in.mu.Lock()
	defer in.mu.Unlock()
	f := in.draw()
	if f != None {
		in.stats.Faults[f]++
	}
	return f, in.rates.slowDelay()
}

// draw takes the first queued fault, or else a random one.
func (in *Injector) draw() Fault {
	if len(in.queue) > 0 {
		q := &in.queue[0]
		f := q.fault
		if q.n--; q.n == 0 {
			in.queue = in.queue[1:]
		}
		return f
	}
	if in.rng == nil {
		return None
	}
	x := in.rng.Float64()
	for f, p := range in.rates.probabilities() {
		if x < p {
			return Fault(f)
		}
		x -= p
	}
	return None
}
