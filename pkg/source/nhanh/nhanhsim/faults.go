package nhanhsim

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"time"
)

// defaultSlowDelay is how long FaultSlow waits when FaultRates.SlowDelay is 0.
const defaultSlowDelay = 2 * time.Second

// Fault is a misbehaviour the simulator can inject into a list request that
// passed the authentication and validation checks.
type Fault int

// The faults. FaultNone answers normally.
const (
	FaultNone          Fault = iota
	FaultRateLimit           // 429 with Retry-After: 1 and a JSON error body
	FaultServerError         // 500 with a JSON error body
	FaultSlow                // waits FaultRates.SlowDelay (default 2s, or until the request is cancelled), then answers normally
	FaultMalformed           // 200 with a JSON body cut in the middle of the data array
	FaultHTML                // 502 with an HTML error page, Content-Type text/html
	FaultVendorError         // 200 with code 0, errorCode ERR_SYSTEM_BUSY and an array of messages
	FaultStuckCursor         // the normal page, but its next is the requested cursor (null when none was sent)
	FaultTrailingComma       // the normal page with a comma before each record's closing brace, as in the document's example
)

// lastFault is the highest valid Fault.
const lastFault = FaultTrailingComma

// String returns the fault's name: none, rate_limit, server_error, slow,
// malformed, html, vendor_error, stuck_cursor or trailing_comma.
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
	case FaultStuckCursor:
		return "stuck_cursor"
	case FaultTrailingComma:
		return "trailing_comma"
	}
	return fmt.Sprintf("Fault(%d)", int(f))
}

// FaultRates sets random faults. Each list request that passed the checks
// and has no queued fault (see Sim.FailNext) gets at most one fault: the
// probabilities are stacked in field order, so their sum should not exceed 1.
// The zero value injects nothing.
type FaultRates struct {
	// The probabilities, 0..1, of each fault per request.
	RateLimit, ServerError, Slow, Malformed, HTML, VendorError, StuckCursor, TrailingComma float64
	// SlowDelay is how long FaultSlow waits, whether drawn at random or
	// queued by FailNext (default 2s).
	SlowDelay time.Duration
	// Seed seeds the random draws: the same seed and the same sequence of
	// requests give the same faults.
	Seed int64
}

// Stats counts the requests a Sim received, by outcome.
type Stats struct {
	Requests   int           // all requests received, whatever the path or outcome
	Served     int           // well-formed pages (including FaultSlow and FaultStuckCursor ones that completed)
	AuthFailed int           // bad appId, businessId or access token
	BadRequest int           // bodies that are not a valid list request
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

// FailNext makes the next n list requests that pass the authentication and
// validation checks get fault f, after any faults queued before and before
// any random fault. FailNext(FaultNone, n) lets n requests through
// unharmed. It does nothing when n <= 0 and panics on an unknown fault.
func (s *Sim) FailNext(f Fault, n int) {
	if f < FaultNone || f > lastFault {
		panic("nhanhsim: unknown fault " + f.String())
	}
	if n <= 0 {
		return
	}
	s.mu.Lock()
	s.faults.queue = append(s.faults.queue, queuedFault{f, n})
	s.mu.Unlock()
}

// SetFaultRates replaces the random fault rates and restarts the random
// sequence from r.Seed. Queued faults stay queued. It panics on a probability
// outside 0..1 or a negative SlowDelay.
func (s *Sim) SetFaultRates(r FaultRates) {
	for _, p := range r.probabilities() {
		if !(p.p >= 0 && p.p <= 1) {
			panic(fmt.Sprintf("nhanhsim: fault probability %v is outside 0..1", p.p))
		}
	}
	if r.SlowDelay < 0 {
		panic("nhanhsim: negative SlowDelay")
	}
	s.mu.Lock()
	s.faults.rates = r
	s.faults.rng = rand.New(rand.NewPCG(uint64(r.Seed), 0))
	s.mu.Unlock()
}

// probability is one fault's rate.
type probability struct {
	p float64
	f Fault
}

// probabilities lists the rates in field order.
func (r FaultRates) probabilities() []probability {
	return []probability{{r.RateLimit, FaultRateLimit}, {r.ServerError, FaultServerError}, {r.Slow, FaultSlow},
		{r.Malformed, FaultMalformed}, {r.HTML, FaultHTML}, {r.VendorError, FaultVendorError},
		{r.StuckCursor, FaultStuckCursor}, {r.TrailingComma, FaultTrailingComma}}
}

// Stats returns a copy of the request counters.
func (s *Sim) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Faults = maps.Clone(s.stats.Faults)
	return st
}

// nextFault picks the fault for a request that passed the checks, counts it,
// and returns it with the current slow delay.
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
	for _, c := range fs.rates.probabilities() {
		if x < c.p {
			return c.f
		}
		x -= c.p
	}
	return FaultNone
}

// htmlPage is the body of FaultHTML, the kind of page a gateway in front of
// the API sends.
const htmlPage = `<html>
<head><title>502 Bad Gateway</title></head>
<body>
<center><h1>502 Bad Gateway</h1></center>
<hr><center>nginx</center>
</body>
</html>
`

// writeFault answers r with fault f, waiting delay for FaultSlow. It returns
// true when the request should still get its page (FaultNone, FaultSlow
// after the wait, and the faults that shape the page), false when it has
// been answered or was cancelled.
func writeFault(w http.ResponseWriter, r *http.Request, f Fault, delay time.Duration) bool {
	switch f {
	case FaultRateLimit:
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusTooManyRequests, CodeTooManyRequests, "rate limit exceeded, retry later")
		return false
	case FaultServerError:
		writeError(w, http.StatusInternalServerError, CodeInternal, "internal server error")
		return false
	case FaultHTML:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte(htmlPage)) // a write error means the client is gone
		return false
	case FaultVendorError:
		writeError(w, http.StatusOK, CodeSystemBusy, []string{"Hệ thống đang bận, vui lòng thử lại sau", "System is busy, please try again later"})
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

// truncate cuts a page body halfway through its data array, which starts
// at arrayStart: what a client sees when a connection drops mid-answer.
func truncate(body []byte, arrayStart int) []byte {
	arrayEnd := len(body) - len("]}")
	return body[:arrayStart+(arrayEnd-arrayStart)/2]
}
