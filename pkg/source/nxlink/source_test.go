package nxlink_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vnstream/connector/pkg/fetch"
	"github.com/vnstream/connector/pkg/poll"
	nxlinksim "github.com/vnstream/connector/pkg/sim/nxlink"
	"github.com/vnstream/connector/pkg/source"
	"github.com/vnstream/connector/pkg/source/nxlink"
	"github.com/vnstream/connector/pkg/source/sourcetest"
)

// The credentials of the tests' tenant.
const (
	accessKey = "fme2na3kdi3ki"
	secret    = "access-secret-never-shown"
	tenant    = 123
	appKey    = "46oKF=os-app-key"
	zone      = "Asia/Ho_Chi_Minh"
)

func hcm(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// newSource returns a source reading a simulator of the same tenant, both
// in Asia/Ho_Chi_Minh, both on clk. cfg's zero fields get test defaults.
func newSource(t *testing.T, clk *sourcetest.Clock, cfg nxlink.Settings, opts ...nxlinksim.Option) (*nxlink.Source, *nxlinksim.Sim) {
	t.Helper()
	sim := nxlinksim.New(accessKey, secret, tenant, appKey,
		append([]nxlinksim.Option{nxlinksim.WithClock(clk.Now), nxlinksim.WithZone(hcm(t))}, opts...)...)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	cfg.BaseURL = srv.URL
	set := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	set(&cfg.AccessKey, accessKey)
	set(&cfg.TimeZone, zone)
	if cfg.AccessSecret == "" {
		cfg.AccessSecret = secret
	}
	if cfg.AppKey == "" {
		cfg.AppKey = appKey
	}
	if cfg.TenantID == 0 {
		cfg.TenantID = tenant
	}
	if cfg.PageSize == 0 {
		cfg.PageSize = 3
	}
	if cfg.MaxWindowRecords == 0 {
		cfg.MaxWindowRecords = 1000
	}
	client := fetch.NewClient(fetch.Config{Source: "t", RateLimit: 1e6, BackoffInitial: time.Millisecond, BackoffMax: time.Millisecond})
	return nxlink.New("t", cfg, client, poll.WithClock(clk.Now)), sim
}

// windowing is the tests' usual windows from t0.
func windowing(t0 time.Time) poll.Windowing {
	return poll.Windowing{StartTime: t0, Window: 10 * time.Minute, Lag: 2 * time.Second, Overlap: 5 * time.Second}
}

// ops renders records as "id+op" in order.
func ops(recs []source.Record) string {
	var b []string
	for _, r := range recs {
		if r.Err != nil {
			b = append(b, "ERR")
			continue
		}
		b = append(b, strconv.FormatInt(r.Value.(*nxlink.Customer).ID, 10)+string(r.Op))
	}
	return strings.Join(b, " ")
}

// t0 is where the tests' backfills start.
var t0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func TestBackfillUpdatesAndCreates(t *testing.T) {
	clk := sourcetest.NewClock(t0.Add(time.Hour))
	s, sim := newSource(t, clk, nxlink.Settings{Windowing: windowing(t0)})
	var created []nxlinksim.Record
	for i := range 7 {
		created = append(created, sim.Create(t0.Add(time.Duration(i)*7*time.Minute)))
	}
	recs, off := sourcetest.Drain(t, s, nil)
	var want []string
	for _, c := range created {
		want = append(want, c.ID+"r")
	}
	if got := ops(recs); got != strings.Join(want, " ") {
		t.Fatalf("backfill emitted %q, want %q", got, want)
	}
	for i, r := range recs {
		v, k := r.Value.(*nxlink.Customer), r.Key.(*nxlink.Key)
		if strconv.FormatInt(v.ID, 10) != created[i].ID || *k != (nxlink.Key{TenantID: tenant, ID: v.ID}) {
			t.Errorf("record %d: key %+v value id %d, want %s", i, k, v.ID, created[i].ID)
		}
		if !r.Time.Equal(created[i].UpdatedAt) || !v.UpdatedAt.Equal(created[i].UpdatedAt) || !v.CreatedAt.Equal(created[i].CreatedAt) {
			t.Errorf("record %d: time %v, value %v/%v; want %v", i, r.Time, v.CreatedAt, v.UpdatedAt, created[i].UpdatedAt)
		}
		if *v.FullName != *created[i].FullName || *v.CustomizeField != *created[i].CustomizeField || *v.Tags != string(created[i].Tags) {
			t.Errorf("record %d: value %s / %s / %s, want what the simulator served", i, *v.FullName, *v.CustomizeField, *v.Tags)
		}
	}

	// Later: two customers change, one is new; the rest are re-served in
	// the overlap but unchanged, so they emit nothing.
	clk.Add(30 * time.Minute)
	at := clk.Now().Add(-10 * time.Minute)
	u1, err := sim.Update(created[2].ID, at)
	if err != nil {
		t.Fatal(err)
	}
	u0, err := sim.Update(created[0].ID, at.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	fresh := sim.Create(at.Add(2 * time.Second))
	recs, off = sourcetest.Drain(t, s, off)
	if got, want := ops(recs), u1.ID+"u "+u0.ID+"u "+fresh.ID+"c"; got != want {
		t.Fatalf("after updates emitted %q, want %q", got, want)
	}
	if v := recs[0].Value.(*nxlink.Customer); *v.Email != *u1.Email || *v.Remark != *u1.Remark || !v.UpdatedAt.Equal(u1.UpdatedAt) {
		t.Errorf("update carries %s %s %v, want %s %s %v", *v.Email, *v.Remark, v.UpdatedAt, *u1.Email, *u1.Remark, u1.UpdatedAt)
	}

	served := sim.Stats().Served
	clk.Add(3 * time.Second) // the next window's overlap re-reads them all
	recs, _ = sourcetest.Drain(t, s, off)
	if len(recs) != 0 {
		t.Fatalf("re-served unchanged customers emitted %q", ops(recs))
	}
	if sim.Stats().Served == served {
		t.Fatal("nothing was re-read: the test proves nothing")
	}
}

// Customers sharing an updated_at on a window's end are emitted once, and
// a tie that becomes visible after that window was read is emitted by the
// next window, which re-reads the boundary second.
func TestTiesAcrossWindowBoundary(t *testing.T) {
	clk := sourcetest.NewClock(t0.Add(time.Hour))
	s, sim := newSource(t, clk, nxlink.Settings{Windowing: windowing(t0), PageSize: 2})
	tie := t0.Add(10 * time.Minute) // exactly the first window's end
	for _, id := range []string{"1021110718827683845", "1021110718827683841", "1021110718827683843", "999"} {
		sim.Add(nxlinksim.Record{ID: id, CreatedAt: tie})
	}
	sim.Add(nxlinksim.Record{ID: "1021110718827683850", CreatedAt: tie.Add(time.Second)})
	sim.Add(nxlinksim.Record{ID: "1021110718827683860", CreatedAt: tie.Add(-time.Second)})
	first, off, more, err := s.Poll(context.Background(), nil)
	if err != nil || !more {
		t.Fatalf("first window: %v, more %v", err, more)
	}
	if got, want := ops(first), "1021110718827683860r 999r 1021110718827683841r 1021110718827683843r 1021110718827683845r"; got != want {
		t.Fatalf("first window emitted %q, want %q (updated_at, then id as an integer)", got, want)
	}
	// A write stamped on the boundary that became visible late.
	sim.Add(nxlinksim.Record{ID: "1021110718827683842", CreatedAt: t0, UpdatedAt: tie})
	recs, off := sourcetest.Drain(t, s, off)
	if got, want := ops(recs), "1021110718827683842r 1021110718827683850r"; got != want {
		t.Fatalf("next windows emitted %q, want %q", got, want)
	}
	// And live: a new customer stamped inside the last window's overlap.
	clk.Add(time.Minute)
	var cur poll.Cursor
	if err := json.Unmarshal(off, &cur); err != nil {
		t.Fatal(err)
	}
	sim.Add(nxlinksim.Record{ID: "1021110718827683870", CreatedAt: cur.Watermark.Add(-3 * time.Second)})
	recs, _ = sourcetest.Drain(t, s, off)
	if got, want := ops(recs), "1021110718827683870c"; got != want {
		t.Fatalf("stream emitted %q, want %q", got, want)
	}
}

func TestWindowHalvesWhenFull(t *testing.T) {
	clk := sourcetest.NewClock(t0.Add(2 * time.Hour))
	s, sim := newSource(t, clk, nxlink.Settings{PageSize: 4,
		Windowing: poll.Windowing{StartTime: t0, Window: time.Hour, Lag: time.Second, Overlap: time.Second, MaxWindowRecords: 10}})
	for i := range 100 {
		sim.Create(t0.Add(time.Duration(i) * 30 * time.Second))
	}
	// Twelve customers in one second: more than fits, read whole.
	for i := range 12 {
		sim.Add(nxlinksim.Record{ID: strconv.Itoa(500 + i), CreatedAt: t0.Add(90 * time.Minute)})
	}
	var all []source.Record
	var off source.Offset
	for range 200 {
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
	for i := 1; i < len(all); i++ {
		a, b := all[i-1].Value.(*nxlink.Customer), all[i].Value.(*nxlink.Customer)
		if a.UpdatedAt.After(b.UpdatedAt) || (a.UpdatedAt.Equal(b.UpdatedAt) && a.ID >= b.ID) {
			t.Fatalf("records out of order at %d: %d@%v then %d@%v", i, a.ID, a.UpdatedAt, b.ID, b.UpdatedAt)
		}
	}
}

// The exact 64-bit ids reach Key and Value, and customize_field and tags
// keep their bytes.
func TestExactValues(t *testing.T) {
	clk := sourcetest.NewClock(t0.Add(time.Hour))
	s, sim := newSource(t, clk, nxlink.Settings{Windowing: windowing(t0)})
	customize := `{"customize_4_52": ["1"],  "ghi_chú":"Giao hàng buổi sáng\n"}`
	tags := `[ {"id": 27237, "tag_name": "VIP", "customer_id": 9223372036854775807, "created_at": "2023-02-15T16:45:30"} ]`
	sim.Add(
		nxlinksim.Record{ID: "9223372036854775807", CreatedAt: t0.Add(time.Minute), CustomizeField: &customize, Tags: json.RawMessage(tags)},
		nxlinksim.Record{ID: "1021110718827683841", TenantID: 9007199254740993, CreatedAt: t0.Add(2 * time.Minute),
			Extra: map[string]json.RawMessage{"vip_level": json.RawMessage(`9007199254740993`)}},
	)
	recs, _ := sourcetest.Drain(t, s, nil)
	if len(recs) != 2 {
		t.Fatalf("%d records", len(recs))
	}
	v, k := recs[0].Value.(*nxlink.Customer), recs[0].Key.(*nxlink.Key)
	if v.ID != 9223372036854775807 || k.ID != 9223372036854775807 || k.TenantID != tenant {
		t.Errorf("key %+v, value id %d", k, v.ID)
	}
	if *v.CustomizeField != customize || *v.Tags != tags || v.ExtraJSON != nil {
		t.Errorf("customize_field %q tags %q extra %v", *v.CustomizeField, *v.Tags, v.ExtraJSON)
	}
	v, k = recs[1].Value.(*nxlink.Customer), recs[1].Key.(*nxlink.Key)
	if v.ID != 1021110718827683841 || *k != (nxlink.Key{TenantID: 9007199254740993, ID: 1021110718827683841}) || v.Tags != nil {
		t.Errorf("key %+v, value %d %v", k, v.ID, v.Tags)
	}
	if v.ExtraJSON == nil || *v.ExtraJSON != `{"vip_level":9007199254740993}` {
		t.Errorf("extra_json %v", v.ExtraJSON)
	}
}

// The time zone is applied to the request bounds and to the times read: a
// customer is found in its window, with the instant the simulator stored.
func TestTimeZone(t *testing.T) {
	clk := sourcetest.NewClock(t0.Add(40 * time.Minute))
	// One-minute windows: a bound read in another zone misses by hours.
	s, sim := newSource(t, clk, nxlink.Settings{
		Windowing: poll.Windowing{StartTime: t0, Window: time.Minute, Lag: time.Second, Overlap: time.Second}})
	a := sim.Create(t0.Add(10*time.Minute + 30*time.Second))
	if got := a.UpdatedAt.In(hcm(t)).Format("2006-01-02T15:04:05"); got != "2026-03-01T07:10:30" {
		t.Fatalf("simulator serves %s", got)
	}
	var off source.Offset
	for range 100 {
		recs, next, more, err := s.Poll(context.Background(), off)
		if err != nil {
			t.Fatal(err)
		}
		off = next
		if len(recs) > 0 {
			var cur poll.Cursor
			if err := json.Unmarshal(next, &cur); err != nil {
				t.Fatal(err)
			}
			v := recs[0].Value.(*nxlink.Customer)
			if len(recs) != 1 || !v.UpdatedAt.Equal(a.UpdatedAt) || !cur.Watermark.Equal(t0.Add(11*time.Minute)) {
				t.Fatalf("read %q at %v in the window ending %v, want the customer of %v in the window ending %v",
					ops(recs), v.UpdatedAt, cur.Watermark, a.UpdatedAt, t0.Add(11*time.Minute))
			}
			return
		}
		if !more {
			break
		}
	}
	t.Fatal("the customer was never read")
}

// A customer the source cannot convert becomes a record with Err, Raw and
// its id; the page goes on and a re-read does not send it again.
func TestBadCustomerGoesToDeadLetters(t *testing.T) {
	clk := sourcetest.NewClock(t0.Add(time.Hour))
	s, sim := newSource(t, clk, nxlink.Settings{Windowing: windowing(t0)})
	good := sim.Create(t0.Add(time.Minute))
	// Stamped inside the overlap the next poll re-reads.
	badAt := t0.Add(time.Hour - 3*time.Second)
	bad := `{"id":1021110718827683999,"gender":"nam","created_at":"2026-03-01T07:59:57","updated_at":"2026-03-01T07:59:57","tenant_id":123}`
	sim.Add(nxlinksim.Record{ID: "1021110718827683999", CreatedAt: badAt, Raw: json.RawMessage(bad)})
	recs, off := sourcetest.Drain(t, s, nil)
	if len(recs) != 2 || recs[0].Err != nil || recs[0].Value.(*nxlink.Customer).ID != mustInt(t, good.ID) {
		t.Fatalf("records %q", ops(recs))
	}
	r := recs[1]
	if r.Err == nil || r.Key != nil || r.Value != nil || string(r.Raw) != bad ||
		!strings.Contains(r.Err.Error(), "customer 1021110718827683999: gender is a JSON string, want an integer") ||
		!r.Time.Equal(badAt) {
		t.Fatalf("bad record %+v", r)
	}
	clk.Add(time.Minute)
	sim.Add(nxlinksim.Record{ID: "2", CreatedAt: clk.Now().Add(-10 * time.Second)})
	served := sim.Stats().Served
	// The overlap re-reads the bad customer: it is not sent twice.
	recs, _ = sourcetest.Drain(t, s, off)
	if ops(recs) != "2c" || sim.Stats().Served == served {
		t.Fatalf("re-read emitted %q", ops(recs))
	}
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

var traceID = regexp.MustCompile(`traceId "[0-9a-f]{32}"`)

func TestPollErrors(t *testing.T) {
	clk := sourcetest.NewClock(t0.Add(time.Hour))
	s, sim := newSource(t, clk, nxlink.Settings{Windowing: windowing(t0), PageSize: 2})
	for i := range 5 {
		sim.Create(t0.Add(time.Duration(i) * time.Minute))
	}
	for _, tc := range []struct {
		name   string
		faults []nxlinksim.Fault // queued in order, one request each
		reason fetch.Reason
		want   string
	}{
		{"vendor error with HTTP 200", []nxlinksim.Fault{nxlinksim.FaultVendorError}, fetch.ReasonVendor, `code 500, message "system busy", traceId "`},
		{"truncated body", slices.Repeat([]nxlinksim.Fault{nxlinksim.FaultMalformed}, 5), fetch.ReasonDecode, "response is not the documented JSON"},
		{"html", slices.Repeat([]nxlinksim.Fault{nxlinksim.FaultHTML}, 5), fetch.ReasonHTTP5xx, "(HTTP 502)"},
		{"stuck cursor", []nxlinksim.Fault{nxlinksim.FaultNone, nxlinksim.FaultStuckCursor}, fetch.ReasonCursor, "does not advance past the request's after"},
		{"empty pages without end", slices.Repeat([]nxlinksim.Fault{nxlinksim.FaultEmptyPage}, 4), fetch.ReasonCursor, "4 empty pages in a row"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, f := range tc.faults {
				sim.FailNext(f, 1)
			}
			_, _, _, err := s.Poll(context.Background(), nil)
			if fetch.ReasonOf(err) != tc.reason || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Poll error = %v, want %s mentioning %q", err, tc.reason, tc.want)
			}
			if !strings.Contains(err.Error(), "source t: POST http://127.0.0.1") {
				t.Errorf("error does not name the source and request: %v", err)
			}
			if tc.reason == fetch.ReasonVendor && !traceID.MatchString(err.Error()) {
				t.Errorf("error has no traceId: %v", err)
			}
			for _, s := range []string{secret, appKey} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error leaks a secret: %v", err)
				}
			}
		})
	}
	// Faults the client retries (a cut page among them: it costs one
	// request, not the poll), and three empty pages, are survived.
	for _, f := range []nxlinksim.Fault{nxlinksim.FaultServerError, nxlinksim.FaultMalformed, nxlinksim.FaultEmptyPage, nxlinksim.FaultNone, nxlinksim.FaultEmptyPage, nxlinksim.FaultEmptyPage, nxlinksim.FaultEmptyPage} {
		sim.FailNext(f, 1)
	}
	recs, _ := sourcetest.Drain(t, s, nil)
	if len(recs) != 5 {
		t.Fatalf("after the faults: %d records, want 5", len(recs))
	}
}

func TestAuthFailures(t *testing.T) {
	clk := sourcetest.NewClock(t0.Add(time.Hour))
	for _, tc := range []struct {
		name string
		cfg  nxlink.Settings
		skew time.Duration
		want string
	}{
		{"wrong secret", nxlink.Settings{AccessSecret: "not-the-secret"}, 0, `code 1003, message "Invalid signature"`},
		{"wrong access key", nxlink.Settings{AccessKey: "someone-else"}, 0, "code 1005"},
		{"wrong app key", nxlink.Settings{AppKey: "wrong-app-key"}, 0, "code 1005"},
		{"other tenant", nxlink.Settings{TenantID: 124}, 0, "code 1005"},
		{"clock drift", nxlink.Settings{}, 61 * time.Second, "code 1004"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.Windowing = windowing(t0)
			s, sim := newSource(t, clk, cfg, nxlinksim.WithClock(func() time.Time { return clk.Now().Add(tc.skew) }))
			sim.Create(t0)
			_, _, _, err := s.Poll(context.Background(), nil)
			if fetch.ReasonOf(err) != fetch.ReasonAuth || !strings.Contains(err.Error(), tc.want) || !traceID.MatchString(err.Error()) {
				t.Fatalf("Poll = %v, want an auth error with %q and a traceId", err, tc.want)
			}
			for _, s := range []string{secret, appKey, "not-the-secret", "wrong-app-key"} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error leaks %q: %v", s, err)
				}
			}
		})
	}
}

// Under random faults, a source that retries its polls emits every
// version once.
func TestRandomFaultsLoseNothing(t *testing.T) {
	clk := sourcetest.NewClock(t0.Add(3 * time.Hour))
	s, sim := newSource(t, clk, nxlink.Settings{PageSize: 7,
		Windowing: poll.Windowing{StartTime: t0, Window: 20 * time.Minute, Lag: 2 * time.Second, Overlap: 30 * time.Second, MaxWindowRecords: 40}})
	for i := range 300 {
		sim.Create(t0.Add(time.Duration(i*30) * time.Second))
	}
	sim.SetFaultRates(nxlinksim.FaultRates{ServerError: 0.05, Malformed: 0.05, VendorError: 0.05, EmptyPage: 0.1, Seed: 3})
	seen := map[string]int{}
	var off source.Offset
	polls, failures := 0, 0
	for polls < 2000 {
		polls++
		recs, next, more, err := s.Poll(context.Background(), off)
		if err != nil {
			failures++
			continue // the runtime retries from the same offset
		}
		for _, r := range recs {
			v := r.Value.(*nxlink.Customer)
			seen[fmt.Sprintf("%d@%d", v.ID, v.UpdatedAt.Unix())]++
		}
		off = next
		if !more {
			break
		}
	}
	if len(seen) != 300 || failures == 0 {
		t.Fatalf("%d versions seen in %d polls (%d failed), want 300 with some failures", len(seen), polls, failures)
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("version %s emitted %d times", k, n)
		}
	}
}

func TestBadTimeZone(t *testing.T) {
	s := nxlink.New("t", nxlink.Settings{TimeZone: "Mars/Olympus"}, fetch.NewClient(fetch.Config{}))
	if _, _, _, err := s.Poll(context.Background(), nil); err == nil || !strings.Contains(err.Error(), `time_zone "Mars/Olympus"`) {
		t.Fatalf("Poll = %v, want the time zone named", err)
	}
}
