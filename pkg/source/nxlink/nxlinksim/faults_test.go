package nxlinksim_test

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

	"github.com/vnstream/connector/pkg/source/nxlink/nxlinksim"
)

func TestFailNext(t *testing.T) {
	sim := nxlinksim.New(testAccessKey, testSecret, testTenant, testAppKey)
	for i := range 5 {
		sim.Create(t0.Add(time.Duration(i) * time.Second))
	}
	c := serve(t, sim)
	body := query(10)
	normal := c.post(body)
	decodePage(t, normal)

	sim.FailNext(nxlinksim.FaultRateLimit, 2)
	sim.FailNext(nxlinksim.FaultServerError, 1)
	sim.FailNext(nxlinksim.FaultMalformed, 1)
	sim.FailNext(nxlinksim.FaultHTML, 1)
	sim.FailNext(nxlinksim.FaultVendorError, 1)
	sim.FailNext(nxlinksim.FaultNone, 1)
	sim.FailNext(nxlinksim.FaultHTML, 0)

	code := func(r reply) int {
		var env envelope
		if json.Unmarshal(r.body, &env) != nil || env.Message == nil || len(env.TraceID) != 32 {
			return -1
		}
		return env.Code
	}
	for range 2 {
		if r := c.post(body); r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "1" || code(r) != nxlinksim.CodeTooManyRequests {
			t.Errorf("rate limit: %d %v %s", r.status, r.header, r.body)
		}
	}
	if r := c.post(body); r.status != http.StatusInternalServerError || code(r) != nxlinksim.CodeSystemBusy {
		t.Errorf("server error: %d %s", r.status, r.body)
	}
	r := c.post(body)
	// The traceId differs between answers: compare from the paging on.
	cut := bytes.Index(normal.body, []byte(`"data"`))
	if r.status != http.StatusOK || json.Valid(r.body) || !bytes.Contains(normal.body[cut:], r.body[bytes.Index(r.body, []byte(`"data"`)):]) {
		t.Errorf("malformed: %d %s, want a prefix of %s", r.status, r.body, normal.body)
	}
	if arr := bytes.Index(r.body, []byte(`"customer_list":[`)); arr < 0 || len(r.body) <= arr+len(`"customer_list":[`) {
		t.Errorf("malformed body %s is not cut inside the customer list", r.body)
	}
	r = c.post(body)
	if r.status != http.StatusBadGateway || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !bytes.Contains(r.body, []byte("<html>")) {
		t.Errorf("html: %d %v %s", r.status, r.header, r.body)
	}
	if msg := vendorError(t, c.post(body), nxlinksim.CodeSystemBusy); msg != "system busy" {
		t.Errorf("vendor error message %q", msg)
	}
	for range 2 {
		p, cs := decodePage(t, c.post(body))
		if len(cs) != 5 || p.Next != nil {
			t.Errorf("after the queue: %d customers, next %s", len(cs), num(p.Next))
		}
	}
	want := map[nxlinksim.Fault]int{nxlinksim.FaultRateLimit: 2, nxlinksim.FaultServerError: 1, nxlinksim.FaultMalformed: 1,
		nxlinksim.FaultHTML: 1, nxlinksim.FaultVendorError: 1}
	if st := sim.Stats(); st.Requests != 9 || st.Served != 3 || !faultsEqual(st.Faults, want) {
		t.Errorf("Stats %+v, want 9 requests, 3 served, faults %v", st, want)
	}
}

// faultsEqual compares fault counts, a missing kind being zero.
func faultsEqual(a, b map[nxlinksim.Fault]int) bool {
	for f := nxlinksim.FaultNone; f <= nxlinksim.FaultStuckCursor; f++ {
		if a[f] != b[f] {
			return false
		}
	}
	return true
}

func TestPagingTraps(t *testing.T) {
	sim := nxlinksim.New(testAccessKey, testSecret, testTenant, testAppKey)
	var rs []nxlinksim.Record
	for i := range 6 {
		rs = append(rs, sim.Create(t0.Add(time.Duration(i)*time.Second)))
	}
	c := serve(t, sim)
	after := `"after":` + rs[1].ID

	sim.FailNext(nxlinksim.FaultEmptyPage, 1)
	p, cs := decodePage(t, c.post(query(2, after)))
	if len(cs) != 0 || num(p.Next) != rs[2].ID || num(p.After) != rs[1].ID || p.Before != nil {
		t.Errorf("empty page: %v, paging after %s before %s next %s; want none, after %s, next %s",
			ids(cs), num(p.After), num(p.Before), num(p.Next), rs[1].ID, rs[2].ID)
	}
	sim.FailNext(nxlinksim.FaultEmptyPage, 1)
	if p, cs := decodePage(t, c.post(query(2, `"after":`+rs[5].ID))); len(cs) != 0 || p.Next == nil {
		t.Errorf("empty page at the end: %v, next %s; want a non-null next", ids(cs), num(p.Next))
	}
	sim.FailNext(nxlinksim.FaultStuckCursor, 1)
	p, cs = decodePage(t, c.post(query(2, after)))
	if !slices.Equal(ids(cs), []string{rs[2].ID, rs[3].ID}) || num(p.After) != rs[1].ID || num(p.Next) != rs[4].ID {
		t.Errorf("stuck cursor: %v, after %s next %s; want the page with after %s", ids(cs), num(p.After), num(p.Next), rs[1].ID)
	}
	sim.FailNext(nxlinksim.FaultStuckCursor, 1)
	if p, cs := decodePage(t, c.post(query(2))); len(cs) != 2 || p.After != nil {
		t.Errorf("stuck cursor on a first page: %v, after %s; want null", ids(cs), num(p.After))
	}
	if st := sim.Stats(); st.Served != 4 || st.Faults[nxlinksim.FaultEmptyPage] != 2 || st.Faults[nxlinksim.FaultStuckCursor] != 2 {
		t.Errorf("Stats %+v", st)
	}
}

func TestMalformedEmptyPage(t *testing.T) {
	sim := nxlinksim.New(testAccessKey, testSecret, testTenant, testAppKey)
	c := serve(t, sim)
	sim.FailNext(nxlinksim.FaultMalformed, 1)
	r := c.post(query(5))
	if r.status != http.StatusOK || json.Valid(r.body) || !bytes.HasSuffix(r.body, []byte(`"customer_list":[`)) {
		t.Errorf("malformed empty page: %d %s", r.status, r.body)
	}
}

func TestFaultsOnlyAfterChecks(t *testing.T) {
	sim := nxlinksim.New(testAccessKey, testSecret, testTenant, testAppKey)
	c := serve(t, sim)
	sim.FailNext(nxlinksim.FaultServerError, 1)
	sim.SetFaultRates(nxlinksim.FaultRates{RateLimit: 1})
	wrong := *c
	wrong.secret = "wrong"
	r, err := wrong.send(context.Background(), http.MethodPost, nxlinksim.QueryPath, wrong.headers(time.Now().UnixMilli(), []byte(query(5))), []byte(query(5)))
	if err != nil {
		t.Fatal(err)
	}
	vendorError(t, r, nxlinksim.CodeBadSign)
	vendorError(t, c.post(query(0)), nxlinksim.CodeBadParams)
	if r := c.post(query(5)); r.status != http.StatusInternalServerError {
		t.Errorf("first valid request: %d, want the queued 500 before random faults", r.status)
	}
	if r := c.post(query(5)); r.status != http.StatusTooManyRequests {
		t.Errorf("second valid request: %d, want the random 429", r.status)
	}
	want := map[nxlinksim.Fault]int{nxlinksim.FaultServerError: 1, nxlinksim.FaultRateLimit: 1}
	if st := sim.Stats(); st.AuthFailed != 1 || st.BadRequest != 1 || !faultsEqual(st.Faults, want) {
		t.Errorf("Stats %+v", st)
	}
}

func TestSlow(t *testing.T) {
	sim := nxlinksim.New(testAccessKey, testSecret, testTenant, testAppKey)
	sim.Create(t0)
	sim.SetFaultRates(nxlinksim.FaultRates{SlowDelay: 200 * time.Millisecond})
	c := serve(t, sim)
	sim.FailNext(nxlinksim.FaultSlow, 1)
	start := time.Now()
	_, cs := decodePage(t, c.post(query(5)))
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("slow answer after %v, want at least 200ms", d)
	}
	if len(cs) != 1 {
		t.Errorf("slow answer: %d customers, want the normal page", len(cs))
	}
	if st := sim.Stats(); st.Served != 1 || st.Faults[nxlinksim.FaultSlow] != 1 {
		t.Errorf("Stats %+v", st)
	}
}

func TestSlowHonoursCancellation(t *testing.T) {
	sim := nxlinksim.New(testAccessKey, testSecret, testTenant, testAppKey)
	sim.FailNext(nxlinksim.FaultSlow, 1) // the default delay: 2s
	srv := httptest.NewServer(sim)
	defer srv.Close() // closed again below; Close is idempotent
	c := &client{t: t, base: srv.URL, http: srv.Client(), accessKey: testAccessKey, secret: testSecret, now: time.Now}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	body := []byte(query(5))
	start := time.Now()
	_, err := c.send(ctx, http.MethodPost, nxlinksim.QueryPath, c.headers(time.Now().UnixMilli(), body), body)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want the client's deadline", err)
	}
	// Close waits for running handlers: it returns well before the 2s
	// delay only if the handler saw the cancellation.
	srv.Close()
	if d := time.Since(start); d > time.Second {
		t.Errorf("handler finished after %v, want it to stop when the request is cancelled", d)
	}
	if st := sim.Stats(); st.Served != 0 || st.Faults[nxlinksim.FaultSlow] != 1 {
		t.Errorf("Stats %+v", st)
	}
}

// outcome classifies an answer by fault.
func outcome(t *testing.T, r reply) nxlinksim.Fault {
	t.Helper()
	switch {
	case r.status == http.StatusTooManyRequests:
		return nxlinksim.FaultRateLimit
	case r.status == http.StatusInternalServerError:
		return nxlinksim.FaultServerError
	case r.status == http.StatusBadGateway:
		return nxlinksim.FaultHTML
	case r.status == http.StatusOK && !json.Valid(r.body):
		return nxlinksim.FaultMalformed
	case bytes.Contains(r.body, []byte(`"code":500`)):
		return nxlinksim.FaultVendorError
	case bytes.Contains(r.body, []byte(`"customer_list":[]`)):
		return nxlinksim.FaultEmptyPage
	case bytes.Contains(r.body, []byte(`"after":null`)):
		return nxlinksim.FaultStuckCursor
	case r.status == http.StatusOK:
		return nxlinksim.FaultNone
	}
	t.Fatalf("unexpected answer %d %s", r.status, r.body)
	return nxlinksim.FaultNone
}

func TestFaultRates(t *testing.T) {
	const n = 600
	rates := nxlinksim.FaultRates{RateLimit: 0.05, ServerError: 0.05, Slow: 0.05, Malformed: 0.05, HTML: 0.05,
		VendorError: 0.05, EmptyPage: 0.05, StuckCursor: 0.05, SlowDelay: time.Millisecond}
	run := func(seed int64) ([]nxlinksim.Fault, nxlinksim.Stats) {
		sim := nxlinksim.New(testAccessKey, testSecret, testTenant, testAppKey)
		sim.Create(t0)
		r := rates
		r.Seed = seed
		sim.SetFaultRates(r)
		c := serve(t, sim)
		seq := make([]nxlinksim.Fault, n)
		for i := range seq {
			seq[i] = outcome(t, c.post(query(5)))
		}
		return seq, sim.Stats()
	}
	seq, st := run(7)
	counts := map[nxlinksim.Fault]int{}
	for _, f := range seq {
		counts[f]++
	}
	for f := nxlinksim.FaultRateLimit; f <= nxlinksim.FaultStuckCursor; f++ {
		// Within five standard deviations of the binomial mean.
		if got, mean := st.Faults[f], 0.05*n; math.Abs(float64(got)-mean) > 5*math.Sqrt(mean*0.95) {
			t.Errorf("%v: %d of %d requests, want about %.0f", f, got, n, mean)
		}
		if f != nxlinksim.FaultSlow && counts[f] != st.Faults[f] {
			t.Errorf("%v: %d answers look like it, Stats says %d", f, counts[f], st.Faults[f])
		}
	}
	served := counts[nxlinksim.FaultNone] + counts[nxlinksim.FaultEmptyPage] + counts[nxlinksim.FaultStuckCursor]
	if st.Served != served || st.Requests != n {
		t.Errorf("Stats %+v, %d full pages", st, served)
	}
	if again, _ := run(7); !slices.Equal(seq, again) {
		t.Errorf("the same seed gave different faults")
	}
	if other, _ := run(8); slices.Equal(seq, other) {
		t.Errorf("seeds 7 and 8 gave the same faults")
	}
}

func TestSetFaultRatesPanics(t *testing.T) {
	for _, r := range []nxlinksim.FaultRates{{RateLimit: -0.1}, {HTML: 1.5}, {StuckCursor: math.NaN()}, {SlowDelay: -time.Second}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("SetFaultRates(%+v) did not panic", r)
				}
			}()
			nxlinksim.New("x", "y", 1, "z").SetFaultRates(r)
		}()
	}
	defer func() {
		if recover() == nil {
			t.Errorf("FailNext of an unknown fault did not panic")
		}
	}()
	nxlinksim.New("x", "y", 1, "z").FailNext(nxlinksim.FaultStuckCursor+1, 1)
}

func TestFaultString(t *testing.T) {
	var got []string
	for f := nxlinksim.FaultNone; f <= nxlinksim.FaultStuckCursor+1; f++ {
		got = append(got, f.String())
	}
	want := []string{"none", "rate_limit", "server_error", "slow", "malformed", "html", "vendor_error", "empty_page",
		"stuck_cursor", "Fault(" + strconv.Itoa(int(nxlinksim.FaultStuckCursor+1)) + ")"}
	if !slices.Equal(got, want) {
		t.Errorf("String() = %v, want %v", got, want)
	}
}
