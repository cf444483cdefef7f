package nxlinksim

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"time"
)

// defaultSlowDelay is how long FaultSlow waits when FaultRates.SlowDelay is 0.
const defaultSlowDelay = 2 * time.Second

// Fault is a misbehaviour the simulator can inject into a request that
// passed the authentication and parameter checks.
type Fault int

// The faults. FaultNone answers normally.
const (
	FaultNone        Fault = iota
	FaultRateLimit         // HTTP 429 with Retry-After: 1 and the envelope, code 429
	FaultServerError       // HTTP 500 with the envelope, code 500
	FaultSlow              // waits FaultRates.SlowDelay (default 2s, or until the request is cancelled), then answers normally
	FaultMalformed         // HTTP 200 with a JSON body cut in the middle of the customer list
	FaultHTML              // HTTP 502 with an HTML error page, Content-Type text/html
	FaultVendorError       // HTTP 200 with code 500, "system busy", a traceId and data null
	FaultEmptyPage         // an empty customer_list whose paging.next is not null; paging.after and before repeat the request's
	FaultStuckCursor       // the page's customers, but paging.after repeats the request's after (null on a first page)
)

// lastFault is the highest valid Fault.
const lastFault = FaultStuckCursor

// String returns the fault's name: none, rate_limit, server_error, slow,
// malformed, html, vendor_error, empty_page or stuck_cursor.
func (f Fault) String() string {
	switch f {
	case FaultNone:
		return "none"
	case FaultRateLimit:
		return "rate_limit"
	case FaultServerError:
		return "server_error"
	case FaultSlow:
		return "slow"
	case FaultMalformed:
		return "malformed"
	case FaultHTML:
		return "html"
	case FaultVendorError:
		return "vendor_error"
	case FaultEmptyPage:
		return "empty_page"
	case FaultStuckCursor:
		return "stuck_cursor"
	}
	return fmt.Sprintf("Fault(%d)", int(f))
}

// FaultRates sets random faults. Each request that passed the checks and
// has no queued fault (see Sim.FailNext) gets at most one fault: the
// probabilities are stacked in field order, so their sum should not exceed
// 1. The zero value injects nothing.
type FaultRates struct {
	// RateLimit, ServerError, Slow, Malformed, HTML, VendorError,
	// EmptyPage and StuckCursor are the probabilities, 0..1, of each
	// fault per request.
	RateLimit, ServerError, Slow, Malformed, HTML, VendorError, EmptyPage, StuckCursor float64
	// SlowDelay is how long FaultSlow waits, whether drawn at random or
	// queued by FailNext (default 2s).
	SlowDelay time.Duration
	// Seed seeds the random draws: the same seed and the same sequence of
	// requests give the same faults.
	Seed int64
}

// rates lists the probabilities with their faults, in field order.
func (r FaultRates) rates() []struct {
	p float64
	f Fault
} {
	return []struct {
		p float64
		f Fault
	}{{r.RateLimit, FaultRateLimit}, {r.ServerError, FaultServerError}, {r.Slow, FaultSlow},
		{r.Malformed, FaultMalformed}, {r.HTML, FaultHTML}, {r.VendorError, FaultVendorError},
		{r.EmptyPage, FaultEmptyPage}, {r.StuckCursor, FaultStuckCursor}}
}

// Stats counts the requests a Sim received, by outcome.
type Stats struct {
	Requests   int           // all requests received, whatever the path or outcome
	Served     int           // code 0 pages answered in full (FaultSlow, FaultEmptyPage and FaultStuckCursor ones included)
	AuthFailed int           // codes 1001, 1003, 1004 and 1005
	BadRequest int           // code 1002
	Faults     map[Fault]int // injected faults by kind (never FaultNone)
}

// faultState is the fault configuration; Sim guards it with mu.
type faultState struct {
	queue []queuedFault // FIFO
	rates FaultRates
	rng   *rand.Rand // nil until SetFaultRates
}

// queuedFault is a fault for the next n requests.
type queuedFault struct {
	fault Fault
	n     int
}

// FailNext makes the next n requests that pass the authentication and
// parameter checks get fault f, after any faults queued before and before
// any random fault. FailNext(FaultNone, n) lets n requests through
// unharmed. It does nothing when n <= 0 and panics on an unknown fault.
func (s *Sim) FailNext(f Fault, n int) {
	if f < FaultNone || f > lastFault {
		panic("nxlinksim: unknown fault " + f.String())
	}
	if n <= 0 {
		return
	}
	s.mu.Lock()
	s.faults.queue = append(s.faults.queue, queuedFault{f, n})
	s.mu.Unlock()
}

// SetFaultRates replaces the random fault rates and restarts the random
// sequence from r.Seed. Queued faults stay queued. It panics on a
// probability outside 0..1 or a negative SlowDelay.
func (s *Sim) SetFaultRates(r FaultRates) {
	for _, c := range r.rates() {
		if !(c.p >= 0 && c.p <= 1) {
			panic(fmt.Sprintf("nxlinksim: %v probability %v is outside 0..1", c.f, c.p))
		}
	}
	if r.SlowDelay < 0 {
		panic("nxlinksim: negative SlowDelay")
	}
	s.mu.Lock()
	s.faults.rates = r
	s.faults.rng = rand.New(rand.NewPCG(uint64(r.Seed), 0))
	s.mu.Unlock()
}

// Stats returns a copy of the request counters.
func (s *Sim) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Faults = maps.Clone(s.stats.Faults)
	return st
}

// nextFault picks the fault for a request that passed the checks, counts
// it, and returns it with the current slow delay.
func (s *Sim) nextFault() (Fault, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.faults.draw()
	if f != FaultNone {
		s.stats.Faults[f]++
	}
	d := s.faults.rates.SlowDelay
	if d == 0 {
		d = defaultSlowDelay
	}
	return f, d
}

// draw takes the first queued fault, or else a random one.
func (fs *faultState) draw() Fault {
	if len(fs.queue) > 0 {
		q := &fs.queue[0]
		f := q.fault
		if q.n--; q.n == 0 {
			fs.queue = fs.queue[1:]
		}
		return f
	}
	if fs.rng == nil {
		return FaultNone
	}
	x := fs.rng.Float64()
	for _, c := range fs.rates.rates() {
		if x < c.p {
			return c.f
		}
		x -= c.p
	}
	return FaultNone
}

// htmlPage is the body of FaultHTML, the kind of page a gateway in front
// of the API sends.
const htmlPage = `<html>
<head><title>502 Bad Gateway</title></head>
<body>
<center><h1>502 Bad Gateway</h1></center>
<hr><center>nginx</center>
</body>
</html>
`

// writeFault answers r with fault f, waiting delay for FaultSlow. It
// returns true when the request should still get its page (FaultNone,
// FaultSlow after the wait, FaultMalformed and the paging traps), false
// when it has been answered or was cancelled.
func writeFault(w http.ResponseWriter, r *http.Request, f Fault, delay time.Duration, trace string) bool {
	switch f {
	case FaultRateLimit:
		w.Header().Set("Retry-After", "1")
		writeEnvelope(w, http.StatusTooManyRequests, CodeTooManyRequests, "Too many requests, retry later", trace)
		return false
	case FaultServerError:
		writeEnvelope(w, http.StatusInternalServerError, CodeSystemBusy, "Internal server error", trace)
		return false
	case FaultHTML:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte(htmlPage)) // a write error means the client is gone
		return false
	case FaultVendorError:
		writeEnvelope(w, http.StatusOK, CodeSystemBusy, "system busy", trace)
		return false
	case FaultSlow:
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
			return true
		case <-r.Context().Done():
			return false
		}
	}
	return true
}

// truncate cuts a page body halfway through its customer list, which
// starts at arrayStart: what a client sees when a connection drops
// mid-answer.
func truncate(body []byte, arrayStart int) []byte {
	arrayEnd := len(body) - len("]}}")
	return body[:arrayStart+(arrayEnd-arrayStart)/2]
}
