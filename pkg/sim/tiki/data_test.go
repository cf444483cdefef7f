package tikisim_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	tikisim "github.com/vnstream/connector/pkg/sim/tiki"
)

func TestCreate(t *testing.T) {
	sim := tikisim.New(testClientID, testSecret, tikisim.WithStartID(98))
	sim.Add(tikisim.Response{ID: "99", FormID: "1", CreatedAt: t0})
	at := time.Date(2024, 3, 1, 10, 0, 0, 987654321, time.FixedZone("ICT", 7*3600))
	var got []string
	for range 3 {
		r := sim.Create("5", at)
		got = append(got, r.ID)
		if r.FormID != "5" || !r.CreatedAt.Equal(at.Truncate(time.Second)) || r.CreatedAt.Location() != time.UTC {
			t.Errorf("Create returned %+v, want form 5 created %v in UTC", r, at.Truncate(time.Second))
		}
		var in map[string]any
		if err := json.Unmarshal(r.Inputs, &in); err != nil || in["email"] != "lead"+r.ID+"@example.com" || !strings.HasPrefix(in["phone"].(string), "09") {
			t.Errorf("inputs %s: %v", r.Inputs, err)
		}
	}
	if want := []string{"98", "100", "101"}; !slices.Equal(got, want) {
		t.Errorf("ids %v, want %v (99 is taken)", got, want)
	}
	// Inputs depend on the id alone.
	other := tikisim.New("x", "y", tikisim.WithStartID(100))
	if a, b := other.Create("9", t0), sim.Responses()[2]; a.ID != b.ID || string(a.Inputs) != string(b.Inputs) {
		t.Errorf("inputs of id %s differ: %s vs %s", a.ID, a.Inputs, b.Inputs)
	}
}

func TestResponsesIsACopy(t *testing.T) {
	sim := tikisim.New(testClientID, testSecret)
	extra := map[string]json.RawMessage{"k": json.RawMessage(`1`)}
	inputs := json.RawMessage(`{"a":1}`)
	sim.Add(tikisim.Response{ID: "1", FormID: "1", CreatedAt: t0, Inputs: inputs, Extra: extra})
	inputs[5] = '2'
	extra["k"] = json.RawMessage(`2`)
	rs := sim.Responses()
	rs[0].Inputs[5] = '3'
	rs[0].Extra["k"][0] = '3'
	r := sim.Responses()[0]
	if string(r.Inputs) != `{"a":1}` || string(r.Extra["k"]) != `1` {
		t.Errorf("stored response changed through the caller's slices: %s %s", r.Inputs, r.Extra["k"])
	}
	if got := tikisim.New("x", "y").Responses(); got == nil || len(got) != 0 {
		t.Errorf("empty Responses() = %#v, want an empty slice", got)
	}
}

func TestAddPanics(t *testing.T) {
	for _, tc := range []struct {
		name string
		rs   []tikisim.Response
	}{
		{"duplicate of stored", []tikisim.Response{{ID: "10", FormID: "1"}}},
		{"duplicate in batch", []tikisim.Response{{ID: "11", FormID: "1"}, {ID: "11", FormID: "2"}}},
		{"non-numeric id", []tikisim.Response{{ID: "abc", FormID: "1"}}},
		{"leading zero id", []tikisim.Response{{ID: "012", FormID: "1"}}},
		{"empty form id", []tikisim.Response{{ID: "12", FormID: ""}}},
		{"inputs not an object", []tikisim.Response{{ID: "12", FormID: "1", Inputs: json.RawMessage(`[1]`)}}},
		{"inputs not JSON", []tikisim.Response{{ID: "12", FormID: "1", Inputs: json.RawMessage(`{"a":`)}}},
		{"extra shadows id", []tikisim.Response{{ID: "12", FormID: "1", Extra: map[string]json.RawMessage{"id": json.RawMessage(`"x"`)}}}},
		{"extra not JSON", []tikisim.Response{{ID: "12", FormID: "1", Extra: map[string]json.RawMessage{"x": json.RawMessage(`nope`)}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim := tikisim.New(testClientID, testSecret)
			sim.Add(tikisim.Response{ID: "10", FormID: "1", CreatedAt: t0})
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("Add did not panic")
					}
				}()
				sim.Add(tc.rs...)
			}()
			if n := len(sim.Responses()); n != 1 {
				t.Errorf("%d responses stored after the panic, want 1", n)
			}
		})
	}
	defer func() {
		if recover() == nil {
			t.Errorf("Create with a non-numeric form id did not panic")
		}
	}()
	tikisim.New("x", "y").Create("form-1", t0)
}
