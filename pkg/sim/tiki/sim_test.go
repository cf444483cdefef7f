package tikisim_test

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

	tikisim "github.com/vnstream/connector/pkg/sim/tiki"
	"github.com/vnstream/connector/pkg/source/tiki"
)

const (
	testClientID = "8GXqhWDK3EppMwf8IyQU1GHgfq2TPADe"
	testSecret   = "sim-secret-that-must-never-be-echoed"
)

// t0 is the created_at of the first response in most tests.
var t0 = time.Date(2021, 12, 16, 17, 43, 51, 0, time.UTC)

// client sends requests to a simulator behind an httptest server.
type client struct {
	t        *testing.T
	base     string
	http     *http.Client
	clientID string
	secret   string
	now      func() time.Time // the timestamp signed requests carry
}

// serve starts sim on a loopback test server closed when the test ends.
func serve(t *testing.T, sim *tikisim.Sim) *client {
	t.Helper()
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return &client{t: t, base: srv.URL, http: srv.Client(), clientID: testClientID, secret: testSecret, now: time.Now}
}

// reply is an HTTP answer read in full.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// headers returns the authentication headers of a GET ListPath?query sent
// at ts, signed with the client's credentials.
func (c *client) headers(ts int64, query string) map[string]string {
	return map[string]string{
		"X-Tiniapp-Client-Id": c.clientID,
		"X-Tiniapp-Timestamp": strconv.FormatInt(ts, 10),
		"X-Tiniapp-Signature": tiki.Signature(c.secret, c.clientID, ts, tikisim.ListPath+"?"+query),
	}
}

// send issues a request and reads the whole answer.
func (c *client) send(ctx context.Context, method, pathAndQuery string, hdr map[string]string) (reply, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+pathAndQuery, nil)
	if err != nil {
		return reply{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, body}, err
}

// get sends a correctly signed list request with params in the given order.
func (c *client) get(params ...[2]string) reply {
	c.t.Helper()
	q := tiki.Query(params)
	r, err := c.send(context.Background(), http.MethodGet, tikisim.ListPath+"?"+q, c.headers(c.now().UnixMilli(), q))
	if err != nil {
		c.t.Fatalf("GET ?%s: %v", q, err)
	}
	return r
}

// record is one served response.
type record struct {
	ID        string          `json:"id"`
	CreatedAt string          `json:"created_at"`
	FormID    string          `json:"form_id"`
	Inputs    json.RawMessage `json:"inputs"`
}

// decodePage checks that r is a 200 JSON page with exactly the keys total
// and arrayName, and returns them.
func decodePage(t *testing.T, r reply, arrayName string) (int, []record) {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d, want 200; body %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q, want application/json", ct)
	}
	var env struct {
		Data map[string]json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(r.body, &env); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
	if len(env.Data) != 2 || env.Data["total"] == nil || env.Data[arrayName] == nil {
		t.Fatalf("data keys of %s, want total and %s", r.body, arrayName)
	}
	var total int
	var recs []record
	if err := json.Unmarshal(env.Data["total"], &total); err != nil {
		t.Fatalf("total: %v", err)
	}
	if err := json.Unmarshal(env.Data[arrayName], &recs); err != nil {
		t.Fatalf("%s: %v", arrayName, err)
	}
	if recs == nil {
		t.Fatalf("%s is %s, want an array", arrayName, env.Data[arrayName])
	}
	return total, recs
}

// ids returns the ids of recs.
func ids(recs []record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.ID
	}
	return out
}

// num parses an id.
func num(t *testing.T, id string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		t.Fatalf("id %q: %v", id, err)
	}
	return n
}

// walk pages through params with lt_id, size at a time, checking that every
// page is strictly below the previous one and that total never changes. It
// returns all ids in the order served and the total.
func walk(t *testing.T, c *client, size int, params ...[2]string) ([]string, int) {
	t.Helper()
	var all []string
	total := -1
	lt := ""
	for pages := 0; ; pages++ {
		p := append(slices.Clone(params), [2]string{"size", strconv.Itoa(size)})
		if lt != "" {
			p = append(p, [2]string{"lt_id", lt})
		}
		n, recs := decodePage(t, c.get(p...), "data")
		if total >= 0 && n != total {
			t.Fatalf("page %d: total %d, first page said %d", pages, n, total)
		}
		total = n
		if len(recs) == 0 {
			return all, total
		}
		if len(recs) > size {
			t.Fatalf("page %d has %d records, size %d", pages, len(recs), size)
		}
		for _, r := range recs {
			if lt != "" && num(t, r.ID) >= num(t, lt) {
				t.Fatalf("page %d: id %s not below %s", pages, r.ID, lt)
			}
			lt = r.ID
			all = append(all, r.ID)
		}
	}
}

// expect is the brute force answer: the ids of rs in forms created in
// [from, to] (unix seconds) and below lt (0 for none), id descending.
func expect(t *testing.T, rs []tikisim.Response, forms []string, lt, from, to int64) []string {
	t.Helper()
	var out []string
	for _, r := range rs {
		u := r.CreatedAt.Unix()
		if slices.Contains(forms, r.FormID) && u >= from && u <= to && (lt == 0 || num(t, r.ID) < lt) {
			out = append(out, r.ID)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return int(num(t, b) - num(t, a)) })
	return out
}

func TestNewestFirst(t *testing.T) {
	sim := tikisim.New(testClientID, testSecret)
	var form1 []tikisim.Response
	for i := range 10 {
		form1 = append(form1, sim.Create("1", t0.Add(time.Duration(i)*time.Minute)))
		sim.Create("2", t0.Add(time.Duration(i)*time.Minute))
	}
	c := serve(t, sim)

	total, recs := decodePage(t, c.get([2]string{"form_ids", "1"}, [2]string{"size", "3"}), "data")
	if total != 10 {
		t.Errorf("total %d, want 10", total)
	}
	if len(recs) != 3 {
		t.Fatalf("got %d records, want 3", len(recs))
	}
	for i, r := range recs {
		want := form1[len(form1)-1-i]
		if r.ID != want.ID || r.FormID != "1" || r.CreatedAt != want.CreatedAt.Format("2006-01-02T15:04:05Z") {
			t.Errorf("record %d = %+v, want id %s form 1 created %s", i, r, want.ID, want.CreatedAt)
		}
		if !bytes.Equal(r.Inputs, want.Inputs) {
			t.Errorf("record %d inputs %s, want verbatim %s", i, r.Inputs, want.Inputs)
		}
	}
	if got, want := sim.Stats().Served, 1; got != want {
		t.Errorf("Served = %d, want %d", got, want)
	}
}

func TestPagingWalksAllOnce(t *testing.T) {
	sim := tikisim.New(testClientID, testSecret)
	for i := range 1234 {
		sim.Create(strconv.Itoa(1+i%3), t0.Add(time.Duration(i)*time.Second))
	}
	c := serve(t, sim)

	got, total := walk(t, c, 100, [2]string{"form_ids", "1,3"})
	want := expect(t, sim.Responses(), []string{"1", "3"}, 0, -1<<62, 1<<62)
	if !slices.Equal(got, want) {
		t.Fatalf("walk served %d ids, want %d (first %v vs %v)", len(got), len(want), got[:min(5, len(got))], want[:5])
	}
	if total != len(want) {
		t.Errorf("total %d, want %d", total, len(want))
	}
}

func TestIntegerIDOrder(t *testing.T) {
	sim := tikisim.New(testClientID, testSecret)
	for _, id := range []string{"100", "9", "1000", "99", "10000", "101"} {
		sim.Add(tikisim.Response{ID: id, FormID: "7", CreatedAt: t0})
	}
	c := serve(t, sim)

	_, recs := decodePage(t, c.get([2]string{"form_ids", "7"}, [2]string{"size", "10"}), "data")
	if got, want := ids(recs), []string{"10000", "1000", "101", "100", "99", "9"}; !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
	total, recs := decodePage(t, c.get([2]string{"form_ids", "7"}, [2]string{"size", "10"}, [2]string{"lt_id", "100"}), "data")
	if got, want := ids(recs), []string{"99", "9"}; !slices.Equal(got, want) {
		t.Errorf("lt_id=100 gave %v, want %v", got, want)
	}
	if total != 6 {
		t.Errorf("total %d with lt_id, want 6 (lt_id does not change total)", total)
	}
	var stored []string
	for _, r := range sim.Responses() {
		stored = append(stored, r.ID)
	}
	if want := []string{"9", "99", "100", "101", "1000", "10000"}; !slices.Equal(stored, want) {
		t.Errorf("Responses order %v, want %v", stored, want)
	}
	if got, _ := walk(t, c, 1, [2]string{"form_ids", "7"}); len(got) != 6 {
		t.Errorf("size 1 walk served %v", got)
	}
}

func TestTimeFilterInclusive(t *testing.T) {
	sim := tikisim.New(testClientID, testSecret)
	for i := range 10 {
		sim.Create("1", t0.Add(time.Duration(i)*time.Second))
	}
	c := serve(t, sim)
	from, to := strconv.FormatInt(t0.Unix()+2, 10), strconv.FormatInt(t0.Unix()+5, 10)

	total, recs := decodePage(t, c.get([2]string{"form_ids", "1"}, [2]string{"size", "2"}, [2]string{"from_time", from}, [2]string{"to_time", to}), "data")
	if total != 4 {
		t.Errorf("total %d, want 4 (both bounds inclusive)", total)
	}
	if got, want := ids(recs), []string{"1005", "1004"}; !slices.Equal(got, want) {
		t.Errorf("first page %v, want %v", got, want)
	}
	got, _ := walk(t, c, 3, [2]string{"form_ids", "1"}, [2]string{"from_time", from}, [2]string{"to_time", to})
	if want := []string{"1005", "1004", "1003", "1002"}; !slices.Equal(got, want) {
		t.Errorf("window walk %v, want %v", got, want)
	}
	total, recs = decodePage(t, c.get([2]string{"form_ids", "1"}, [2]string{"size", "5"}, [2]string{"from_time", to}, [2]string{"to_time", from}), "data")
	if total != 0 || len(recs) != 0 {
		t.Errorf("from_time after to_time: total %d, %d records, want none", total, len(recs))
	}
}

func TestLateWrites(t *testing.T) {
	sim := tikisim.New(testClientID, testSecret)
	for i := range 100 {
		sim.Create("1", t0.Add(time.Duration(i)*time.Minute))
	}
	// A high id with an old created_at, and one id below everything
	// created recently.
	sim.Add(
		tikisim.Response{ID: "5000", FormID: "1", CreatedAt: t0.Add(10 * time.Minute)},
		tikisim.Response{ID: "999", FormID: "1", CreatedAt: t0.Add(95 * time.Minute)},
		tikisim.Response{ID: "5001", FormID: "1", CreatedAt: t0.Add(10 * time.Minute)},
	)
	c := serve(t, sim)
	rs := sim.Responses()
	for _, w := range [][2]time.Duration{{0, 200 * time.Minute}, {10 * time.Minute, 10 * time.Minute}, {5 * time.Minute, 15 * time.Minute}, {90 * time.Minute, 99 * time.Minute}, {96 * time.Minute, 200 * time.Minute}} {
		from, to := t0.Add(w[0]).Unix(), t0.Add(w[1]).Unix()
		got, total := walk(t, c, 2, [2]string{"form_ids", "1"}, [2]string{"from_time", strconv.FormatInt(from, 10)}, [2]string{"to_time", strconv.FormatInt(to, 10)})
		want := expect(t, rs, []string{"1"}, 0, from, to)
		if !slices.Equal(got, want) || total != len(want) {
			t.Errorf("window %v: served %v (total %d), want %v", w, got, total, want)
		}
	}
}

// TestQueriesMatchModel compares random queries against a brute force
// answer over a store with many late writes.
func TestQueriesMatchModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sim := tikisim.New(testClientID, testSecret, tikisim.WithStartID(100))
	for i := range 3000 {
		at := t0.Add(time.Duration(i) * time.Second)
		form := strconv.Itoa(1 + rng.IntN(4))
		if rng.IntN(10) == 0 {
			sim.Add(tikisim.Response{ID: strconv.Itoa(100000 + i), FormID: form, CreatedAt: at.Add(-time.Duration(rng.IntN(3000)) * time.Second)})
			continue
		}
		sim.Create(form, at)
	}
	rs := sim.Responses()
	c := serve(t, sim)
	for range 300 {
		forms := []string{strconv.Itoa(1 + rng.IntN(5))}
		if rng.IntN(2) == 0 {
			forms = append(forms, strconv.Itoa(1+rng.IntN(5)))
		}
		params := [][2]string{{"form_ids", strings.Join(forms, ",")}}
		from, to, lt := int64(-1<<62), int64(1<<62), int64(0)
		if rng.IntN(2) == 0 {
			from = t0.Unix() + rng.Int64N(3000)
			params = append(params, [2]string{"from_time", strconv.FormatInt(from, 10)})
		}
		if rng.IntN(2) == 0 {
			to = t0.Unix() + rng.Int64N(3000)
			params = append(params, [2]string{"to_time", strconv.FormatInt(to, 10)})
		}
		all := expect(t, rs, forms, 0, from, to)
		if rng.IntN(2) == 0 {
			lt = num(t, rs[rng.IntN(len(rs))].ID)
			params = append(params, [2]string{"lt_id", strconv.FormatInt(lt, 10)})
		}
		size := 1 + rng.IntN(60)
		params = append(params, [2]string{"size", strconv.Itoa(size)})
		want := expect(t, rs, forms, lt, from, to)
		want = want[:min(size, len(want))]
		total, recs := decodePage(t, c.get(params...), "data")
		if got := ids(recs); !slices.Equal(got, want) || total != len(all) {
			t.Fatalf("query %s: got %v total %d, want %v total %d", tiki.Query(params), got, total, want, len(all))
		}
	}
}

func TestArrayName(t *testing.T) {
	for _, name := range []string{"data", "customer_responses"} {
		t.Run(name, func(t *testing.T) {
			var opts []tikisim.Option
			if name != "data" {
				opts = append(opts, tikisim.WithArrayName(name))
			}
			sim := tikisim.New(testClientID, testSecret, opts...)
			sim.Create("1", t0)
			c := serve(t, sim)
			total, recs := decodePage(t, c.get([2]string{"form_ids", "1"}, [2]string{"size", "10"}), name)
			if total != 1 || len(recs) != 1 || recs[0].ID != "1000" {
				t.Errorf("total %d, records %+v, want one record 1000", total, recs)
			}
		})
	}
}

func TestEmptyResult(t *testing.T) {
	sim := tikisim.New(testClientID, testSecret)
	sim.Create("1", t0)
	c := serve(t, sim)
	for _, params := range [][][2]string{
		{{"form_ids", "2"}, {"size", "10"}},
		{{"form_ids", "1"}, {"size", "10"}, {"lt_id", "1000"}},
	} {
		r := c.get(params...)
		if r.status != http.StatusOK || !bytes.Contains(r.body, []byte(`"data":[]`)) {
			t.Errorf("%v: %d %s, want 200 with \"data\":[]", params, r.status, r.body)
		}
	}
}

func TestPageCap(t *testing.T) {
	sim := tikisim.New(testClientID, testSecret, tikisim.WithPageCap(7))
	for i := range 20 {
		sim.Create("1", t0.Add(time.Duration(i)*time.Second))
	}
	c := serve(t, sim)
	total, recs := decodePage(t, c.get([2]string{"form_ids", "1"}, [2]string{"size", "500"}), "data")
	if len(recs) != 7 || total != 20 {
		t.Errorf("size 500 with cap 7: %d records, total %d; want 7 and 20", len(recs), total)
	}
	if _, recs := decodePage(t, c.get([2]string{"form_ids", "1"}, [2]string{"size", "3"}), "data"); len(recs) != 3 {
		t.Errorf("size 3 with cap 7: %d records, want 3", len(recs))
	}
	if got, _ := walk(t, c, 500, [2]string{"form_ids", "1"}); len(got) != 20 {
		t.Errorf("capped walk served %d ids, want 20", len(got))
	}
}

func TestExtraFields(t *testing.T) {
	sim := tikisim.New(testClientID, testSecret)
	sim.Add(tikisim.Response{
		ID: "42", FormID: "3", CreatedAt: t0,
		Inputs: json.RawMessage(`{"name": "Nguyễn Văn A", "hobbies": ["Đọc sách"]}`),
		Extra:  map[string]json.RawMessage{"source": json.RawMessage(`"web"`), "score": json.RawMessage(`7.5`)},
	})
	c := serve(t, sim)
	r := c.get([2]string{"form_ids", "3"}, [2]string{"size", "1"})
	decodePage(t, r, "data")
	want := `[{"id":"42","created_at":"2021-12-16T17:43:51Z","form_id":"3","inputs":{"name": "Nguyễn Văn A", "hobbies": ["Đọc sách"]},"score":7.5,"source":"web"}]`
	if !bytes.Contains(r.body, []byte(want)) {
		t.Errorf("body %s, want records %s", r.body, want)
	}
}

func TestAuthFailures(t *testing.T) {
	now := time.UnixMilli(1_700_000_000_000)
	sim := tikisim.New(testClientID, testSecret, tikisim.WithClock(func() time.Time { return now }))
	sim.Create("1", t0)
	c := serve(t, sim)
	q := tiki.Query([][2]string{{"form_ids", "1"}, {"size", "10"}})
	ts := now.UnixMilli()

	wrongSecret := *c
	wrongSecret.secret = "not-the-secret"
	wrongClient := *c
	wrongClient.clientID = "someone-else"
	with := func(h map[string]string, k, v string) map[string]string {
		h[k] = v
		if v == "" {
			delete(h, k)
		}
		return h
	}
	cases := []struct {
		name  string
		query string
		hdr   map[string]string
		code  string
	}{
		{"wrong secret", q, wrongSecret.headers(ts, q), "INVALID_SIGNATURE"},
		{"wrong client id", q, wrongClient.headers(ts, q), "INVALID_CLIENT_ID"},
		{"client id of the signer, sent with another", q, with(c.headers(ts, q), "X-Tiniapp-Client-Id", "someone-else"), "INVALID_CLIENT_ID"},
		{"missing client id", q, with(c.headers(ts, q), "X-Tiniapp-Client-Id", ""), "INVALID_CLIENT_ID"},
		{"stale timestamp", q, c.headers(ts-61_000, q), "TIMESTAMP_EXPIRED"},
		{"future timestamp", q, c.headers(ts+61_000, q), "TIMESTAMP_EXPIRED"},
		{"timestamp in seconds", q, c.headers(ts/1000, q), "TIMESTAMP_EXPIRED"},
		{"non-numeric timestamp", q, with(c.headers(ts, q), "X-Tiniapp-Timestamp", "yesterday"), "INVALID_TIMESTAMP"},
		{"timestamp with a leading zero", q, with(c.headers(ts, q), "X-Tiniapp-Timestamp", "0"+strconv.FormatInt(ts, 10)), "INVALID_TIMESTAMP"},
		{"missing timestamp", q, with(c.headers(ts, q), "X-Tiniapp-Timestamp", ""), "INVALID_TIMESTAMP"},
		{"tampered query", "form_ids=1&size=11", c.headers(ts, q), "INVALID_SIGNATURE"},
		{"reordered query", "size=10&form_ids=1", c.headers(ts, q), "INVALID_SIGNATURE"},
		{"timestamp not the signed one", q, with(c.headers(ts, q), "X-Tiniapp-Timestamp", strconv.FormatInt(ts+1, 10)), "INVALID_SIGNATURE"},
		{"missing signature", q, with(c.headers(ts, q), "X-Tiniapp-Signature", ""), "INVALID_SIGNATURE"},
		{"bad parameters unsigned", "form_ids=x", c.headers(ts, q), "INVALID_SIGNATURE"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := c.send(context.Background(), http.MethodGet, tikisim.ListPath+"?"+tc.query, tc.hdr)
			if err != nil {
				t.Fatal(err)
			}
			var body struct {
				Error struct{ Code, Message string }
			}
			if r.status != http.StatusUnauthorized || json.Unmarshal(r.body, &body) != nil || body.Error.Code != tc.code || body.Error.Message == "" {
				t.Errorf("got %d %s, want 401 with code %s", r.status, r.body, tc.code)
			}
			if r.header.Get("Content-Type") != "application/json" {
				t.Errorf("Content-Type %q", r.header.Get("Content-Type"))
			}
			if bytes.Contains(r.body, []byte(testSecret)) {
				t.Errorf("body echoes the secret: %s", r.body)
			}
		})
	}
	// The skew bound itself is accepted, in both directions.
	for _, at := range []int64{ts - 60_000, ts + 60_000} {
		r, err := c.send(context.Background(), http.MethodGet, tikisim.ListPath+"?"+q, c.headers(at, q))
		if err != nil || r.status != http.StatusOK {
			t.Errorf("timestamp %+dms: %d %s %v, want 200", at-ts, r.status, r.body, err)
		}
	}
	st := sim.Stats()
	if st.AuthFailed != len(cases) || st.Served != 2 || st.Requests != len(cases)+2 {
		t.Errorf("Stats %+v, want %d auth failures, 2 served", st, len(cases))
	}
}

func TestMaxSkewOption(t *testing.T) {
	now := time.UnixMilli(1_700_000_000_000)
	sim := tikisim.New(testClientID, testSecret, tikisim.WithClock(func() time.Time { return now }), tikisim.WithMaxSkew(5*time.Second))
	c := serve(t, sim)
	q := tiki.Query([][2]string{{"form_ids", "1"}, {"size", "10"}})
	for _, tc := range []struct {
		age  int64
		want int
	}{{5000, http.StatusOK}, {5001, http.StatusUnauthorized}, {-5001, http.StatusUnauthorized}} {
		r, err := c.send(context.Background(), http.MethodGet, tikisim.ListPath+"?"+q, c.headers(now.UnixMilli()-tc.age, q))
		if err != nil || r.status != tc.want {
			t.Errorf("age %dms: %d %v, want %d", tc.age, r.status, err, tc.want)
		}
	}
}

func TestBadRequest(t *testing.T) {
	sim := tikisim.New(testClientID, testSecret)
	c := serve(t, sim)
	cases := []struct {
		params [][2]string
		msg    string
	}{
		{[][2]string{{"size", "10"}}, "form_ids"},
		{[][2]string{{"form_ids", ""}, {"size", "10"}}, "form_ids"},
		{[][2]string{{"form_ids", "1,abc"}, {"size", "10"}}, "form_ids"},
		{[][2]string{{"form_ids", "1,,2"}, {"size", "10"}}, "form_ids"},
		{[][2]string{{"form_ids", "-1"}, {"size", "10"}}, "form_ids"},
		{[][2]string{{"form_ids", "1"}}, "size"},
		{[][2]string{{"form_ids", "1"}, {"size", "0"}}, "size must be between 1 and 500"},
		{[][2]string{{"form_ids", "1"}, {"size", "501"}}, "size must be between 1 and 500"},
		{[][2]string{{"form_ids", "1"}, {"size", "ten"}}, "size must be between 1 and 500"},
		{[][2]string{{"form_ids", "1"}, {"size", "10"}, {"lt_id", "1e3"}}, "lt_id"},
		{[][2]string{{"form_ids", "1"}, {"size", "10"}, {"lt_id", ""}}, "lt_id"},
		{[][2]string{{"form_ids", "1"}, {"size", "10"}, {"from_time", "2021-12-16"}}, "from_time"},
		{[][2]string{{"form_ids", "1"}, {"size", "10"}, {"to_time", "1.5"}}, "to_time"},
	}
	for _, tc := range cases {
		r := c.get(tc.params...)
		var body struct {
			Error struct{ Code, Message string }
		}
		if r.status != http.StatusBadRequest || json.Unmarshal(r.body, &body) != nil || body.Error.Code != "BAD_REQUEST" || !strings.Contains(body.Error.Message, tc.msg) {
			t.Errorf("%s: got %d %s, want 400 BAD_REQUEST mentioning %q", tiki.Query(tc.params), r.status, r.body, tc.msg)
		}
	}
	if st := sim.Stats(); st.BadRequest != len(cases) || st.Served != 0 || st.AuthFailed != 0 {
		t.Errorf("Stats %+v, want %d bad requests", st, len(cases))
	}
	// Leading zeros and repeated form ids are still integers.
	sim.Create("12", t0)
	if total, recs := decodePage(t, c.get([2]string{"form_ids", "012,12"}, [2]string{"size", "1"}, [2]string{"lt_id", "01001"}), "data"); total != 1 || len(recs) != 1 {
		t.Errorf("form_ids=012,12 lt_id=01001: total %d, %d records; want 1 and 1", total, len(recs))
	}
}

func TestNotFoundAndMethod(t *testing.T) {
	sim := tikisim.New(testClientID, testSecret)
	c := serve(t, sim)
	q := tiki.Query([][2]string{{"form_ids", "1"}, {"size", "10"}})
	r, err := c.send(context.Background(), http.MethodGet, "/lead/customer-response/lists?"+q, c.headers(time.Now().UnixMilli(), q))
	if err != nil || r.status != http.StatusNotFound || !json.Valid(r.body) || r.header.Get("Content-Type") != "application/json" {
		t.Errorf("unknown path: %d %s %v, want 404 JSON", r.status, r.body, err)
	}
	r, err = c.send(context.Background(), http.MethodPost, tikisim.ListPath+"?"+q, c.headers(time.Now().UnixMilli(), q))
	if err != nil || r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != http.MethodGet {
		t.Errorf("POST: %d %s %v, want 405 with Allow: GET", r.status, r.body, err)
	}
	if st := sim.Stats(); st.Requests != 2 || st.Served+st.AuthFailed+st.BadRequest != 0 {
		t.Errorf("Stats %+v, want 2 requests and nothing else", st)
	}
}

func TestConcurrentCreate(t *testing.T) {
	sim := tikisim.New(testClientID, testSecret)
	c := serve(t, sim)
	const creates = 2000
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range creates {
			sim.Create(strconv.Itoa(1+i%2), t0.Add(time.Duration(i)*time.Second))
			if i%500 == 0 {
				sim.Add(tikisim.Response{ID: strconv.Itoa(900 - i/500), FormID: "1", CreatedAt: t0})
			}
		}
	})
	for range 4 {
		wg.Go(func() {
			for range 25 {
				// Records may arrive between pages, so only check that
				// every page is newest first and below the previous one.
				var last int64 = -1
				lt := ""
				for {
					p := [][2]string{{"form_ids", "1,2"}, {"size", "97"}}
					if lt != "" {
						p = append(p, [2]string{"lt_id", lt})
					}
					r := c.get(p...)
					if r.status != http.StatusOK {
						t.Errorf("status %d: %s", r.status, r.body)
						return
					}
					_, recs := decodePage(t, r, "data")
					if len(recs) == 0 {
						break
					}
					for _, rec := range recs {
						n := num(t, rec.ID)
						if last >= 0 && n >= last {
							t.Errorf("id %d after %d", n, last)
							return
						}
						last, lt = n, rec.ID
					}
				}
			}
		})
	}
	wg.Go(func() {
		for range 200 {
			sim.Responses()
			sim.Stats()
		}
	})
	wg.Wait()
	got, total := walk(t, c, 500, [2]string{"form_ids", "1,2"})
	if len(got) != creates+4 || total != creates+4 {
		t.Errorf("after the writers: walk served %d ids, total %d; want %d", len(got), total, creates+4)
	}
}

// TestLargeStore walks 200 000 responses in time windows, the way the
// connector reads a backlog; each page must cost about its size.
func TestLargeStore(t *testing.T) {
	n := 200_000
	if testing.Short() {
		n = 20_000
	}
	sim := tikisim.New(testClientID, testSecret)
	for i := range n {
		sim.Create(strconv.Itoa(1+i%2), t0.Add(time.Duration(i)*time.Second))
	}
	c := serve(t, sim)
	start := time.Now()
	seen, requests := 0, 0
	const window = 5000 // seconds
	for from := t0.Unix(); from < t0.Unix()+int64(n); from += window {
		got, total := walk(t, c, 500, [2]string{"form_ids", "1,2"}, [2]string{"from_time", strconv.FormatInt(from, 10)}, [2]string{"to_time", strconv.FormatInt(from+window-1, 10)})
		if len(got) != total || total != min(window, n-int(from-t0.Unix())) {
			t.Fatalf("window at %d: %d ids, total %d", from, len(got), total)
		}
		seen += len(got)
		requests += len(got)/500 + 1
	}
	if seen != n {
		t.Fatalf("windows served %d ids, want %d", seen, n)
	}
	t.Logf("%d responses in %d requests, %v", n, requests, time.Since(start))
}

func ExampleSim() {
	sim := tikisim.New("client-id", "secret", tikisim.WithArrayName("customer_responses"))
	sim.Create("84112926079713300", time.Date(2021, 12, 16, 17, 43, 51, 0, time.UTC))
	srv := httptest.NewServer(sim)
	defer srv.Close()

	q := tiki.Query([][2]string{{"form_ids", "84112926079713300"}, {"size", "100"}})
	req, _ := http.NewRequest(http.MethodGet, srv.URL+tikisim.ListPath+"?"+q, nil)
	ts := time.Now().UnixMilli()
	req.Header.Set("X-Tiniapp-Client-Id", "client-id")
	req.Header.Set("X-Tiniapp-Timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("X-Tiniapp-Signature", tiki.Signature("secret", "client-id", ts, tikisim.ListPath+"?"+q))
	resp, err := srv.Client().Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body))
	// Output:
	// 200 {"data":{"total":1,"customer_responses":[{"id":"1000","created_at":"2021-12-16T17:43:51Z","form_id":"84112926079713300","inputs":{"name":"Nguyễn Mỹ Linh","phone":"0907919000","email":"lead1000@example.com","age":18,"gender":"male","city":"Hà Nội","address":"Số 101 đường Trần Hưng Đạo","interest":"Máy lọc không khí","message":"Tư vấn giúp tôi về sản phẩm này"}}]}}
}
