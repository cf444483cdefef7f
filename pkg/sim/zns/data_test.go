package znssim_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	znssim "github.com/vnstream/connector/pkg/sim/zns"
)

func TestCreate(t *testing.T) {
	sim := znssim.New(znssim.ETelecom, testKey, znssim.WithStartID(98))
	sim.Add(znssim.Record{ID: "99", CreatedAt: t0, UpdatedAt: t0})
	at := time.Date(2026, 3, 1, 10, 0, 0, 987654321, time.FixedZone("ICT", 7*3600))
	var got []string
	for range 3 {
		r := sim.Create(at)
		got = append(got, r.ID)
		want := at.UTC().Truncate(time.Millisecond)
		for _, tm := range []time.Time{r.CreatedAt, r.UpdatedAt, r.RequestTime, r.SentTime} {
			if !tm.Equal(want) || tm.Location() != time.UTC {
				t.Errorf("%s: time %v, want %v in UTC", r.ID, tm, want)
			}
		}
		var data map[string]string
		if err := json.Unmarshal(r.TemplateData, &data); err != nil || !strings.ContainsFunc(data["customer_name"], func(r rune) bool { return r > 127 }) ||
			!strings.HasPrefix(r.Phone, "849") || len(r.Phone) != 11 || r.DeliveryStatus != "unknown" || r.OAID == "" || r.ShopID == "" ||
			r.MsgID == "" || r.TemplateID == "" || !r.DeliveryTime.IsZero() || r.Feedback != nil || r.Rate != 0 {
			t.Errorf("Create returned %+v (%v)", r, err)
		}
	}
	if want := []string{"98", "100", "101"}; !slices.Equal(got, want) {
		t.Errorf("ids %v, want %v (99 is taken)", got, want)
	}
	// Content depends on the id alone.
	other := znssim.New(znssim.InterITS, "k", znssim.WithStartID(100))
	a, b := other.Create(at), sim.Records()[2]
	a.UpdatedAt, a.CreatedAt, a.RequestTime, a.SentTime = b.UpdatedAt, b.CreatedAt, b.RequestTime, b.SentTime
	if a.ID != b.ID || a.Phone != b.Phone || string(a.TemplateData) != string(b.TemplateData) || a.MsgID != b.MsgID {
		t.Errorf("message %s differs between simulators: %+v vs %+v", a.ID, a, b)
	}
	if first := znssim.New(znssim.ETelecom, "k").Create(t0); first.ID != "1021110718827683840" {
		t.Errorf("first id %s, want 1021110718827683840", first.ID)
	}
}

func TestUpdateLifecycle(t *testing.T) {
	sim := znssim.New(znssim.InterITS, testKey)
	r := sim.Create(t0)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	step := func(m int) znssim.Record {
		t.Helper()
		u, err := sim.Update(r.ID, at(m))
		if err != nil {
			t.Fatal(err)
		}
		if !u.UpdatedAt.Equal(at(m)) || !u.CreatedAt.Equal(t0) {
			t.Fatalf("updated_at %v created_at %v", u.UpdatedAt, u.CreatedAt)
		}
		return u
	}
	if u := step(1); u.DeliveryStatus != "received" || !u.DeliveryTime.Equal(at(1)) {
		t.Errorf("first update: %s at %v", u.DeliveryStatus, u.DeliveryTime)
	}
	if u := step(1); u.DeliveryStatus != "seen" || !u.DeliveryTime.Equal(at(1)) {
		t.Errorf("second update (same time): %s", u.DeliveryStatus)
	}
	rated := step(5)
	var fb []string
	if err := json.Unmarshal(rated.Feedback, &fb); err != nil || len(fb) == 0 || rated.Rate < 1 || rated.Rate > 5 || rated.Note == "" || !rated.SubmitTime.Equal(at(5)) {
		t.Errorf("rating: %+v", rated)
	}
	later := step(9)
	var fb2 []string
	if err := json.Unmarshal(later.Feedback, &fb2); err != nil || len(fb2) != len(fb)+1 || later.Rate != rated.Rate || !later.SubmitTime.Equal(at(9)) {
		t.Errorf("later feedback: %s after %s", later.Feedback, rated.Feedback)
	}
	if got := sim.Records(); len(got) != 1 || !got[0].UpdatedAt.Equal(at(9)) {
		t.Errorf("Records %+v, want the current version only", got)
	}
	if _, err := sim.Update(r.ID, at(8)); err == nil || !strings.Contains(err.Error(), r.ID) {
		t.Errorf("update before the current version: %v", err)
	}
	if _, err := sim.Update("12345", at(10)); err == nil {
		t.Error("update of an unknown id succeeded")
	}
}

func TestRecordsIsACopy(t *testing.T) {
	sim := znssim.New(znssim.ETelecom, testKey)
	extra := map[string]json.RawMessage{"k": json.RawMessage(`1`)}
	data := json.RawMessage(`{"a":1}`)
	sim.Add(znssim.Record{ID: "1", CreatedAt: t0, UpdatedAt: t0, TemplateData: data, Extra: extra})
	data[5] = '2'
	extra["k"] = json.RawMessage(`2`)
	rs := sim.Records()
	rs[0].TemplateData[5] = '3'
	rs[0].Extra["k"][0] = '3'
	r := sim.Records()[0]
	if string(r.TemplateData) != `{"a":1}` || string(r.Extra["k"]) != `1` {
		t.Errorf("stored message changed through the caller's slices: %s %s", r.TemplateData, r.Extra["k"])
	}
	if got := znssim.New(znssim.ETelecom, "k").Records(); got == nil || len(got) != 0 {
		t.Errorf("empty Records() = %#v, want an empty slice", got)
	}
}

func TestAddPanics(t *testing.T) {
	ok := znssim.Record{ID: "11", CreatedAt: t0, UpdatedAt: t0}
	with := func(f func(*znssim.Record)) znssim.Record { r := ok; f(&r); return r }
	for _, tc := range []struct {
		name string
		rs   []znssim.Record
	}{
		{"duplicate of stored", []znssim.Record{with(func(r *znssim.Record) { r.ID = "10" })}},
		{"duplicate in batch", []znssim.Record{ok, ok}},
		{"non-numeric id", []znssim.Record{with(func(r *znssim.Record) { r.ID = "abc" })}},
		{"leading zero id", []znssim.Record{with(func(r *znssim.Record) { r.ID = "012" })}},
		{"no updated_at", []znssim.Record{with(func(r *znssim.Record) { r.UpdatedAt = time.Time{} })}},
		{"template id not a number", []znssim.Record{with(func(r *znssim.Record) { r.TemplateID = "tpl" })}},
		{"template data not an object", []znssim.Record{with(func(r *znssim.Record) { r.TemplateData = json.RawMessage(`[1]`) })}},
		{"feedback not an array", []znssim.Record{with(func(r *znssim.Record) { r.Feedback = json.RawMessage(`{"a":1}`) })}},
		{"extra not JSON", []znssim.Record{ok, with(func(r *znssim.Record) {
			r.ID = "12"
			r.Extra = map[string]json.RawMessage{"x": json.RawMessage(`nope`)}
		})}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim := znssim.New(znssim.ETelecom, testKey)
			sim.Add(znssim.Record{ID: "10", CreatedAt: t0, UpdatedAt: t0})
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("Add did not panic")
					}
				}()
				sim.Add(tc.rs...)
			}()
			if n := len(sim.Records()); n != 1 {
				t.Errorf("%d messages stored after the panic, want 1", n)
			}
		})
	}
}

func TestOptionPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"unknown dialect": func() { znssim.New(znssim.Dialect(9), "k") },
		"nil clock":       func() { znssim.WithClock(nil) },
		"zero page cap":   func() { znssim.WithPageCap(0) },
		"zero start id":   func() { znssim.WithStartID(0) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
	if got := znssim.Dialect(9).String(); got != "Dialect(9)" {
		t.Errorf("String() = %s", got)
	}
}
