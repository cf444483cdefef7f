package fault_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vnstream/connector/pkg/sim/fault"
)

// call is one call of an ErrorWriter.
type call struct {
	fault  fault.Fault
	status int
}

func TestWrite(t *testing.T) {
	for _, c := range []struct {
		fault  fault.Fault
		page   bool // Write returns true: the request gets its page
		vendor *call
		status int
	}{
		{fault.None, true, nil, 0},
		{fault.RateLimit, false, &call{fault.RateLimit, http.StatusTooManyRequests}, http.StatusTooManyRequests},
		{fault.ServerError, false, &call{fault.ServerError, http.StatusInternalServerError}, http.StatusInternalServerError},
		{fault.VendorError, false, &call{fault.VendorError, http.StatusOK}, http.StatusOK},
		{fault.HTML, false, nil, http.StatusBadGateway},
		{fault.Slow, true, nil, 0},
		{fault.Malformed, true, nil, 0},
		{fault.EmptyPage, true, nil, 0},
		{fault.StuckCursor, true, nil, 0},
		{fault.TrailingComma, true, nil, 0},
	} {
		t.Run(c.fault.String(), func(t *testing.T) {
			rec := httptest.NewRecorder()
			var got *call
			vendor := func(w http.ResponseWriter, f fault.Fault, status int) {
				got = &call{f, status}
				w.WriteHeader(status)
			}
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			if page := fault.Write(rec, r, c.fault, time.Millisecond, vendor); page != c.page {
				t.Errorf("Write() = %v, want %v", page, c.page)
			}
			if (got == nil) != (c.vendor == nil) || got != nil && *got != *c.vendor {
				t.Errorf("vendor writer called with %+v, want %+v", got, c.vendor)
			}
			if c.page {
				if rec.Body.Len() != 0 || len(rec.Header()) != 0 {
					t.Errorf("wrote %v %q, want nothing before the page", rec.Header(), rec.Body)
				}
				return
			}
			if rec.Code != c.status {
				t.Errorf("status %d, want %d", rec.Code, c.status)
			}
			if ra := rec.Header().Get("Retry-After"); (ra == "1") != (c.fault == fault.RateLimit) {
				t.Errorf("Retry-After %q", ra)
			}
		})
	}
}

func TestWriteHTML(t *testing.T) {
	rec := httptest.NewRecorder()
	vendor := func(http.ResponseWriter, fault.Fault, int) { t.Error("the vendor writer answered HTML") }
	fault.Write(rec, httptest.NewRequest(http.MethodGet, "/", nil), fault.HTML, 0, vendor)
	body := rec.Body.Bytes()
	if rec.Code != http.StatusBadGateway || rec.Header().Get("Content-Type") != "text/html; charset=utf-8" ||
		!bytes.Contains(body, []byte("<html>")) || !strings.Contains(string(body), "502 Bad Gateway") || json.Valid(body) {
		t.Errorf("html: %d %v %s", rec.Code, rec.Header(), body)
	}
}

func TestSlowWaits(t *testing.T) {
	start := time.Now()
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	if !fault.Write(httptest.NewRecorder(), r, fault.Slow, 100*time.Millisecond, nil) {
		t.Error("Write() = false, want the page after the wait")
	}
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Errorf("answered after %v, want at least 100ms", d)
	}
}

func TestSlowHonoursCancellation(t *testing.T) {
	page := make(chan bool, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page <- fault.Write(w, r, fault.Slow, fault.DefaultSlowDelay, nil)
	}))
	defer srv.Close() // closed again below; Close is idempotent
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := srv.Client().Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want the client's deadline", err)
	}
	// Close waits for running handlers: it returns well before the 2s
	// delay only if the handler saw the cancellation.
	srv.Close()
	if d := time.Since(start); d > time.Second {
		t.Errorf("handler finished after %v, want it to stop when the request is cancelled", d)
	}
	if <-page {
		t.Error("Write() = true for a cancelled request, want false")
	}
}

func TestTruncate(t *testing.T) {
	body := []byte(`{"data":[1,2,3,4]}`)
	start, end := len(`{"data":[`), len(body)-len("]}")
	if got := string(fault.Truncate(body, start, end)); got != `{"data":[1,2` {
		t.Errorf("Truncate() = %s, want the body cut halfway through the array", got)
	}
	if got := string(fault.Truncate([]byte(`{"data":[]}`), start, start)); got != `{"data":[` {
		t.Errorf("Truncate() of an empty array = %s", got)
	}
}

func TestServe(t *testing.T) {
	in := fault.New("test", fault.RateLimit, fault.Malformed, fault.StuckCursor, fault.TrailingComma)
	ctl := in.Controls()
	for _, f := range []fault.Fault{fault.None, fault.RateLimit, fault.Malformed, fault.StuckCursor, fault.TrailingComma} {
		ctl.FailNext(f, 1)
	}
	body := `{"data":[1,2,3,4],"next":"x"}`
	start, end := len(`{"data":[`), len(`{"data":[1,2,3,4`)
	for _, want := range []struct {
		status int
		body   string
	}{{200, body}, {429, "limited"}, {200, `{"data":[1,2`}, {200, body + " stuck_cursor"}, {200, body + " trailing_comma"}} {
		rec := httptest.NewRecorder()
		vendor := func(w http.ResponseWriter, _ fault.Fault, status int) {
			w.WriteHeader(status)
			_, _ = w.Write([]byte("limited"))
		}
		in.Serve(rec, httptest.NewRequest(http.MethodGet, "/", nil), vendor, func(f fault.Fault, b []byte) ([]byte, int, int) {
			// b is empty: the last answer's buffer, reused.
			if f == fault.StuckCursor || f == fault.TrailingComma {
				return append(b, body+" "+f.String()...), start, end
			}
			return append(b, body...), start, end
		})
		if rec.Code != want.status || rec.Body.String() != want.body {
			t.Errorf("answered %d %s, want %d %s", rec.Code, rec.Body, want.status, want.body)
		}
		if want.status == 200 && rec.Header().Get("Content-Type") != "application/json" {
			t.Errorf("Content-Type %q", rec.Header().Get("Content-Type"))
		}
	}
	// Served: the normal page and the stuck cursor's, not the cut one nor
	// the one with trailing commas.
	if st := ctl.Stats(); st.Served != 2 {
		t.Errorf("Stats().Served = %d, want 2", st.Served)
	}
}
