package interits_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vnstream/connector/pkg/config"
	"github.com/vnstream/connector/pkg/fetch"
	"github.com/vnstream/connector/pkg/poll"
	znssim "github.com/vnstream/connector/pkg/sim/zns"
	"github.com/vnstream/connector/pkg/source"
	"github.com/vnstream/connector/pkg/source/interits"
	"github.com/vnstream/connector/pkg/source/sourcetest"
	"github.com/vnstream/connector/pkg/source/zns"
)

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
			srv, requests := sourcetest.Scripted(t, `{"messages":[],"paging":{"next":"c1"}}`, `{"messages":[],"paging":{"next":""}}`)
			cfg := zns.Settings{BaseURL: srv.URL + tc.base, APIKey: "its-key", OAID: tc.oaID, PageSize: 50, Windowing: poll.Windowing{StartTime: t0, Window: time.Hour, Lag: 2 * time.Second, Overlap: time.Minute, MaxWindowRecords: 100}}
			s := interits.New("its", cfg, fetch.NewClient(fetch.Config{Source: "its", RateLimit: 1e6}), poll.WithClock(now))
			if _, _, _, err := s.Poll(context.Background(), nil); err != nil {
				t.Fatal(err)
			}
			got := requests()
			if len(got) != 2 {
				t.Fatalf("%d requests, want 2 (the second after c1)", len(got))
			}
			for i, after := range []string{"", `,"after":"c1"`} {
				r := got[i]
				if r.Method != http.MethodPost || r.Path != interits.Path || r.Header.Get("API-KEY") != "its-key" ||
					r.Header.Get("Content-Type") != "application/json" || r.Header.Get("Authorization") != "" {
					t.Errorf("request %d: %s %s %v", i, r.Method, r.Path, r.Header)
				}
				if want := `{` + tc.filter + `,"paging":{"limit":50` + after + `}}`; r.Body != want {
					t.Errorf("request %d body\n%s\nwant\n%s", i, r.Body, want)
				}
				if strings.Contains(r.Body, "time_type") {
					t.Errorf("InterITS does not document time_type, yet it is sent: %s", r.Body)
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
		reason fetch.Reason
	}{{"its-key", ""}, {"stolen-key", fetch.ReasonAuth}} {
		cfg := zns.Settings{BaseURL: srv.URL, APIKey: config.Secret(tc.key), PageSize: 2, Windowing: poll.Windowing{StartTime: t0, Window: time.Hour, Lag: 2 * time.Second, Overlap: time.Minute, MaxWindowRecords: 100}}
		s := interits.New("its", cfg, fetch.NewClient(fetch.Config{Source: "its", RateLimit: 1e6}), poll.WithClock(now))
		recs, _, _, err := s.Poll(context.Background(), nil)
		if tc.reason != "" {
			if fetch.ReasonOf(err) != tc.reason || strings.Contains(err.Error(), tc.key) {
				t.Errorf("key %s: Poll = %v, want %s without the key", tc.key, err, tc.reason)
			}
			continue
		}
		if err != nil || len(recs) != len(want) {
			t.Fatalf("Poll = %d records, %v", len(recs), err)
		}
		for i, r := range recs {
			m := r.Value.(*zns.Message)
			if m.ID != want[i] || r.Key.(*zns.Key).ID != want[i] || r.Op != source.OpRead || m.ZlUserID != nil || m.RequestTime != nil {
				t.Errorf("record %d: %+v, want id %s read", i, m, want[i])
			}
		}
	}
}
