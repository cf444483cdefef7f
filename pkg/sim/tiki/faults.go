package tikisim

import (
	"net/http"

	"github.com/vnstream/connector/pkg/sim/fault"
)

// Fault is a misbehaviour the simulator can inject into a list request that
// passed the authentication and parameter checks (see fault.Fault).
type Fault = fault.Fault

// The faults tikisim supports. FaultNone answers normally.
const (
	FaultNone        = fault.None
	FaultRateLimit   = fault.RateLimit   // 429 with Retry-After: 1 and error code TOO_MANY_REQUESTS
	FaultServerError = fault.ServerError // 500 with error code INTERNAL_SERVER_ERROR
	FaultSlow        = fault.Slow        // waits FaultRates.SlowDelay (default 2s, or until the request is cancelled), then answers normally
	FaultMalformed   = fault.Malformed   // 200 with the body cut in the middle of the records array
	FaultHTML        = fault.HTML        // 502 with a gateway's HTML error page, Content-Type text/html
)

// FaultRates sets random faults (see fault.Rates). Only the faults
// above may have a probability.
type FaultRates = fault.Rates

// writeFaultError answers a rate limit or server error with the vendor's
// error body.
func writeFaultError(w http.ResponseWriter, f Fault, status int) {
	if f == FaultRateLimit {
		writeError(w, status, "TOO_MANY_REQUESTS", "rate limit exceeded, retry later")
		return
	}
	writeError(w, status, "INTERNAL_SERVER_ERROR", "internal server error")
}
