package znssim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/vnstream/connector/pkg/source/zns/znssim"
)

// errorObject reports whether body is the dialect's error object.
func errorObject(d znssim.Dialect, body []byte) bool {
	if d == znssim.ETelecom {
		var e struct{ Code, Msg string }
		return json.Unmarshal(body, &e) == nil && e.Code != "" && e.Msg != ""
	}
	var e struct {
		Code    int
		Message string
	}
	return json.Unmarshal(body, &e) == nil && e.Code != 0 && e.Message != ""
}

func TestFailNext(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.String(), func(t *testing.T) {
			sim := znssim.New(d, testKey)
			for i := range 5 {
				sim.Create(t0.Add(time.Duration(i) * time.Second))
			}
			c := serve(t, d, sim)
			body := list(nil, 3, "")
			normal := c.post(body)
			decodePage(t, normal)

			sim.FailNext(znssim.FaultRateLimit, 2)
			sim.FailNext(znssim.FaultServerError, 1)
			sim.FailNext(znssim.FaultMalformed, 1)
			sim.FailNext(znssim.FaultHTML, 1)
			sim.FailNext(znssim.FaultVendorError, 1)
			sim.FailNext(znssim.FaultEmptyPage, 1)
			sim.FailNext(znssim.FaultStuckCursor, 1)
			sim.FailNext(znssim.FaultNone, 1)
			sim.FailNext(znssim.FaultHTML, 0)

			for range 2 {
				r := c.post(body)
				if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "1" || !errorObject(d, r.body) {
					t.Errorf("rate limit: %d %v %s", r.status, r.header, r.body)
				}
			}
			if r := c.post(body); r.status != http.StatusInternalServerError || !errorObject(d, r.body) {
				t.Errorf("server error: %d %s", r.status, r.body)
			}
			r := c.post(body)
			if r.status != http.StatusOK || json.Valid(r.body) || !bytes.HasPrefix(normal.body, r.body) || !bytes.Contains(r.body, []byte(`{"messages":[{`)) {
				t.Errorf("malformed: %d %s, want 200 with a prefix of %s cut in the messages", r.status, r.body, normal.body)
			}
			r = c.post(body)
			if r.status != http.StatusBadGateway || r.header.Get("Content-Type") != "text/html; charset=utf-8" || json.Valid(r.body) {
				t.Errorf("html: %d %v %s", r.status, r.header, r.body)
			}
			r = c.post(body)
			if r.status != http.StatusOK || !errorObject(d, r.body) || bytes.Contains(r.body, []byte("messages")) {
				t.Errorf("vendor error: %d %s, want 200 with the error object", r.status, r.body)
			}
			empty := decodePage(t, c.post(body))
			if len(empty.Messages) != 0 || empty.Paging.Next == "" {
				t.Errorf("empty page: %+v, want no messages and a next", empty)
			}
			stuck := decodePage(t, c.post(body))
			if len(stuck.Messages) != 3 || stuck.Paging.Next == "" {
				t.Errorf("stuck cursor on a first page: %+v", stuck)
			}
			// Both point to the first page.
			for _, next := range []string{empty.Paging.Next, stuck.Paging.Next} {
				p := decodePage(t, c.post(list(nil, 3, next)))
				if len(p.Messages) != 3 || idOf(t, p.Messages[0]) != sim.Records()[0].ID {
					t.Errorf("after %s: %d messages from %s, want the first page", next, len(p.Messages), p.Messages[0]["id"])
				}
			}
			if r := c.post(body); !bytes.Equal(r.body, normal.body) {
				t.Errorf("after the queue: %d %s, want the normal answer", r.status, r.body)
			}
			want := map[znssim.Fault]int{znssim.FaultRateLimit: 2, znssim.FaultServerError: 1, znssim.FaultMalformed: 1, znssim.FaultHTML: 1,
				znssim.FaultVendorError: 1, znssim.FaultEmptyPage: 1, znssim.FaultStuckCursor: 1}
			if st := sim.Stats(); st.Requests != 12 || st.Served != 6 || !maps(st.Faults, want) {
				t.Errorf("Stats %+v, want 12 requests, 6 served, faults %v", st, want)
			}
		})
	}
}

// maps compares fault counts, treating a missing kind as zero.
func maps(a, b map[znssim.Fault]int) bool {
	for f := znssim.FaultNone; f <= znssim.FaultStuckCursor; f++ {
		if a[f] != b[f] {
			return false
		}
	}
	return true
}

func TestPagingFaults(t *testing.T) {
	sim := znssim.New(znssim.ETelecom, testKey)
	for i := range 10 {
		sim.Create(t0.Add(time.Duration(i) * time.Second))
	}
	c := serve(t, znssim.ETelecom, sim)
	first := decodePage(t, c.post(list(nil, 3, "")))

	// A stuck cursor repeats the requested one.
	sim.FailNext(znssim.FaultStuckCursor, 1)
	if p := decodePage(t, c.post(list(nil, 3, first.Paging.Next))); p.Paging.Next != first.Paging.Next || len(p.Messages) != 3 {
		t.Errorf("stuck: next %q after %q", p.Paging.Next, first.Paging.Next)
	}
	// Empty pages in the middle of a walk lose nothing.
	sim.FailNext(znssim.FaultNone, 1)
	sim.FailNext(znssim.FaultEmptyPage, 2)
	sim.FailNext(znssim.FaultNone, 1)
	sim.FailNext(znssim.FaultEmptyPage, 1)
	if got, want := walk(t, c, nil, 3), ids(sim.Records()); !slices.Equal(got, want) {
		t.Errorf("walk through empty pages served %v, want %v", got, want)
	}
	// An empty page after the last one ends like the last one.
	sim.FailNext(znssim.FaultNone, 3)
	sim.FailNext(znssim.FaultEmptyPage, 1)
	if got := walk(t, c, nil, 4); len(got) != 10 {
		t.Errorf("walk with a trailing empty page served %d ids", len(got))
	}
}

func TestFaultsOnlyAfterChecks(t *testing.T) {
	sim := znssim.New(znssim.InterITS, testKey)
	c := serve(t, znssim.InterITS, sim)
	sim.FailNext(znssim.FaultServerError, 1)
	sim.SetFaultRates(znssim.FaultRates{RateLimit: 1})
	wrong := *c
	wrong.key = "wrong"
	if r := wrong.post(list(nil, 1, "")); r.status != http.StatusUnauthorized {
		t.Errorf("bad key: %d, want 401 before any fault", r.status)
	}
	if r := c.post(`{"paging":{"limit":-1}}`); r.status != http.StatusBadRequest {
		t.Errorf("bad limit: %d, want 400 before any fault", r.status)
	}
	if r := c.post(list(nil, 1, "")); r.status != http.StatusInternalServerError {
		t.Errorf("first valid request: %d, want the queued 500 before random faults", r.status)
	}
	if r := c.post(list(nil, 1, "")); r.status != http.StatusTooManyRequests {
		t.Errorf("second valid request: %d, want the random 429", r.status)
	}
	want := map[znssim.Fault]int{znssim.FaultServerError: 1, znssim.FaultRateLimit: 1}
	if st := sim.Stats(); st.AuthFailed != 1 || st.BadRequest != 1 || !maps(st.Faults, want) {
		t.Errorf("Stats %+v", st)
	}
}

func TestSlow(t *testing.T) {
	sim := znssim.New(znssim.ETelecom, testKey)
	sim.Create(t0)
	sim.SetFaultRates(znssim.FaultRates{SlowDelay: 100 * time.Millisecond})
	c := serve(t, znssim.ETelecom, sim)
	sim.FailNext(znssim.FaultSlow, 1)
	start := time.Now()
	p := decodePage(t, c.post(list(nil, 10, "")))
	if d := time.Since(start); d < 100*time.Millisecond || len(p.Messages) != 1 {
		t.Errorf("slow answer after %v with %d messages, want at least 100ms and the normal page", d, len(p.Messages))
	}
	if st := sim.Stats(); st.Served != 1 || st.Faults[znssim.FaultSlow] != 1 {
		t.Errorf("Stats %+v", st)
	}
}

func TestSlowHonoursCancellation(t *testing.T) {
	sim := znssim.New(znssim.InterITS, testKey)
	sim.FailNext(znssim.FaultSlow, 1) // the default delay: 2s
	srv := httptest.NewServer(sim)
	defer srv.Close() // closed again below; Close is idempotent
	c := &client{t: t, base: srv.URL, http: srv.Client(), dialect: znssim.InterITS, key: testKey}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := c.send(ctx, http.MethodPost, znssim.InterITSPath, list(nil, 1, ""), auth(znssim.InterITS, testKey)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want the client's deadline", err)
	}
	// Close waits for running handlers: it returns well before the 2s
	// delay only if the handler saw the cancellation.
	srv.Close()
	if d := time.Since(start); d > time.Second {
		t.Errorf("handler finished after %v, want it to stop when the request is cancelled", d)
	}
	if st := sim.Stats(); st.Served != 0 || st.Faults[znssim.FaultSlow] != 1 {
		t.Errorf("Stats %+v, want the slow fault counted and nothing served", st)
	}
}

// outcome classifies an answer by fault.
func outcome(t *testing.T, r reply) znssim.Fault {
	t.Helper()
	var p struct {
		Messages []json.RawMessage
		Paging   struct{ Next string }
	}
	switch {
	case r.status == http.StatusTooManyRequests:
		return znssim.FaultRateLimit
	case r.status == http.StatusInternalServerError:
		return znssim.FaultServerError
	case r.status == http.StatusBadGateway:
		return znssim.FaultHTML
	case r.status != http.StatusOK:
	case !json.Valid(r.body):
		return znssim.FaultMalformed
	case json.Unmarshal(r.body, &p) != nil || p.Messages == nil:
		return znssim.FaultVendorError
	case len(p.Messages) == 0:
		return znssim.FaultEmptyPage
	case p.Paging.Next != "":
		return znssim.FaultStuckCursor // the only message is on the last page
	default:
		return znssim.FaultNone
	}
	t.Fatalf("unexpected answer %d %s", r.status, r.body)
	return znssim.FaultNone
}

func TestFaultRates(t *testing.T) {
	const n = 500
	rates := znssim.FaultRates{RateLimit: 0.10, ServerError: 0.05, Slow: 0.05, Malformed: 0.05, HTML: 0.05, VendorError: 0.05,
		EmptyPage: 0.05, StuckCursor: 0.05, SlowDelay: time.Millisecond}
	run := func(seed int64) ([]znssim.Fault, znssim.Stats) {
		sim := znssim.New(znssim.ETelecom, testKey)
		sim.Create(t0)
		r := rates
		r.Seed = seed
		sim.SetFaultRates(r)
		c := serve(t, znssim.ETelecom, sim)
		seq := make([]znssim.Fault, n)
		for i := range seq {
			seq[i] = outcome(t, c.post(list(nil, 10, "")))
		}
		return seq, sim.Stats()
	}
	seq, st := run(7)
	counts := map[znssim.Fault]int{}
	for _, f := range seq {
		counts[f]++
	}
	for f, p := range map[znssim.Fault]float64{
		znssim.FaultRateLimit: rates.RateLimit, znssim.FaultServerError: rates.ServerError, znssim.FaultSlow: rates.Slow,
		znssim.FaultMalformed: rates.Malformed, znssim.FaultHTML: rates.HTML, znssim.FaultVendorError: rates.VendorError,
		znssim.FaultEmptyPage: rates.EmptyPage, znssim.FaultStuckCursor: rates.StuckCursor,
	} {
		// Within five standard deviations of the binomial mean.
		if got, mean := st.Faults[f], p*n; math.Abs(float64(got)-mean) > 5*math.Sqrt(mean*(1-p)) {
			t.Errorf("%v: %d of %d requests, want about %.0f", f, got, n, mean)
		}
		if f != znssim.FaultSlow && counts[f] != st.Faults[f] {
			t.Errorf("%v: %d answers look like it, Stats says %d", f, counts[f], st.Faults[f])
		}
	}
	if st.Requests != n || st.Served != counts[znssim.FaultNone]+counts[znssim.FaultEmptyPage]+counts[znssim.FaultStuckCursor] {
		t.Errorf("Stats %+v, counts %v", st, counts)
	}
	if again, _ := run(7); !slices.Equal(seq, again) {
		t.Errorf("the same seed gave different faults")
	}
	if other, _ := run(8); slices.Equal(seq, other) {
		t.Errorf("seeds 7 and 8 gave the same faults")
	}
}

func TestSetFaultRatesPanics(t *testing.T) {
	for _, r := range []znssim.FaultRates{{RateLimit: -0.1}, {HTML: 1.5}, {StuckCursor: math.NaN()}, {SlowDelay: -time.Second}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("SetFaultRates(%+v) did not panic", r)
				}
			}()
			znssim.New(znssim.ETelecom, "k").SetFaultRates(r)
		}()
	}
	defer func() {
		if recover() == nil {
			t.Error("FailNext of an unknown fault did not panic")
		}
	}()
	znssim.New(znssim.ETelecom, "k").FailNext(znssim.FaultStuckCursor+1, 1)
}

func TestFaultString(t *testing.T) {
	var got []string
	for f := znssim.FaultNone; f <= znssim.FaultStuckCursor+1; f++ {
		got = append(got, f.String())
	}
	want := []string{"none", "rate_limit", "server_error", "slow", "malformed", "html", "vendor_error", "empty_page", "stuck_cursor",
		"Fault(" + strconv.Itoa(int(znssim.FaultStuckCursor+1)) + ")"}
	if !slices.Equal(got, want) {
		t.Errorf("String() = %v, want %v", got, want)
	}
}
