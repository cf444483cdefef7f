package fault

import (
	"io"
	"net/http"
	"time"

	"github.com/vnstream/connector/internal/freelist"
	"github.com/vnstream/connector/pkg/sim"
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

// Serve answers a request that passed the simulator's checks with the
// fault Next picks: Write's answer to it, or else the page that page
// appends to b for it (None, or a fault that shapes the page), JSON with
// status 200, cut halfway through its records array for Malformed (see
// Truncate). page returns the body and the offsets just inside the
// array. A well-formed page (neither Malformed nor TrailingComma) counts
// as served.
func (in *Injector) Serve(w http.ResponseWriter, r *http.Request, vendor ErrorWriter,
	page func(f Fault, b []byte) (body []byte, arrayStart, arrayEnd int)) {
	f, delay := in.Next()
	if !Write(w, r, f, delay, vendor) {
		return
	}
	body, start, end := page(f, pageBuffers.Take(0))
	defer pageBuffers.Put(body)
	if f == Malformed {
		body = Truncate(body, start, end)
	}
	sim.WriteJSON(w, http.StatusOK, body)
	if f != Malformed && f != TrailingComma {
		in.CountServed()
	}
}

// pageBuffers keeps the buffers Serve has pages encoded into, one for each
// request served at once up to 8. A page takes 200 to 700 KB; one
// allocated per request was garbage that cmd/bench's process, which holds
// the million records it serves, collected by marking them all again.
var pageBuffers = freelist.New[byte](8)

// Truncate cuts body halfway between arrayStart and arrayEnd, the offsets
// just inside a page's records array: what a client sees when a connection
// drops mid-answer (Malformed).
func Truncate(body []byte, arrayStart, arrayEnd int) []byte {
	return body[:arrayStart+(arrayEnd-arrayStart)/2]
}
