package nxlink

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vnstream/connector/pkg/fetch"
	"github.com/vnstream/connector/pkg/poll"
)

// attempt is one request as it left the client.
type attempt struct {
	url    string
	header http.Header
	body   []byte
}

// recorder answers every request with its next canned answer and keeps
// what it was sent.
type recorder struct {
	mu       sync.Mutex
	attempts []attempt
	answers  []*http.Response
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts = append(r.attempts, attempt{req.URL.String(), req.Header.Clone(), body})
	resp := r.answers[0]
	if len(r.answers) > 1 {
		r.answers = r.answers[1:]
	}
	resp.Request = req
	return resp, nil
}

// exact returns the single value of the header sent under exactly name,
// without canonicalising it: the client sends the document's spelling.
func exact(h http.Header, name string) string {
	if v := h[name]; len(v) == 1 {
		return v[0]
	}
	return ""
}

func answer(status int, body string) *http.Response {
	return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(body))}
}

const emptyPage = `{"code":0,"message":null,"traceId":"t","data":{"paging":{"after":null,"before":null,"previous":null,"next":null},"customer_list":[]}}`

func TestRequest(t *testing.T) {
	win := poll.Window{From: time.Date(2024, 5, 7, 0, 0, 0, 0, time.UTC), To: time.Date(2024, 5, 7, 1, 0, 0, 0, time.UTC)}
	for _, tc := range []struct {
		name, zone string
		after      cursor
		want       string
	}{
		{"first page, UTC", "UTC", cursor{},
			`{"tenant_id":123,"app_key":"46oKF=os","start_time":"2024-05-07 00:00:00","end_time":"2024-05-07 01:00:00","limit":25}`},
		{"after an id, in Ho Chi Minh City", "Asia/Ho_Chi_Minh", cursor{id: 1021110718827683840, ok: true},
			`{"tenant_id":123,"app_key":"46oKF=os","start_time":"2024-05-07 07:00:00","end_time":"2024-05-07 08:00:00","limit":25,"after":1021110718827683840}`},
		{"largest id", "Asia/Shanghai", cursor{id: 9223372036854775807, ok: true},
			`{"tenant_id":123,"app_key":"46oKF=os","start_time":"2024-05-07 08:00:00","end_time":"2024-05-07 09:00:00","limit":25,"after":9223372036854775807}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{answers: []*http.Response{answer(http.StatusOK, emptyPage)}}
			clock := time.UnixMilli(1_700_000_000_123)
			s := newAPI("t", Settings{BaseURL: "https://api.example/", AccessKey: "fme2na3kdi3ki", AccessSecret: "sec",
				TenantID: 123, AppKey: "46oKF=os", TimeZone: tc.zone, PageSize: 25},
				fetch.NewClient(fetch.Config{Source: "t", RateLimit: 1e6, Transport: rec}),
				func() time.Time { return clock })
			if _, err := s.fetch(context.Background(), poll.Request{Window: win, Token: tc.after.token()}, tc.after); err != nil {
				t.Fatal(err)
			}
			got := rec.attempts[0]
			if got.url != "https://api.example/saas/cdp/openapi/customers/query" {
				t.Errorf("url %s", got.url)
			}
			if string(got.body) != tc.want {
				t.Errorf("body\n%s\nwant\n%s", got.body, tc.want)
			}
			want := map[string]string{
				"accessKey": "fme2na3kdi3ki", "ts": "1700000000123", "bizType": "2", "action": "mt",
				"Content-Type": "application/json", "sign": Sign("fme2na3kdi3ki", "sec", 1700000000123, []byte(tc.want)),
			}
			for name, v := range want {
				// Looked up by the exact name: the document's spelling is sent.
				if h := got.header[name]; len(h) != 1 || h[0] != v {
					t.Errorf("header %s = %q, want %q", name, h, v)
				}
			}
			if len(got.header) != len(want) {
				t.Errorf("headers %v, want only %v", got.header, want)
			}
		})
	}
}

// Every attempt signs the same body bytes with a fresh ts.
func TestRetrySignsAgain(t *testing.T) {
	rec := &recorder{answers: []*http.Response{answer(http.StatusBadGateway, `{}`), answer(http.StatusOK, emptyPage)}}
	var mu sync.Mutex
	clock := time.UnixMilli(1_700_000_000_000)
	now := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		clock = clock.Add(time.Second)
		return clock
	}
	s := newAPI("t", Settings{BaseURL: "https://api.example", AccessKey: "ak", AccessSecret: "sec", TenantID: 1,
		AppKey: "k", TimeZone: "UTC", PageSize: 50},
		fetch.NewClient(fetch.Config{Source: "t", RateLimit: 1e6, BackoffInitial: time.Millisecond, BackoffMax: time.Millisecond, Transport: rec}),
		now)
	win := poll.Window{From: time.Unix(0, 0), To: time.Unix(3600, 0)}
	if _, err := s.fetch(context.Background(), poll.Request{Window: win, Token: "5"}, cursor{id: 5, ok: true}); err != nil {
		t.Fatal(err)
	}
	if len(rec.attempts) != 2 {
		t.Fatalf("%d attempts, want 2", len(rec.attempts))
	}
	a, b := rec.attempts[0], rec.attempts[1]
	if !bytes.Equal(a.body, b.body) {
		t.Errorf("bodies differ:\n%s\n%s", a.body, b.body)
	}
	if exact(a.header, "ts") == exact(b.header, "ts") {
		t.Errorf("both attempts sent ts %s", exact(a.header, "ts"))
	}
	for _, at := range rec.attempts {
		ts, err := strconv.ParseInt(exact(at.header, "ts"), 10, 64)
		if err != nil || exact(at.header, "sign") != Sign("ak", "sec", ts, at.body) {
			t.Errorf("attempt with ts %s is not signed over its body", exact(at.header, "ts"))
		}
	}
}

// Errors describe the request without the secret, the app key or the sign.
func TestErrorsKeepSecrets(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		reason     fetch.Reason
		want       string
	}{
		{"auth code", `{"code":1003,"message":"Invalid signature","traceId":"abc123","data":null}`, fetch.ReasonAuth, `code 1003, message "Invalid signature", traceId "abc123"`},
		{"vendor code", `{"code":500,"message":"system busy","traceId":"f00d","data":null}`, fetch.ReasonVendor, `code 500, message "system busy", traceId "f00d"`},
		{"malformed", `{"code":0,"data":{"paging":{`, fetch.ReasonDecode, "response is not the documented JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{answers: []*http.Response{answer(http.StatusOK, tc.body)}}
			s := newAPI("src", Settings{BaseURL: "https://api.example", AccessKey: "ak", AccessSecret: "top-secret",
				TenantID: 77, AppKey: "app-key-secret", TimeZone: "UTC", PageSize: 50},
				fetch.NewClient(fetch.Config{Source: "src", RateLimit: 1e6, Transport: rec}), time.Now)
			win := poll.Window{From: time.Date(2024, 5, 7, 0, 0, 0, 0, time.UTC), To: time.Date(2024, 5, 7, 1, 0, 0, 0, time.UTC)}
			_, err := s.fetch(context.Background(), poll.Request{Window: win, Token: "42"}, cursor{id: 42, ok: true})
			if fetch.ReasonOf(err) != tc.reason || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %s mentioning %q", err, tc.reason, tc.want)
			}
			msg := err.Error()
			wantReq := `source src: POST https://api.example/saas/cdp/openapi/customers/query (tenant_id 77, start_time "2024-05-07 00:00:00", end_time "2024-05-07 01:00:00", after 42)`
			if !strings.HasPrefix(msg, wantReq) {
				t.Errorf("err %q does not start with %q", msg, wantReq)
			}
			sign := exact(rec.attempts[0].header, "sign")
			for _, secret := range []string{"top-secret", "app-key-secret", sign} {
				if strings.Contains(msg, secret) {
					t.Errorf("err leaks %q: %s", secret, msg)
				}
			}
		})
	}
}
