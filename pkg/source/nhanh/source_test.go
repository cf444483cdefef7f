package nhanh_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vnstream/connector/pkg/fetch"
	"github.com/vnstream/connector/pkg/poll"
	nhanhsim "github.com/vnstream/connector/pkg/sim/nhanh"
	"github.com/vnstream/connector/pkg/source"
	"github.com/vnstream/connector/pkg/source/nhanh"
	"github.com/vnstream/connector/pkg/source/sourcetest"
)

const (
	appID      = "74951"
	businessID = "8"
	token      = "nhanh-token-that-must-never-leak"
)

var t0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// newClient is a fast-retrying client for tests.
func newClient() *fetch.Client {
	return fetch.NewClient(fetch.Config{Source: "n", RateLimit: 1e6, BackoffInitial: time.Millisecond, BackoffMax: time.Millisecond})
}

// config fills cfg for a server at url: page size 3 and lag 5s unless set.
func configFor(url string, cfg nhanh.Settings) nhanh.Settings {
	cfg.BaseURL, cfg.AppID, cfg.BusinessID, cfg.AccessToken = url, appID, businessID, token
	if cfg.PageSize == 0 {
		cfg.PageSize = 3
	}
	if cfg.Lag == 0 {
		cfg.Lag = 5 * time.Second
	}
	return cfg
}

// newSource starts a simulator on a loopback server closed at the end of
// the test and returns a source reading it.
func newSource(t *testing.T, clk *sourcetest.Clock, cfg nhanh.Settings, opts ...nhanhsim.Option) (*nhanh.Source, *nhanhsim.Sim, nhanh.Settings) {
	t.Helper()
	sim := nhanhsim.New(appID, businessID, token, append([]nhanhsim.Option{nhanhsim.WithClock(clk.Now)}, opts...)...)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	cfg = configFor(srv.URL, cfg)
	return nhanh.New("n", cfg, newClient(), poll.WithClock(clk.Now)), sim, cfg
}

// conv is a valid conversation with the given id and times.
func conv(id string, created, updated time.Time) nhanhsim.Record {
	return nhanhsim.Record{ID: id, Channel: 1, Type: 2, CustomerAvatar: "https://example.com/" + id + ".jpg", PageID: "331526780045341",
		PageUserID: "75214821179" + id, PageUserName: "Khách " + id, CreatedAt: created, UpdatedAt: updated, LastMessage: "xin chào", Status: 1}
}

// addConvs adds a conversation for each one-letter id, created and updated
// at t0 + step × the letter's place in the alphabet.
func addConvs(sim *nhanhsim.Sim, step time.Duration, ids ...string) {
	for _, id := range ids {
		at := t0.Add(time.Duration(id[0]-'a') * step)
		sim.Add(conv(id, at, at))
	}
}

// pollOnce polls once and fails the test on an error.
func pollOnce(t *testing.T, s *nhanh.Source, off source.Offset) ([]source.Record, source.Offset, bool) {
	t.Helper()
	recs, next, more, err := s.Poll(context.Background(), off)
	if err != nil {
		t.Fatal(err)
	}
	return recs, next, more
}

// events renders records as "id op" for comparisons.
func events(recs []source.Record) string {
	var b []string
	for _, r := range recs {
		if r.Err != nil {
			b = append(b, r.Key.(*nhanh.Key).ID+" ERR")
			continue
		}
		v := r.Value.(*nhanh.Conversation)
		if r.Key.(*nhanh.Key).ID != v.ID || !r.Time.Equal(v.UpdatedAt) {
			return fmt.Sprintf("record %s has key %v and time %v", v.ID, r.Key, r.Time)
		}
		b = append(b, v.ID+" "+string(r.Op))
	}
	return strings.Join(b, ", ")
}

func cursorOf(t *testing.T, off source.Offset) poll.Cursor {
	t.Helper()
	c, err := poll.DecodeCursor(off)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestBackfillThenChanges(t *testing.T) {
	clk := sourcetest.NewClock(t0.Add(time.Hour))
	s, sim, _ := newSource(t, clk, nhanh.Settings{PageSize: 2})
	addConvs(sim, time.Minute, "a", "b", "c", "d", "e")
	recs, off := sourcetest.Drain(t, s, nil)
	if got, want := events(recs), "a r, b r, c r, d r, e r"; got != want {
		t.Fatalf("backfill emitted %q, want %q", got, want)
	}
	if c := cursorOf(t, off); !c.BackfillUntil.Equal(t0.Add(time.Hour-5*time.Second)) || !c.Watermark.Equal(t0.Add(4*time.Minute)) {
		t.Errorf("cursor after the backfill %+v", c)
	}

	clk.Add(time.Minute)
	if _, err := sim.Update("b", clk.Now().Add(-30*time.Second)); err != nil {
		t.Fatal(err)
	}
	sim.Add(conv("f", clk.Now().Add(-20*time.Second), clk.Now().Add(-20*time.Second)))
	if _, err := sim.Update("a", clk.Now().Add(-10*time.Second)); err != nil {
		t.Fatal(err)
	}
	recs, off = sourcetest.Drain(t, s, off)
	if got, want := events(recs), "b u, f c, a u"; got != want {
		t.Fatalf("changes emitted %q, want %q", got, want)
	}
	b := recs[0].Value.(*nhanh.Conversation)
	if stored := sim.Records()[1]; b.LastMessage != stored.LastMessage || b.Status != int32(stored.Status) || b.HasReply != stored.HasReply {
		t.Errorf("b emitted as %+v, stored as %+v", b, stored)
	}
	if recs, _ := sourcetest.Drain(t, s, off); len(recs) != 0 {
		t.Fatalf("nothing changed, yet %q", events(recs))
	}
}

// A page cut by the lag is read again by the next poll, which emits only
// what the first one did not; a conversation updated inside the lag waits
// for it and comes out exactly once.
func TestLagCutsThePage(t *testing.T) {
	clk := sourcetest.NewClock(t0.Add(time.Hour))
	s, sim, _ := newSource(t, clk, nhanh.Settings{PageSize: 10})
	now := clk.Now()
	sim.Add(conv("a", now.Add(-time.Hour), now.Add(-60*time.Second)), conv("b", now.Add(-time.Hour), now.Add(-30*time.Second)),
		conv("c", now.Add(-2*time.Second), now.Add(-2*time.Second)))

	recs, off, more := pollOnce(t, s, nil)
	if got := events(recs); got != "a r, b r" || more {
		t.Fatalf("first poll emitted %q (more %v), want a and b only", got, more)
	}
	if c := cursorOf(t, off); len(c.Next) != 0 || len(c.Seen) != 2 {
		t.Fatalf("a page cut by the lag moved the cursor: %+v", c)
	}
	recs, again, _ := pollOnce(t, s, off)
	if len(recs) != 0 || !bytes.Equal(again, off) {
		t.Fatalf("re-reading the cut page emitted %q, offset %s -> %s", events(recs), off, again)
	}

	clk.Add(10 * time.Second)
	recs, off, more = pollOnce(t, s, off)
	if got := events(recs); got != "c c" || more {
		t.Fatalf("after the lag: %q (more %v), want c created, and the empty page after it ending the poll", got, more)
	}
	if c := cursorOf(t, off); string(c.Next) == "" || !c.Watermark.Equal(now.Add(-2*time.Second)) {
		t.Fatalf("a page read whole did not adopt next: %+v", c)
	}

	if _, err := sim.Update("b", clk.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if recs, off2, _ := pollOnce(t, s, off); len(recs) != 0 || !bytes.Equal(off2, off) {
		t.Fatalf("an update inside the lag was emitted: %q", events(recs))
	}
	clk.Add(10 * time.Second)
	recs, off = sourcetest.Drain(t, s, off)
	if got := events(recs); got != "b u" {
		t.Fatalf("after the lag: %q, want b updated once", got)
	}
	if recs, _ = sourcetest.Drain(t, s, off); len(recs) != 0 {
		t.Fatalf("emitted again: %q", events(recs))
	}
}

// Conversations with one updatedAt split across pages, including pages
// capped below the configured size, are neither lost nor repeated; one
// written later with the same updatedAt is read too.
func TestEqualUpdatedAtAcrossPages(t *testing.T) {
	for _, pageCap := range []int{3, 2} {
		t.Run(fmt.Sprintf("cap %d", pageCap), func(t *testing.T) {
			clk := sourcetest.NewClock(t0.Add(time.Hour))
			s, sim, _ := newSource(t, clk, nhanh.Settings{PageSize: 3}, nhanhsim.WithPageCap(pageCap))
			tie := t0.Add(10 * time.Minute)
			for _, id := range []string{"a", "b", "c", "d", "e", "f", "g"} {
				sim.Add(conv(id, tie, tie))
			}
			var all []source.Record
			var off source.Offset
			for range 20 {
				recs, next, _ := pollOnce(t, s, off)
				all = append(all, recs...)
				if len(recs) == 0 && bytes.Equal(next, off) {
					break
				}
				off = next
			}
			if got, want := events(all), "a r, b r, c r, d r, e r, f r, g r"; got != want {
				t.Fatalf("emitted %q, want %q", got, want)
			}
			// Stamped before the first poll: part of the backfill.
			sim.Add(conv("h", tie, tie))
			if recs, _ := sourcetest.Drain(t, s, off); events(recs) != "h r" {
				t.Fatalf("a late conversation with the same updatedAt: %q", events(recs))
			}
		})
	}
}

func TestVendorErrors(t *testing.T) {
	clk := sourcetest.NewClock(t0.Add(time.Hour))
	s, sim, cfg := newSource(t, clk, nhanh.Settings{})
	sim.Add(conv("a", t0, t0))
	sim.FailNext(nhanhsim.FaultVendorError, 1)
	_, _, _, err := s.Poll(context.Background(), nil)
	if fetch.ReasonOf(err) != fetch.ReasonVendor || !strings.Contains(err.Error(), "code 0, errorCode ERR_SYSTEM_BUSY: Hệ thống đang bận, vui lòng thử lại sau; System is busy") {
		t.Fatalf("Poll = %v, want the vendor's error with its messages", err)
	}
	// A request the vendor refuses: messages is an object.
	cfg.PageSize = 60
	big := nhanh.New("n", cfg, newClient(), poll.WithClock(clk.Now))
	_, _, _, err = big.Poll(context.Background(), nil)
	if fetch.ReasonOf(err) != fetch.ReasonVendor || !strings.Contains(err.Error(), "errorCode ERR_INVALID_DATA: paginator.size: must be an integer from 1 to 50") {
		t.Fatalf("Poll = %v, want the vendor's validation error", err)
	}
	if st := sim.Stats(); st.BadRequest != 1 || st.Faults[nhanhsim.FaultVendorError] != 1 {
		t.Errorf("Stats %+v", st)
	}
}

func TestAuthErrors(t *testing.T) {
	clk := sourcetest.NewClock(t0.Add(time.Hour))
	sim := nhanhsim.New(appID, businessID, token, nhanhsim.WithClock(clk.Now), nhanhsim.WithTokenExpiry(t0.Add(2*time.Hour)))
	srv := httptest.NewServer(sim)
	defer srv.Close()
	for _, tc := range []struct {
		name string
		edit func(*nhanh.Settings)
		code string
	}{
		{"wrong token", func(c *nhanh.Settings) { c.AccessToken = "Bearer " + token }, nhanhsim.CodeInvalidAccessToken},
		{"wrong app", func(c *nhanh.Settings) { c.AppID = "1" }, nhanhsim.CodeInvalidAppID},
		{"wrong business", func(c *nhanh.Settings) { c.BusinessID = "9" }, nhanhsim.CodeInvalidBusinessID},
		{"expired token", func(c *nhanh.Settings) { clk.Add(2 * time.Hour) }, nhanhsim.CodeExpiredAccessToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := configFor(srv.URL, nhanh.Settings{})
			tc.edit(&cfg)
			s := nhanh.New("n", cfg, newClient(), poll.WithClock(clk.Now))
			_, _, _, err := s.Poll(context.Background(), nil)
			if fetch.ReasonOf(err) != fetch.ReasonAuth || !strings.Contains(err.Error(), tc.code) {
				t.Fatalf("Poll = %v, want an auth error %s", err, tc.code)
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("error leaks the token: %v", err)
			}
		})
	}
}

func TestStuckCursor(t *testing.T) {
	clk := sourcetest.NewClock(t0.Add(time.Hour))
	s, sim, _ := newSource(t, clk, nhanh.Settings{PageSize: 2})
	addConvs(sim, time.Second, "a", "b", "c", "d")
	recs, off, _ := pollOnce(t, s, nil)
	if events(recs) != "a r, b r, c r, d r" {
		t.Fatalf("first poll: %q", events(recs))
	}
	addConvs(sim, time.Second, "e", "f")
	sim.FailNext(nhanhsim.FaultStuckCursor, 1)
	_, _, _, err := s.Poll(context.Background(), off)
	if fetch.ReasonOf(err) != fetch.ReasonCursor || !strings.Contains(err.Error(), "paging does not advance") ||
		!strings.Contains(err.Error(), "next="+string(cursorOf(t, off).Next)) {
		t.Fatalf("Poll = %v, want a cursor error naming the cursor", err)
	}
	if recs, _ := sourcetest.Drain(t, s, off); events(recs) != "e r, f r" {
		t.Fatalf("after the fault: %q", events(recs))
	}
}

// TestLaterPageFails: a poll reads pages while each is read whole; when a
// later page fails, the poll returns the pages before it with the cursor
// after them, and the next poll asks for the failed page again.
func TestLaterPageFails(t *testing.T) {
	clk := sourcetest.NewClock(t0.Add(time.Hour))
	s, sim, _ := newSource(t, clk, nhanh.Settings{PageSize: 2})
	addConvs(sim, time.Second, "a", "b", "c", "d", "e")
	sim.FailNext(nhanhsim.FaultNone, 1)
	sim.FailNext(nhanhsim.FaultStuckCursor, 1)
	recs, off, more := pollOnce(t, s, nil)
	if events(recs) != "a r, b r" || !more {
		t.Fatalf("first poll, its second page stuck: %q (more %v), want the first page and more", events(recs), more)
	}
	recs, off, more = pollOnce(t, s, off)
	if events(recs) != "c r, d r, e r" || more {
		t.Fatalf("second poll: %q (more %v), want the rest, the failed page first", events(recs), more)
	}
	if st := sim.Stats(); st.Served != 5 {
		t.Errorf("%d pages served, want 5: two, the stuck one again, the last and an empty one", st.Served)
	}
	if recs, _ := sourcetest.Drain(t, s, off); len(recs) != 0 {
		t.Fatalf("emitted again: %q", events(recs))
	}
}

func TestEmptyPageDoesNotLoop(t *testing.T) {
	clk := sourcetest.NewClock(t0.Add(time.Hour))
	s, sim, _ := newSource(t, clk, nhanh.Settings{PageSize: 2})
	sim.Add(conv("a", t0, t0), conv("b", t0, t0))
	_, off := sourcetest.Drain(t, s, nil)
	// The simulator's empty page echoes the requested cursor: not null.
	for range 3 {
		recs, next, more := pollOnce(t, s, off)
		if len(recs) != 0 || more || !bytes.Equal(next, off) {
			t.Fatalf("empty page: %d records, more %v, offset %s -> %s", len(recs), more, off, next)
		}
	}
	if st := sim.Stats(); st.Served != 5 {
		t.Errorf("%d pages served, want 5", st.Served)
	}
}

// stub answers the bodies in order and records the paginators sent.
type stub struct {
	mu     sync.Mutex
	bodies []string
	sent   []string
}

func (s *stub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req struct{ Paginator json.RawMessage }
	_ = json.Unmarshal(body, &req)
	s.mu.Lock()
	s.sent = append(s.sent, string(req.Paginator))
	answer := s.bodies[0]
	s.bodies = s.bodies[1:]
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, answer)
}

const stubConv = `{"id":"%s","channel":1,"type":2,"customerAvatar":"","pageId":"1","pageUserId":"2","pageUserName":"n","hasReply":false,` +
	`"hasPhone":false,"createdAt":%d,"updatedAt":%d,"lastMessage":"m","status":1}`

// Cursors Nhanh could send that the simulator does not: an empty page
// pointing somewhere new, and a null next on a page with data.
func TestOpaqueNext(t *testing.T) {
	clk := sourcetest.NewClock(t0.Add(time.Hour))
	u := t0.Unix()
	st := &stub{bodies: []string{
		`{"code":1,"paginator":{"next":["k", 5]},"data":[]}`,
		`{"code":1,"paginator":{"next":["k", 5]},"data":[]}`,
		`{"code":1,"paginator":{"next":null},"data":[` + fmt.Sprintf(stubConv, "a", u, u) + `]}`,
		`{"code":1,"paginator":{"next":null},"data":[` + fmt.Sprintf(stubConv, "a", u, u) + `,` + fmt.Sprintf(stubConv, "b", u, u+1) + `]}`,
		`{"code":1,"paginator":{"next":{"after":"b"}},"data":[` + fmt.Sprintf(stubConv, "a", u, u) + `,` + fmt.Sprintf(stubConv, "b", u, u+1) + `]}`,
		`{"code":1,"paginator":{"next":{"after":"b"}},"data":[]}`,
	}}
	srv := httptest.NewServer(st)
	defer srv.Close()
	s := nhanh.New("n", configFor(srv.URL, nhanh.Settings{PageSize: 2}), newClient(), poll.WithClock(clk.Now))

	recs, off, more := pollOnce(t, s, nil)
	if len(recs) != 0 || more || string(cursorOf(t, off).Next) != `["k",5]` {
		t.Fatalf("an empty page with a new next: %d records, more %v, offset %s", len(recs), more, off)
	}
	recs, off2, more := pollOnce(t, s, off)
	if len(recs) != 0 || more || !bytes.Equal(off2, off) {
		t.Fatalf("the same empty page again: offset %s -> %s", off, off2)
	}
	recs, off, more = pollOnce(t, s, off)
	if events(recs) != "a r" || more || string(cursorOf(t, off).Next) != `["k",5]` {
		t.Fatalf("a page without next: %q more %v, offset %s", events(recs), more, off)
	}
	recs, off, _ = pollOnce(t, s, off)
	if events(recs) != "b r" || string(cursorOf(t, off).Next) != `["k",5]` {
		t.Fatalf("the page read again: %q, offset %s", events(recs), off)
	}
	recs, off, more = pollOnce(t, s, off)
	if len(recs) != 0 || more || string(cursorOf(t, off).Next) != `{"after":"b"}` {
		t.Fatalf("a full page with a next, then an empty page: %q more %v, offset %s", events(recs), more, off)
	}
	want := []string{
		`{"size":2,"sort":{"updatedAt":"asc"}}`,
		`{"size":2,"sort":{"updatedAt":"asc"},"next":["k",5]}`,
		`{"size":2,"sort":{"updatedAt":"asc"},"next":["k",5]}`,
		`{"size":2,"sort":{"updatedAt":"asc"},"next":["k",5]}`,
		`{"size":2,"sort":{"updatedAt":"asc"},"next":["k",5]}`,
		`{"size":2,"sort":{"updatedAt":"asc"},"next":{"after":"b"}}`,
	}
	if !slices.Equal(st.sent, want) {
		t.Errorf("paginators sent:\n%s\nwant\n%s", strings.Join(st.sent, "\n"), strings.Join(want, "\n"))
	}
}

func TestBodyErrorsNameTheProblem(t *testing.T) {
	clk := sourcetest.NewClock(t0.Add(time.Hour))
	s, sim, cfg := newSource(t, clk, nhanh.Settings{})
	sim.Add(conv("a", t0, t0))
	for _, tc := range []struct {
		fault  nhanhsim.Fault
		n      int // the HTTP client tries a 5xx or a body that is not JSON five times
		reason fetch.Reason
		want   string
	}{
		{nhanhsim.FaultTrailingComma, 5, fetch.ReasonDecode, "response is not the documented JSON: invalid character '}'"},
		{nhanhsim.FaultMalformed, 5, fetch.ReasonDecode, "response is not the documented JSON: unexpected end of JSON input"},
		{nhanhsim.FaultHTML, 5, fetch.ReasonHTTP5xx, "(HTTP 502)"},
	} {
		sim.FailNext(tc.fault, tc.n)
		_, _, _, err := s.Poll(context.Background(), nil)
		if fetch.ReasonOf(err) != tc.reason || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: Poll error = %v, want %s %q", tc.fault, err, tc.reason, tc.want)
		}
		if !strings.Contains(err.Error(), "source n: POST "+cfg.BaseURL+"/v3.0/conversation/list?appId=74951&businessId=8") {
			t.Errorf("%v: the error does not name the source and request: %v", tc.fault, err)
		}
		if strings.Contains(err.Error(), token) {
			t.Errorf("error leaks the token: %v", err)
		}
	}
	sim.FailNext(nhanhsim.FaultMalformed, 1) // a cut page costs one request, not the poll
	if recs, _ := sourcetest.Drain(t, s, nil); events(recs) != "a r" {
		t.Fatalf("after the faults: %q", events(recs))
	}
	if _, _, _, err := s.Poll(context.Background(), source.Offset(`{"next":[1,2]}`)); err == nil || !strings.Contains(err.Error(), "no watermark") {
		t.Errorf("a bad offset: %v", err)
	}
}

// A conversation that cannot be converted becomes a Record with Err and its
// raw JSON, the page goes on, and reading the page again does not repeat it,
// nor the conversation whose time cannot be read (remembered by its mark).
func TestBadConversationGoesToDeadLetter(t *testing.T) {
	clk := sourcetest.NewClock(t0.Add(time.Hour))
	s, sim, _ := newSource(t, clk, nhanh.Settings{PageSize: 10})
	bad := conv("b", t0, t0.Add(time.Second))
	bad.Extra = map[string]json.RawMessage{"status": json.RawMessage(`"read"`)}
	noTime := conv("d", t0, t0.Add(3*time.Second))
	noTime.Extra = map[string]json.RawMessage{"updatedAt": json.RawMessage(`"soon"`)}
	late := conv("e", t0, clk.Now().Add(-time.Second)) // inside the lag
	sim.Add(conv("a", t0, t0), bad, conv("c", t0, t0.Add(2*time.Second)), noTime, late)

	recs, off, _ := pollOnce(t, s, nil)
	if got, want := events(recs), "a r, b ERR, c r, d ERR"; got != want {
		t.Fatalf("emitted %q, want %q", got, want)
	}
	if r := recs[1]; r.Value != nil || !strings.Contains(r.Err.Error(), `conversation b: status "read" is not a 32-bit integer`) ||
		!bytes.Contains(r.Raw, []byte(`"status":"read"`)) || !r.Time.Equal(t0.Add(time.Second)) {
		t.Errorf("bad record %+v", r)
	}
	if r := recs[3]; !strings.Contains(r.Err.Error(), "updatedAt") || !r.Time.IsZero() {
		t.Errorf("record without a time %+v", r)
	}
	// The page was cut by e: the next poll reads it again. Before marks,
	// d, whose time cannot be read, went to the dead-letter topic again.
	recs, _, _ = pollOnce(t, s, off)
	if got := events(recs); got != "" {
		t.Fatalf("re-read emitted %q, want nothing", got)
	}
}

// TestRestartsAndFaults runs a random workload of creates, updates and
// late writes against a faulty simulator, polling from the committed
// offset with a new Source now and then and dropping some batches as if
// their transaction failed. In the end every conversation has come out in
// its latest version, no version twice, each id's versions in time order.
func TestRestartsAndFaults(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) { restartsAndFaults(t, seed) })
	}
}

func restartsAndFaults(t *testing.T, seed uint64) {
	clk := sourcetest.NewClock(t0.Add(time.Hour))
	_, sim, cfg := newSource(t, clk, nhanh.Settings{PageSize: 4}, nhanhsim.WithPageCap(3))
	sim.SetFaultRates(nhanhsim.FaultRates{ServerError: 0.05, Malformed: 0.05, VendorError: 0.05, StuckCursor: 0.05, TrailingComma: 0.05, Seed: int64(seed)})
	rng := rand.New(rand.NewPCG(seed, 5))
	for range 40 {
		sim.Create(t0.Add(time.Duration(rng.IntN(3600)) * time.Second))
	}
	newSrc := func() *nhanh.Source { return nhanh.New("n", cfg, newClient(), poll.WithClock(clk.Now)) }
	s := newSrc()
	var committed source.Offset
	var emitted []source.Record
	failures := 0
	step := func() {
		recs, next, _, err := s.Poll(context.Background(), committed)
		switch {
		case err != nil:
			failures++
		case rng.IntN(8) == 0:
			// The transaction failed: the runtime polls again from the
			// committed offset.
		default:
			emitted, committed = append(emitted, recs...), next
		}
		if rng.IntN(6) == 0 {
			s = newSrc() // a restart
		}
	}
	for range 300 {
		clk.Add(time.Duration(rng.IntN(3)) * time.Second)
		now := clk.Now()
		switch rs := sim.Records(); rng.IntN(4) {
		case 0:
			sim.Create(now.Add(-time.Duration(rng.IntN(4)) * time.Second)) // late writes, inside the lag
		case 1, 2:
			if r := rs[rng.IntN(len(rs))]; r.UpdatedAt.Before(now.Truncate(time.Second)) {
				if _, err := sim.Update(r.ID, now); err != nil {
					t.Fatal(err)
				}
			}
		}
		step()
	}
	sim.SetFaultRates(nhanhsim.FaultRates{})
	clk.Add(time.Minute)
	for range 200 {
		step()
	}

	latest := map[string]*nhanh.Conversation{}
	seen := map[string]bool{}
	for _, r := range emitted {
		if r.Err != nil {
			t.Fatalf("record error: %v", r.Err)
		}
		v := r.Value.(*nhanh.Conversation)
		version := fmt.Sprintf("%s@%d", v.ID, v.UpdatedAt.Unix())
		if seen[version] {
			t.Errorf("%s emitted twice", version)
		}
		seen[version] = true
		if prev := latest[v.ID]; prev != nil {
			if !v.UpdatedAt.After(prev.UpdatedAt) || r.Op != source.OpUpdate {
				t.Errorf("%s emitted as %s after version %v", version, r.Op, prev.UpdatedAt)
			}
		}
		latest[v.ID] = v
	}
	rs := sim.Records()
	for _, want := range rs {
		got := latest[want.ID]
		if got == nil || !got.UpdatedAt.Equal(want.UpdatedAt) || got.LastMessage != want.LastMessage || got.Status != int32(want.Status) || got.HasReply != want.HasReply {
			t.Errorf("%s: last emitted %+v, stored %+v", want.ID, got, want)
		}
	}
	if len(latest) != len(rs) || failures == 0 {
		t.Errorf("%d conversations emitted of %d; %d failed polls", len(latest), len(rs), failures)
	}
	t.Logf("%d conversations, %d events, %d failed polls", len(rs), len(emitted), failures)
}
