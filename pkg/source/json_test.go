package source

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"
)

func TestExtraFields(t *testing.T) {
	known := []string{"id", "created_at", "inputs"}
	for _, tc := range []struct{ in, want string }{
		{`{"id":"1","inputs":{"a":[1,{"b":"}"}]}}`, ``},
		{`{}`, ``},
		{` { "id" : "1" , "new" : [1, "x\"]"], "n": -1.5e3, "t": true, "z": null } `, `{"new":[1, "x\"]"],"n":-1.5e3,"t":true,"z":null}`},
		{`{"\u0069d":"1","d":{"id":2}}`, `{"d":{"id":2}}`},
		{`{"a\"b":1}`, `{"a\"b":1}`},
	} {
		got, err := ExtraFields([]byte(tc.in), known)
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if string(got) != tc.want {
			t.Errorf("ExtraFields(%s) = %s, want %s", tc.in, got, tc.want)
		}
		if got != nil && !json.Valid(got) {
			t.Errorf("ExtraFields(%s) = %s: not valid JSON", tc.in, got)
		}
	}
	if _, err := ExtraFields([]byte(`["id"]`), known); err == nil {
		t.Error("an array is not an object")
	}
}

// FuzzExtraFields checks ExtraFields against a map decode of the same
// object, and the scanner and validator under it against encoding/json on
// the same input (checkScanner). testdata/fuzz holds inputs fuzzing found.
func FuzzExtraFields(f *testing.F) {
	f.Add(`{"id":"998","created_at":"2021-12-16T17:43:51Z","form_id":"1","inputs":{"hobbies":["Đọc sách"]},"x":1}`)
	f.Add(`{"a":{"b":[{"c":"\\"}]},"id":null}`)
	f.Add(`{"\u0069d":"\ud83d\ude00","a\"b":[1,-0.5e3,true,false,null,{}],"c":"\ud83d x \u00e0 Nguyễn"}`)
	f.Add(`["\t",{"a":[[]]}," x "] `)
	f.Fuzz(func(t *testing.T, in string) {
		checkScanner(t, in)
		var all map[string]json.RawMessage
		if json.Unmarshal([]byte(in), &all) != nil || all == nil {
			return
		}
		known := []string{"id", "created_at", "form_id", "inputs"}
		got, err := ExtraFields([]byte(in), known)
		if err != nil {
			t.Fatalf("ExtraFields(%q): %v", in, err)
		}
		want := map[string]json.RawMessage{}
		for k, v := range all {
			if !slices.Contains(known, k) {
				want[k] = v
			}
		}
		var have map[string]json.RawMessage
		if got != nil {
			if err := json.Unmarshal(got, &have); err != nil {
				t.Fatalf("ExtraFields(%q) = %q: %v", in, got, err)
			}
		}
		if len(have) != len(want) {
			t.Fatalf("ExtraFields(%q) = %s, want keys of %v", in, got, want)
		}
		for k, v := range want {
			if !jsonEqual(have[k], v) {
				t.Fatalf("ExtraFields(%q)[%q] = %s, want %s", in, k, have[k], v)
			}
		}
	})
}

func jsonEqual(a, b json.RawMessage) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
}

func TestCompareIDs(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"99", "100", -1}, {"100", "99", 1}, {"998", "998", 0}, {"0099", "99", 0},
		{"1021110718827683840", "999999999999999999", 1}, {"0", "1", -1},
		{"18446744073709551616", "18446744073709551615", 1},
	} {
		if got := CompareIDs(tc.a, tc.b); got != tc.want {
			t.Errorf("CompareIDs(%s, %s) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
