// Package fetch is the vendor HTTP client every source shares: rate limit,
// request timeout, body cap, retries with backoff and jitter honouring
// Retry-After, and decoding of JSON pages inside the retry loop
// (client.go), and the errors it returns with their reasons, which name
// the source and the request but never a credential (errors.go).
package fetch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/go-json-experiment/json/jsontext"
	"golang.org/x/time/rate"

	"github.com/vnstream/connector/pkg/source"
)

// Config tunes a Client. Zero values take the defaults stated.
type Config struct {
	// Source names the source in errors.
	Source string
	// Timeout bounds one attempt, body included. Default 30s.
	Timeout time.Duration
	// RateLimit is the most requests per second, burst 1. Default 5.
	RateLimit float64
	// MaxBodyBytes caps a response body. Default 32 MiB.
	MaxBodyBytes int64
	// MaxAttempts is the number of tries of one request. Default 5.
	MaxAttempts int
	// BackoffInitial and BackoffMax bound the jittered exponential wait
	// between tries. Defaults 500ms and 30s. A longer Retry-After wins, up
	// to MaxRetryAfter.
	BackoffInitial, BackoffMax time.Duration
	// Transport sends the requests. Default: a clone of
	// http.DefaultTransport.
	Transport http.RoundTripper
	// OnFailure, if set, is told of every failed attempt, retried or not.
	OnFailure func(Reason)
}

// MaxRetryAfter caps how long a vendor's Retry-After can hold a request.
const MaxRetryAfter = 15 * time.Minute

// Client is the HTTP client every provider shares: per-source rate limit,
// request timeout, body cap, and retries with exponential backoff and
// jitter on network errors, timeouts, 408, 429 and 5xx, honouring
// Retry-After. Other 4xx answers are not retried.
type Client struct {
	cfg     Config
	hc      *http.Client
	limiter *rate.Limiter
}

// NewClient returns a Client for one source.
func NewClient(cfg Config) *Client {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.RateLimit <= 0 {
		cfg.RateLimit = 5
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 32 << 20
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 5
	}
	if cfg.BackoffInitial <= 0 {
		cfg.BackoffInitial = 500 * time.Millisecond
	}
	if cfg.BackoffMax < cfg.BackoffInitial {
		cfg.BackoffMax = max(30*time.Second, cfg.BackoffInitial)
	}
	if cfg.Transport == nil {
		cfg.Transport = http.DefaultTransport.(*http.Transport).Clone()
	}
	return &Client{
		cfg:     cfg,
		hc:      &http.Client{Transport: cfg.Transport},
		limiter: rate.NewLimiter(rate.Limit(cfg.RateLimit), 1),
	}
}

// DoJSON sends the request that build makes and hands the body of a 2xx
// answer to decode. The body is lent: once decode returns, its bytes are
// zeroed and read into again for a later answer, so decode copies what
// it keeps (bytes.Clone, or strings). build is called afresh for every
// attempt, so signatures and timestamps are current. A 2xx answer that is
// HTML is an error, and so is one decode refuses (ReasonDecode); when the
// body is not well-formed JSON at all (decode's error wraps a
// jsontext.SyntacticError or io.ErrUnexpectedEOF, or is marked with
// NotJSON: a truncated or garbled page), the request is retried like a
// 5xx, so one bad page costs one request rather than the poll.
func (c *Client) DoJSON(ctx context.Context, build func(ctx context.Context) (*http.Request, error), decode func(body []byte) error) error {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = c.cfg.BackoffInitial
	b.MaxInterval = c.cfg.BackoffMax
	b.MaxElapsedTime = 0
	b.Reset()
	for attempt := 1; ; attempt++ {
		retryAfter, err := c.attempt(ctx, build, decode)
		if err == nil {
			return nil
		}
		if c.cfg.OnFailure != nil {
			c.cfg.OnFailure(err.Reason)
		}
		if !retryable(err) || attempt >= c.cfg.MaxAttempts || ctx.Err() != nil {
			if attempt > 1 {
				err.Msg = strings.TrimPrefix(fmt.Sprintf("%s (after %d attempts)", err.Msg, attempt), " ")
			}
			return err
		}
		wait := max(b.NextBackOff(), min(retryAfter, MaxRetryAfter))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

// bodies holds the buffers bodies are read into, lent to decode and then
// kept for the next answer. Reading each body into a fresh slice grew it
// from 512 bytes by doubling (io.ReadAll), which allocated and copied
// each page about twice; copying it out of a kept buffer at its size then
// still allocated every page once, 14 % of the bytes the connector
// allocated in cmd/bench's Tiki run, whose decoding copies out what it
// keeps anyway. A channel rather than a sync.Pool: the pool is emptied by
// the garbage collector, which runs every few pages while a source
// backfills. At most cap(bodies) buffers of at most maxKeptBody are kept.
var bodies = make(chan *bytes.Buffer, 4)

// maxKeptBody is the largest buffer bodies keeps: 1 MiB.
const maxKeptBody = 1 << 20

// readBody reads at most n bytes of r into a buffer from bodies; give it
// back with releaseBody once its bytes are no longer read.
func readBody(r io.Reader, n int64) (*bytes.Buffer, error) {
	var buf *bytes.Buffer
	select {
	case buf = <-bodies:
		buf.Reset()
	default:
		buf = new(bytes.Buffer)
	}
	_, err := buf.ReadFrom(io.LimitReader(r, n))
	return buf, err
}

// releaseBody zeroes buf's bytes and keeps buf for the next body. Zeroed,
// a body a decoder kept by mistake reads as NUL bytes at once, in every
// test, rather than as another page's records some time later; it costs
// about 8 µs for a Tiki page of 500 records (200 KB), 0.02 µs a record.
func releaseBody(buf *bytes.Buffer) {
	clear(buf.Bytes())
	if buf.Cap() <= maxKeptBody {
		select {
		case bodies <- buf:
		default:
		}
	}
}

func (c *Client) attempt(ctx context.Context, build func(context.Context) (*http.Request, error), decode func([]byte) error) (time.Duration, *Error) {
	if err := c.limiter.Wait(ctx); err != nil {
		return 0, &Error{Source: c.cfg.Source, Request: "(not sent)", Reason: ReasonTimeout, Err: err}
	}
	actx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := build(actx)
	if err != nil {
		return 0, &Error{Source: c.cfg.Source, Request: "(not sent)", Reason: ReasonHTTP4xx, Msg: "building the request", Err: err}
	}
	fail := &Error{Source: c.cfg.Source, Request: describe(req.Method, req.URL)}
	resp, err := c.hc.Do(req)
	if err != nil {
		fail.Reason, fail.Err = transportReason(actx, err), errors.Unwrap(err)
		if fail.Err == nil {
			fail.Err = err
		}
		return 0, fail
	}
	defer resp.Body.Close()
	fail.Status = resp.StatusCode
	buf, err := readBody(resp.Body, c.cfg.MaxBodyBytes+1)
	defer releaseBody(buf)
	body := buf.Bytes()
	if err != nil {
		fail.Reason, fail.Msg, fail.Err = transportReason(actx, err), "reading the body", err
		return 0, fail
	}
	if int64(len(body)) > c.cfg.MaxBodyBytes {
		fail.Reason, fail.Msg = ReasonTooLarge, fmt.Sprintf("body exceeds the %d-byte cap", c.cfg.MaxBodyBytes)
		return 0, fail
	}
	switch s := resp.StatusCode; {
	case s >= 200 && s < 300:
		if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			fail.Reason, fail.Msg = ReasonDecode, "answered HTML instead of JSON: "+source.Quote(body)
			return 0, fail
		}
		if err := decode(body); err != nil {
			fail.Reason, fail.Msg = ReasonDecode, err.Error()
			var de *decodeError
			if errors.As(err, &de) {
				fail.Reason = de.reason
			}
			fail.malformed = malformed(err)
			return 0, fail
		}
		return 0, nil
	case s == http.StatusTooManyRequests:
		fail.Reason = ReasonRateLimited
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		fail.Reason = ReasonAuth
	case s == http.StatusRequestTimeout:
		fail.Reason = ReasonTimeout
	case s >= 500:
		fail.Reason = ReasonHTTP5xx
	default:
		fail.Reason = ReasonHTTP4xx
	}
	fail.Msg = source.Quote(body)
	return retryAfter(resp.Header.Get("Retry-After"), time.Now()), fail
}

func retryable(e *Error) bool {
	if e.malformed {
		return true
	}
	switch e.Reason {
	case ReasonNetwork, ReasonTimeout, ReasonRateLimited, ReasonHTTP5xx:
		return true
	}
	return false
}

// malformed tells a body that is not JSON at all (truncated, garbled)
// from JSON that is not what the API documents.
func malformed(err error) bool {
	var se *jsontext.SyntacticError
	var de *decodeError
	return errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) || (errors.As(err, &de) && de.notJSON)
}

// decodeError is a DoJSON decode error a provider classified.
type decodeError struct {
	err     error
	reason  Reason
	notJSON bool
}

func (e *decodeError) Error() string { return e.err.Error() }
func (e *decodeError) Unwrap() error { return e.err }

// NotJSON marks a decode error as a body that is not JSON at all, for a
// decoder whose error does not wrap v2's: DoJSON retries the request.
func NotJSON(err error) error { return &decodeError{err: err, reason: ReasonDecode, notJSON: true} }

// Refused marks a decode error as the vendor's own error envelope, with
// its reason (ReasonVendor, ReasonAuth): DoJSON retries it only when the
// reason is one it retries (ReasonRateLimited, ReasonHTTP5xx).
func Refused(reason Reason, err error) error { return &decodeError{err: err, reason: reason} }

func transportReason(ctx context.Context, err error) Reason {
	var ne net.Error
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return ReasonTimeout
	}
	return ReasonNetwork
}

// retryAfter parses a Retry-After header: seconds or an HTTP date.
func retryAfter(h string, now time.Time) time.Duration {
	if h == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(h, 64); err == nil && s >= 0 && !math.IsInf(s, 0) {
		return time.Duration(min(s, MaxRetryAfter.Seconds()) * float64(time.Second))
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
