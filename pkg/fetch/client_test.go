package fetch

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-json-experiment/json"
)

// server answers with the statuses in order, then 200 {"ok":true}.
func server(t *testing.T, statuses ...int) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		if i < len(statuses) {
			if statuses[i] == http.StatusTooManyRequests {
				w.Header().Set("Retry-After", "1")
			}
			w.WriteHeader(statuses[i])
			_, _ = w.Write([]byte(`{"error":"nope"}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// do is the client's answer to the request build makes: the body of a
// 2xx answer, decoded by nothing, copied as DoJSON asks.
func do(c *Client, build func(ctx context.Context) (*http.Request, error)) ([]byte, error) {
	var body []byte
	err := c.DoJSON(context.Background(), build, func(b []byte) error {
		body = bytes.Clone(b)
		return nil
	})
	return body, err
}

// A decoder that keeps the body it was lent instead of a copy finds it
// zeroed once DoJSON returns, never another answer's bytes.
func TestClientLendsTheBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"page":"` + r.URL.Query().Get("p") + `"}`))
	}))
	defer srv.Close()
	c := NewClient(Config{Source: "s", RateLimit: 1000})
	var kept [][]byte
	for _, p := range []string{"1", "2", "3"} {
		err := c.DoJSON(context.Background(), get(srv.URL+"/?p="+p), func(b []byte) error {
			if want := `{"page":"` + p + `"}`; string(b) != want {
				t.Errorf("decode was lent %q, want %q", b, want)
			}
			kept = append(kept, b)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for i, b := range kept {
		if len(b) != len(`{"page":"1"}`) || bytes.Count(b, []byte{0}) != len(b) {
			t.Errorf("body %d kept past decode reads %q, want NUL bytes only", i+1, b)
		}
	}
}

func get(url string) func(ctx context.Context) (*http.Request, error) {
	return func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	}
}

func TestClientRetries(t *testing.T) {
	for _, tc := range []struct {
		name     string
		statuses []int
		attempts int32
		reason   Reason // "" for success
		minWait  time.Duration
	}{
		{"5xx then ok", []int{500, 503}, 3, "", 0},
		{"408 then ok", []int{408}, 2, "", 0},
		{"429 honours Retry-After", []int{429}, 2, "", time.Second},
		{"401 not retried", []int{401}, 1, ReasonAuth, 0},
		{"404 not retried", []int{404}, 1, ReasonHTTP4xx, 0},
		{"gives up after max attempts", []int{500, 500, 500, 500}, 3, ReasonHTTP5xx, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, n := server(t, tc.statuses...)
			var failures []Reason
			c := NewClient(Config{Source: "s1", MaxAttempts: 3, BackoffInitial: time.Millisecond, BackoffMax: 5 * time.Millisecond,
				RateLimit: 1000, OnFailure: func(r Reason) { failures = append(failures, r) }})
			start := time.Now()
			body, err := do(c, get(srv.URL+"/list?page=1"))
			if got := n.Load(); got != tc.attempts {
				t.Errorf("%d attempts, want %d", got, tc.attempts)
			}
			if tc.reason == "" {
				if err != nil || string(body) != `{"ok":true}` {
					t.Fatalf("Do = %s, %v", body, err)
				}
			} else if ReasonOf(err) != tc.reason || !strings.Contains(err.Error(), "source s1: GET "+srv.URL+"/list?page=1") {
				t.Fatalf("Do error = %v, want reason %s naming source and request", err, tc.reason)
			}
			if time.Since(start) < tc.minWait {
				t.Errorf("returned after %v, before Retry-After", time.Since(start))
			}
			if len(failures) != int(tc.attempts)-btoi(tc.reason == "") {
				t.Errorf("OnFailure called %d times for %d attempts", len(failures), tc.attempts)
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestClientCapsBodyAndRejectsHTML(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/html" {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write([]byte("<html><body>Bad gateway</body></html>"))
			return
		}
		_, _ = w.Write([]byte(strings.Repeat("x", 5000)))
	}))
	defer srv.Close()
	c := NewClient(Config{Source: "s", MaxBodyBytes: 4096, RateLimit: 1000})
	_, err := do(c, get(srv.URL+"/big"))
	if ReasonOf(err) != ReasonTooLarge || !strings.Contains(err.Error(), "4096-byte cap") {
		t.Fatalf("big body: %v", err)
	}
	_, err = do(c, get(srv.URL+"/html"))
	if ReasonOf(err) != ReasonDecode || !strings.Contains(err.Error(), "HTML instead of JSON") {
		t.Fatalf("html body: %v", err)
	}
}

func TestClientTimeoutAndNetworkErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(2 * time.Second):
		}
	}))
	defer srv.Close()
	c := NewClient(Config{Source: "s", Timeout: 50 * time.Millisecond, MaxAttempts: 2, BackoffInitial: time.Millisecond, RateLimit: 1000})
	if _, err := do(c, get(srv.URL)); ReasonOf(err) != ReasonTimeout {
		t.Fatalf("slow server: %v", err)
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	url := closed.URL
	closed.Close()
	if _, err := do(c, get(url)); ReasonOf(err) != ReasonNetwork {
		t.Fatalf("closed server: %v", err)
	}
}

func TestErrorsRedactSecretsInQuery(t *testing.T) {
	srv, _ := server(t, 400)
	c := NewClient(Config{Source: "s", RateLimit: 1000})
	_, err := do(c, get(srv.URL+"/x?access_token=SECRET1&appId=42&sign=SECRET2"))
	var e *Error
	if !errors.As(err, &e) {
		t.Fatal(err)
	}
	if strings.Contains(err.Error(), "SECRET") || !strings.Contains(err.Error(), "appId=42") {
		t.Fatalf("error leaks or hides too much: %v", err)
	}
}

func TestRetryAfterParsing(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for h, want := range map[string]time.Duration{
		"":                              0,
		"3":                             3 * time.Second,
		"0.5":                           500 * time.Millisecond,
		"Thu, 01 Jan 2026 00:00:10 GMT": 10 * time.Second,
		"soon":                          0,
		"99999":                         MaxRetryAfter,
	} {
		if got := retryAfter(h, now); got != want {
			t.Errorf("retryAfter(%q) = %v, want %v", h, got, want)
		}
	}
}

// TestClientRetriesMalformedJSON: a 2xx body that is not JSON at all is
// retried like a 5xx; JSON the decoder refuses for its content is not.
func TestClientRetriesMalformedJSON(t *testing.T) {
	type page struct {
		Data []int `json:"data"`
	}
	for _, tc := range []struct {
		name     string
		bodies   []string // answered in order, the last one from then on
		attempts int32
		reason   Reason // "" for success
	}{
		{"truncated then whole", []string{`{"data":[1,2`, `{"data":[1,2,3]}`}, 2, ""},
		{"garbage then whole", []string{`{"data":[1,}`, `{"data":[1,2,3]}`}, 2, ""},
		{"always truncated", []string{`{"data":[1,2`}, 3, ReasonDecode},
		{"wrong type not retried", []string{`{"data":"x"}`}, 1, ReasonDecode},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var n atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				i := min(int(n.Add(1))-1, len(tc.bodies)-1)
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(tc.bodies[i]))
			}))
			defer srv.Close()
			var failures []Reason
			c := NewClient(Config{Source: "s1", MaxAttempts: 3, BackoffInitial: time.Millisecond, BackoffMax: 5 * time.Millisecond,
				RateLimit: 1000, OnFailure: func(r Reason) { failures = append(failures, r) }})
			var p page
			err := c.DoJSON(context.Background(), get(srv.URL), func(b []byte) error { return json.Unmarshal(b, &p) })
			if got := n.Load(); got != tc.attempts {
				t.Errorf("%d requests, want %d", got, tc.attempts)
			}
			if tc.reason == "" {
				if err != nil || len(p.Data) != 3 {
					t.Fatalf("err %v, page %+v", err, p)
				}
				if len(failures) != 1 || failures[0] != ReasonDecode {
					t.Errorf("failures %v, want one decode", failures)
				}
				return
			}
			if ReasonOf(err) != tc.reason || !strings.Contains(err.Error(), "source s1: GET "+srv.URL) {
				t.Fatalf("err %v, want reason %s naming the request", err, tc.reason)
			}
			if tc.attempts > 1 && !strings.Contains(err.Error(), "after 3 attempts") {
				t.Errorf("err %v does not say it was tried 3 times", err)
			}
		})
	}
}

func TestDescribeNamesTheRequest(t *testing.T) {
	err := errors.Join(&Error{Source: "s1", Request: "POST http://h/x", Reason: ReasonHTTP5xx, Status: 502})
	if got := Describe(err, "POST http://h/x (window 1/2)").Error(); got != "source s1: POST http://h/x (window 1/2): http_5xx (HTTP 502)" {
		t.Fatalf("Describe: %s", got)
	}
	plain := errors.New("not a fetch error")
	if Describe(plain, "x") != plain {
		t.Fatal("Describe changed an error that is no *Error")
	}
}
