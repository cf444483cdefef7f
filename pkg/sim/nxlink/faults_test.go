package nxlinksim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vnstream/connector/pkg/sim/fault"
	nxlinksim "github.com/vnstream/connector/pkg/sim/nxlink"
)

// panics reports whether f panics.
func panics(f func()) (panicked bool) {
	defer func() { panicked = recover() != nil }()
	f()
	return false
}

func TestFailNext(t *testing.T) {
	sim := nxlinksim.New(testAccessKey, testSecret, testTenant, testAppKey)
	for i := range 5 {
		sim.Create(t0.Add(time.Duration(i) * time.Second))
	}
	sim.SetFaultRates(nxlinksim.FaultRates{SlowDelay: 100 * time.Millisecond})
	c := serve(t, sim)
	body := query(10)
	normal := c.post(body)
	decodePage(t, normal)

	for _, f := range []nxlinksim.Fault{nxlinksim.FaultRateLimit, nxlinksim.FaultServerError, nxlinksim.FaultMalformed,
		nxlinksim.FaultHTML, nxlinksim.FaultVendorError, nxlinksim.FaultSlow} {
		sim.FailNext(f, 1)
	}

	code := func(r reply) int {
		var env envelope
		if json.Unmarshal(r.body, &env) != nil || env.Message == nil || len(env.TraceID) != 32 {
			return -1
		}
		return env.Code
	}
	if r := c.post(body); r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "1" || code(r) != nxlinksim.CodeTooManyRequests {
		t.Errorf("rate limit: %d %v %s", r.status, r.header, r.body)
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
	start := time.Now()
	if p, cs := decodePage(t, c.post(body)); len(cs) != 5 || p.Next != nil || time.Since(start) < 100*time.Millisecond {
		t.Errorf("slow: %d customers, next %s after %v; want the normal page after 100ms", len(cs), num(p.Next), time.Since(start))
	}
	want := map[nxlinksim.Fault]int{nxlinksim.FaultRateLimit: 1, nxlinksim.FaultServerError: 1, nxlinksim.FaultMalformed: 1,
		nxlinksim.FaultHTML: 1, nxlinksim.FaultVendorError: 1, nxlinksim.FaultSlow: 1}
	if st := sim.Stats(); st.Requests != 7 || st.Served != 2 || !maps.Equal(st.Faults, want) {
		t.Errorf("Stats %+v, want 7 requests, 2 served, faults %v", st, want)
	}
	if !panics(func() { sim.FailNext(fault.TrailingComma, 1) }) {
		t.Error("FailNext of a trailing comma, which NxLink does not send, did not panic")
	}
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
	sim.SetFaultRates(nxlinksim.FaultRates{RateLimit: 1})
	wrong := *c
	wrong.secret = "wrong"
	r, err := wrong.send(context.Background(), http.MethodPost, nxlinksim.QueryPath, wrong.headers(time.Now().UnixMilli(), []byte(query(5))), []byte(query(5)))
	if err != nil {
		t.Fatal(err)
	}
	vendorError(t, r, nxlinksim.CodeBadSign)
	vendorError(t, c.post(query(0)), nxlinksim.CodeBadParams)
	if r := c.post(query(5)); r.status != http.StatusTooManyRequests {
		t.Errorf("valid request: %d, want the random 429", r.status)
	}
	if st := sim.Stats(); st.AuthFailed != 1 || st.BadRequest != 1 || !maps.Equal(st.Faults, map[nxlinksim.Fault]int{nxlinksim.FaultRateLimit: 1}) {
		t.Errorf("Stats %+v", st)
	}
}
