package nxlinksim_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	nxlinksim "github.com/vnstream/connector/pkg/sim/nxlink"
)

func TestCreate(t *testing.T) {
	sim := nxlinksim.New(testAccessKey, testSecret, testTenant, testAppKey, nxlinksim.WithStartID(1021110718827683840))
	sim.Add(nxlinksim.Record{ID: "1021110718827683841", CreatedAt: t0})
	at := time.Date(2024, 3, 1, 10, 0, 0, 987654321, time.FixedZone("ICT", 7*3600))
	var last int64
	for i := range 50 {
		r := sim.Create(at)
		id, err := strconv.ParseInt(r.ID, 10, 64)
		if err != nil || id <= last || r.ID == "1021110718827683841" {
			t.Fatalf("Create %d: id %s after %d", i, r.ID, last)
		}
		if i == 0 && id != 1021110718827683840 {
			t.Errorf("first id %d", id)
		}
		last = id
		if !r.CreatedAt.Equal(at.Truncate(time.Second)) || !r.UpdatedAt.Equal(r.CreatedAt) || r.CreatedAt.Location() != time.UTC || r.TenantID != testTenant {
			t.Errorf("Create returned times %v/%v tenant %d", r.CreatedAt, r.UpdatedAt, r.TenantID)
		}
		for name, p := range map[string]*string{"first_name": r.FirstName, "last_name": r.LastName, "full_name": r.FullName,
			"sms_phone": r.SMSPhone, "whatsApp_phone": r.WhatsAppPhone, "email": r.Email, "customize_field": r.CustomizeField} {
			if p == nil || *p == "" || !utf8.ValidString(*p) {
				t.Errorf("customer %s: %s is %v", r.ID, name, p)
			}
		}
		if !strings.HasPrefix(*r.FullName, *r.LastName+" ") || !strings.HasSuffix(*r.FullName, " "+*r.FirstName) || !strings.HasPrefix(*r.SMSPhone, "849") {
			t.Errorf("customer %s: %s / %s / %s / %s", r.ID, *r.FirstName, *r.LastName, *r.FullName, *r.SMSPhone)
		}
		if err := json.Unmarshal(r.Tags, &[]map[string]any{}); err != nil || !strings.Contains(string(r.Tags), `"customer_id":`+r.ID+"}") {
			t.Errorf("customer %s: tags %s (%v), want objects with the exact 64-bit customer_id", r.ID, r.Tags, err)
		}
		if !json.Valid([]byte(*r.CustomizeField)) {
			t.Errorf("customize_field %s is not a JSON document", *r.CustomizeField)
		}
	}
	// Content depends on the id alone.
	other := nxlinksim.New("x", "y", 1, "z", nxlinksim.WithStartID(1021110718827683840))
	if a, b := other.Create(t0), sim.Records()[0]; a.ID != b.ID || *a.FullName != *b.FullName || *a.Email != *b.Email {
		t.Errorf("customer %s differs between simulators: %s vs %s", a.ID, *a.FullName, *b.FullName)
	}
}

func TestUpdate(t *testing.T) {
	sim := nxlinksim.New(testAccessKey, testSecret, testTenant, testAppKey)
	r := sim.Create(t0)
	prev := r
	for v := 1; v <= 6; v++ {
		at := t0.Add(time.Duration(v) * time.Minute)
		u, err := sim.Update(r.ID, at)
		if err != nil {
			t.Fatal(err)
		}
		if u.ID != r.ID || !u.UpdatedAt.Equal(at) || !u.CreatedAt.Equal(r.CreatedAt) {
			t.Errorf("update %d: id %s times %v/%v", v, u.ID, u.CreatedAt, u.UpdatedAt)
		}
		if *u.Email == *prev.Email || *u.CustomizeField == *prev.CustomizeField || u.Remark == nil ||
			(prev.Remark != nil && *u.Remark == *prev.Remark) {
			t.Errorf("update %d changed too little: %s %s %v", v, *u.Email, *u.CustomizeField, u.Remark)
		}
		if flipped := *u.Status != *prev.Status; flipped != (v%3 == 0) {
			t.Errorf("update %d: status %d after %d", v, *u.Status, *prev.Status)
		}
		if !json.Valid(u.Tags) || len(u.Tags) < len(prev.Tags) || strings.Count(string(u.Tags), `"customer_id":`+r.ID) < 1 {
			t.Errorf("update %d: tags %s", v, u.Tags)
		}
		prev = u
	}
	if strings.Count(string(prev.Tags), `"tag_name"`) != 6 {
		t.Errorf("after six updates tags %s, want six different tags", prev.Tags)
	}
	if got := sim.Records()[0]; !got.UpdatedAt.Equal(prev.UpdatedAt) || *got.Email != *prev.Email {
		t.Errorf("stored %v %s, want the last update", got.UpdatedAt, *got.Email)
	}
	if _, err := sim.Update(r.ID, prev.UpdatedAt); err != nil {
		t.Errorf("update at the same time: %v", err)
	}
	for _, tc := range []struct{ id, at, want string }{
		{r.ID, "earlier", "was updated at"},
		{"42", "", "no customer 42"},
		{"x", "", `id "x" is not a 64-bit integer`},
	} {
		at := prev.UpdatedAt
		if tc.at == "earlier" {
			at = at.Add(-time.Second)
		}
		if _, err := sim.Update(tc.id, at); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Update(%s): %v, want %q", tc.id, err, tc.want)
		}
	}
}

func TestRecordsIsACopy(t *testing.T) {
	sim := nxlinksim.New(testAccessKey, testSecret, testTenant, testAppKey)
	name, status := "An", int64(1)
	extra := map[string]json.RawMessage{"k": json.RawMessage(`1`)}
	tags := json.RawMessage(`[{"id":1}]`)
	sim.Add(nxlinksim.Record{ID: "5", CreatedAt: t0, FirstName: &name, Status: &status, Tags: tags, Extra: extra})
	name, status = "Bình", 0
	tags[2] = 'X'
	extra["k"] = json.RawMessage(`2`)
	rs := sim.Records()
	*rs[0].FirstName = "Châu"
	*rs[0].Status = 7
	rs[0].Tags[2] = 'Y'
	rs[0].Extra["k"][0] = '3'
	r := sim.Records()[0]
	if *r.FirstName != "An" || *r.Status != 1 || string(r.Tags) != `[{"id":1}]` || string(r.Extra["k"]) != `1` || r.TenantID != testTenant || !r.UpdatedAt.Equal(t0) {
		t.Errorf("stored customer changed through the caller's values: %+v", r)
	}
	c := sim.Create(t0)
	*c.Email = "changed"
	if got := sim.Records()[1]; *got.Email == "changed" {
		t.Error("Create returned the stored customer, not a copy")
	}
	if got := nxlinksim.New("x", "y", 1, "z").Records(); got == nil || len(got) != 0 {
		t.Errorf("empty Records() = %#v, want an empty slice", got)
	}
}

func TestAddPanics(t *testing.T) {
	bad := "\xff"
	for _, tc := range []struct {
		name string
		rs   []nxlinksim.Record
	}{
		{"duplicate of stored", []nxlinksim.Record{{ID: "10"}}},
		{"duplicate in batch", []nxlinksim.Record{{ID: "11"}, {ID: "11"}}},
		{"non-numeric id", []nxlinksim.Record{{ID: "abc"}}},
		{"leading zero", []nxlinksim.Record{{ID: "012"}}},
		{"zero id", []nxlinksim.Record{{ID: "0"}}},
		{"id above int64", []nxlinksim.Record{{ID: "9223372036854775808"}}},
		{"string not UTF-8", []nxlinksim.Record{{ID: "12", Email: &bad}}},
		{"tags not JSON", []nxlinksim.Record{{ID: "12", Tags: json.RawMessage(`[{`)}}},
		{"raw not JSON", []nxlinksim.Record{{ID: "12", Raw: json.RawMessage(`{"id":`)}}},
		{"extra shadows a field", []nxlinksim.Record{{ID: "12", Extra: map[string]json.RawMessage{"email": json.RawMessage(`"x"`)}}}},
		{"extra not JSON", []nxlinksim.Record{{ID: "12", Extra: map[string]json.RawMessage{"x": json.RawMessage(`nope`)}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim := nxlinksim.New(testAccessKey, testSecret, testTenant, testAppKey)
			sim.Add(nxlinksim.Record{ID: "10", CreatedAt: t0})
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("Add did not panic")
					}
				}()
				sim.Add(tc.rs...)
			}()
			if n := len(sim.Records()); n != 1 {
				t.Errorf("%d customers stored after the panic, want 1", n)
			}
		})
	}
}

// BenchmarkCreate measures seeding: 100 000 customers must take well under
// a second.
func BenchmarkCreate(b *testing.B) {
	sim := nxlinksim.New(testAccessKey, testSecret, testTenant, testAppKey)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		sim.Create(t0.Add(time.Duration(i) * time.Second))
		i++
	}
}
