package tiki_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vnstream/connector/pkg/fetch"
	"github.com/vnstream/connector/pkg/poll"
	tikisim "github.com/vnstream/connector/pkg/sim/tiki"
	"github.com/vnstream/connector/pkg/source"
	"github.com/vnstream/connector/pkg/source/sourcetest"
	"github.com/vnstream/connector/pkg/source/tiki"
)

func newSource(t *testing.T, clk *sourcetest.Clock, cfg tiki.Settings, opts ...tikisim.Option) (*tiki.Source, *tikisim.Sim) {
	t.Helper()
	sim := tikisim.New("cid", "csecret", append([]tikisim.Option{tikisim.WithClock(clk.Now)}, opts...)...)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	cfg.BaseURL = srv.URL
	cfg.ClientID = "cid"
	cfg.ClientSecret = "csecret"
	if cfg.FormIDs == nil {
		cfg.FormIDs = []string{"1"}
	}
	if cfg.PageSize == 0 {
		cfg.PageSize = 3
	}
	if cfg.MaxWindowRecords == 0 {
		cfg.MaxWindowRecords = 1000
	}
	client := fetch.NewClient(fetch.Config{Source: "t", RateLimit: 1e6, BackoffInitial: time.Millisecond, BackoffMax: time.Millisecond})
	return tiki.New("t", cfg, client, poll.WithClock(clk.Now)), sim
}

func ids(recs []source.Record) string {
	var b []string
	for _, r := range recs {
		b = append(b, r.Value.(*tiki.FormResponse).ID+string(r.Op))
	}
	return strings.Join(b, " ")
}

func TestWindowWalkTiesAndIDLengths(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	clk := sourcetest.NewClock(t0.Add(time.Hour))
	s, sim := newSource(t, clk, tiki.Settings{Windowing: poll.Windowing{StartTime: t0, Window: 10 * time.Minute, Lag: 2 * time.Second, Overlap: 5 * time.Second}})
	tie := t0.Add(10 * time.Minute) // exactly on the first window's end
	for _, r := range []tikisim.Response{
		{ID: "1000", FormID: "1", CreatedAt: tie},
		{ID: "99", FormID: "1", CreatedAt: tie},
		{ID: "100", FormID: "1", CreatedAt: tie},
		{ID: "9", FormID: "1", CreatedAt: t0.Add(time.Minute)},
		{ID: "101", FormID: "1", CreatedAt: tie},
		{ID: "1001", FormID: "1", CreatedAt: t0.Add(25 * time.Minute)},
		{ID: "5", FormID: "2", CreatedAt: t0.Add(time.Minute)}, // another form: not read
	} {
		sim.Add(r)
	}
	recs, off := sourcetest.Drain(t, s, nil)
	if got, want := ids(recs), "9r 99r 100r 101r 1000r 1001r"; got != want {
		t.Fatalf("backfill emitted %q, want %q", got, want)
	}

	// Nothing new: polls emit nothing, even though the overlap re-reads.
	recs, off = sourcetest.Drain(t, s, off)
	if len(recs) != 0 {
		t.Fatalf("re-read emitted %q", ids(recs))
	}

	// A new response, and a late one stamped inside the overlap.
	clk.Add(time.Minute)
	var cur poll.Cursor
	_ = json.Unmarshal(off, &cur)
	sim.Add(tikisim.Response{ID: "2000", FormID: "1", CreatedAt: clk.Now().Add(-10 * time.Second)})
	sim.Add(tikisim.Response{ID: "1500", FormID: "1", CreatedAt: cur.Watermark.Add(-3 * time.Second)})
	recs, _ = sourcetest.Drain(t, s, off)
	if got, want := ids(recs), "1500c 2000c"; got != want {
		t.Fatalf("stream emitted %q, want %q", got, want)
	}
}

func TestWindowHalvesWhenFull(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	clk := sourcetest.NewClock(t0.Add(2 * time.Hour))
	s, sim := newSource(t, clk, tiki.Settings{Windowing: poll.Windowing{StartTime: t0, Window: time.Hour, Lag: time.Second, Overlap: time.Second, MaxWindowRecords: 10}, PageSize: 4})
	for i := range 100 {
		sim.Create("1", t0.Add(time.Duration(i)*30*time.Second))
	}
	var all []source.Record
	var off source.Offset
	for range 200 {
		recs, next, more, err := s.Poll(context.Background(), off)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) > 10 {
			t.Fatalf("one poll returned %d records, above max_window_records", len(recs))
		}
		all, off = append(all, recs...), next
		if !more {
			break
		}
	}
	if len(all) != 100 {
		t.Fatalf("%d records, want 100", len(all))
	}
	for i := 1; i < len(all); i++ {
		if source.CompareIDs(all[i-1].Value.(*tiki.FormResponse).ID, all[i].Value.(*tiki.FormResponse).ID) >= 0 {
			t.Fatalf("records out of order at %d", i)
		}
	}
}

func TestPollErrorsNameTheProblem(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	clk := sourcetest.NewClock(t0.Add(time.Hour))
	s, sim := newSource(t, clk, tiki.Settings{Windowing: poll.Windowing{StartTime: t0, Window: time.Hour, Lag: time.Second, Overlap: time.Second}})
	sim.Create("1", t0.Add(time.Minute))
	for _, tc := range []struct {
		fault tikisim.Fault
		n     int // the HTTP client tries a 5xx or a cut body five times
		want  string
	}{
		{tikisim.FaultMalformed, 5, "response is not the documented JSON"},
		{tikisim.FaultHTML, 5, "http_5xx (HTTP 502)"},
	} {
		sim.FailNext(tc.fault, tc.n)
		_, _, _, err := s.Poll(context.Background(), nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "source t: GET") {
			t.Errorf("%v: Poll error = %v, want %q", tc.fault, err, tc.want)
		}
		if strings.Contains(err.Error(), "csecret") {
			t.Errorf("error leaks the secret: %v", err)
		}
	}
	if _, _, _, err := s.Poll(context.Background(), nil); err != nil {
		t.Fatalf("after the faults: %v", err)
	}
	// One cut page costs one request, not the poll.
	sim.FailNext(tikisim.FaultMalformed, 1)
	if recs, _, _, err := s.Poll(context.Background(), nil); err != nil || len(recs) != 1 {
		t.Fatalf("after one cut page: %d records, %v", len(recs), err)
	}
}

func TestBadSignatureIsAnAuthError(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	clk := sourcetest.NewClock(t0.Add(time.Hour))
	sim := tikisim.New("cid", "other-secret", tikisim.WithClock(clk.Now))
	srv := httptest.NewServer(sim)
	defer srv.Close()
	cfg := tiki.Settings{BaseURL: srv.URL, ClientID: "cid", ClientSecret: "csecret", FormIDs: []string{"1"}, PageSize: 10,
		Windowing: poll.Windowing{StartTime: t0, Window: time.Hour, Lag: time.Second, Overlap: time.Second, MaxWindowRecords: 10}}
	s := tiki.New("t", cfg, fetch.NewClient(fetch.Config{Source: "t", RateLimit: 1e6}), poll.WithClock(clk.Now))
	_, _, _, err := s.Poll(context.Background(), nil)
	if fetch.ReasonOf(err) != fetch.ReasonAuth {
		t.Fatalf("Poll = %v, want an auth error", err)
	}
}

// TestUndecodableRecords: a record that cannot be decoded still becomes a
// Record, with its JSON as sent, the error, and its key when its id can be
// read; the good records of the page go on, and paging goes on below the
// lowest id, whichever record it is on.
func TestUndecodableRecords(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	clk := sourcetest.NewClock(t0.Add(2 * time.Hour))
	bad := `{"id":"12","form_id":7.5,"created_at":"2026-03-01T00:10:00Z","inputs":{}}`
	noID := `{"form_id":"1","created_at":"2026-03-01T00:10:00Z"}`
	srv, requests := sourcetest.Scripted(t,
		`{"data":{"total":4,"data":[{"id":"13","form_id":"1","created_at":"2026-03-01T00:20:00Z","inputs":{"a":1},"utm":"x"},`+bad+`,`+noID+`,{"id":11,"form_id":"1","created_at":"2026-03-01T00:05:00Z","inputs":{}}]}}`,
		`{"data":{"total":4,"data":[]}}`)
	cfg := tiki.Settings{BaseURL: srv.URL, ClientID: "cid", ClientSecret: "csecret", FormIDs: []string{"1"}, PageSize: 10,
		Windowing: poll.Windowing{StartTime: t0, Window: time.Hour, Lag: time.Second, Overlap: time.Second, MaxWindowRecords: 100}}
	s := tiki.New("t", cfg, fetch.NewClient(fetch.Config{Source: "t", RateLimit: 1e6}), poll.WithClock(clk.Now))
	recs, _, _, err := s.Poll(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 {
		t.Fatalf("%d records, want 4", len(recs))
	}
	var good []string
	for _, r := range recs {
		switch {
		case r.Err == nil:
			v := r.Value.(*tiki.FormResponse)
			if r.Key.(*tiki.Key).ID != v.ID || r.Raw != nil {
				t.Errorf("record %s: key %v, raw %s; want no raw JSON kept for a converted record", v.ID, r.Key, r.Raw)
			}
			good = append(good, v.ID)
		case string(r.Raw) == bad:
			if k, ok := r.Key.(*tiki.Key); !ok || k.ID != "12" || r.Value != nil || !strings.Contains(r.Err.Error(), "form response 12: form_id 7.5 is not a decimal number") {
				t.Errorf("bad record: key %v, value %v, err %v", r.Key, r.Value, r.Err)
			}
		case string(r.Raw) == noID:
			if r.Key != nil || r.Value != nil || !strings.Contains(r.Err.Error(), "form response (id unknown): id is missing") {
				t.Errorf("record without an id: key %v, value %v, err %v", r.Key, r.Value, r.Err)
			}
		default:
			t.Errorf("unexpected record %s: %v", r.Raw, r.Err)
		}
	}
	if strings.Join(good, " ") != "11 13" {
		t.Errorf("good records %v, want 11 13 in id order", good)
	}
	if n := len(requests()); n != 2 {
		t.Fatalf("%d requests, want 2 (the page and the empty one below it)", n)
	}
}
