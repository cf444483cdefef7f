package tikisim_test

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

	"github.com/vnstream/connector/pkg/source/tiki"
	"github.com/vnstream/connector/pkg/source/tiki/tikisim"
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

func TestFailNext(t *testing.T) {
	sim := tikisim.New(testClientID, testSecret)
	for i := range 5 {
		sim.Create("1", t0.Add(time.Duration(i)*time.Second))
	}
	c := serve(t, sim)
	normal := c.get(listParams...)
	decodePage(t, normal, "data")

	sim.FailNext(tikisim.FaultRateLimit, 2)
	sim.FailNext(tikisim.FaultServerError, 1)
	sim.FailNext(tikisim.FaultMalformed, 1)
	sim.FailNext(tikisim.FaultHTML, 1)
	sim.FailNext(tikisim.FaultNone, 1)
	sim.FailNext(tikisim.FaultHTML, 0)

	for range 2 {
		r := c.get(listParams...)
		if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "1" || errorCode(r.body) == "" || r.header.Get("Content-Type") != "application/json" {
			t.Errorf("rate limit: %d %v %s", r.status, r.header, r.body)
		}
	}
	if r := c.get(listParams...); r.status != http.StatusInternalServerError || errorCode(r.body) == "" || r.header.Get("Content-Type") != "application/json" {
		t.Errorf("server error: %d %v %s", r.status, r.header, r.body)
	}
	r := c.get(listParams...)
	if r.status != http.StatusOK || json.Valid(r.body) || !bytes.HasPrefix(normal.body, r.body) {
		t.Errorf("malformed: %d %s, want 200 with a prefix of %s", r.status, r.body, normal.body)
	}
	if arr := bytes.Index(r.body, []byte(`"data":[`)); arr < 0 || len(r.body) <= arr+len(`"data":[`) {
		t.Errorf("malformed body %s is not cut inside the records array", r.body)
	}
	r = c.get(listParams...)
	if r.status != http.StatusBadGateway || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !bytes.Contains(r.body, []byte("<html>")) || json.Valid(r.body) {
		t.Errorf("html: %d %v %s", r.status, r.header, r.body)
	}
	for range 2 {
		if r := c.get(listParams...); !bytes.Equal(r.body, normal.body) {
			t.Errorf("after the queue: %d %s, want the normal answer", r.status, r.body)
		}
	}
	want := map[tikisim.Fault]int{tikisim.FaultRateLimit: 2, tikisim.FaultServerError: 1, tikisim.FaultMalformed: 1, tikisim.FaultHTML: 1}
	if st := sim.Stats(); st.Requests != 8 || st.Served != 3 || !mapsEqual(st.Faults, want) {
		t.Errorf("Stats %+v, want 8 requests, 3 served, faults %v", st, want)
	}
}

// mapsEqual compares fault counts, treating a missing kind as zero.
func mapsEqual(a, b map[tikisim.Fault]int) bool {
	for f := tikisim.FaultNone; f <= tikisim.FaultHTML; f++ {
		if a[f] != b[f] {
			return false
		}
	}
	return true
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
	sim.FailNext(tikisim.FaultServerError, 1)
	sim.SetFaultRates(tikisim.FaultRates{RateLimit: 1})

	wrong := *c
	wrong.secret = "wrong"
	if r := wrong.get(listParams...); r.status != http.StatusUnauthorized {
		t.Errorf("bad signature: %d, want 401 before any fault", r.status)
	}
	if r := c.get([2]string{"form_ids", "1"}, [2]string{"size", "0"}); r.status != http.StatusBadRequest {
		t.Errorf("bad size: %d, want 400 before any fault", r.status)
	}
	if r := c.get(listParams...); r.status != http.StatusInternalServerError {
		t.Errorf("first valid request: %d, want the queued 500 before random faults", r.status)
	}
	if r := c.get(listParams...); r.status != http.StatusTooManyRequests {
		t.Errorf("second valid request: %d, want the random 429", r.status)
	}
	want := map[tikisim.Fault]int{tikisim.FaultServerError: 1, tikisim.FaultRateLimit: 1}
	if st := sim.Stats(); st.AuthFailed != 1 || st.BadRequest != 1 || !mapsEqual(st.Faults, want) {
		t.Errorf("Stats %+v", st)
	}
}

func TestSlow(t *testing.T) {
	sim := tikisim.New(testClientID, testSecret)
	sim.Create("1", t0)
	sim.SetFaultRates(tikisim.FaultRates{SlowDelay: 200 * time.Millisecond})
	c := serve(t, sim)
	sim.FailNext(tikisim.FaultSlow, 1)
	start := time.Now()
	total, recs := decodePage(t, c.get(listParams...), "data")
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("slow answer after %v, want at least 200ms", d)
	}
	if total != 1 || len(recs) != 1 {
		t.Errorf("slow answer: total %d, %d records; want the normal page", total, len(recs))
	}
	if st := sim.Stats(); st.Served != 1 || st.Faults[tikisim.FaultSlow] != 1 {
		t.Errorf("Stats %+v", st)
	}
}

func TestSlowHonoursCancellation(t *testing.T) {
	sim := tikisim.New(testClientID, testSecret)
	sim.FailNext(tikisim.FaultSlow, 1) // the default delay: 2s
	srv := httptest.NewServer(sim)
	defer srv.Close() // closed again below; Close is idempotent
	c := &client{t: t, base: srv.URL, http: srv.Client(), clientID: testClientID, secret: testSecret, now: time.Now}

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	q := tiki.Query(listParams)
	start := time.Now()
	_, err := c.send(ctx, http.MethodGet, tikisim.ListPath+"?"+q, c.headers(time.Now().UnixMilli(), q))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want the client's deadline", err)
	}
	// Close waits for running handlers: it returns well before the 2s delay
	// only if the handler saw the cancellation.
	srv.Close()
	if d := time.Since(start); d > time.Second {
		t.Errorf("handler finished after %v, want it to stop when the request is cancelled", d)
	}
	if st := sim.Stats(); st.Served != 0 || st.Faults[tikisim.FaultSlow] != 1 {
		t.Errorf("Stats %+v, want the slow fault counted and nothing served", st)
	}
}

// outcome classifies an answer by fault.
func outcome(t *testing.T, r reply) tikisim.Fault {
	t.Helper()
	switch {
	case r.status == http.StatusTooManyRequests:
		return tikisim.FaultRateLimit
	case r.status == http.StatusInternalServerError:
		return tikisim.FaultServerError
	case r.status == http.StatusBadGateway:
		return tikisim.FaultHTML
	case r.status == http.StatusOK && !json.Valid(r.body):
		return tikisim.FaultMalformed
	case r.status == http.StatusOK:
		return tikisim.FaultNone
	}
	t.Fatalf("unexpected answer %d %s", r.status, r.body)
	return tikisim.FaultNone
}

func TestFaultRates(t *testing.T) {
	const n = 1000
	rates := tikisim.FaultRates{RateLimit: 0.10, ServerError: 0.05, Slow: 0.05, Malformed: 0.05, HTML: 0.05, SlowDelay: time.Millisecond, Seed: 7}
	run := func(seed int64) ([]tikisim.Fault, tikisim.Stats) {
		sim := tikisim.New(testClientID, testSecret)
		sim.Create("1", t0)
		r := rates
		r.Seed = seed
		sim.SetFaultRates(r)
		c := serve(t, sim)
		seq := make([]tikisim.Fault, n)
		for i := range seq {
			seq[i] = outcome(t, c.get(listParams...))
		}
		return seq, sim.Stats()
	}
	seq, st := run(7)
	counts := map[tikisim.Fault]int{}
	for _, f := range seq {
		counts[f]++
	}
	for f, p := range map[tikisim.Fault]float64{
		tikisim.FaultRateLimit: rates.RateLimit, tikisim.FaultServerError: rates.ServerError, tikisim.FaultSlow: rates.Slow,
		tikisim.FaultMalformed: rates.Malformed, tikisim.FaultHTML: rates.HTML,
	} {
		// Within five standard deviations of the binomial mean.
		if got, mean := st.Faults[f], p*n; math.Abs(float64(got)-mean) > 5*math.Sqrt(mean*(1-p)) {
			t.Errorf("%v: %d of %d requests, want about %.0f", f, got, n, mean)
		}
		if f != tikisim.FaultSlow && counts[f] != st.Faults[f] {
			t.Errorf("%v: %d answers look like it, Stats says %d", f, counts[f], st.Faults[f])
		}
	}
	if st.Served != counts[tikisim.FaultNone] || st.Requests != n {
		t.Errorf("Stats %+v, %d normal answers", st, counts[tikisim.FaultNone])
	}
	again, _ := run(7)
	if !slices.Equal(seq, again) {
		t.Errorf("the same seed gave different faults")
	}
	if other, _ := run(8); slices.Equal(seq, other) {
		t.Errorf("seeds 7 and 8 gave the same faults")
	}
}

func TestSetFaultRatesPanics(t *testing.T) {
	for _, r := range []tikisim.FaultRates{{RateLimit: -0.1}, {HTML: 1.5}, {Slow: math.NaN()}, {SlowDelay: -time.Second}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("SetFaultRates(%+v) did not panic", r)
				}
			}()
			tikisim.New("x", "y").SetFaultRates(r)
		}()
	}
}

func TestFaultString(t *testing.T) {
	var got []string
	for f := tikisim.FaultNone; f <= tikisim.FaultHTML+1; f++ {
		got = append(got, f.String())
	}
	want := []string{"none", "rate_limit", "server_error", "slow", "malformed", "html", "Fault(" + strconv.Itoa(int(tikisim.FaultHTML+1)) + ")"}
	if !slices.Equal(got, want) {
		t.Errorf("String() = %v, want %v", got, want)
	}
}
