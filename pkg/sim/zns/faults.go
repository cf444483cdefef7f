package znssim

import (
	"net/http"

	"github.com/vnstream/connector/pkg/sim"
	"github.com/vnstream/connector/pkg/sim/fault"
)

// Fault is a misbehaviour the simulator can inject into a list request that
// passed the authentication and body checks (see fault.Fault).
type Fault = fault.Fault

// The faults znssim supports. FaultNone answers normally.
const (
	FaultNone        = fault.None
	FaultRateLimit   = fault.RateLimit   // 429 with Retry-After: 1 and the dialect's error object
	FaultServerError = fault.ServerError // 500 with the dialect's error object
	FaultSlow        = fault.Slow        // waits FaultRates.SlowDelay (default 2s, or until the request is cancelled), then answers normally
	FaultMalformed   = fault.Malformed   // 200 with a JSON body cut in the middle of the messages array
	FaultHTML        = fault.HTML        // 502 with an HTML error page, Content-Type text/html
	// FaultVendorError answers 200 with the platform's error object
	// instead of a page (eTelecom {"code":"unavailable","msg":..},
	// InterITS {"code":503,"message":..}). The platform itself sends its
	// errors with a matching non-2xx status, as Twirp does (see the auth
	// errors and the other faults); a gateway or wrapper that hands the
	// error object back with 200 is the harder case, since a client that
	// reads it as a page without messages silently ends its walk.
	FaultVendorError = fault.VendorError
	// FaultEmptyPage answers a page with no messages whose next still
	// points where the requested page started, under a new cursor: a
	// client that follows it loses nothing.
	FaultEmptyPage = fault.EmptyPage
	// FaultStuckCursor answers the requested page with next equal to the
	// cursor of the request (for a first page, one that points to the
	// first page again): a client that follows it loops.
	FaultStuckCursor = fault.StuckCursor
)

// FaultRates sets random faults (see fault.Rates). Only the faults
// above may have a probability.
type FaultRates = fault.Rates

// writeFaultError answers a rate limit, server error or vendor error with
// the dialect's error object.
func (s *Sim) writeFaultError(w http.ResponseWriter, f Fault, status int) {
	switch f {
	case FaultRateLimit:
		s.writeError(w, status, "resource_exhausted", "quá nhiều yêu cầu, vui lòng thử lại sau")
	case FaultVendorError:
		sim.WriteJSON(w, status, s.errorBody(http.StatusServiceUnavailable, "unavailable", "Zalo API tạm thời không phản hồi"))
	default:
		s.writeError(w, status, "internal", "lỗi hệ thống")
	}
}
