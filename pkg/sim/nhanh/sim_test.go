package nhanhsim_test

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

	nhanhsim "github.com/vnstream/connector/pkg/sim/nhanh"
)

const (
	testApp      = "74951"
	testBusiness = "8"
	testToken    = "sim-token-that-must-never-be-echoed"
)

// t0 is the time of the first conversation in most tests.
var t0 = time.Date(2025, 3, 24, 8, 4, 25, 0, time.UTC)

// client sends requests to a simulator behind an httptest server.
type client struct {
	t             *testing.T
	base          string
	http          *http.Client
	app, business string
	token         string // no Authorization header when empty
	method, path  string
}

// serve starts sim on a loopback test server closed when the test ends.
func serve(t *testing.T, sim *nhanhsim.Sim) *client {
	t.Helper()
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return &client{t: t, base: srv.URL, http: srv.Client(), app: testApp, business: testBusiness, token: testToken,
		method: http.MethodPost, path: nhanhsim.ListPath}
}

// reply is an HTTP answer read in full.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// send posts body with the client's credentials.
func (c *client) send(ctx context.Context, body string) (reply, error) {
	u := c.base + c.path + "?appId=" + c.app + "&businessId=" + c.business
	req, err := http.NewRequestWithContext(ctx, c.method, u, strings.NewReader(body))
	if err != nil {
		return reply{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, b}, err
}

// post sends body and fails the test on a transport error.
func (c *client) post(body string) reply {
	c.t.Helper()
	r, err := c.send(context.Background(), body)
	if err != nil {
		c.t.Fatal(err)
	}
	return r
}

// listBody is a request for size conversations after next (none when
// empty) in order ("asc", "desc" or "" for no sort), with filters.
func listBody(size int, order, next, filters string) string {
	var p []string
	p = append(p, `"size":`+strconv.Itoa(size))
	if order != "" {
		p = append(p, `"sort":{"updatedAt":"`+order+`"}`)
	}
	if next != "" {
		p = append(p, `"next":`+next)
	}
	if filters == "" {
		filters = "{}"
	}
	return `{"filters":` + filters + `,"paginator":{` + strings.Join(p, ",") + `}}`
}

// record is a served conversation, as a client reads it.
type record struct {
	ID        string `json:"id"`
	Type      int    `json:"type"`
	PageID    string `json:"pageId"`
	UpdatedAt int64  `json:"updatedAt"`
	Status    int    `json:"status"`
	HasPhone  bool   `json:"hasPhone"`
	HasReply  bool   `json:"hasReply"`
}

// decodePage checks that r is a well-formed page and returns its next
// (raw) and records.
func decodePage(t *testing.T, r reply) (string, []record) {
	t.Helper()
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d %q, want 200 JSON; body %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	var p struct {
		Code      int
		Paginator struct{ Next json.RawMessage }
		Data      []record
	}
	if err := json.Unmarshal(r.body, &p); err != nil || p.Code != 1 || p.Data == nil {
		t.Fatalf("decode %s: code %d, %v", r.body, p.Code, err)
	}
	return string(p.Paginator.Next), p.Data
}

// vendorError is a failed answer.
type vendorError struct {
	Code      *int
	ErrorCode string
	Messages  json.RawMessage
}

// decodeError checks that r is a vendor failure with HTTP status and
// returns it.
func decodeError(t *testing.T, r reply, status int) vendorError {
	t.Helper()
	var e vendorError
	if r.status != status || json.Unmarshal(r.body, &e) != nil || e.Code == nil || *e.Code != 0 || e.ErrorCode == "" || len(e.Messages) == 0 {
		t.Fatalf("got %d %s, want %d with code 0, errorCode and messages", r.status, r.body, status)
	}
	if r.header.Get("Content-Type") != "application/json" {
		t.Errorf("Content-Type %q", r.header.Get("Content-Type"))
	}
	return e
}

// cursor renders the keyset cursor of a record.
func cursor(updated time.Time, iid int64) string {
	return fmt.Sprintf("[%d,%d]", updated.Unix(), iid)
}

// walk pages through everything in order with size, checking each page's
// next, and returns the ids served.
func walk(t *testing.T, c *client, size int, order, filters string) []string {
	t.Helper()
	var ids []string
	next := ""
	for range 100000 {
		n, recs := decodePage(t, c.post(listBody(size, order, next, filters)))
		if len(recs) > size {
			t.Fatalf("page of %d records, size %d", len(recs), size)
		}
		if len(recs) == 0 {
			if next != "" && n != next {
				t.Fatalf("empty page after %s has next %s, want the cursor echoed", next, n)
			}
			return ids
		}
		for _, r := range recs {
			ids = append(ids, r.ID)
		}
		next = n
	}
	t.Fatal("walk does not end")
	return nil
}

func TestKeysetPaging(t *testing.T) {
	sim := nhanhsim.New(testApp, testBusiness, testToken)
	var want []nhanhsim.Record
	for i := range 10 {
		want = append(want, sim.Create(t0.Add(time.Duration(i/3)*time.Second))) // ties of three
	}
	c := serve(t, sim)
	n, recs := decodePage(t, c.post(listBody(4, "asc", "", "")))
	if len(recs) != 4 || n != cursor(want[3].UpdatedAt, want[3].InternalID) {
		t.Fatalf("first page: %d records, next %s", len(recs), n)
	}
	for i, r := range recs {
		if r.ID != want[i].ID || r.UpdatedAt != want[i].UpdatedAt.Unix() {
			t.Errorf("record %d: %+v, want %s", i, r, want[i].ID)
		}
	}
	if got := walk(t, c, 4, "asc", ""); len(got) != 10 || got[9] != want[9].ID {
		t.Errorf("asc walk %v", got)
	}
	desc := walk(t, c, 3, "desc", "")
	slices.Reverse(desc)
	if asc := walk(t, c, 3, "ASC", ""); !slices.Equal(desc, asc) {
		t.Errorf("desc walk reversed %v, asc %v", desc, asc)
	}
	if noSort := walk(t, c, 5, "", ""); noSort[0] != want[9].ID {
		t.Errorf("without sort the first record is %s, want the newest (desc)", noSort[0])
	}
	// An empty first page has no next; an empty later page echoes the cursor.
	if n, recs := decodePage(t, c.post(listBody(5, "asc", "", `{"type":1,"pageIds":["nope"]}`))); n != "null" || len(recs) != 0 {
		t.Errorf("empty first page: next %s, %d records", n, len(recs))
	}
	if n, recs := decodePage(t, c.post(listBody(5, "asc", "[99999999999, 7]", ""))); n != "[99999999999,7]" || len(recs) != 0 {
		t.Errorf("empty page: next %s, %d records", n, len(recs))
	}
}

func TestUpdateMovesForward(t *testing.T) {
	sim := nhanhsim.New(testApp, testBusiness, testToken)
	a := sim.Create(t0)
	b := sim.Create(t0.Add(time.Second))
	c := serve(t, sim)
	n, _ := decodePage(t, c.post(listBody(50, "asc", "", "")))

	u, err := sim.Update(a.ID, t0.Add(10*time.Second+600*time.Millisecond))
	if err != nil || !u.UpdatedAt.Equal(t0.Add(10*time.Second)) || u.CreatedAt != a.CreatedAt {
		t.Fatalf("Update = %+v, %v", u, err)
	}
	next, recs := decodePage(t, c.post(listBody(50, "asc", n, "")))
	if len(recs) != 1 || recs[0].ID != a.ID || next != cursor(u.UpdatedAt, a.InternalID) {
		t.Fatalf("after the cursor: %+v next %s, want a alone", recs, next)
	}
	// Within the same second: content changes, place and time do not.
	same, err := sim.Update(a.ID, t0.Add(10*time.Second+900*time.Millisecond))
	if err != nil || !same.UpdatedAt.Equal(u.UpdatedAt) || same.LastMessage == u.LastMessage {
		t.Fatalf("same-second Update = %+v, %v", same, err)
	}
	if _, recs := decodePage(t, c.post(listBody(50, "asc", next, ""))); len(recs) != 0 {
		t.Errorf("a same-second update moved: %+v", recs)
	}
	if _, err := sim.Update(b.ID, t0); err == nil || !strings.Contains(err.Error(), "after") {
		t.Errorf("Update before the current time: %v", err)
	}
	if _, err := sim.Update("nope", t0.Add(time.Hour)); err == nil || !strings.Contains(err.Error(), `no conversation "nope"`) {
		t.Errorf("Update of an unknown id: %v", err)
	}
}

// TestQueriesMatchModel compares random filtered walks with a brute force
// answer over conversations with random updates.
func TestQueriesMatchModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sim := nhanhsim.New(testApp, testBusiness, testToken, nhanhsim.WithPages("p1", "p2", "p3"))
	for i := range 600 {
		r := sim.Create(t0.Add(time.Duration(rng.IntN(600)) * time.Second))
		if i%3 == 0 {
			for range rng.IntN(3) {
				var err error
				if r, err = sim.Update(r.ID, r.UpdatedAt.Add(time.Duration(rng.IntN(900))*time.Second)); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	rs := sim.Records()
	slices.SortFunc(rs, func(a, b nhanhsim.Record) int {
		if c := a.UpdatedAt.Compare(b.UpdatedAt); c != 0 {
			return c
		}
		return int(a.InternalID - b.InternalID)
	})
	c := serve(t, sim)
	for range 60 {
		var f []string
		match := func(nhanhsim.Record) bool { return true }
		and := func(clause string, p func(nhanhsim.Record) bool) {
			f = append(f, clause)
			prev := match
			match = func(r nhanhsim.Record) bool { return prev(r) && p(r) }
		}
		if rng.IntN(2) == 0 {
			pages := []string{"p" + strconv.Itoa(1+rng.IntN(3)), "p" + strconv.Itoa(1+rng.IntN(3))}
			and(`"pageIds":["`+strings.Join(pages, `","`)+`"]`, func(r nhanhsim.Record) bool { return slices.Contains(pages, r.PageID) })
		}
		if rng.IntN(2) == 0 {
			typ := 1 + rng.IntN(2)
			and(`"type":`+strconv.Itoa(typ), func(r nhanhsim.Record) bool { return r.Type == typ })
		}
		if rng.IntN(3) == 0 {
			status := 1 + rng.IntN(2)
			and(`"status":`+strconv.Itoa(status), func(r nhanhsim.Record) bool { return r.Status == status })
		}
		if rng.IntN(3) == 0 {
			v := rng.IntN(2) == 0
			and(`"hasPhone":`+strconv.FormatBool(v), func(r nhanhsim.Record) bool { return r.HasPhone == v })
		}
		if rng.IntN(3) == 0 {
			v := rng.IntN(2) == 0
			and(`"hasReply":`+strconv.FormatBool(v), func(r nhanhsim.Record) bool { return r.HasReply == v })
		}
		if rng.IntN(4) == 0 {
			var posts []string
			for _, r := range rs[:40] {
				if r.PagePostID != nil {
					posts = append(posts, *r.PagePostID)
				}
			}
			and(`"postIds":["`+strings.Join(posts, `","`)+`"]`, func(r nhanhsim.Record) bool {
				return r.PagePostID != nil && slices.Contains(posts, *r.PagePostID)
			})
		}
		var want []string
		for _, r := range rs {
			if match(r) {
				want = append(want, r.ID)
			}
		}
		order := "asc"
		if rng.IntN(2) == 0 {
			order = "desc"
			slices.Reverse(want)
		}
		filters := "{" + strings.Join(f, ",") + "}"
		if got := walk(t, c, 1+rng.IntN(50), order, filters); !slices.Equal(got, want) {
			t.Fatalf("%s %s: got %d ids, want %d", order, filters, len(got), len(want))
		}
	}
}

func TestPageCap(t *testing.T) {
	sim := nhanhsim.New(testApp, testBusiness, testToken, nhanhsim.WithPageCap(7))
	for i := range 20 {
		sim.Create(t0.Add(time.Duration(i) * time.Second))
	}
	c := serve(t, sim)
	if _, recs := decodePage(t, c.post(listBody(50, "asc", "", ""))); len(recs) != 7 {
		t.Errorf("size 50 with cap 7: %d records", len(recs))
	}
	if _, recs := decodePage(t, c.post(listBody(3, "asc", "", ""))); len(recs) != 3 {
		t.Errorf("size 3 with cap 7: %d records", len(recs))
	}
	if got := walk(t, c, 50, "asc", ""); len(got) != 20 {
		t.Errorf("capped walk served %d ids, want 20", len(got))
	}
}

func TestAuthFailures(t *testing.T) {
	now := t0
	sim := nhanhsim.New(testApp, testBusiness, testToken, nhanhsim.WithClock(func() time.Time { return now }), nhanhsim.WithTokenExpiry(t0.Add(time.Hour)))
	sim.Create(t0)
	c := serve(t, sim)
	body := listBody(10, "asc", "", "")
	cases := []struct {
		name string
		edit func(*client)
		code string
	}{
		{"wrong app", func(c *client) { c.app = "1" }, nhanhsim.CodeInvalidAppID},
		{"missing app", func(c *client) { c.app = "" }, nhanhsim.CodeInvalidAppID},
		{"wrong business", func(c *client) { c.business = "80" }, nhanhsim.CodeInvalidBusinessID},
		{"wrong token", func(c *client) { c.token = "other" }, nhanhsim.CodeInvalidAccessToken},
		{"Bearer token", func(c *client) { c.token = "Bearer " + testToken }, nhanhsim.CodeInvalidAccessToken},
		{"missing token", func(c *client) { c.token = "" }, nhanhsim.CodeInvalidAccessToken},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bad := *c
			tc.edit(&bad)
			r := bad.post(body)
			if e := decodeError(t, r, http.StatusOK); e.ErrorCode != tc.code || e.Messages[0] != '"' {
				t.Errorf("errorCode %s messages %s, want %s with a string", e.ErrorCode, e.Messages, tc.code)
			}
			if bytes.Contains(r.body, []byte(testToken)) {
				t.Errorf("body echoes the token: %s", r.body)
			}
		})
	}
	now = t0.Add(time.Hour - time.Second)
	decodePage(t, c.post(body))
	now = t0.Add(time.Hour)
	if e := decodeError(t, c.post(body), http.StatusOK); e.ErrorCode != nhanhsim.CodeExpiredAccessToken {
		t.Errorf("at the expiry: %s", e.ErrorCode)
	}
	if st := sim.Stats(); st.AuthFailed != len(cases)+1 || st.Served != 1 || st.Requests != len(cases)+2 {
		t.Errorf("Stats %+v", st)
	}
}

func TestInvalidRequests(t *testing.T) {
	sim := nhanhsim.New(testApp, testBusiness, testToken)
	c := serve(t, sim)
	cases := []struct{ body, field string }{
		{`not json`, "body"},
		{`{"filters":{}}`, "paginator.size"},
		{listBody(0, "asc", "", ""), "paginator.size"},
		{listBody(51, "asc", "", ""), "paginator.size"},
		{`{"paginator":{"size":"10"}}`, "paginator.size"},
		{listBody(10, "up", "", ""), "paginator.sort"},
		{`{"paginator":{"size":10,"sort":{"createdAt":"asc"}}}`, "paginator.sort"},
		{`{"paginator":{"size":10,"sort":{"updatedAt":"asc","id":"asc"}}}`, "paginator.sort"},
		{listBody(10, "asc", `[1,2,3]`, ""), "paginator.next"},
		{listBody(10, "asc", `"abc"`, ""), "paginator.next"},
		{listBody(10, "asc", `[1.5,2]`, ""), "paginator.next"},
		{listBody(10, "asc", "", `{"type":3}`), "filters.type"},
		{listBody(10, "asc", "", `{"status":"1"}`), "filters.status"},
		{listBody(10, "asc", "", `{"pageIds":"331526780045341"}`), "filters.pageIds"},
		{listBody(10, "asc", "", `{"hasPhone":1}`), "filters.hasPhone"},
		{listBody(10, "asc", "", `{"tagIds":[1]}`), "filters.tagIds"},
		{listBody(10, "asc", "", `{"updatedFrom":1}`), "filters.updatedFrom"},
		{strings.Repeat(" ", 1<<20+1), "body"},
	}
	for _, tc := range cases {
		e := decodeError(t, c.post(tc.body), http.StatusOK)
		var msgs map[string]string
		if e.ErrorCode != nhanhsim.CodeInvalidData || json.Unmarshal(e.Messages, &msgs) != nil || msgs[tc.field] == "" {
			t.Errorf("%.60s: %s %s, want %s naming %s", tc.body, e.ErrorCode, e.Messages, nhanhsim.CodeInvalidData, tc.field)
		}
	}
	// Every problem at once; null members are absent ones.
	e := decodeError(t, c.post(`{"filters":{"type":0,"status":9,"hasReply":null},"paginator":{"size":99,"next":null}}`), http.StatusOK)
	var msgs map[string]string
	if json.Unmarshal(e.Messages, &msgs) != nil || len(msgs) != 3 {
		t.Errorf("messages %s, want type, status and size", e.Messages)
	}
	if st := sim.Stats(); st.BadRequest != len(cases)+1 || st.Served != 0 || st.AuthFailed != 0 {
		t.Errorf("Stats %+v", st)
	}
}

func TestNotFoundAndMethod(t *testing.T) {
	sim := nhanhsim.New(testApp, testBusiness, testToken)
	c := serve(t, sim)
	wrongPath := *c
	wrongPath.path = "/v3.0/conversation/lists"
	decodeError(t, wrongPath.post(listBody(1, "", "", "")), http.StatusNotFound)
	get := *c
	get.method = http.MethodGet
	r := get.post("")
	if decodeError(t, r, http.StatusMethodNotAllowed); r.header.Get("Allow") != http.MethodPost {
		t.Errorf("Allow %q", r.header.Get("Allow"))
	}
	if st := sim.Stats(); st.Requests != 2 || st.Served+st.AuthFailed+st.BadRequest != 0 {
		t.Errorf("Stats %+v", st)
	}
}

func TestConcurrentWrites(t *testing.T) {
	sim := nhanhsim.New(testApp, testBusiness, testToken)
	c := serve(t, sim)
	const creates = 500
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range creates {
			r := sim.Create(t0.Add(time.Duration(i) * time.Second))
			if i%4 == 0 {
				if _, err := sim.Update(r.ID, r.UpdatedAt.Add(time.Hour)); err != nil {
					t.Error(err)
				}
			}
		}
	})
	for range 3 {
		wg.Go(func() {
			for range 5 {
				// Conversations move while the walk goes on: only check
				// that every page keeps the keyset order.
				next, last := "", [2]int64{-1, -1}
				for {
					n, recs := decodePage(t, c.post(listBody(37, "asc", next, "")))
					if len(recs) == 0 {
						break
					}
					var k [2]int64
					if err := json.Unmarshal([]byte(n), &k); err != nil || (k[0] < last[0] || k[0] == last[0] && k[1] <= last[1]) {
						t.Errorf("next %s after %v", n, last)
						return
					}
					next, last = n, k
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
	if got := walk(t, c, 50, "asc", ""); len(got) != creates {
		t.Errorf("after the writers: %d ids, want %d", len(got), creates)
	}
}

// TestLargeStore seeds 100 000 conversations and walks them all with the
// largest page, the way the connector reads a backlog.
func TestLargeStore(t *testing.T) {
	n := 100_000
	if testing.Short() || raceEnabled {
		n = 10_000
	}
	sim := nhanhsim.New(testApp, testBusiness, testToken)
	start := time.Now()
	for i := range n {
		sim.Create(t0.Add(time.Duration(i/2) * time.Second))
	}
	seeded := time.Since(start)
	c := serve(t, sim)
	start = time.Now()
	if got := walk(t, c, 50, "asc", ""); len(got) != n {
		t.Fatalf("walk served %d ids, want %d", len(got), n)
	}
	t.Logf("seeded %d conversations in %v, walked them in %v", n, seeded, time.Since(start))
}

func ExampleSim() {
	sim := nhanhsim.New("74951", "8", "access-token")
	sim.Create(time.Date(2025, 3, 24, 8, 4, 25, 0, time.UTC))
	srv := httptest.NewServer(sim)
	defer srv.Close()

	body := `{"filters":{},"paginator":{"size":30,"sort":{"updatedAt":"asc"}}}`
	req, _ := http.NewRequest(http.MethodPost, srv.URL+nhanhsim.ListPath+"?appId=74951&businessId=8", strings.NewReader(body))
	req.Header.Set("Authorization", "access-token")
	resp, err := srv.Client().Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(answer))
	// Output:
	// 200 {"code":1,"paginator":{"next":[1742803465,1]},"data":[{"id":"101286204573840_7000000000007919","channel":1,"type":2,"customerAvatar":"https://example.com/avatar/1.jpg","pageId":"101286204573840","pageUserId":"7000000000007919","pageUserName":"Trần Văn An","hasReply":false,"assignedGroupId":"","hasPhone":false,"createdAt":1742803465,"updatedAt":1742803465,"lastSeenMessageAt":1742803465,"lastMessage":"Cho mình xin giá sỉ với ạ","status":1}]}
}
