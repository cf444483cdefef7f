package znssim_test

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
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	znssim "github.com/vnstream/connector/pkg/sim/zns"
)

const testKey = "sim-key-that-must-never-be-echoed"

// t0 is the send time of the first message in most tests.
var t0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

var dialects = []znssim.Dialect{znssim.InterITS, znssim.ETelecom}

// client sends list calls to a simulator behind an httptest server.
type client struct {
	t       *testing.T
	base    string
	http    *http.Client
	dialect znssim.Dialect
	key     string
}

// serve starts sim on a loopback test server closed when the test ends.
func serve(t *testing.T, d znssim.Dialect, sim *znssim.Sim) *client {
	t.Helper()
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return &client{t: t, base: srv.URL, http: srv.Client(), dialect: d, key: testKey}
}

// reply is an HTTP answer read in full.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// auth returns the dialect's credential header for key.
func auth(d znssim.Dialect, key string) map[string]string {
	if d == znssim.ETelecom {
		return map[string]string{"Authorization": "Bearer " + key}
	}
	return map[string]string{"API-KEY": key}
}

// send issues a request and reads the whole answer.
func (c *client) send(ctx context.Context, method, path, body string, hdr map[string]string) (reply, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, strings.NewReader(body))
	if err != nil {
		return reply{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, b}, err
}

// post sends a list call with the right key.
func (c *client) post(body string) reply {
	c.t.Helper()
	r, err := c.send(context.Background(), http.MethodPost, c.dialect.Path(), body, auth(c.dialect, c.key))
	if err != nil {
		c.t.Fatal(err)
	}
	return r
}

// list builds a list body.
func list(filter map[string]any, limit int, after string) string {
	p := map[string]any{"limit": limit}
	if after != "" {
		p["after"] = after
	}
	b, err := json.Marshal(map[string]any{"filter": filter, "paging": p})
	if err != nil {
		panic(err)
	}
	return string(b)
}

// page is a decoded list answer.
type page struct {
	Messages []map[string]json.RawMessage `json:"messages"`
	Paging   struct {
		After, Before, Next, Prev, Sort string
		Limit                           int
	} `json:"paging"`
}

// decodePage checks that r is a 200 JSON page and decodes it.
func decodePage(t *testing.T, r reply) page {
	t.Helper()
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d %q, want 200 JSON; body %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	var p page
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.UseNumber()
	if err := dec.Decode(&p); err != nil || p.Messages == nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
	return p
}

// idOf reads a served id, a JSON string or number, keeping its digits.
func idOf(t *testing.T, m map[string]json.RawMessage) string {
	t.Helper()
	raw := string(m["id"])
	if s, err := strconv.Unquote(raw); err == nil {
		return s
	}
	if _, err := strconv.ParseUint(raw, 10, 64); err != nil {
		t.Fatalf("id %s is neither a string nor an integer", raw)
	}
	return raw
}

// walk follows next from the first page of filter, limit at a time, and
// returns the ids in the order served.
func walk(t *testing.T, c *client, filter map[string]any, limit int) []string {
	t.Helper()
	var ids []string
	after := ""
	for range 100_000 {
		p := decodePage(t, c.post(list(filter, limit, after)))
		if len(p.Messages) > limit {
			t.Fatalf("page of %d messages, limit %d", len(p.Messages), limit)
		}
		for _, m := range p.Messages {
			ids = append(ids, idOf(t, m))
		}
		if p.Paging.Next == "" {
			return ids
		}
		if p.Paging.Next == after {
			t.Fatalf("next %q repeats the cursor", after)
		}
		after = p.Paging.Next
	}
	t.Fatal("the walk never ended")
	return nil
}

// ids returns the ids of rs.
func ids(rs []znssim.Record) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

// timeType returns the time of r that time_type tt filters on.
func timeType(r znssim.Record, tt string) time.Time {
	switch tt {
	case "request_time":
		return r.RequestTime
	case "submit_time":
		return r.SubmitTime
	}
	return r.UpdatedAt
}

// expect is the brute force answer: the ids of rs (listed in (updated_at,
// id) order) with the time of tt in [from, to] and oa, in (time, id) order.
func expect(rs []znssim.Record, tt, oa string, from, to time.Time) []string {
	var sel []znssim.Record
	for _, r := range rs {
		at := timeType(r, tt)
		if !at.IsZero() && !at.Before(from) && !at.After(to) && (oa == "" || r.OAID == oa) {
			sel = append(sel, r)
		}
	}
	slices.SortStableFunc(sel, func(a, b znssim.Record) int { return timeType(a, tt).Compare(timeType(b, tt)) })
	return ids(sel)
}

func TestMessageShapes(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.String(), func(t *testing.T) {
			sim := znssim.New(d, testKey)
			c := serve(t, d, sim)
			created := sim.Create(t0.Add(123456 * time.Microsecond))
			odd := sim.Create(t0.Add(time.Second))
			rated := created
			for range 4 {
				var err error
				if rated, err = sim.Update(created.ID, t0.Add(time.Minute)); err != nil {
					t.Fatal(err)
				}
			}
			p := decodePage(t, c.post(list(nil, 10, "")))
			if len(p.Messages) != 2 {
				t.Fatalf("%d messages, want 2", len(p.Messages))
			}
			first, second := p.Messages[0], p.Messages[1]
			if idOf(t, first) != odd.ID || idOf(t, second) != rated.ID {
				t.Fatalf("order %s %s, want %s (updated first) then %s", first["id"], second["id"], odd.ID, rated.ID)
			}
			eOnly := []string{"is_development", "zl_user_id", "request_time"}
			for _, f := range eOnly {
				if _, ok := first[f]; ok != (d == znssim.ETelecom) {
					t.Errorf("%s present: %v", f, ok)
				}
			}
			wantTime, wantShop, wantOddID := `"2026-03-01T00:01:00.000Z"`, `"1040105911278962688"`, `"`+odd.ID+`"`
			if d == znssim.InterITS {
				wantTime, wantShop, wantOddID = `"2026-03-01T07:01:00+07:00"`, `1040105911278962688`, odd.ID
			}
			if string(second["updated_at"]) != wantTime || string(first["shop_id"]) != wantShop || string(first["id"]) != wantOddID {
				t.Errorf("updated_at %s, shop_id %s, id %s; want %s %s %s", second["updated_at"], first["shop_id"], first["id"], wantTime, wantShop, wantOddID)
			}
			if string(second["created_at"]) == string(second["updated_at"]) || !bytes.Equal(second["feedback"], rated.Feedback) ||
				!bytes.Equal(second["template_data"], rated.TemplateData) || string(second["delivery_status"]) != `"seen"` {
				t.Errorf("rated message served as %v", second)
			}
			if string(first["template_id"]) != odd.TemplateID {
				t.Errorf("template_id %s, want the number %s", first["template_id"], odd.TemplateID)
			}
			if bytes.Contains(c.post(list(nil, 10, "")).body, []byte(testKey)) {
				t.Error("the page echoes the key")
			}
		})
	}
}

func TestPagingWalksAllOnce(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.String(), func(t *testing.T) {
			sim := znssim.New(d, testKey)
			for i := range 1234 {
				sim.Create(t0.Add(time.Duration(i/3) * time.Second)) // three per second: ties
			}
			c := serve(t, d, sim)
			if got, want := walk(t, c, nil, 100), ids(sim.Records()); !slices.Equal(got, want) {
				t.Fatalf("walk served %d ids, want %d in (updated_at, id) order", len(got), len(want))
			}
			p := decodePage(t, c.post(list(nil, 1234, "")))
			if len(p.Messages) != 1000 || p.Paging.Next == "" || p.Paging.Limit != 1000 {
				t.Errorf("limit 1234: %d messages, limit %d, next %q; want the 1000 cap", len(p.Messages), p.Paging.Limit, p.Paging.Next)
			}
			if p := decodePage(t, c.post(list(nil, 0, ""))); len(p.Messages) != 100 || p.Paging.Limit != 100 {
				t.Errorf("limit 0: %d messages, want the default 100", len(p.Messages))
			}
		})
	}
}

func TestFilterBoundsInclusive(t *testing.T) {
	sim := znssim.New(znssim.ETelecom, testKey)
	for _, ms := range []int{-1, 0, 0, 1, 999, 1000, 1001} {
		sim.Create(t0.Add(time.Duration(ms) * time.Millisecond))
	}
	c := serve(t, znssim.ETelecom, sim)
	got := walk(t, c, map[string]any{"date_from": "2026-03-01T00:00:00Z", "date_to": "2026-03-01T00:00:01Z"}, 2)
	if want := ids(sim.Records())[1:6]; !slices.Equal(got, want) {
		t.Errorf("[t0, t0+1s] served %v, want %v", got, want)
	}
}

func TestVisibility(t *testing.T) {
	now := t0.Add(time.Hour)
	sim := znssim.New(znssim.InterITS, testKey, znssim.WithClock(func() time.Time { return now }))
	past := sim.Create(now)
	sim.Create(now.Add(time.Millisecond))
	c := serve(t, znssim.InterITS, sim)
	if got := walk(t, c, nil, 10); !slices.Equal(got, []string{past.ID}) {
		t.Errorf("served %v, want only %s: a version stamped after now is not visible", got, past.ID)
	}
}

func TestTimeTypesAndFilters(t *testing.T) {
	sim := znssim.New(znssim.ETelecom, testKey)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 300 {
		r := sim.Create(t0.Add(time.Duration(i) * time.Minute))
		for range rng.IntN(5) {
			if _, err := sim.Update(r.ID, t0.Add(time.Duration(i+rng.IntN(600))*time.Minute)); err != nil && !strings.Contains(err.Error(), "after") {
				t.Fatal(err)
			}
		}
	}
	rs := sim.Records()
	c := serve(t, znssim.ETelecom, sim)
	for range 60 {
		tt := []string{"", "updated_time", "request_time", "submit_time"}[rng.IntN(4)]
		from := t0.Add(time.Duration(rng.IntN(900)) * time.Minute)
		to := from.Add(time.Duration(rng.IntN(300)) * time.Minute)
		oa := []string{"", "4318529470172498734", "1756873451230987654"}[rng.IntN(3)]
		filter := map[string]any{"date_from": from.Format(time.RFC3339), "date_to": to.Format(time.RFC3339)}
		if tt != "" {
			filter["time_type"] = tt
		}
		if oa != "" {
			filter["oa_id"] = oa
		}
		got := walk(t, c, filter, 1+rng.IntN(40))
		if want := expect(rs, tt, oa, from, to); !slices.Equal(got, want) {
			t.Fatalf("%v: served %v, want %v", filter, got, want)
		}
	}
	// The equality filters.
	target := rs[17]
	for _, f := range []map[string]any{
		{"phone": target.Phone}, {"msg_id": target.MsgID}, {"tracking_id": target.TrackingID}, {"template_id": json.Number(target.TemplateID), "phone": target.Phone},
		{"delivery_status": strings.ToUpper(target.DeliveryStatus), "phone": target.Phone}, {"user_id": target.UserID, "phone": target.Phone},
		{"is_charged": true, "is_development": false, "msg_type": "unknown", "status": "P", "phone": target.Phone},
	} {
		if got := walk(t, c, f, 10); !slices.Equal(got, []string{target.ID}) {
			t.Errorf("filter %v: served %v, want %s", f, got, target.ID)
		}
	}
	if got := walk(t, c, map[string]any{"msg_type": "journey"}, 10); len(got) != 0 {
		t.Errorf("msg_type journey: served %v, want none", got)
	}
}

func TestPageCap(t *testing.T) {
	sim := znssim.New(znssim.ETelecom, testKey, znssim.WithPageCap(7))
	for i := range 20 {
		sim.Create(t0.Add(time.Duration(i) * time.Second))
	}
	c := serve(t, znssim.ETelecom, sim)
	if p := decodePage(t, c.post(list(nil, 500, ""))); len(p.Messages) != 7 || p.Paging.Next == "" {
		t.Errorf("limit 500 with cap 7: %d messages, next %q", len(p.Messages), p.Paging.Next)
	}
	if p := decodePage(t, c.post(list(nil, 3, ""))); len(p.Messages) != 3 {
		t.Errorf("limit 3 with cap 7: %d messages", len(p.Messages))
	}
	if got := walk(t, c, nil, 500); len(got) != 20 {
		t.Errorf("capped walk served %d ids, want 20", len(got))
	}
}

func TestLastPage(t *testing.T) {
	sim := znssim.New(znssim.InterITS, testKey)
	for i := range 4 {
		sim.Create(t0.Add(time.Duration(i) * time.Second))
	}
	c := serve(t, znssim.InterITS, sim)
	p := decodePage(t, c.post(list(nil, 4, "")))
	if len(p.Messages) != 4 || p.Paging.Next != "" || p.Paging.After == "" || p.Paging.Before == "" || p.Paging.Prev != "" {
		t.Errorf("a full last page: %d messages, paging %+v; want next empty", len(p.Messages), p.Paging)
	}
	p2 := decodePage(t, c.post(list(nil, 2, "")))
	p3 := decodePage(t, c.post(list(nil, 2, p2.Paging.Next)))
	if p2.Paging.Next == "" || p3.Paging.Prev != p2.Paging.Next || p3.Paging.Next != "" || idOf(t, p3.Messages[1]) != idOf(t, p.Messages[3]) {
		t.Errorf("second page %+v after %+v", p3.Paging, p2.Paging)
	}
	if p := decodePage(t, c.post(list(map[string]any{"date_from": "2027-01-01T00:00:00Z"}, 4, ""))); len(p.Messages) != 0 || p.Paging.Next != "" {
		t.Errorf("empty result: %+v", p)
	}
}

func TestExtraFields(t *testing.T) {
	sim := znssim.New(znssim.ETelecom, testKey)
	sim.Add(znssim.Record{ID: "42", CreatedAt: t0, UpdatedAt: t0, Phone: "84912345678",
		TemplateData: json.RawMessage(`{"name": "Nguyễn Văn A"}`),
		Extra:        map[string]json.RawMessage{"rate": json.RawMessage(`"five"`), "channel": json.RawMessage(`{"a": [1, 2]}`)}})
	c := serve(t, znssim.ETelecom, sim)
	r := c.post(list(nil, 1, ""))
	want := `{"channel":{"a": [1, 2]},"created_at":"2026-03-01T00:00:00.000Z","error_code":0,"fee_main":0,"fee_token":0,"id":"42",` +
		`"is_charged":false,"is_development":false,"phone":"84912345678","rate":"five","template_data":{"name": "Nguyễn Văn A"},` +
		`"timeout":0,"updated_at":"2026-03-01T00:00:00.000Z"}`
	if !bytes.Contains(r.body, []byte(`{"messages":[`+want+`]`)) {
		t.Errorf("body %s, want the message %s", r.body, want)
	}
}

func TestAuthFailures(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.String(), func(t *testing.T) {
			sim := znssim.New(d, testKey)
			sim.Create(t0)
			c := serve(t, d, sim)
			other := znssim.InterITS
			if d == znssim.InterITS {
				other = znssim.ETelecom
			}
			cases := []map[string]string{auth(d, "wrong-key"), auth(d, ""), auth(other, testKey), auth(d, testKey+"x")}
			if d == znssim.ETelecom {
				cases = append(cases, map[string]string{"Authorization": testKey}, map[string]string{"Authorization": "Basic " + testKey})
			}
			for _, hdr := range cases {
				r, err := c.send(context.Background(), http.MethodPost, d.Path(), list(nil, 1, ""), hdr)
				if err != nil {
					t.Fatal(err)
				}
				var twirp struct{ Code, Msg string }
				var its struct {
					Code    int
					Message string
				}
				ok := r.status == http.StatusUnauthorized && r.header.Get("Content-Type") == "application/json"
				if d == znssim.ETelecom {
					ok = ok && json.Unmarshal(r.body, &twirp) == nil && twirp.Code == "unauthenticated" && twirp.Msg != ""
				} else {
					ok = ok && json.Unmarshal(r.body, &its) == nil && its.Code == 401 && its.Message != ""
				}
				if !ok || bytes.Contains(r.body, []byte(testKey)) {
					t.Errorf("%v: %d %s, want 401 with the dialect's error and no key", hdr, r.status, r.body)
				}
			}
			// The scheme is case-insensitive.
			if d == znssim.ETelecom {
				if r, _ := c.send(context.Background(), http.MethodPost, d.Path(), list(nil, 1, ""), map[string]string{"Authorization": "bearer " + testKey}); r.status != http.StatusOK {
					t.Errorf("bearer in lower case: %d", r.status)
				}
			}
			if st := sim.Stats(); st.AuthFailed != len(cases) || st.Served > 1 {
				t.Errorf("Stats %+v, want %d auth failures", st, len(cases))
			}
		})
	}
}

func TestBadRequest(t *testing.T) {
	cursor := func(t *testing.T, c *client) string {
		return decodePage(t, c.post(list(nil, 1, ""))).Paging.Next
	}
	for _, d := range dialects {
		t.Run(d.String(), func(t *testing.T) {
			sim := znssim.New(d, testKey)
			sim.Create(t0)
			sim.Create(t0.Add(time.Second))
			c := serve(t, d, sim)
			next := cursor(t, c)
			cases := []struct{ body, msg string }{
				{`{"filter":`, "not a list request"},
				{`[]`, "not a list request"},
				{`{"filter":{},"paging":{}} {}`, "more than one JSON value"},
				{`{"filter":{"date_from":"yesterday"}}`, "filter.date_from"},
				{`{"filter":{"date_to":"2026-03-01 00:00:00"}}`, "filter.date_to"},
				{`{"filter":{"tracking":"x"}}`, "unknown field"},
				{`{"filter":{"template_id":"231456"}}`, "not a list request"},
				{`{"paging":{"limit":-1}}`, "paging.limit"},
				{`{"paging":{"after":"not a cursor"}}`, "paging.after"},
				{`{"paging":{"after":"MS5hYmMuNQ"}}`, "paging.after"}, // 1.abc.5
				{`{"paging":{"before":"` + next + `"}}`, "paging.before"},
				{`{"paging":{"sort":"desc"}}`, "paging.sort"},
				{`{"page":1}`, "unknown field"},
			}
			if d == znssim.InterITS {
				cases = append(cases, struct{ body, msg string }{`{"filter":{"time_type":"updated_time"}}`, "unknown field filter.time_type"},
					struct{ body, msg string }{`{"filter":{"is_development":false}}`, "unknown field filter.is_development"})
			} else {
				cases = append(cases, struct{ body, msg string }{`{"filter":{"charged":true}}`, "unknown field filter.charged"},
					struct{ body, msg string }{`{"filter":{"time_type":"created_time"}}`, "filter.time_type"})
			}
			for _, tc := range cases {
				r := c.post(tc.body)
				if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), tc.msg) {
					t.Errorf("%s: %d %s, want 400 mentioning %q", tc.body, r.status, r.body, tc.msg)
				}
			}
			r, err := c.send(context.Background(), http.MethodPost, d.Path(), `{}`, map[string]string{"Content-Type": "text/plain", "API-KEY": testKey, "Authorization": "Bearer " + testKey})
			if err != nil || r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "Content-Type") {
				t.Errorf("text/plain: %d %s %v", r.status, r.body, err)
			}
			if st := sim.Stats(); st.BadRequest != len(cases)+1 || st.AuthFailed != 0 {
				t.Errorf("Stats %+v, want %d bad requests", st, len(cases)+1)
			}
		})
	}
}

func TestNotFoundAndMethod(t *testing.T) {
	for _, d := range dialects {
		sim := znssim.New(d, testKey)
		c := serve(t, d, sim)
		other := znssim.ETelecomPath
		if d == znssim.ETelecom {
			other = znssim.InterITSPath
		}
		r, err := c.send(context.Background(), http.MethodPost, other, `{}`, auth(d, testKey))
		if err != nil || r.status != http.StatusNotFound || !json.Valid(r.body) {
			t.Errorf("%v: the other dialect's path: %d %s %v, want 404 JSON", d, r.status, r.body, err)
		}
		r, err = c.send(context.Background(), http.MethodGet, d.Path(), ``, auth(d, testKey))
		if err != nil || r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != http.MethodPost {
			t.Errorf("%v: GET: %d %s %v, want 405 with Allow: POST", d, r.status, r.body, err)
		}
		if st := sim.Stats(); st.Requests != 2 || st.Served+st.AuthFailed+st.BadRequest != 0 {
			t.Errorf("%v: Stats %+v, want 2 requests and nothing else", d, st)
		}
	}
}

func TestConcurrentWrites(t *testing.T) {
	sim := znssim.New(znssim.ETelecom, testKey)
	c := serve(t, znssim.ETelecom, sim)
	const creates = 1000
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range creates {
			r := sim.Create(t0.Add(time.Duration(i) * time.Second))
			if i%10 == 0 {
				if _, err := sim.Update(r.ID, t0.Add(time.Duration(i)*time.Second+time.Millisecond)); err != nil {
					t.Error(err)
					return
				}
			}
		}
	})
	for range 4 {
		wg.Go(func() {
			for range 5 {
				// Messages may change between pages: only check that
				// every page follows the previous one.
				after, last := "", ""
				for {
					r := c.post(list(nil, 97, after))
					if r.status != http.StatusOK {
						t.Errorf("status %d: %s", r.status, r.body)
						return
					}
					var p struct {
						Messages []struct {
							UpdatedAt string `json:"updated_at"`
						}
						Paging struct{ Next string }
					}
					if err := json.Unmarshal(r.body, &p); err != nil {
						t.Error(err)
						return
					}
					for _, m := range p.Messages {
						if m.UpdatedAt < last {
							t.Errorf("updated_at %s after %s", m.UpdatedAt, last)
							return
						}
						last = m.UpdatedAt
					}
					if p.Paging.Next == "" {
						break
					}
					after = p.Paging.Next
				}
			}
		})
	}
	wg.Go(func() {
		for range 100 {
			sim.Records()
			sim.Stats()
		}
	})
	wg.Wait()
	if got := walk(t, c, nil, 500); len(got) != creates {
		t.Errorf("after the writers: %d ids, want %d", len(got), creates)
	}
}

// TestLargeStore seeds 100 000 messages and walks them in hour windows,
// the way the connector reads a backlog; each page costs about its size.
// It shrinks to 10 000 under -short or the race detector.
func TestLargeStore(t *testing.T) {
	n := 100_000
	if testing.Short() || raceEnabled {
		n = 10_000
	}
	sim := znssim.New(znssim.ETelecom, testKey)
	start := time.Now()
	for i := range n {
		sim.Create(t0.Add(time.Duration(i) * 100 * time.Millisecond))
	}
	t.Logf("seeded %d messages in %v", n, time.Since(start))
	c := serve(t, znssim.ETelecom, sim)
	start = time.Now()
	seen, requests := 0, 0
	for from := t0; from.Before(t0.Add(time.Duration(n) * 100 * time.Millisecond)); from = from.Add(time.Hour) {
		filter := map[string]any{"date_from": from.Format(time.RFC3339), "date_to": from.Add(time.Hour - time.Millisecond).Format(time.RFC3339Nano)}
		for after := ""; ; requests++ {
			var p struct {
				Messages []struct{ ID string }
				Paging   struct{ Next string }
			}
			if r := c.post(list(filter, 1000, after)); r.status != http.StatusOK || json.Unmarshal(r.body, &p) != nil {
				t.Fatalf("%d %.100s", r.status, r.body)
			}
			seen += len(p.Messages)
			if after = p.Paging.Next; after == "" {
				break
			}
		}
	}
	if seen != n {
		t.Fatalf("windows served %d ids, want %d", seen, n)
	}
	t.Logf("walked them in %d requests, %v", requests, time.Since(start))
}

func ExampleSim() {
	sim := znssim.New(znssim.ETelecom, "shop-key")
	sim.Create(time.Date(2025, 11, 2, 22, 12, 50, 529e6, time.UTC))
	srv := httptest.NewServer(sim)
	defer srv.Close()

	req, _ := http.NewRequest(http.MethodPost, srv.URL+znssim.BasePath+".Zalo/ListMessages",
		strings.NewReader(`{"filter":{"date_from":"2025-11-02T00:00:00Z","date_to":"2025-11-03T00:00:00Z","time_type":"updated_time"},"paging":{"limit":50}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer shop-key")
	resp, err := srv.Client().Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body))
	// Output:
	// 200 {"messages":[{"campaign_id":"1050000000000000006","created_at":"2025-11-02T22:12:50.529Z","delivery_status":"unknown","error_code":0,"fee_main":300,"fee_token":0,"id":"1021110718827683840","is_charged":true,"is_development":false,"msg_id":"e18bde9e33ece000567a42e4a4841f2d","oa_id":"4318529470172498734","phone":"84944721152","rate":0,"request_time":"2025-11-02T22:12:50.529Z","sent_time":"2025-11-02T22:12:50.529Z","shop_id":"1040105911278962688","status":"P","template_data":{"customer_name":"Nguyễn Minh Hà","order_code":"DH27683840"},"template_id":250012,"timeout":30,"tracking_id":"DH27683840","type":"template","updated_at":"2025-11-02T22:12:50.529Z","user_id":"1040106005339185154","zl_user_id":"7501878111644721152"}],"paging":{"after":"MS4xNzYyMTIxNTcwNTI5MDAwMDAwLjEwMjExMTA3MTg4Mjc2ODM4NDA","before":"MS4xNzYyMTIxNTcwNTI5MDAwMDAwLjEwMjExMTA3MTg4Mjc2ODM4NDA","limit":50,"next":"","prev":"","sort":""}}
}
