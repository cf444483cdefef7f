package znssim_test

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/vnstream/connector/pkg/sim/fault"
	znssim "github.com/vnstream/connector/pkg/sim/zns"
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

// panics reports whether f panics.
func panics(f func()) (panicked bool) {
	defer func() { panicked = recover() != nil }()
	f()
	return false
}

func TestFailNext(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.String(), func(t *testing.T) {
			sim := znssim.New(d, testKey)
			for i := range 5 {
				sim.Create(t0.Add(time.Duration(i) * time.Second))
			}
			sim.SetFaultRates(znssim.FaultRates{SlowDelay: 100 * time.Millisecond})
			c := serve(t, d, sim)
			body := list(nil, 3, "")
			normal := c.post(body)
			decodePage(t, normal)

			for _, f := range []znssim.Fault{znssim.FaultRateLimit, znssim.FaultServerError, znssim.FaultMalformed, znssim.FaultHTML,
				znssim.FaultVendorError, znssim.FaultEmptyPage, znssim.FaultStuckCursor, znssim.FaultNone, znssim.FaultNone, znssim.FaultSlow} {
				sim.FailNext(f, 1)
			}

			if r := c.post(body); r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "1" || !errorObject(d, r.body) {
				t.Errorf("rate limit: %d %v %s", r.status, r.header, r.body)
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
			start := time.Now()
			if r := c.post(body); !bytes.Equal(r.body, normal.body) || time.Since(start) < 100*time.Millisecond {
				t.Errorf("slow: %d %s after %v, want the normal answer after 100ms", r.status, r.body, time.Since(start))
			}
			want := map[znssim.Fault]int{znssim.FaultRateLimit: 1, znssim.FaultServerError: 1, znssim.FaultMalformed: 1, znssim.FaultHTML: 1,
				znssim.FaultVendorError: 1, znssim.FaultEmptyPage: 1, znssim.FaultStuckCursor: 1, znssim.FaultSlow: 1}
			if st := sim.Stats(); st.Requests != 11 || st.Served != 6 || !maps.Equal(st.Faults, want) {
				t.Errorf("Stats %+v, want 11 requests, 6 served, faults %v", st, want)
			}
			if !panics(func() { sim.FailNext(fault.TrailingComma, 1) }) {
				t.Error("FailNext of a trailing comma, which the platforms do not send, did not panic")
			}
		})
	}
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
	sim.SetFaultRates(znssim.FaultRates{VendorError: 1})
	wrong := *c
	wrong.key = "wrong"
	if r := wrong.post(list(nil, 1, "")); r.status != http.StatusUnauthorized {
		t.Errorf("bad key: %d, want 401 before any fault", r.status)
	}
	if r := c.post(`{"paging":{"limit":-1}}`); r.status != http.StatusBadRequest {
		t.Errorf("bad limit: %d, want 400 before any fault", r.status)
	}
	if r := c.post(list(nil, 1, "")); r.status != http.StatusOK || !errorObject(znssim.InterITS, r.body) {
		t.Errorf("valid request: %d %s, want the random vendor error", r.status, r.body)
	}
	if st := sim.Stats(); st.AuthFailed != 1 || st.BadRequest != 1 || !maps.Equal(st.Faults, map[znssim.Fault]int{znssim.FaultVendorError: 1}) {
		t.Errorf("Stats %+v", st)
	}
}
