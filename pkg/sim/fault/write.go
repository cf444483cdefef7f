package fault

import (
	"io"
	"net/http"
	"time"
)

// ErrorWriter writes a simulator's own answer to fault f with HTTP status
// status: 429 for RateLimit (Write has set Retry-After: 1), 500 for
// ServerError and 200 for VendorError.
type ErrorWriter func(w http.ResponseWriter, f Fault, status int)

// htmlPage is the body of HTML, the kind of page a gateway in front of an
// API sends.
const htmlPage = `<html>
<head><title>502 Bad Gateway</title></head>
<body>
<center><h1>502 Bad Gateway</h1></center>
<hr><center>nginx</center>
</body>
</html>
`

// Write answers r with fault f: RateLimit, ServerError and VendorError
// through vendor, HTML with a gateway's page, and Slow by waiting delay or
// until the request is cancelled. It returns true when the request should
// still get its page (None, Slow after the wait, and the faults that shape
// the page: Malformed, EmptyPage, StuckCursor and TrailingComma), false
// when it has been answered or was cancelled.
func Write(w http.ResponseWriter, r *http.Request, f Fault, delay time.Duration, vendor ErrorWriter) bool {
	switch f {
	case RateLimit:
		w.Header().Set("Retry-After", "1")
		vendor(w, f, http.StatusTooManyRequests)
	case ServerError:
		vendor(w, f, http.StatusInternalServerError)
	case VendorError:
		vendor(w, f, http.StatusOK)
	case HTML:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = io.WriteString(w, htmlPage) // a write error means the client is gone
	case Slow:
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
			return true
		case <-r.Context().Done():
			return false
		}
	default:
		return true
	}
	return false
}

// Truncate cuts body halfway between arrayStart and arrayEnd, the offsets
// just inside a page's records array: what a client sees when a connection
// drops mid-answer (Malformed).
func Truncate(body []byte, arrayStart, arrayEnd int) []byte {
	return body[:arrayStart+(arrayEnd-arrayStart)/2]
}
