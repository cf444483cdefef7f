// Package fault is the fault injection every vendor simulator shares:
// the kinds of fault, their random rates, the queue and seeded draw that
// pick the fault of each request, the request counters, and the answers
// to the faults that look the same whatever the vendor. Each simulator
// keeps what is its own: its error bodies, its vendor-error envelope and
// the shape of its paging traps.
package fault

import "fmt"

// Fault is a misbehaviour a simulator can inject into a request that
// passed its authentication and parameter checks. Each simulator supports
// a subset of the kinds (see New) and says how it answers them.
type Fault int

// The faults. None answers normally.
const (
	None          Fault = iota
	RateLimit           // HTTP 429 with Retry-After: 1 and the vendor's error body
	ServerError         // HTTP 500 with the vendor's error body
	Slow                // waits Rates.SlowDelay (default 2s, or until the request is cancelled), then answers normally
	Malformed           // HTTP 200 with the page cut in the middle of its records array
	HTML                // HTTP 502 with a gateway's HTML error page, Content-Type text/html
	VendorError         // HTTP 200 with the vendor's error body instead of a page
	EmptyPage           // a page without records whose paging says more follow
	StuckCursor         // a page whose next cursor repeats the request's
	TrailingComma       // the page with a comma before each record's closing brace
)

// numFaults is the number of kinds, None included.
const numFaults = TrailingComma + 1

// names are the kinds' names, indexed by Fault.
var names = [numFaults]string{
	None: "none", RateLimit: "rate_limit", ServerError: "server_error", Slow: "slow", Malformed: "malformed",
	HTML: "html", VendorError: "vendor_error", EmptyPage: "empty_page", StuckCursor: "stuck_cursor",
	TrailingComma: "trailing_comma",
}

// String returns the fault's name: none, rate_limit, server_error, slow,
// malformed, html, vendor_error, empty_page, stuck_cursor or
// trailing_comma; Fault(n) for an unknown kind.
func (f Fault) String() string {
	if f.known() {
		return names[f]
	}
	return fmt.Sprintf("Fault(%d)", int(f))
}

// known reports whether f is one of the kinds above.
func (f Fault) known() bool {
	return f >= None && f < numFaults
}
