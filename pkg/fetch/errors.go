package fetch

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Reason classifies a failed vendor request, for metrics and retries.
type Reason string

// The reasons a request or a page fails.
const (
	ReasonNetwork     Reason = "network"        // connection refused, reset, DNS
	ReasonTimeout     Reason = "timeout"        // no complete answer within the request timeout
	ReasonRateLimited Reason = "rate_limited"   // 429
	ReasonAuth        Reason = "auth"           // 401, 403, or the vendor's auth error
	ReasonHTTP4xx     Reason = "http_4xx"       // any other 4xx: the request is wrong
	ReasonHTTP5xx     Reason = "http_5xx"       // 5xx: the vendor is failing
	ReasonTooLarge    Reason = "body_too_large" // the body exceeded the cap
	ReasonDecode      Reason = "decode"         // not the JSON the API documents
	ReasonVendor      Reason = "vendor"         // a well-formed vendor error envelope
	ReasonCursor      Reason = "cursor"         // the vendor's paging did not advance
)

// Reasons lists every Reason, for metrics that start at zero.
var Reasons = []Reason{ReasonNetwork, ReasonTimeout, ReasonRateLimited, ReasonAuth, ReasonHTTP4xx,
	ReasonHTTP5xx, ReasonTooLarge, ReasonDecode, ReasonVendor, ReasonCursor}

// Error is a failed vendor request. Its text names the source, the request
// (secrets in the query redacted; headers, where credentials travel, never
// appear) and what was wrong.
type Error struct {
	Source  string
	Request string // "GET https://host/path?query" with secret values redacted
	Reason  Reason
	Status  int    // HTTP status, 0 when there was none
	Msg     string // what was wrong, including a short quote of the body
	Err     error  // the underlying error, if any

	malformed bool // a 2xx body that is not JSON at all: retried like a 5xx
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "source %s: %s: %s", e.Source, e.Request, e.Reason)
	if e.Status != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", e.Status)
	}
	if e.Msg != "" {
		b.WriteString(": ")
		b.WriteString(e.Msg)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Describe names request in err, when it is an *Error, in place of the
// method and URL the client saw (for a POST whose body says what was
// asked), and returns err.
func Describe(err error, request string) error {
	var e *Error
	if errors.As(err, &e) {
		e.Request = request
	}
	return err
}

// ReasonOf returns the Reason of err, or "" when err is no *Error.
func ReasonOf(err error) Reason {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

// secretParams are query parameter names whose values are redacted in errors.
var secretParams = []string{"token", "key", "secret", "sign", "password", "access", "auth"}

// describe renders a request for an error message, without secrets.
func describe(method string, u *url.URL) string {
	c := *u
	c.User = nil
	q := c.Query()
	for name := range q {
		lower := strings.ToLower(name)
		for _, s := range secretParams {
			if strings.Contains(lower, s) {
				q.Set(name, "REDACTED")
			}
		}
	}
	if len(q) > 0 {
		c.RawQuery = q.Encode()
	}
	return method + " " + c.String()
}
