package nhanhsim_test

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	nhanhsim "github.com/vnstream/connector/pkg/sim/nhanh"
)

func TestCreate(t *testing.T) {
	sim := nhanhsim.New(testApp, testBusiness, testToken, nhanhsim.WithPages("111", "222"))
	at := time.Date(2025, 3, 24, 15, 4, 25, 987654321, time.FixedZone("ICT", 7*3600))
	types := map[int]int{}
	phones := 0
	phone := regexp.MustCompile(`09\d{8}`)
	for i := range 30 {
		r := sim.Create(at)
		if r.InternalID != int64(i+1) || !r.CreatedAt.Equal(at.Truncate(time.Second)) || r.UpdatedAt != r.CreatedAt || r.CreatedAt.Location() != time.UTC {
			t.Errorf("Create returned %+v, want internal id %d created = updated = %v in UTC", r, i+1, at.Truncate(time.Second))
		}
		if (r.PageID != "111" && r.PageID != "222") || r.Status != 1 || r.HasReply || r.Channel != 1 || r.PageUserName == "" ||
			!strings.HasPrefix(r.CustomerAvatar, "https://") || r.HasPhone != phone.MatchString(r.LastMessage) {
			t.Errorf("content %+v", r)
		}
		types[r.Type]++
		if r.HasPhone {
			phones++
		}
		switch r.Type {
		case 1:
			if r.PagePostID == nil || r.IsFromLive == nil || r.ID != *r.PagePostID+"_"+r.PageUserID || !strings.HasPrefix(*r.PagePostID, r.PageID+"_") || r.LastSeenMessageAt != nil {
				t.Errorf("comment thread %+v", r)
			}
		case 2:
			if r.PagePostID != nil || r.ID != r.PageID+"_"+r.PageUserID || r.AssignedGroupID == nil || r.LastSeenMessageAt == nil {
				t.Errorf("message thread %+v", r)
			}
		default:
			t.Errorf("type %d", r.Type)
		}
	}
	if types[1] == 0 || types[2] == 0 || phones == 0 || phones == 30 {
		t.Errorf("types %v, %d with a phone: want a mix", types, phones)
	}
	// Content depends on the internal id alone.
	other := nhanhsim.New("x", "y", "z", nhanhsim.WithPages("111", "222"))
	if a, b := other.Create(t0), sim.Records()[0]; a.ID != b.ID || a.LastMessage != b.LastMessage || a.PageUserName != b.PageUserName {
		t.Errorf("the same internal id differs: %+v vs %+v", a, b)
	}
}

func TestUpdateAlternates(t *testing.T) {
	sim := nhanhsim.New(testApp, testBusiness, testToken)
	var msg nhanhsim.Record
	for msg.Type != 2 {
		msg = sim.Create(t0)
	}
	at := t0
	for i := range 4 {
		at = at.Add(time.Minute)
		r, err := sim.Update(msg.ID, at)
		if err != nil {
			t.Fatal(err)
		}
		if r.UpdatedAt != at || r.CreatedAt != t0 || r.LastMessage == msg.LastMessage && i == 0 {
			t.Errorf("update %d: %+v", i, r)
		}
		customer := i%2 == 0
		if r.HasReply == customer || (r.Status == 1) != customer || (!customer && !r.LastSeenMessageAt.Equal(at)) {
			t.Errorf("update %d (customer %v): %+v", i, customer, r)
		}
		if !customer && !r.HasPhone && msg.HasPhone {
			t.Errorf("hasPhone went back to false")
		}
	}
}

func TestAdd(t *testing.T) {
	sim := nhanhsim.New(testApp, testBusiness, testToken)
	group, post := "", "1_2"
	seen := t0.Add(90 * time.Minute)
	live := 1
	sim.Create(t0) // internal id 1
	sim.Add(
		nhanhsim.Record{ID: "x", InternalID: 3, PageID: "1", PageUserID: "9", CreatedAt: t0, AssignedGroupID: &group, LastSeenMessageAt: &seen,
			IsFromLive: &live, PagePostID: &post, Extra: map[string]json.RawMessage{"tags": json.RawMessage(`[{"id":5}]`), "status": json.RawMessage(`"read"`)}},
		nhanhsim.Record{ID: "y", CreatedAt: t0.Add(-time.Hour), UpdatedAt: t0.Add(time.Second)},
	)
	rs := sim.Records()
	if len(rs) != 3 || rs[1].ID != "y" || rs[1].InternalID != 2 || rs[2].ID != "x" || !rs[2].UpdatedAt.Equal(t0) {
		t.Fatalf("records %+v: want y given the free internal id 2 and x's updatedAt = createdAt", rs)
	}
	c := serve(t, sim)
	r := c.post(listBody(10, "asc", "", ""))
	want := `{"id":"x","channel":0,"type":0,"customerAvatar":"","pageId":"1","pageUserId":"9","pageUserName":"","hasReply":false,` +
		`"assignedGroupId":"","hasPhone":false,"createdAt":1742803465,"updatedAt":1742803465,"lastSeenMessageAt":1742808865,` +
		`"lastMessage":"","status":"read","isFromLive":1,"pagePostId":"1_2","tags":[{"id":5}]}`
	if !bytes.Contains(r.body, []byte(want)) {
		t.Errorf("body %s\nwant the record %s", r.body, want)
	}
	if n, _ := decodePage(t, c.post(listBody(1, "desc", "", ""))); n != "[1742803466,2]" {
		t.Errorf("desc first page next %s, want y's key", n)
	}
}

func TestAddPanics(t *testing.T) {
	for _, tc := range []struct {
		name string
		rs   []nhanhsim.Record
	}{
		{"duplicate of stored", []nhanhsim.Record{{ID: "a"}}},
		{"duplicate in batch", []nhanhsim.Record{{ID: "b"}, {ID: "b"}}},
		{"duplicate internal id", []nhanhsim.Record{{ID: "c", InternalID: 1}}},
		{"duplicate internal id in batch", []nhanhsim.Record{{ID: "c", InternalID: 7}, {ID: "d", InternalID: 7}}},
		{"empty id", []nhanhsim.Record{{ID: ""}}},
		{"negative internal id", []nhanhsim.Record{{ID: "e", InternalID: -1}}},
		{"extra not JSON", []nhanhsim.Record{{ID: "f", Extra: map[string]json.RawMessage{"x": json.RawMessage(`nope`)}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim := nhanhsim.New(testApp, testBusiness, testToken)
			sim.Add(nhanhsim.Record{ID: "a", InternalID: 1, CreatedAt: t0})
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("Add did not panic")
					}
				}()
				sim.Add(tc.rs...)
			}()
			if n := len(sim.Records()); n != 1 {
				t.Errorf("%d records stored after the panic, want 1", n)
			}
		})
	}
}

func TestRecordsIsACopy(t *testing.T) {
	sim := nhanhsim.New(testApp, testBusiness, testToken)
	group := "g"
	extra := map[string]json.RawMessage{"k": json.RawMessage(`1`)}
	sim.Add(nhanhsim.Record{ID: "a", PageID: "1", PageUserID: "2", CreatedAt: t0, AssignedGroupID: &group, Extra: extra})
	group = "changed"
	extra["k"][0] = '2'
	rs := sim.Records()
	*rs[0].AssignedGroupID = "changed too"
	rs[0].Extra["k"][0] = '3'
	r := sim.Records()[0]
	if *r.AssignedGroupID != "g" || string(r.Extra["k"]) != "1" {
		t.Errorf("stored record changed through the caller's values: %+v %s", r, r.Extra["k"])
	}
	if got := nhanhsim.New("x", "y", "z").Records(); got == nil || len(got) != 0 {
		t.Errorf("empty Records() = %#v, want an empty slice", got)
	}
	ids := []string{}
	for _, r := range sim.Records() {
		ids = append(ids, r.ID)
	}
	if !slices.Equal(ids, []string{"a"}) {
		t.Errorf("ids %v", ids)
	}
}

func TestEscapedStrings(t *testing.T) {
	sim := nhanhsim.New(testApp, testBusiness, testToken)
	msg := "line 1\nline \"2\" \\ tab\t\x01 Đặng ❤️"
	sim.Add(nhanhsim.Record{ID: "a", PageID: "1", PageUserID: "2", CreatedAt: t0, LastMessage: msg, PageUserName: "bad \xff utf-8"})
	c := serve(t, sim)
	var p struct {
		Data []struct{ LastMessage, PageUserName string }
	}
	if err := json.Unmarshal(c.post(listBody(1, "asc", "", "")).body, &p); err != nil || len(p.Data) != 1 {
		t.Fatalf("decode: %v", err)
	}
	if p.Data[0].LastMessage != msg || p.Data[0].PageUserName != "bad \ufffd utf-8" {
		t.Errorf("served %q %q", p.Data[0].LastMessage, p.Data[0].PageUserName)
	}
}

// BenchmarkCreate measures seeding: 100 000 conversations take 100 000
// times ns/op.
func BenchmarkCreate(b *testing.B) {
	sim := nhanhsim.New(testApp, testBusiness, testToken)
	b.ReportAllocs()
	at := t0
	for b.Loop() {
		sim.Create(at)
		at = at.Add(time.Second)
	}
}
