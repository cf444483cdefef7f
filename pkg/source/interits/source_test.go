package interits_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vnstream/connector/pkg/config"
	"github.com/vnstream/connector/pkg/source"
	"github.com/vnstream/connector/pkg/source/interits"
	"github.com/vnstream/connector/pkg/source/zns/znssim"
)

// recorded is one request a scripted server received.
type recorded struct {
	method, path string
	header       http.Header
	body         string
}

// scripted answers the list call with a page whose next is "c1", then with
// the last page, and records every request.
func scripted(t *testing.T) (*httptest.Server, func() []recorded) {
	t.Helper()
	var mu sync.Mutex
	var got []recorded
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, recorded{r.Method, r.URL.Path, r.Header.Clone(), string(body)})
		first := len(got) == 1
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if first {
			_, _ = io.WriteString(w, `{"messages":[],"paging":{"next":"c1"}}`)
			return
		}
		_, _ = io.WriteString(w, `{"messages":[],"paging":{"next":""}}`)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []recorded { mu.Lock(); defer mu.Unlock(); return append([]recorded(nil), got...) }
}

func TestRequest(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	now := func() time.Time { return t0.Add(30 * time.Minute) }
	for _, tc := range []struct {
		name, base, oaID, filter string
	}{
		{"all OAs", "", "", `"filter":{"date_from":"2026-03-01T00:00:00Z","date_to":"2026-03-01T00:29:58Z"}`},
		{"one OA, base with a slash", "/", "4318529470172498734", `"filter":{"date_from":"2026-03-01T00:00:00Z","date_to":"2026-03-01T00:29:58Z","oa_id":"4318529470172498734"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, requests := scripted(t)
			cfg := config.InterITS{BaseURL: srv.URL + tc.base, APIKey: "its-key", OAID: tc.oaID, PageSize: 50,
				Windowing: config.Windowing{StartTime: t0, Window: time.Hour, Lag: 2 * time.Second, Overlap: time.Minute, MaxWindowRecords: 100}}
			s := interits.New("its", cfg, source.NewClient(source.ClientConfig{Source: "its", RateLimit: 1e6}), interits.WithClock(now))
			if _, _, _, err := s.Poll(context.Background(), nil); err != nil {
				t.Fatal(err)
			}
			got := requests()
			if len(got) != 2 {
				t.Fatalf("%d requests, want 2 (the second after c1)", len(got))
			}
			for i, after := range []string{"", `,"after":"c1"`} {
				r := got[i]
				if r.method != http.MethodPost || r.path != interits.Path || r.header.Get("API-KEY") != "its-key" ||
					r.header.Get("Content-Type") != "application/json" || r.header.Get("Authorization") != "" {
					t.Errorf("request %d: %s %s %v", i, r.method, r.path, r.header)
				}
				if want := `{` + tc.filter + `,"paging":{"limit":50` + after + `}}`; r.body != want {
					t.Errorf("request %d body\n%s\nwant\n%s", i, r.body, want)
				}
				if strings.Contains(r.body, "time_type") {
					t.Errorf("InterITS does not document time_type, yet it is sent: %s", r.body)
				}
			}
		})
	}
}

func TestAgainstSimulator(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	now := func() time.Time { return t0.Add(time.Hour) }
	sim := znssim.New(znssim.InterITS, "its-key", znssim.WithClock(now))
	srv := httptest.NewServer(sim)
	defer srv.Close()
	var want []string
	for i := range 5 {
		want = append(want, sim.Create(t0.Add(time.Duration(i)*time.Minute)).ID)
	}
	for _, tc := range []struct {
		key    string
		reason source.Reason
	}{{"its-key", ""}, {"stolen-key", source.ReasonAuth}} {
		cfg := config.InterITS{BaseURL: srv.URL, APIKey: config.Secret(tc.key), PageSize: 2,
			Windowing: config.Windowing{StartTime: t0, Window: time.Hour, Lag: 2 * time.Second, Overlap: time.Minute, MaxWindowRecords: 100}}
		s := interits.New("its", cfg, source.NewClient(source.ClientConfig{Source: "its", RateLimit: 1e6}), interits.WithClock(now))
		recs, _, _, err := s.Poll(context.Background(), nil)
		if tc.reason != "" {
			if source.ReasonOf(err) != tc.reason || strings.Contains(err.Error(), tc.key) {
				t.Errorf("key %s: Poll = %v, want %s without the key", tc.key, err, tc.reason)
			}
			continue
		}
		if err != nil || len(recs) != len(want) {
			t.Fatalf("Poll = %d records, %v", len(recs), err)
		}
		for i, r := range recs {
			m := r.Value.(*interits.Message)
			if m.ID != want[i] || r.Key.(*interits.Key).ID != want[i] || r.Op != source.OpRead || m.ZlUserID != nil || m.RequestTime != nil {
				t.Errorf("record %d: %+v, want id %s read", i, m, want[i])
			}
		}
	}
}
