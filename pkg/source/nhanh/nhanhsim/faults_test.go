package nhanhsim_test

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
	"strings"
	"testing"
	"time"

	"github.com/vnstream/connector/pkg/source/nhanh/nhanhsim"
)

func TestFailNext(t *testing.T) {
	sim := nhanhsim.New(testApp, testBusiness, testToken)
	for i := range 5 {
		sim.Create(t0.Add(time.Duration(i) * time.Second))
	}
	c := serve(t, sim)
	first := listBody(2, "asc", "", "")
	normal := c.post(first)
	next, _ := decodePage(t, normal)
	later := listBody(2, "asc", next, "")
	normalLater := c.post(later)

	sim.FailNext(nhanhsim.FaultRateLimit, 2)
	sim.FailNext(nhanhsim.FaultServerError, 1)
	sim.FailNext(nhanhsim.FaultMalformed, 1)
	sim.FailNext(nhanhsim.FaultHTML, 1)
	sim.FailNext(nhanhsim.FaultVendorError, 1)
	sim.FailNext(nhanhsim.FaultStuckCursor, 2)
	sim.FailNext(nhanhsim.FaultTrailingComma, 1)
	sim.FailNext(nhanhsim.FaultNone, 1)
	sim.FailNext(nhanhsim.FaultHTML, 0)

	for range 2 {
		r := c.post(first)
		if e := decodeError(t, r, http.StatusTooManyRequests); e.ErrorCode != nhanhsim.CodeTooManyRequests || r.header.Get("Retry-After") != "1" {
			t.Errorf("rate limit: %v %s", r.header, r.body)
		}
	}
	if e := decodeError(t, c.post(first), http.StatusInternalServerError); e.ErrorCode != nhanhsim.CodeInternal {
		t.Errorf("server error: %s", e.ErrorCode)
	}
	r := c.post(first)
	if r.status != http.StatusOK || json.Valid(r.body) || !bytes.HasPrefix(normal.body, r.body) || !bytes.Contains(r.body, []byte(`"data":[{`)) {
		t.Errorf("malformed: %d %s, want 200 with a prefix of %s cut inside the data", r.status, r.body, normal.body)
	}
	r = c.post(first)
	if r.status != http.StatusBadGateway || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !bytes.Contains(r.body, []byte("<html>")) {
		t.Errorf("html: %d %v %s", r.status, r.header, r.body)
	}
	e := decodeError(t, c.post(first), http.StatusOK)
	var msgs []string
	if e.ErrorCode != nhanhsim.CodeSystemBusy || json.Unmarshal(e.Messages, &msgs) != nil || len(msgs) == 0 {
		t.Errorf("vendor error: %s %s, want an array of messages", e.ErrorCode, e.Messages)
	}
	// A stuck cursor: the page, with next = the requested cursor, or null
	// on a first page.
	if n, recs := decodePage(t, c.post(later)); n != next || len(recs) != 2 {
		t.Errorf("stuck cursor: next %s (%d records), want %s", n, len(recs), next)
	}
	if n, recs := decodePage(t, c.post(first)); n != "null" || len(recs) != 2 {
		t.Errorf("stuck cursor on the first page: next %s (%d records), want null", n, len(recs))
	}
	r = c.post(later)
	fixed := bytes.ReplaceAll(r.body, []byte(",}"), []byte("}"))
	if r.status != http.StatusOK || json.Valid(r.body) || !bytes.Equal(fixed, normalLater.body) || bytes.Count(r.body, []byte(",}")) != 2 {
		t.Errorf("trailing comma: %d %s, want %s with a comma before each closing brace", r.status, r.body, normalLater.body)
	}
	for range 2 {
		if r := c.post(later); !bytes.Equal(r.body, normalLater.body) {
			t.Errorf("after the queue: %d %s, want the normal answer", r.status, r.body)
		}
	}
	want := map[nhanhsim.Fault]int{nhanhsim.FaultRateLimit: 2, nhanhsim.FaultServerError: 1, nhanhsim.FaultMalformed: 1,
		nhanhsim.FaultHTML: 1, nhanhsim.FaultVendorError: 1, nhanhsim.FaultStuckCursor: 2, nhanhsim.FaultTrailingComma: 1}
	if st := sim.Stats(); st.Requests != 13 || st.Served != 6 || !faultsEqual(st.Faults, want) {
		t.Errorf("Stats %+v, want 13 requests, 6 served, faults %v", st, want)
	}
}

// faultsEqual compares fault counts, treating a missing kind as zero.
func faultsEqual(a, b map[nhanhsim.Fault]int) bool {
	for f := nhanhsim.FaultNone; f <= nhanhsim.FaultTrailingComma; f++ {
		if a[f] != b[f] {
			return false
		}
	}
	return true
}

func TestMalformedEmptyPage(t *testing.T) {
	sim := nhanhsim.New(testApp, testBusiness, testToken)
	c := serve(t, sim)
	sim.FailNext(nhanhsim.FaultMalformed, 1)
	r := c.post(listBody(10, "asc", "", ""))
	if r.status != http.StatusOK || json.Valid(r.body) || !bytes.HasPrefix([]byte(`{"code":1,"paginator":{"next":null},"data":[]}`), r.body) {
		t.Errorf("malformed empty page: %d %s", r.status, r.body)
	}
}

func TestFaultsOnlyAfterChecks(t *testing.T) {
	sim := nhanhsim.New(testApp, testBusiness, testToken)
	c := serve(t, sim)
	sim.FailNext(nhanhsim.FaultServerError, 1)
	sim.SetFaultRates(nhanhsim.FaultRates{RateLimit: 1})
	wrong := *c
	wrong.token = "wrong"
	if e := decodeError(t, wrong.post(listBody(10, "asc", "", "")), http.StatusOK); e.ErrorCode != nhanhsim.CodeInvalidAccessToken {
		t.Errorf("bad token: %s, want it before any fault", e.ErrorCode)
	}
	if e := decodeError(t, c.post(listBody(0, "asc", "", "")), http.StatusOK); e.ErrorCode != nhanhsim.CodeInvalidData {
		t.Errorf("bad size: %s, want it before any fault", e.ErrorCode)
	}
	decodeError(t, c.post(listBody(10, "asc", "", "")), http.StatusInternalServerError)
	decodeError(t, c.post(listBody(10, "asc", "", "")), http.StatusTooManyRequests)
	want := map[nhanhsim.Fault]int{nhanhsim.FaultServerError: 1, nhanhsim.FaultRateLimit: 1}
	if st := sim.Stats(); st.AuthFailed != 1 || st.BadRequest != 1 || !faultsEqual(st.Faults, want) {
		t.Errorf("Stats %+v", st)
	}
}

func TestSlow(t *testing.T) {
	sim := nhanhsim.New(testApp, testBusiness, testToken)
	sim.Create(t0)
	sim.SetFaultRates(nhanhsim.FaultRates{SlowDelay: 100 * time.Millisecond})
	c := serve(t, sim)
	sim.FailNext(nhanhsim.FaultSlow, 1)
	start := time.Now()
	_, recs := decodePage(t, c.post(listBody(10, "asc", "", "")))
	if d := time.Since(start); d < 100*time.Millisecond || len(recs) != 1 {
		t.Errorf("slow answer after %v with %d records, want the page after 100ms", d, len(recs))
	}
	if st := sim.Stats(); st.Served != 1 || st.Faults[nhanhsim.FaultSlow] != 1 {
		t.Errorf("Stats %+v", st)
	}
}

func TestSlowHonoursCancellation(t *testing.T) {
	sim := nhanhsim.New(testApp, testBusiness, testToken)
	sim.FailNext(nhanhsim.FaultSlow, 1) // the default delay: 2s
	srv := httptest.NewServer(sim)
	defer srv.Close() // closed again below; Close is idempotent
	c := &client{t: t, base: srv.URL, http: srv.Client(), app: testApp, business: testBusiness, token: testToken, method: http.MethodPost, path: nhanhsim.ListPath}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := c.send(ctx, listBody(10, "asc", "", "")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want the client's deadline", err)
	}
	// Close waits for running handlers: it returns well before the 2s
	// delay only if the handler saw the cancellation.
	srv.Close()
	if d := time.Since(start); d > time.Second {
		t.Errorf("handler finished after %v, want it to stop when the request is cancelled", d)
	}
	if st := sim.Stats(); st.Served != 0 || st.Faults[nhanhsim.FaultSlow] != 1 {
		t.Errorf("Stats %+v", st)
	}
}

// outcome classifies an answer by fault.
func outcome(t *testing.T, r reply, next string) nhanhsim.Fault {
	t.Helper()
	switch {
	case r.status == http.StatusTooManyRequests:
		return nhanhsim.FaultRateLimit
	case r.status == http.StatusInternalServerError:
		return nhanhsim.FaultServerError
	case r.status == http.StatusBadGateway:
		return nhanhsim.FaultHTML
	case r.status == http.StatusOK && bytes.Contains(r.body, []byte(",}")):
		return nhanhsim.FaultTrailingComma
	case r.status == http.StatusOK && !json.Valid(r.body):
		return nhanhsim.FaultMalformed
	case r.status == http.StatusOK && bytes.Contains(r.body, []byte(`"code":0`)):
		return nhanhsim.FaultVendorError
	case r.status == http.StatusOK && bytes.Contains(r.body, []byte(`"next":`+next+`}`)):
		return nhanhsim.FaultStuckCursor
	case r.status == http.StatusOK:
		return nhanhsim.FaultNone
	}
	t.Fatalf("unexpected answer %d %s", r.status, r.body)
	return nhanhsim.FaultNone
}

func TestFaultRates(t *testing.T) {
	const n = 1000
	rates := nhanhsim.FaultRates{RateLimit: 0.05, ServerError: 0.05, Slow: 0.05, Malformed: 0.05, HTML: 0.05,
		VendorError: 0.05, StuckCursor: 0.05, TrailingComma: 0.05, SlowDelay: time.Millisecond}
	run := func(seed int64) ([]nhanhsim.Fault, nhanhsim.Stats) {
		sim := nhanhsim.New(testApp, testBusiness, testToken)
		sim.Create(t0)
		sim.Create(t0)
		r := rates
		r.Seed = seed
		sim.SetFaultRates(r)
		c := serve(t, sim)
		const next = "[1,1]"
		seq := make([]nhanhsim.Fault, n)
		for i := range seq {
			seq[i] = outcome(t, c.post(listBody(10, "asc", next, "")), next)
		}
		return seq, sim.Stats()
	}
	seq, st := run(7)
	counts := map[nhanhsim.Fault]int{}
	for _, f := range seq {
		counts[f]++
	}
	for f := nhanhsim.FaultRateLimit; f <= nhanhsim.FaultTrailingComma; f++ {
		// Within five standard deviations of the binomial mean.
		if got, mean := st.Faults[f], 0.05*n; math.Abs(float64(got)-mean) > 5*math.Sqrt(mean*0.95) {
			t.Errorf("%v: %d of %d requests, want about %.0f", f, got, n, mean)
		}
		if f != nhanhsim.FaultSlow && counts[f] != st.Faults[f] {
			t.Errorf("%v: %d answers look like it, Stats says %d", f, counts[f], st.Faults[f])
		}
	}
	if st.Served != counts[nhanhsim.FaultNone]+st.Faults[nhanhsim.FaultStuckCursor] || st.Requests != n {
		t.Errorf("Stats %+v, %d normal answers", st, counts[nhanhsim.FaultNone])
	}
	if again, _ := run(7); !slices.Equal(seq, again) {
		t.Errorf("the same seed gave different faults")
	}
	if other, _ := run(8); slices.Equal(seq, other) {
		t.Errorf("seeds 7 and 8 gave the same faults")
	}
}

func TestPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"negative rate":      func() { nhanhsim.New("a", "b", "c").SetFaultRates(nhanhsim.FaultRates{RateLimit: -0.1}) },
		"rate above 1":       func() { nhanhsim.New("a", "b", "c").SetFaultRates(nhanhsim.FaultRates{TrailingComma: 1.5}) },
		"NaN rate":           func() { nhanhsim.New("a", "b", "c").SetFaultRates(nhanhsim.FaultRates{StuckCursor: math.NaN()}) },
		"negative SlowDelay": func() { nhanhsim.New("a", "b", "c").SetFaultRates(nhanhsim.FaultRates{SlowDelay: -time.Second}) },
		"unknown fault":      func() { nhanhsim.New("a", "b", "c").FailNext(nhanhsim.FaultTrailingComma+1, 1) },
		"nil clock":          func() { nhanhsim.WithClock(nil) },
		"zero page cap":      func() { nhanhsim.WithPageCap(0) },
		"zero expiry":        func() { nhanhsim.WithTokenExpiry(time.Time{}) },
		"no pages":           func() { nhanhsim.WithPages() },
		"empty page id":      func() { nhanhsim.WithPages("1", "") },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

func TestFaultString(t *testing.T) {
	var got []string
	for f := nhanhsim.FaultNone; f <= nhanhsim.FaultTrailingComma+1; f++ {
		got = append(got, f.String())
	}
	want := []string{"none", "rate_limit", "server_error", "slow", "malformed", "html", "vendor_error", "stuck_cursor", "trailing_comma",
		"Fault(" + strconv.Itoa(int(nhanhsim.FaultTrailingComma+1)) + ")"}
	if !slices.Equal(got, want) {
		t.Errorf("String() = %v, want %v", got, want)
	}
}
