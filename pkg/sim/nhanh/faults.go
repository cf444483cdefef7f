package nhanhsim

import (
	"net/http"

	"github.com/vnstream/connector/pkg/sim/fault"
)

// Fault is a misbehaviour the simulator can inject into a list request that
// passed the authentication and validation checks (see fault.Fault).
type Fault = fault.Fault

// The faults nhanhsim supports. FaultNone answers normally.
const (
	FaultNone          = fault.None
	FaultRateLimit     = fault.RateLimit     // HTTP 429 with Retry-After: 1, code 0 and errorCode ERR_TOO_MANY_REQUESTS
	FaultServerError   = fault.ServerError   // HTTP 500 with code 0 and errorCode ERR_INTERNAL
	FaultSlow          = fault.Slow          // waits FaultRates.SlowDelay (default 2s, or until the request is cancelled), then answers normally
	FaultMalformed     = fault.Malformed     // HTTP 200 with the body cut in the middle of the data array
	FaultHTML          = fault.HTML          // HTTP 502 with a gateway's HTML error page, Content-Type text/html
	FaultVendorError   = fault.VendorError   // 200 with code 0, errorCode ERR_SYSTEM_BUSY and an array of messages
	FaultStuckCursor   = fault.StuckCursor   // the normal page, but its next is the requested cursor (null when none was sent)
	FaultTrailingComma = fault.TrailingComma // the normal page with a comma before each record's closing brace, as in the document's example
)

// FaultRates sets random faults (see fault.Rates). Only the faults
// above may have a probability.
type FaultRates = fault.Rates

// writeFaultError answers a rate limit, server error or vendor error with
// the vendor's error body.
func writeFaultError(w http.ResponseWriter, f Fault, status int) {
	switch f {
	case FaultRateLimit:
		writeError(w, status, CodeTooManyRequests, "rate limit exceeded, retry later")
	case FaultVendorError:
		writeError(w, status, CodeSystemBusy, []string{"Hệ thống đang bận, vui lòng thử lại sau", "System is busy, please try again later"})
	default:
		writeError(w, status, CodeInternal, "internal server error")
	}
}
