package nxlinksim_test

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

	nxlinksim "github.com/vnstream/connector/pkg/sim/nxlink"
	"github.com/vnstream/connector/pkg/source/nxlink"
)

const (
	testAccessKey = "fme2na3kdi3ki"
	testSecret    = "sim-secret-that-must-never-be-echoed"
	testTenant    = 123
	testAppKey    = "46oKF=os"
)

// t0 is the update time of the first customer in most tests.
var t0 = time.Date(2024, 7, 19, 10, 29, 27, 0, time.UTC)

// client sends requests to a simulator behind an httptest server.
type client struct {
	t         *testing.T
	base      string
	http      *http.Client
	accessKey string
	secret    string
	now       func() time.Time // the ts signed requests carry
}

// serve starts sim on a loopback test server closed when the test ends.
func serve(t *testing.T, sim *nxlinksim.Sim) *client {
	t.Helper()
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return &client{t: t, base: srv.URL, http: srv.Client(), accessKey: testAccessKey, secret: testSecret, now: time.Now}
}

// reply is an HTTP answer read in full.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// headers returns the public headers of body sent at ts, signed with the
// client's credentials.
func (c *client) headers(ts int64, body []byte) map[string]string {
	return map[string]string{
		"Content-Type": "application/json",
		"accessKey":    c.accessKey,
		"ts":           strconv.FormatInt(ts, 10),
		"bizType":      "2",
		"action":       "mt",
		"sign":         nxlink.Sign(c.accessKey, c.secret, ts, body),
	}
}

// send issues a request and reads the whole answer.
func (c *client) send(ctx context.Context, method, path string, hdr map[string]string, body []byte) (reply, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return reply{}, err
	}
	for k, v := range hdr {
		req.Header[k] = []string{v}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, b}, err
}

// post sends a correctly signed query with body.
func (c *client) post(body string) reply {
	c.t.Helper()
	r, err := c.send(context.Background(), http.MethodPost, nxlinksim.QueryPath, c.headers(c.now().UnixMilli(), []byte(body)), []byte(body))
	if err != nil {
		c.t.Fatalf("POST %s: %v", body, err)
	}
	return r
}

// query builds a body for the test tenant; extra members are appended.
func query(limit int, extra ...string) string {
	members := append([]string{`"tenant_id":123`, `"app_key":"46oKF=os"`, `"limit":` + strconv.Itoa(limit)}, extra...)
	return "{" + strings.Join(members, ",") + "}"
}

// envelope is an answer of the simulator.
type envelope struct {
	Code    int             `json:"code"`
	Message *string         `json:"message"`
	TraceID string          `json:"traceId"`
	Data    json.RawMessage `json:"data"`
}

// paging is a page's cursors; nil is null.
type paging struct {
	After, Before, Previous, Next *json.Number
}

// customer is a served customer, with the fields the tests look at.
type customer struct {
	ID        json.Number `json:"id"`
	UpdatedAt string      `json:"updated_at"`
	CreatedAt string      `json:"created_at"`
	TenantID  json.Number `json:"tenant_id"`
}

// decodePage checks that r is a code 0 page and returns its paging and
// customers, numbers kept exact.
func decodePage(t *testing.T, r reply) (paging, []customer) {
	t.Helper()
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d %q, want 200 JSON; body %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	var env envelope
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.UseNumber()
	if err := dec.Decode(&env); err != nil || env.Code != 0 || len(env.TraceID) != 32 || env.Message != nil {
		t.Fatalf("envelope of %s: %v", r.body, err)
	}
	var data struct {
		Paging       *paging           `json:"paging"`
		CustomerList []json.RawMessage `json:"customer_list"`
	}
	dec = json.NewDecoder(bytes.NewReader(env.Data))
	dec.UseNumber()
	if err := dec.Decode(&data); err != nil || data.Paging == nil || data.CustomerList == nil {
		t.Fatalf("data of %s: %v", r.body, err)
	}
	out := make([]customer, len(data.CustomerList))
	for i, raw := range data.CustomerList {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&out[i]); err != nil {
			t.Fatalf("customer %s: %v", raw, err)
		}
	}
	return *data.Paging, out
}

// vendorError checks that r is an HTTP 200 envelope with code and returns
// its message.
func vendorError(t *testing.T, r reply, code int) string {
	t.Helper()
	var env envelope
	if err := json.Unmarshal(r.body, &env); err != nil || r.status != http.StatusOK || env.Code != code ||
		env.Message == nil || *env.Message == "" || len(env.TraceID) != 32 || string(env.Data) != "null" {
		t.Fatalf("got %d %s (%v), want HTTP 200 with code %d, a message and a traceId", r.status, r.body, err, code)
	}
	return *env.Message
}

func num(n *json.Number) string {
	if n == nil {
		return "null"
	}
	return n.String()
}

func ids(cs []customer) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID.String()
	}
	return out
}

// walk pages through the query with after, limit at a time, checking each
// page's paging against the pages around it. It returns all ids served.
func walk(t *testing.T, c *client, limit int, extra ...string) []string {
	t.Helper()
	var all []string
	var firsts []string // the first id of every page
	after := ""
	for pages := 0; ; pages++ {
		members := slices.Clone(extra)
		if after != "" {
			members = append(members, `"after":`+after)
		}
		p, cs := decodePage(t, c.post(query(limit, members...)))
		if len(cs) > limit {
			t.Fatalf("page %d has %d customers, limit %d", pages, len(cs), limit)
		}
		if len(cs) > 0 {
			if num(p.Before) != cs[0].ID.String() || num(p.After) != cs[len(cs)-1].ID.String() {
				t.Fatalf("page %d: paging %s..%s, customers %v", pages, num(p.Before), num(p.After), ids(cs))
			}
			firsts = append(firsts, cs[0].ID.String())
		}
		if want := "null"; pages > 0 && len(firsts) > 1 {
			want = firsts[len(firsts)-2]
			if num(p.Previous) != want {
				t.Fatalf("page %d: previous %s, want %s", pages, num(p.Previous), want)
			}
		} else if pages == 0 && p.Previous != nil {
			t.Fatalf("first page: previous %s, want null", num(p.Previous))
		}
		for _, cust := range cs {
			if after != "" && mustInt(t, cust.ID.String()) <= mustInt(t, after) {
				t.Fatalf("page %d: id %s not above %s", pages, cust.ID, after)
			}
			after = cust.ID.String()
			all = append(all, after)
		}
		if p.Next == nil {
			return all
		}
		if len(cs) == 0 {
			t.Fatalf("page %d: empty with next %s", pages, num(p.Next))
		}
		// next is where the next page starts: checked on the next page.
		defer func(next string, page int) {
			if i := slices.Index(all, next); i < 0 || (i > 0 && all[i-1] != cs[len(cs)-1].ID.String()) {
				t.Errorf("page %d: next %s is not the first id of the page after", page, next)
			}
		}(num(p.Next), pages)
	}
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("id %q: %v", s, err)
	}
	return n
}

// hcm is Ho Chi Minh City's zone.
func hcm(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// window is the start_time and end_time members for [from, to] in loc.
func window(from, to time.Time, loc *time.Location) []string {
	return []string{`"start_time":"` + from.In(loc).Format(nxlink.TimeLayout) + `"`, `"end_time":"` + to.In(loc).Format(nxlink.TimeLayout) + `"`}
}

func TestPagingWalksAllOnce(t *testing.T) {
	sim := nxlinksim.New(testAccessKey, testSecret, testTenant, testAppKey)
	for i := range 1234 {
		sim.Create(t0.Add(time.Duration(i) * time.Second))
	}
	c := serve(t, sim)
	got := walk(t, c, 50)
	var want []string
	for _, r := range sim.Records() {
		want = append(want, r.ID)
	}
	if !slices.Equal(got, want) || len(got) != 1234 {
		t.Fatalf("walk served %d ids, want %d", len(got), len(want))
	}
	if got[0] != strconv.FormatInt(nxlinksim.DefaultStartID, 10) {
		t.Errorf("first id %s, want %d", got[0], nxlinksim.DefaultStartID)
	}
}

func TestTimeFilterInclusiveInZone(t *testing.T) {
	loc := hcm(t)
	sim := nxlinksim.New(testAccessKey, testSecret, testTenant, testAppKey, nxlinksim.WithZone(loc))
	var rs []nxlinksim.Record
	for i := range 10 {
		rs = append(rs, sim.Create(t0.Add(time.Duration(i)*time.Second)))
	}
	c := serve(t, sim)
	_, cs := decodePage(t, c.post(query(50, window(t0.Add(2*time.Second), t0.Add(5*time.Second), loc)...)))
	if got, want := ids(cs), []string{rs[2].ID, rs[3].ID, rs[4].ID, rs[5].ID}; !slices.Equal(got, want) {
		t.Errorf("window served %v, want %v (both bounds inclusive)", got, want)
	}
	if len(cs) > 0 && (cs[0].UpdatedAt != "2024-07-19T17:29:29" || cs[0].CreatedAt != "2024-07-19T17:29:29") {
		t.Errorf("times served %s/%s, want zone-less Ho Chi Minh City times", cs[0].CreatedAt, cs[0].UpdatedAt)
	}
	// The same bounds read in UTC are seven hours off: nothing.
	if _, cs := decodePage(t, c.post(query(50, window(t0.Add(2*time.Second), t0.Add(5*time.Second), time.UTC)...))); len(cs) != 0 {
		t.Errorf("UTC bounds served %v", ids(cs))
	}
	if _, cs := decodePage(t, c.post(query(50, window(t0.Add(5*time.Second), t0.Add(2*time.Second), loc)...))); len(cs) != 0 {
		t.Errorf("start after end served %v", ids(cs))
	}
}

func TestUpdateMovesCustomerToItsNewTime(t *testing.T) {
	sim := nxlinksim.New(testAccessKey, testSecret, testTenant, testAppKey)
	a := sim.Create(t0)
	b := sim.Create(t0.Add(time.Second))
	if _, err := sim.Update(a.ID, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	c := serve(t, sim)
	if _, cs := decodePage(t, c.post(query(50, window(t0, t0.Add(time.Minute), time.UTC)...))); !slices.Equal(ids(cs), []string{b.ID}) {
		t.Errorf("old window served %v, want only %s", ids(cs), b.ID)
	}
	if _, cs := decodePage(t, c.post(query(50, window(t0.Add(time.Hour), t0.Add(time.Hour), time.UTC)...))); !slices.Equal(ids(cs), []string{a.ID}) {
		t.Errorf("new window served %v, want %s", ids(cs), a.ID)
	}
}

// model is the brute force answer of the simulator: the page of at most
// limit ids of rs updated in [from, to] and between after and before,
// and its previous and next page starts.
func model(rs []nxlinksim.Record, from, to int64, after, before *int64, limit int) (page []int64, previous, next *int64) {
	var all []int64
	for _, r := range rs {
		u := r.UpdatedAt.Unix()
		if u >= from && u <= to {
			n, _ := strconv.ParseInt(r.ID, 10, 64)
			all = append(all, n)
		}
	}
	slices.Sort(all)
	// all[lo:hi] are the ids between after and before.
	lo, hi := 0, len(all)
	if after != nil {
		lo, _ = slices.BinarySearch(all, *after+1)
	}
	if before != nil {
		hi, _ = slices.BinarySearch(all, *before)
	}
	hi = max(hi, lo)
	s, e := lo, min(hi, lo+limit)
	if after == nil && before != nil {
		s, e = max(lo, hi-limit), hi
	}
	page = all[s:e]
	if len(page) == 0 {
		// The neighbours of an empty page are around where it would be.
		s, e = lo, lo
		if after == nil && before != nil {
			s, e = hi, hi
		}
	}
	if e < len(all) {
		next = &all[e]
	}
	if s > 0 {
		previous = &all[max(0, s-limit)]
	}
	return page, previous, next
}

// TestQueriesMatchModel compares random queries against the brute force
// answer over a store with late writes and updates.
func TestQueriesMatchModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sim := nxlinksim.New(testAccessKey, testSecret, testTenant, testAppKey)
	var created []string
	for i := range 2000 {
		at := t0.Add(time.Duration(i) * time.Second)
		switch rng.IntN(10) {
		case 0:
			sim.Add(nxlinksim.Record{ID: strconv.Itoa(100000 + i), CreatedAt: at.Add(-time.Duration(rng.IntN(2000)) * time.Second)})
		case 1:
			if len(created) > 0 {
				if _, err := sim.Update(created[rng.IntN(len(created))], at); err != nil {
					t.Fatal(err)
				}
			}
		default:
			created = append(created, sim.Create(at).ID)
		}
	}
	rs := sim.Records()
	c := serve(t, sim)
	for range 250 {
		var members []string
		from, to := int64(-1<<62), int64(1<<62)
		if rng.IntN(2) == 0 {
			from = t0.Unix() + rng.Int64N(2000)
			members = append(members, `"start_time":"`+time.Unix(from, 0).UTC().Format(nxlink.TimeLayout)+`"`)
		}
		if rng.IntN(2) == 0 {
			to = t0.Unix() + rng.Int64N(2000)
			members = append(members, `"end_time":"`+time.Unix(to, 0).UTC().Format(nxlink.TimeLayout)+`"`)
		}
		var after, before *int64
		if rng.IntN(2) == 0 {
			n := mustInt(t, rs[rng.IntN(len(rs))].ID)
			after = &n
			members = append(members, `"after":`+strconv.FormatInt(n, 10))
		}
		if rng.IntN(3) == 0 {
			n := mustInt(t, rs[rng.IntN(len(rs))].ID)
			before = &n
			members = append(members, `"before":`+strconv.FormatInt(n, 10))
		}
		limit := 1 + rng.IntN(50)
		body := query(limit, members...)
		want, previous, next := model(rs, from, to, after, before, limit)
		p, cs := decodePage(t, c.post(body))
		var got []int64
		for _, cust := range cs {
			got = append(got, mustInt(t, cust.ID.String()))
		}
		ptr := func(n *int64) string {
			if n == nil {
				return "null"
			}
			return strconv.FormatInt(*n, 10)
		}
		if !slices.Equal(got, want) || num(p.Next) != ptr(next) || num(p.Previous) != ptr(previous) {
			t.Fatalf("query %s:\n got %v previous %s next %s\nwant %v previous %s next %s", body, got, num(p.Previous), num(p.Next), want, ptr(previous), ptr(next))
		}
	}
}

func TestPageCap(t *testing.T) {
	sim := nxlinksim.New(testAccessKey, testSecret, testTenant, testAppKey, nxlinksim.WithPageCap(7))
	for i := range 20 {
		sim.Create(t0.Add(time.Duration(i) * time.Second))
	}
	c := serve(t, sim)
	if p, cs := decodePage(t, c.post(query(50))); len(cs) != 7 || p.Next == nil {
		t.Errorf("limit 50 with cap 7: %d customers, next %s; want 7 and more", len(cs), num(p.Next))
	}
	if _, cs := decodePage(t, c.post(query(3))); len(cs) != 3 {
		t.Errorf("limit 3 with cap 7: %d customers", len(cs))
	}
	if got := walk(t, c, 50); len(got) != 20 {
		t.Errorf("capped walk served %d ids, want 20", len(got))
	}
}

// TestServedJSON pins the JSON of one customer: documented fields in the
// vendor's order, nulls, times in the zone, tags verbatim, custom fields
// as a JSON string, extra fields after them.
func TestServedJSON(t *testing.T) {
	sim := nxlinksim.New(testAccessKey, testSecret, testTenant, testAppKey, nxlinksim.WithZone(hcm(t)))
	name, custom := "Nguyễn \"Văn\" An", `{"customize_4_52": ["1"]}`
	status := int64(1)
	sim.Add(nxlinksim.Record{
		ID: "1021110718827683840", CreatedAt: t0, UpdatedAt: t0.Add(time.Hour), FullName: &name, Status: &status,
		CustomizeField: &custom, Tags: json.RawMessage(`[ {"id":27237,"customer_id":1021110718827683840} ]`),
		Extra: map[string]json.RawMessage{"zalo_id": json.RawMessage(`"z1"`), "score": json.RawMessage(`9.50`)},
	})
	c := serve(t, sim)
	r := c.post(query(10))
	decodePage(t, r)
	want := `"customer_list":[{"id":1021110718827683840,"first_name":null,"last_name":null,"full_name":"Nguyễn \"Văn\" An",` +
		`"sms_phone":null,"whatsApp_phone":null,"viber_phone":null,"line":null,"messenger":null,"instagram":null,"email":null,` +
		`"country":null,"birthday":null,"remark":null,"source_type":null,"source_channel_key":null,"gender":null,` +
		`"created_at":"2024-07-19T17:29:27","status":1,"updated_at":"2024-07-19T18:29:27","web":null,` +
		`"tags":[ {"id":27237,"customer_id":1021110718827683840} ],"whatApp_subscribe":null,"sms_subscribe":null,` +
		`"customize_field":"{\"customize_4_52\": [\"1\"]}","tenant_id":123,"weight":null,"score":9.50,"zalo_id":"z1"}]`
	if !bytes.Contains(r.body, []byte(want)) {
		t.Errorf("body\n%s\nwant it to contain\n%s", r.body, want)
	}
	wantPaging := `"paging":{"after":1021110718827683840,"before":1021110718827683840,"previous":null,"next":null}`
	if !bytes.Contains(r.body, []byte(wantPaging)) {
		t.Errorf("body %s, want %s", r.body, wantPaging)
	}
}

func TestAuthFailures(t *testing.T) {
	now := time.UnixMilli(1_700_000_000_000)
	sim := nxlinksim.New(testAccessKey, testSecret, testTenant, testAppKey, nxlinksim.WithClock(func() time.Time { return now }))
	sim.Create(t0)
	c := serve(t, sim)
	body := []byte(query(10))
	ts := now.UnixMilli()
	wrongSecret := *c
	wrongSecret.secret = "not-the-secret"
	wrongKey := *c
	wrongKey.accessKey = "someone-else"
	with := func(h map[string]string, k, v string) map[string]string {
		h[k] = v
		if v == "" {
			delete(h, k)
		}
		return h
	}
	cases := []struct {
		name string
		hdr  map[string]string
		body []byte
		code int
	}{
		{"wrong secret", wrongSecret.headers(ts, body), body, nxlinksim.CodeBadSign},
		{"body not the signed bytes", c.headers(ts, body), []byte(query(10) + " "), nxlinksim.CodeBadSign},
		{"ts not the signed one", with(c.headers(ts, body), "ts", strconv.FormatInt(ts+1, 10)), body, nxlinksim.CodeBadSign},
		{"wrong access key", wrongKey.headers(ts, body), body, nxlinksim.CodeNoPermission},
		{"stale ts", c.headers(ts-60_001, body), body, nxlinksim.CodeTimestamp},
		{"future ts", c.headers(ts+60_001, body), body, nxlinksim.CodeTimestamp},
		{"ts in seconds", c.headers(ts/1000, body), body, nxlinksim.CodeTimestamp},
		{"ts with a leading zero", with(c.headers(ts, body), "ts", "0"+strconv.FormatInt(ts, 10)), body, nxlinksim.CodeTimestamp},
		{"missing sign", with(c.headers(ts, body), "sign", ""), body, nxlinksim.CodeMissingParams},
		{"missing accessKey", with(c.headers(ts, body), "accessKey", ""), body, nxlinksim.CodeMissingParams},
		{"missing ts", with(c.headers(ts, body), "ts", ""), body, nxlinksim.CodeMissingParams},
		{"missing bizType", with(c.headers(ts, body), "bizType", ""), body, nxlinksim.CodeMissingParams},
		{"missing action", with(c.headers(ts, body), "action", ""), body, nxlinksim.CodeMissingParams},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := c.send(context.Background(), http.MethodPost, nxlinksim.QueryPath, tc.hdr, tc.body)
			if err != nil {
				t.Fatal(err)
			}
			vendorError(t, r, tc.code)
			if bytes.Contains(r.body, []byte(testSecret)) {
				t.Errorf("body echoes the secret: %s", r.body)
			}
		})
	}
	// The drift bound itself is accepted, in both directions; header names
	// are case-insensitive.
	for _, at := range []int64{ts - 60_000, ts + 60_000} {
		h := c.headers(at, body)
		h["ACCESSKEY"] = h["accessKey"]
		delete(h, "accessKey")
		r, err := c.send(context.Background(), http.MethodPost, nxlinksim.QueryPath, h, body)
		if err != nil {
			t.Fatal(err)
		}
		decodePage(t, r)
	}
	if st := sim.Stats(); st.AuthFailed != len(cases) || st.Served != 2 || st.Requests != len(cases)+2 {
		t.Errorf("Stats %+v, want %d auth failures, 2 served", st, len(cases))
	}
}

func TestBadParams(t *testing.T) {
	sim := nxlinksim.New(testAccessKey, testSecret, testTenant, testAppKey)
	c := serve(t, sim)
	cases := []struct {
		name, body string
		code       int
		msg        string
	}{
		{"not JSON", `{"tenant_id":`, nxlinksim.CodeBadParams, "not a JSON object"},
		{"no tenant", `{"app_key":"46oKF=os","limit":5}`, nxlinksim.CodeBadParams, "tenant_id"},
		{"tenant a float", `{"tenant_id":123.0,"app_key":"46oKF=os","limit":5}`, nxlinksim.CodeBadParams, "tenant_id"},
		{"no app key", `{"tenant_id":123,"limit":5}`, nxlinksim.CodeBadParams, "app_key"},
		{"other tenant", `{"tenant_id":124,"app_key":"46oKF=os","limit":5}`, nxlinksim.CodeNoPermission, "Insufficient permissions"},
		{"wrong app key", `{"tenant_id":123,"app_key":"nope","limit":5}`, nxlinksim.CodeNoPermission, "Insufficient permissions"},
		{"no limit", `{"tenant_id":123,"app_key":"46oKF=os"}`, nxlinksim.CodeBadParams, "limit"},
		{"limit 0", query(0), nxlinksim.CodeBadParams, "limit must be an integer between 1 and 50"},
		{"limit 51", query(51), nxlinksim.CodeBadParams, "limit must be an integer between 1 and 50"},
		{"bad start_time", query(5, `"start_time":"2024-05-07T00:00:00"`), nxlinksim.CodeBadParams, "start_time"},
		{"bad end_time", query(5, `"end_time":"2024-05-07"`), nxlinksim.CodeBadParams, "end_time"},
		{"after a float", query(5, `"after":1.0211107188276838e18`), nxlinksim.CodeBadParams, "after"},
		{"before a word", query(5, `"before":"soon"`), nxlinksim.CodeBadParams, "before"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if msg := vendorError(t, c.post(tc.body), tc.code); !strings.Contains(msg, tc.msg) {
				t.Errorf("message %q, want %q", msg, tc.msg)
			}
		})
	}
	h := c.headers(time.Now().UnixMilli(), []byte(query(5)))
	h["Content-Type"] = "text/plain"
	r, err := c.send(context.Background(), http.MethodPost, nxlinksim.QueryPath, h, []byte(query(5)))
	if err != nil {
		t.Fatal(err)
	}
	vendorError(t, r, nxlinksim.CodeBadParams)
	if st := sim.Stats(); st.BadRequest != len(cases)-2+1 || st.AuthFailed != 2 || st.Served != 0 {
		t.Errorf("Stats %+v", st)
	}
	// Ids as numeric strings, the other documented filters ignored.
	sim.Create(t0)
	if _, cs := decodePage(t, c.post(query(5, `"after":"1"`, `"name":"test"`, `"tags":[]`))); len(cs) != 1 {
		t.Errorf("after \"1\": %d customers, want 1", len(cs))
	}
}

func TestNotFoundAndMethod(t *testing.T) {
	sim := nxlinksim.New(testAccessKey, testSecret, testTenant, testAppKey)
	c := serve(t, sim)
	body := []byte(query(5))
	r, err := c.send(context.Background(), http.MethodPost, "/saas/cdp/openapi/customers/list", c.headers(time.Now().UnixMilli(), body), body)
	if err != nil || r.status != http.StatusNotFound || !json.Valid(r.body) {
		t.Errorf("unknown path: %d %s %v, want 404 JSON", r.status, r.body, err)
	}
	r, err = c.send(context.Background(), http.MethodGet, nxlinksim.QueryPath, c.headers(time.Now().UnixMilli(), nil), nil)
	if err != nil || r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != http.MethodPost {
		t.Errorf("GET: %d %s %v, want 405 with Allow: POST", r.status, r.body, err)
	}
	if st := sim.Stats(); st.Requests != 2 || st.Served+st.AuthFailed+st.BadRequest != 0 {
		t.Errorf("Stats %+v", st)
	}
}

func TestConcurrentUse(t *testing.T) {
	sim := nxlinksim.New(testAccessKey, testSecret, testTenant, testAppKey)
	c := serve(t, sim)
	const creates = 600
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range creates {
			r := sim.Create(t0.Add(time.Duration(i) * time.Second))
			if i%100 == 0 {
				sim.Add(nxlinksim.Record{ID: strconv.Itoa(900 - i/100), CreatedAt: t0})
				if _, err := sim.Update(r.ID, t0.Add(time.Hour)); err != nil {
					t.Error(err)
				}
			}
		}
	})
	for range 3 {
		wg.Go(func() {
			// Customers arrive between pages: every page of a walk must
			// still be ascending and above the previous one.
			var last int64 = -1
			after := ""
			for range 40 {
				members := []string{}
				if after != "" {
					members = append(members, `"after":`+after)
				}
				r := c.post(query(20, members...))
				if r.status != http.StatusOK {
					t.Errorf("status %d: %s", r.status, r.body)
					return
				}
				p, cs := decodePage(t, r)
				for _, cust := range cs {
					n := mustInt(t, cust.ID.String())
					if n <= last {
						t.Errorf("id %d after %d", n, last)
						return
					}
					last, after = n, cust.ID.String()
				}
				if p.Next == nil {
					last, after = -1, "" // start a new walk
				}
			}
		})
	}
	wg.Go(func() {
		for range 50 {
			sim.Records()
			sim.Stats()
		}
	})
	wg.Wait()
	if got := walk(t, c, 50); len(got) != creates+creates/100 {
		t.Errorf("after the writers: walk served %d ids, want %d", len(got), creates+creates/100)
	}
}

// TestLargeStore seeds 100 000 customers and reads every 25th time window
// of them, the way the connector reads a backlog: a page costs about its
// size, not the store's.
func TestLargeStore(t *testing.T) {
	const n, size = 100_000, 2000 // customers, seconds per window
	sim := nxlinksim.New(testAccessKey, testSecret, testTenant, testAppKey)
	start := time.Now()
	for i := range n {
		sim.Create(t0.Add(time.Duration(i) * time.Second))
	}
	seeded := time.Since(start)
	c := serve(t, sim)
	start = time.Now()
	for w := 0; w < n/size; w += 25 {
		from := t0.Add(time.Duration(w*size) * time.Second)
		got := walk(t, c, 50, window(from, from.Add((size-1)*time.Second), time.UTC)...)
		if len(got) != size {
			t.Fatalf("window %d: %d ids, want %d", w, len(got), size)
		}
	}
	t.Logf("seeded %d customers in %v, read %d windows of them in %v", n, seeded, n/size/25, time.Since(start))
}

func ExampleSim() {
	sim := nxlinksim.New("access-key", "secret", 123, "app-key", nxlinksim.WithZone(time.FixedZone("ICT", 7*3600)))
	sim.Add(nxlinksim.Record{ID: "1021110718827683840", CreatedAt: time.Date(2024, 7, 19, 10, 29, 27, 0, time.UTC)})
	srv := httptest.NewServer(sim)
	defer srv.Close()

	body := []byte(`{"tenant_id":123,"app_key":"app-key","limit":10,"start_time":"2024-07-19 00:00:00","end_time":"2024-07-19 23:59:59"}`)
	req, _ := http.NewRequest(http.MethodPost, srv.URL+nxlinksim.QueryPath, bytes.NewReader(body))
	ts := time.Now().UnixMilli()
	req.Header.Set("Content-Type", "application/json")
	req.Header["accessKey"] = []string{"access-key"}
	req.Header["ts"] = []string{strconv.FormatInt(ts, 10)}
	req.Header["bizType"] = []string{nxlink.BizType}
	req.Header["action"] = []string{nxlink.Action}
	req.Header["sign"] = []string{nxlink.Sign("access-key", "secret", ts, body)}
	resp, err := srv.Client().Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	var env struct {
		Code int
		Data json.RawMessage
	}
	_ = json.Unmarshal(answer, &env)
	fmt.Println(resp.StatusCode, env.Code, string(env.Data))
	// Output:
	// 200 0 {"paging":{"after":1021110718827683840,"before":1021110718827683840,"previous":null,"next":null},"customer_list":[{"id":1021110718827683840,"first_name":null,"last_name":null,"full_name":null,"sms_phone":null,"whatsApp_phone":null,"viber_phone":null,"line":null,"messenger":null,"instagram":null,"email":null,"country":null,"birthday":null,"remark":null,"source_type":null,"source_channel_key":null,"gender":null,"created_at":"2024-07-19T17:29:27","status":null,"updated_at":"2024-07-19T17:29:27","web":null,"tags":null,"whatApp_subscribe":null,"sms_subscribe":null,"customize_field":null,"tenant_id":123,"weight":null}]}
}
