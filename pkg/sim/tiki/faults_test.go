package tikisim_test

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"testing"
	"time"

	"github.com/vnstream/connector/pkg/sim/fault"
	tikisim "github.com/vnstream/connector/pkg/sim/tiki"
)

// listParams is a valid list query for form 1.
var listParams = [][2]string{{"form_ids", "1"}, {"size", "10"}}

// errorCode returns the code of a JSON error body, or "" if it is not one.
func errorCode(body []byte) string {
	var e struct {
		Error struct{ Code, Message string }
	}
	if json.Unmarshal(body, &e) != nil || e.Error.Message == "" {
		return ""
	}
	return e.Error.Code
}

// panics reports whether f panics.
func panics(f func()) (panicked bool) {
	defer func() { panicked = recover() != nil }()
	f()
	return false
}

func TestFailNext(t *testing.T) {
	sim := tikisim.New(testClientID, testSecret)
	for i := range 5 {
		sim.Create("1", t0.Add(time.Duration(i)*time.Second))
	}
	sim.SetFaultRates(tikisim.FaultRates{SlowDelay: 100 * time.Millisecond})
	c := serve(t, sim)
	normal := c.get(listParams...)
	decodePage(t, normal, "data")

	for _, f := range []tikisim.Fault{tikisim.FaultRateLimit, tikisim.FaultServerError, tikisim.FaultMalformed, tikisim.FaultHTML, tikisim.FaultSlow} {
		sim.FailNext(f, 1)
	}

	r := c.get(listParams...)
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "1" || errorCode(r.body) != "TOO_MANY_REQUESTS" || r.header.Get("Content-Type") != "application/json" {
		t.Errorf("rate limit: %d %v %s", r.status, r.header, r.body)
	}
	if r := c.get(listParams...); r.status != http.StatusInternalServerError || errorCode(r.body) != "INTERNAL_SERVER_ERROR" || r.header.Get("Content-Type") != "application/json" {
		t.Errorf("server error: %d %v %s", r.status, r.header, r.body)
	}
	r = c.get(listParams...)
	if r.status != http.StatusOK || json.Valid(r.body) || !bytes.HasPrefix(normal.body, r.body) {
		t.Errorf("malformed: %d %s, want 200 with a prefix of %s", r.status, r.body, normal.body)
	}
	if arr := bytes.Index(r.body, []byte(`"data":[`)); arr < 0 || len(r.body) <= arr+len(`"data":[`) {
		t.Errorf("malformed body %s is not cut inside the records array", r.body)
	}
	r = c.get(listParams...)
	if r.status != http.StatusBadGateway || r.header.Get("Content-Type") != "text/html; charset=utf-8" || !bytes.Contains(r.body, []byte("<html>")) {
		t.Errorf("html: %d %v %s", r.status, r.header, r.body)
	}
	start := time.Now()
	if r := c.get(listParams...); !bytes.Equal(r.body, normal.body) || time.Since(start) < 100*time.Millisecond {
		t.Errorf("slow: %d %s after %v, want the normal answer after 100ms", r.status, r.body, time.Since(start))
	}
	want := map[tikisim.Fault]int{tikisim.FaultRateLimit: 1, tikisim.FaultServerError: 1, tikisim.FaultMalformed: 1, tikisim.FaultHTML: 1, tikisim.FaultSlow: 1}
	if st := sim.Stats(); st.Requests != 6 || st.Served != 2 || !maps.Equal(st.Faults, want) {
		t.Errorf("Stats %+v, want 6 requests, 2 served, faults %v", st, want)
	}
	if !panics(func() { sim.FailNext(fault.VendorError, 1) }) {
		t.Error("FailNext of a vendor error, which Tiki does not send, did not panic")
	}
}

func TestMalformedEmptyPage(t *testing.T) {
	sim := tikisim.New(testClientID, testSecret)
	c := serve(t, sim)
	sim.FailNext(tikisim.FaultMalformed, 1)
	r := c.get(listParams...)
	if r.status != http.StatusOK || json.Valid(r.body) || !bytes.HasPrefix([]byte(`{"data":{"total":0,"data":[]}}`), r.body) {
		t.Errorf("malformed empty page: %d %s", r.status, r.body)
	}
}

func TestFaultsOnlyAfterChecks(t *testing.T) {
	sim := tikisim.New(testClientID, testSecret)
	c := serve(t, sim)
	sim.SetFaultRates(tikisim.FaultRates{HTML: 1})
	wrong := *c
	wrong.secret = "wrong"
	if r := wrong.get(listParams...); r.status != http.StatusUnauthorized {
		t.Errorf("bad signature: %d, want 401 before any fault", r.status)
	}
	if r := c.get([2]string{"form_ids", "1"}, [2]string{"size", "0"}); r.status != http.StatusBadRequest {
		t.Errorf("bad size: %d, want 400 before any fault", r.status)
	}
	if r := c.get(listParams...); r.status != http.StatusBadGateway {
		t.Errorf("valid request: %d, want the random 502", r.status)
	}
	if st := sim.Stats(); st.AuthFailed != 1 || st.BadRequest != 1 || !maps.Equal(st.Faults, map[tikisim.Fault]int{tikisim.FaultHTML: 1}) {
		t.Errorf("Stats %+v", st)
	}
}
