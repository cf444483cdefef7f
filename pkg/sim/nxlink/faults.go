package nxlinksim

import (
	"net/http"

	"github.com/vnstream/connector/pkg/sim/fault"
)

// Fault is a misbehaviour the simulator can inject into a request that
// passed the authentication and parameter checks (see fault.Fault).
type Fault = fault.Fault

// The faults nxlinksim supports. FaultNone answers normally.
const (
	FaultNone        = fault.None
	FaultRateLimit   = fault.RateLimit   // HTTP 429 with Retry-After: 1 and the envelope, code 429
	FaultServerError = fault.ServerError // HTTP 500 with the envelope, code 500
	FaultSlow        = fault.Slow        // waits FaultRates.SlowDelay (default 2s, or until the request is cancelled), then answers normally
	FaultMalformed   = fault.Malformed   // HTTP 200 with a JSON body cut in the middle of the customer list
	FaultHTML        = fault.HTML        // HTTP 502 with an HTML error page, Content-Type text/html
	FaultVendorError = fault.VendorError // HTTP 200 with code 500, "system busy", a traceId and data null
	FaultEmptyPage   = fault.EmptyPage   // an empty customer_list whose paging.next is not null; paging.after and before repeat the request's
	FaultStuckCursor = fault.StuckCursor // the page's customers, but paging.after repeats the request's after (null on a first page)
)

// FaultRates sets random faults (see fault.Rates). Only the faults
// above may have a probability.
type FaultRates = fault.Rates

// faultErrorWriter returns the writer of the envelopes that answer a rate
// limit, server error or vendor error with the request's traceId.
func faultErrorWriter(trace string) fault.ErrorWriter {
	return func(w http.ResponseWriter, f Fault, status int) {
		switch f {
		case FaultRateLimit:
			writeEnvelope(w, status, CodeTooManyRequests, "Too many requests, retry later", trace)
		case FaultVendorError:
			writeEnvelope(w, status, CodeSystemBusy, "system busy", trace)
		default:
			writeEnvelope(w, status, CodeSystemBusy, "Internal server error", trace)
		}
	}
}
