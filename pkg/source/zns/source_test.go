package zns_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vnstream/connector/pkg/config"
	"github.com/vnstream/connector/pkg/fetch"
	"github.com/vnstream/connector/pkg/poll"
	znssim "github.com/vnstream/connector/pkg/sim/zns"
	"github.com/vnstream/connector/pkg/source"
	"github.com/vnstream/connector/pkg/source/etelecom"
	"github.com/vnstream/connector/pkg/source/interits"
	"github.com/vnstream/connector/pkg/source/sourcetest"
	"github.com/vnstream/connector/pkg/source/zns"
)

const apiKey = "zns-test-key-never-echoed"

var dialects = []znssim.Dialect{znssim.InterITS, znssim.ETelecom}

// setup is what a test changes: the windowing, the page size, the OA
// filter, the key the source sends, and simulator options.
type setup struct {
	w        poll.Windowing
	pageSize int
	oaID     string
	key      string
	simOpts  []znssim.Option
}

// newSource starts a simulator of d behind a loopback server and returns
// the provider's source reading it through the real provider package.
func newSource(t *testing.T, d znssim.Dialect, clk *sourcetest.Clock, st setup) (*zns.Source, *znssim.Sim) {
	t.Helper()
	sim := znssim.New(d, apiKey, append([]znssim.Option{znssim.WithClock(clk.Now)}, st.simOpts...)...)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	if st.pageSize == 0 {
		st.pageSize = 3
	}
	if st.key == "" {
		st.key = apiKey
	}
	if st.w.Window == 0 {
		st.w.Window = 10 * time.Minute
	}
	if st.w.Lag == 0 {
		st.w.Lag = 2 * time.Second
	}
	if st.w.Overlap == 0 {
		st.w.Overlap = 5 * time.Second
	}
	if st.w.MaxWindowRecords == 0 {
		st.w.MaxWindowRecords = 1000
	}
	client := fetch.NewClient(fetch.Config{Source: "zns-test", RateLimit: 1e6, BackoffInitial: time.Millisecond, BackoffMax: time.Millisecond})
	if d == znssim.InterITS {
		cfg := zns.Settings{BaseURL: srv.URL, APIKey: config.Secret(st.key), OAID: st.oaID, PageSize: st.pageSize, Windowing: st.w}
		return interits.New("zns-test", cfg, client, poll.WithClock(clk.Now)), sim
	}
	cfg := zns.Settings{BaseURL: srv.URL + znssim.BasePath, APIKey: config.Secret(st.key), OAID: st.oaID, PageSize: st.pageSize, Windowing: st.w}
	return etelecom.New("zns-test", cfg, client, poll.WithClock(clk.Now)), sim
}

// summary renders records as "id@updated-second op" for comparisons.
func summary(recs []source.Record) string {
	var b []string
	for _, r := range recs {
		if r.Err != nil {
			b = append(b, "ERR("+r.Err.Error()+")")
			continue
		}
		m := r.Value.(*zns.Message)
		b = append(b, fmt.Sprintf("%s@%s%s", m.ID, m.UpdatedAt.Format("15:04:05.000"), r.Op))
	}
	return strings.Join(b, " ")
}

// checkSorted fails unless recs are in (updated_at, id) order.
func checkSorted(t *testing.T, recs []source.Record) {
	t.Helper()
	for i := 1; i < len(recs); i++ {
		a, b := recs[i-1].Value.(*zns.Message), recs[i].Value.(*zns.Message)
		if c := a.UpdatedAt.Compare(b.UpdatedAt); c > 0 || c == 0 && source.CompareIDs(a.ID, b.ID) >= 0 {
			t.Fatalf("records out of write order at %d: %s", i, summary(recs))
		}
	}
}

// checkMessage compares an emitted message with the simulator's record.
func checkMessage(t *testing.T, d znssim.Dialect, rec source.Record, want znssim.Record) {
	t.Helper()
	m, ok := rec.Value.(*zns.Message)
	if !ok || rec.Err != nil {
		t.Fatalf("record %s: value %T, err %v", want.ID, rec.Value, rec.Err)
	}
	if k := rec.Key.(*zns.Key); k.ID != want.ID || m.ID != want.ID {
		t.Errorf("id: key %q, value %q, want %q exactly", k.ID, m.ID, want.ID)
	}
	if !rec.Time.Equal(want.UpdatedAt) || !m.UpdatedAt.Equal(want.UpdatedAt) || !m.CreatedAt.Equal(want.CreatedAt) ||
		m.UpdatedAt.Location() != time.UTC || m.CreatedAt.Location() != time.UTC {
		t.Errorf("%s: times %v/%v (record %v), want %v/%v in UTC", want.ID, m.CreatedAt, m.UpdatedAt, rec.Time, want.CreatedAt, want.UpdatedAt)
	}
	for _, f := range []struct {
		name      string
		got       *string
		want      string
		omittable bool
	}{
		{"shop_id", m.ShopID, want.ShopID, false}, {"user_id", m.UserID, want.UserID, false}, {"oa_id", m.OAID, want.OAID, false},
		{"campaign_id", m.CampaignID, want.CampaignID, true}, {"phone", m.Phone, want.Phone, false},
		{"template_id", m.TemplateID, want.TemplateID, false}, {"delivery_status", m.DeliveryStatus, want.DeliveryStatus, false},
		{"template_data", m.TemplateData, string(want.TemplateData), false}, {"feedback", m.Feedback, string(want.Feedback), true},
		{"note", m.Note, want.Note, true}, {"msg_id", m.MsgID, want.MsgID, false},
	} {
		switch {
		case f.got == nil && f.omittable && f.want == "":
		case f.got == nil || *f.got != f.want:
			t.Errorf("%s: %s = %v, want %q", want.ID, f.name, f.got, f.want)
		}
	}
	if m.Rate == nil || *m.Rate != want.Rate || m.FeeMain == nil || *m.FeeMain != want.FeeMain {
		t.Errorf("%s: rate %v fee %v, want %d %d", want.ID, m.Rate, m.FeeMain, want.Rate, want.FeeMain)
	}
	if (m.DeliveryTime == nil) != want.DeliveryTime.IsZero() || m.DeliveryTime != nil && !m.DeliveryTime.Equal(want.DeliveryTime) {
		t.Errorf("%s: delivery_time %v, want %v", want.ID, m.DeliveryTime, want.DeliveryTime)
	}
	if (m.SubmitTime == nil) != want.SubmitTime.IsZero() || m.SubmitTime != nil && !m.SubmitTime.Equal(want.SubmitTime) {
		t.Errorf("%s: submit_time %v, want %v", want.ID, m.SubmitTime, want.SubmitTime)
	}
	eOnly := m.IsDevelopment != nil || m.ZlUserID != nil || m.RequestTime != nil
	if d == znssim.InterITS && eOnly {
		t.Errorf("%s: InterITS message has eTelecom-only fields: %v %v %v", want.ID, m.IsDevelopment, m.ZlUserID, m.RequestTime)
	}
	if d == znssim.ETelecom && (m.IsDevelopment == nil || m.ZlUserID == nil || *m.ZlUserID != want.ZlUserID || m.RequestTime == nil || !m.RequestTime.Equal(want.RequestTime)) {
		t.Errorf("%s: eTelecom-only fields %v %v %v", want.ID, m.IsDevelopment, m.ZlUserID, m.RequestTime)
	}
	if m.ExtraJSON != nil {
		t.Errorf("%s: extra_json %s, want none", want.ID, *m.ExtraJSON)
	}
}

func TestBackfillThenUpdates(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.String(), func(t *testing.T) {
			t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
			clk := sourcetest.NewClock(t0.Add(time.Hour))
			s, sim := newSource(t, d, clk, setup{w: poll.Windowing{StartTime: t0}})
			for i := range 20 {
				sim.Create(t0.Add(time.Duration(i)*90*time.Second + time.Duration(i)*time.Millisecond))
			}
			sim.Create(clk.Now().Add(-3 * time.Second)) // in the overlap the next poll re-reads
			want := sim.Records()
			recs, off := sourcetest.Drain(t, s, nil)
			if len(recs) != len(want) {
				t.Fatalf("backfill emitted %d records, want %d: %s", len(recs), len(want), summary(recs))
			}
			checkSorted(t, recs)
			numbers := 0
			for i, r := range recs {
				checkMessage(t, d, r, want[i])
				if r.Op != source.OpRead {
					t.Errorf("backfill record %s: op %s, want r", want[i].ID, r.Op)
				}
				if id := want[i].ID; strings.IndexByte("13579", id[len(id)-1]) >= 0 {
					numbers++ // InterITS's simulator sends these ids as JSON numbers
				}
			}
			if d == znssim.InterITS && numbers == 0 {
				t.Error("no id arrived as a JSON number; the test does not cover them")
			}

			// Nothing changed: the overlap re-reads the last message and
			// emits nothing.
			clk.Add(time.Minute)
			served := sim.Stats().Served
			if recs, off = sourcetest.Drain(t, s, off); len(recs) != 0 || sim.Stats().Served == served {
				t.Fatalf("re-read emitted %s", summary(recs))
			}

			// Three messages are delivered, one of them then seen and
			// rated before the next poll, and one message is new.
			clk.Add(10 * time.Minute)
			now := clk.Now()
			for _, r := range want[3:6] {
				if _, err := sim.Update(r.ID, now.Add(-40*time.Second)); err != nil {
					t.Fatal(err)
				}
			}
			for _, at := range []time.Duration{-30, -20} {
				if _, err := sim.Update(want[4].ID, now.Add(at*time.Second)); err != nil {
					t.Fatal(err)
				}
			}
			fresh := sim.Create(now.Add(-10 * time.Second))
			recs, off = sourcetest.Drain(t, s, off)
			byID := map[string]znssim.Record{}
			for _, r := range sim.Records() {
				byID[r.ID] = r
			}
			wantSummary := fmt.Sprintf("%s@%su %s@%su %s@%su %s@%sc", want[3].ID, now.Add(-40*time.Second).Format("15:04:05.000"),
				want[5].ID, now.Add(-40*time.Second).Format("15:04:05.000"), want[4].ID, now.Add(-20*time.Second).Format("15:04:05.000"),
				fresh.ID, fresh.UpdatedAt.Format("15:04:05.000"))
			if got := summary(recs); got != wantSummary {
				t.Fatalf("after the updates emitted\n%s\nwant\n%s", got, wantSummary)
			}
			for _, r := range recs {
				checkMessage(t, d, r, byID[r.Value.(*zns.Message).ID])
			}
			if m := recs[0].Value.(*zns.Message); *m.DeliveryStatus != "received" || m.DeliveryTime == nil {
				t.Errorf("delivered message: status %s, delivery_time %v", *m.DeliveryStatus, m.DeliveryTime)
			}
			if m := recs[2].Value.(*zns.Message); *m.DeliveryStatus != "seen" || m.Rate == nil || *m.Rate == 0 || m.Feedback == nil || m.SubmitTime == nil {
				t.Errorf("rated message: %+v", m)
			}

			// A late write stamped inside the overlap is still emitted.
			var cur poll.Cursor
			if err := json.Unmarshal(off, &cur); err != nil {
				t.Fatal(err)
			}
			late := cur.Watermark.Add(-3*time.Second + 250*time.Millisecond)
			sim.Add(znssim.Record{ID: "77", CreatedAt: late, UpdatedAt: late, DeliveryStatus: "unknown"})
			clk.Add(time.Second)
			if recs, _ = sourcetest.Drain(t, s, off); summary(recs) != "77@"+late.Format("15:04:05.000")+"c" {
				t.Fatalf("late write: emitted %s", summary(recs))
			}
		})
	}
}

func TestTiesAcrossWindowBoundary(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.String(), func(t *testing.T) {
			t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
			clk := sourcetest.NewClock(t0.Add(time.Hour))
			s, sim := newSource(t, d, clk, setup{w: poll.Windowing{StartTime: t0, Window: 10 * time.Minute}, pageSize: 2})
			edge := t0.Add(10 * time.Minute) // the first window's end, inclusive
			var rs []znssim.Record
			for i, id := range []string{"1021110718827683841", "99", "100", "1021110718827683840", "101"} {
				rs = append(rs, znssim.Record{ID: id, CreatedAt: edge.Add(-time.Duration(i) * time.Minute), UpdatedAt: edge})
			}
			rs = append(rs,
				znssim.Record{ID: "5", CreatedAt: edge.Add(-time.Millisecond), UpdatedAt: edge.Add(-time.Millisecond)},
				znssim.Record{ID: "6", CreatedAt: edge.Add(time.Millisecond), UpdatedAt: edge.Add(time.Millisecond)},
				znssim.Record{ID: "4", CreatedAt: edge.Add(999 * time.Millisecond), UpdatedAt: edge.Add(999 * time.Millisecond)},
				znssim.Record{ID: "3", CreatedAt: edge.Add(time.Second), UpdatedAt: edge.Add(time.Second)},
			)
			sim.Add(rs...)
			recs, _ := sourcetest.Drain(t, s, nil)
			want := "5@00:09:59.999r 99@00:10:00.000r 100@00:10:00.000r 101@00:10:00.000r 1021110718827683840@00:10:00.000r " +
				"1021110718827683841@00:10:00.000r 6@00:10:00.001r 4@00:10:00.999r 3@00:10:01.000r"
			if got := summary(recs); got != want {
				t.Fatalf("emitted\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func TestWindowHalvesWhenFull(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	clk := sourcetest.NewClock(t0.Add(2 * time.Hour))
	s, sim := newSource(t, znssim.ETelecom, clk, setup{w: poll.Windowing{StartTime: t0, Window: time.Hour, MaxWindowRecords: 10}, pageSize: 4})
	for i := range 100 {
		sim.Create(t0.Add(time.Duration(i) * 30 * time.Second))
	}
	// Twelve messages in one second: more than the cap, read whole.
	for i := range 12 {
		sim.Add(znssim.Record{ID: fmt.Sprint(10 + i), CreatedAt: t0.Add(time.Hour + 500*time.Millisecond), UpdatedAt: t0.Add(time.Hour + 500*time.Millisecond)})
	}
	var all []source.Record
	var off source.Offset
	for range 300 {
		recs, next, more, err := s.Poll(context.Background(), off)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) > 12 {
			t.Fatalf("one poll returned %d records, above max_window_records", len(recs))
		}
		all, off = append(all, recs...), next
		if !more {
			break
		}
	}
	if len(all) != 112 {
		t.Fatalf("%d records, want 112", len(all))
	}
	checkSorted(t, all)
}

func TestPageCapAndOAFilter(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	clk := sourcetest.NewClock(t0.Add(time.Hour))
	const oa = "1756873451230987654"
	s, sim := newSource(t, znssim.InterITS, clk, setup{w: poll.Windowing{StartTime: t0}, pageSize: 100, oaID: oa, simOpts: []znssim.Option{znssim.WithPageCap(3)}})
	var want []string
	for i := range 30 {
		if r := sim.Create(t0.Add(time.Duration(i) * time.Minute)); r.OAID == oa {
			want = append(want, r.ID)
		}
	}
	recs, _ := sourcetest.Drain(t, s, nil)
	var got []string
	for _, r := range recs {
		got = append(got, r.Value.(*zns.Message).ID)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("got %v, want the %d messages of OA %s: %v", got, len(want), oa, want)
	}
	if st := sim.Stats(); st.Served < len(want)/3 {
		t.Errorf("%d pages served for %d messages capped at 3 a page", st.Served, len(want))
	}
}

func TestBadRecordBecomesAnError(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.String(), func(t *testing.T) {
			t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
			clk := sourcetest.NewClock(t0.Add(time.Hour))
			s, sim := newSource(t, d, clk, setup{w: poll.Windowing{StartTime: t0}})
			sim.Create(t0.Add(time.Minute))
			sim.Add(znssim.Record{ID: "1021110718827683999", CreatedAt: t0.Add(2 * time.Minute), UpdatedAt: t0.Add(2 * time.Minute),
				Extra: map[string]json.RawMessage{"rate": json.RawMessage(`"five"`), "campaign": json.RawMessage(`{"name": "Tết"}`)}})
			sim.Create(t0.Add(3 * time.Minute))
			recs, off := sourcetest.Drain(t, s, nil)
			if len(recs) != 3 || recs[0].Err != nil || recs[2].Err != nil {
				t.Fatalf("records %s, want 3 with the middle one bad", summary(recs))
			}
			bad := recs[1]
			if bad.Err == nil || !strings.Contains(bad.Err.Error(), "zns message 1021110718827683999: rate \"five\" is not a 64-bit integer") ||
				bad.Key != nil || bad.Value != nil || !bytes.Contains(bad.Raw, []byte(`"rate":"five"`)) || !bad.Time.Equal(t0.Add(2*time.Minute)) {
				t.Fatalf("bad record: %+v", bad)
			}
			clk.Add(time.Minute)
			if recs, _ := sourcetest.Drain(t, s, off); len(recs) != 0 {
				t.Fatalf("the overlap sent again: %s", summary(recs))
			}
		})
	}
}

func TestPollErrors(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.String(), func(t *testing.T) {
			t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
			clk := sourcetest.NewClock(t0.Add(time.Hour))
			s, sim := newSource(t, d, clk, setup{w: poll.Windowing{StartTime: t0, Window: time.Hour}})
			sim.SetFaultRates(znssim.FaultRates{SlowDelay: 20 * time.Millisecond})
			for i := range 7 {
				sim.Create(t0.Add(time.Duration(i) * time.Minute))
			}
			for _, tc := range []struct {
				fault  znssim.Fault
				n      int // the HTTP client tries five times
				reason fetch.Reason
				want   string
			}{
				{znssim.FaultRateLimit, 1, "", ""},
				{znssim.FaultServerError, 4, "", ""},
				{znssim.FaultHTML, 2, "", ""},
				{znssim.FaultSlow, 1, "", ""},
				{znssim.FaultEmptyPage, 3, "", ""},
				{znssim.FaultStuckCursor, 1, "", ""}, // on a first page: re-reads it, emits it once
				{znssim.FaultMalformed, 2, "", ""},   // a cut page costs a request, not the poll
				{znssim.FaultHTML, 5, fetch.ReasonHTTP5xx, "(HTTP 502)"},
				{znssim.FaultServerError, 5, fetch.ReasonHTTP5xx, "lỗi hệ thống"},
				{znssim.FaultMalformed, 5, fetch.ReasonDecode, "response is not JSON: unexpected end of JSON input"},
				{znssim.FaultVendorError, 1, fetch.ReasonVendor, "Zalo API tạm thời không phản hồi"},
				{znssim.FaultEmptyPage, 4, fetch.ReasonCursor, "4 empty pages in a row"},
				{znssim.FaultStuckCursor, 2, fetch.ReasonCursor, "already requested"},
			} {
				t.Run(fmt.Sprintf("%v×%d", tc.fault, tc.n), func(t *testing.T) {
					sim.FailNext(tc.fault, tc.n)
					recs, _, _, err := s.Poll(context.Background(), nil)
					if tc.reason == "" {
						if err != nil || len(recs) != 7 {
							t.Fatalf("Poll = %d records, %v; want all 7 despite the fault", len(recs), err)
						}
						checkSorted(t, recs)
						return
					}
					if fetch.ReasonOf(err) != tc.reason || !strings.Contains(err.Error(), tc.want) ||
						!strings.Contains(err.Error(), "source zns-test: POST http://127.0.0.1") || !strings.Contains(err.Error(), "date_from=2026-03-01T00:00:00Z") {
						t.Fatalf("Poll error = %v, want %s mentioning %q", err, tc.reason, tc.want)
					}
					if strings.Contains(err.Error(), apiKey) {
						t.Errorf("error leaks the key: %v", err)
					}
					if recs, _, _, err := s.Poll(context.Background(), nil); err != nil || len(recs) != 7 {
						t.Fatalf("after the fault: %d records, %v", len(recs), err)
					}
				})
			}
		})
	}
}

func TestAuthFailure(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.String(), func(t *testing.T) {
			t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
			clk := sourcetest.NewClock(t0.Add(time.Hour))
			s, sim := newSource(t, d, clk, setup{w: poll.Windowing{StartTime: t0}, key: "the-wrong-key"})
			sim.Create(t0)
			_, _, _, err := s.Poll(context.Background(), nil)
			if fetch.ReasonOf(err) != fetch.ReasonAuth || !strings.Contains(err.Error(), "(HTTP 401)") {
				t.Fatalf("Poll = %v, want an auth error", err)
			}
			if strings.Contains(err.Error(), "the-wrong-key") || strings.Contains(err.Error(), apiKey) {
				t.Errorf("error leaks a key: %v", err)
			}
			if st := sim.Stats(); st.AuthFailed != 1 || st.Requests != 1 {
				t.Errorf("Stats %+v: an auth failure is not retried", st)
			}
		})
	}
}

// TestRandomFaultsLoseNothing runs the source like the runtime does (an
// error retries the same offset) against a simulator that fails at random
// while messages are created, delivered and rated, some of them late:
// every version is emitted exactly once, with the op of what it is, and
// the last emitted version of each message is its current one.
func TestRandomFaultsLoseNothing(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.String(), func(t *testing.T) {
			t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
			clk := sourcetest.NewClock(t0.Add(10 * time.Minute))
			s, sim := newSource(t, d, clk, setup{w: poll.Windowing{StartTime: t0, Window: 2 * time.Minute, Overlap: 30 * time.Second}, pageSize: 4})
			for i := range 40 {
				sim.Create(t0.Add(time.Duration(i) * 13 * time.Second))
			}
			sim.SetFaultRates(znssim.FaultRates{ServerError: 0.05, Malformed: 0.05, HTML: 0.03, VendorError: 0.03, EmptyPage: 0.05, StuckCursor: 0.03, Seed: 11})
			rng := rand.New(rand.NewPCG(5, 6))
			emitted := map[string]bool{} // id@updated
			last := map[string]time.Time{}
			var off source.Offset
			poll := func() {
				for range 200 {
					recs, next, more, err := s.Poll(context.Background(), off)
					if err != nil {
						continue // the runtime backs off and polls the same offset again
					}
					for _, r := range recs {
						if r.Err != nil {
							t.Fatalf("bad record %v", r.Err)
						}
						m := r.Value.(*zns.Message)
						v := m.ID + "@" + m.UpdatedAt.Format(time.RFC3339Nano)
						if emitted[v] {
							t.Fatalf("version %s emitted twice", v)
						}
						// c is the creation version, u any later one, seen
						// before or not.
						_, seen := last[m.ID]
						if r.Op != source.OpRead && (r.Op == source.OpCreate) != m.UpdatedAt.Equal(m.CreatedAt) || seen && r.Op != source.OpUpdate {
							t.Fatalf("version %s (created %v): op %s, seen before: %v", v, m.CreatedAt, r.Op, seen)
						}
						emitted[v], last[m.ID] = true, m.UpdatedAt
					}
					off = next
					if !more {
						return
					}
				}
				t.Fatal("the source never caught up")
			}
			for range 30 {
				clk.Add(20 * time.Second)
				now := clk.Now()
				for range rng.IntN(4) {
					// Late by up to the lag plus part of the overlap.
					sim.Create(now.Add(-time.Duration(rng.IntN(15_000)) * time.Millisecond))
				}
				rs := sim.Records()
				for range rng.IntN(6) {
					i := rng.IntN(len(rs))
					at := now.Add(-time.Duration(rng.IntN(12_000)) * time.Millisecond)
					if at.Before(rs[i].UpdatedAt) {
						at = rs[i].UpdatedAt
					}
					var err error
					if rs[i], err = sim.Update(rs[i].ID, at); err != nil {
						t.Fatal(err)
					}
				}
				poll()
			}
			sim.SetFaultRates(znssim.FaultRates{})
			clk.Add(time.Minute)
			poll()
			for _, r := range sim.Records() {
				if !last[r.ID].Equal(r.UpdatedAt) {
					t.Errorf("message %s: last emitted version %v, current %v", r.ID, last[r.ID], r.UpdatedAt)
				}
			}
			if st := sim.Stats(); len(st.Faults) < 5 {
				t.Errorf("faults injected: %v; the test covers too few", st.Faults)
			}
		})
	}
}
