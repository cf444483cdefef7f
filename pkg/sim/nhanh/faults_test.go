package nhanhsim_test

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vnstream/connector/pkg/sim/fault"
	nhanhsim "github.com/vnstream/connector/pkg/sim/nhanh"
)

func TestFailNext(t *testing.T) {
	sim := nhanhsim.New(testApp, testBusiness, testToken)
	for i := range 5 {
		sim.Create(t0.Add(time.Duration(i) * time.Second))
	}
	sim.SetFaultRates(nhanhsim.FaultRates{SlowDelay: 100 * time.Millisecond})
	c := serve(t, sim)
	first := listBody(2, "asc", "", "")
	normal := c.post(first)
	next, _ := decodePage(t, normal)
	later := listBody(2, "asc", next, "")
	normalLater := c.post(later)

	for _, f := range []nhanhsim.Fault{nhanhsim.FaultRateLimit, nhanhsim.FaultServerError, nhanhsim.FaultMalformed, nhanhsim.FaultHTML,
		nhanhsim.FaultVendorError, nhanhsim.FaultStuckCursor, nhanhsim.FaultStuckCursor, nhanhsim.FaultTrailingComma, nhanhsim.FaultSlow} {
		sim.FailNext(f, 1)
	}

	r := c.post(first)
	if e := decodeError(t, r, http.StatusTooManyRequests); e.ErrorCode != nhanhsim.CodeTooManyRequests || r.header.Get("Retry-After") != "1" {
		t.Errorf("rate limit: %v %s", r.header, r.body)
	}
	if e := decodeError(t, c.post(first), http.StatusInternalServerError); e.ErrorCode != nhanhsim.CodeInternal {
		t.Errorf("server error: %s", e.ErrorCode)
	}
	r = c.post(first)
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
	start := time.Now()
	if r := c.post(later); !bytes.Equal(r.body, normalLater.body) || time.Since(start) < 100*time.Millisecond {
		t.Errorf("slow: %d %s after %v, want the normal answer after 100ms", r.status, r.body, time.Since(start))
	}
	want := map[nhanhsim.Fault]int{nhanhsim.FaultRateLimit: 1, nhanhsim.FaultServerError: 1, nhanhsim.FaultMalformed: 1,
		nhanhsim.FaultHTML: 1, nhanhsim.FaultVendorError: 1, nhanhsim.FaultStuckCursor: 2, nhanhsim.FaultTrailingComma: 1, nhanhsim.FaultSlow: 1}
	if st := sim.Stats(); st.Requests != 11 || st.Served != 5 || !maps.Equal(st.Faults, want) {
		t.Errorf("Stats %+v, want 11 requests, 5 served, faults %v", st, want)
	}
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
	sim.SetFaultRates(nhanhsim.FaultRates{VendorError: 1})
	wrong := *c
	wrong.token = "wrong"
	if e := decodeError(t, wrong.post(listBody(10, "asc", "", "")), http.StatusOK); e.ErrorCode != nhanhsim.CodeInvalidAccessToken {
		t.Errorf("bad token: %s, want it before any fault", e.ErrorCode)
	}
	if e := decodeError(t, c.post(listBody(0, "asc", "", "")), http.StatusOK); e.ErrorCode != nhanhsim.CodeInvalidData {
		t.Errorf("bad size: %s, want it before any fault", e.ErrorCode)
	}
	if e := decodeError(t, c.post(listBody(10, "asc", "", "")), http.StatusOK); e.ErrorCode != nhanhsim.CodeSystemBusy {
		t.Errorf("valid request: %s, want the random vendor error", e.ErrorCode)
	}
	if st := sim.Stats(); st.AuthFailed != 1 || st.BadRequest != 1 || st.Served != 0 || !maps.Equal(st.Faults, map[nhanhsim.Fault]int{nhanhsim.FaultVendorError: 1}) {
		t.Errorf("Stats %+v", st)
	}
}

func TestPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"unsupported rate":  func() { nhanhsim.New("a", "b", "c").SetFaultRates(nhanhsim.FaultRates{EmptyPage: 0.1}) },
		"unsupported fault": func() { nhanhsim.New("a", "b", "c").FailNext(fault.EmptyPage, 1) },
		"nil clock":         func() { nhanhsim.WithClock(nil) },
		"zero page cap":     func() { nhanhsim.WithPageCap(0) },
		"zero expiry":       func() { nhanhsim.WithTokenExpiry(time.Time{}) },
		"no pages":          func() { nhanhsim.WithPages() },
		"empty page id":     func() { nhanhsim.WithPages("1", "") },
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
