package tiki

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
)

func TestParsePage(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		n          int
		err        string
	}{
		{"example array name", `{"data":{"total":2,"data":[{"id":"1"},{"id":"2"}]}}`, 2, ""},
		{"table array name", `{"data":{"total":1,"customer_responses":[{"id":"1"}]}}`, 1, ""},
		{"empty", `{"data":{"total":0,"data":[]}}`, 0, ""},
		{"truncated", `{"data":{"total":2,"data":[{"id":"1"},{"id":`, 0, "not the documented JSON"},
		{"html", `<html><body>502</body></html>`, 0, "not the documented JSON"},
		{"no data", `{"error":{"code":"X"}}`, 0, `no "data" object`},
		{"wrong type", `{"data":{"total":"many","data":[]}}`, 0, "not the documented JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raws, err := parsePage([]byte(tc.body))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || len(raws) != tc.n {
				t.Fatalf("parsePage = %d records, %v", len(raws), err)
			}
		})
	}
}

func TestDecodeResponse(t *testing.T) {
	for _, tc := range []struct {
		name, raw, id, err string
	}{
		{"vendor example", `{"created_at":"2021-12-16T17:43:51Z","form_id":"1","id":"998","inputs":{"age":23,"hobbies":["Đọc sách"]}}`, "998", ""},
		{"numbers for ids, digits kept", `{"id":1021110718827683840,"form_id":84112926079713300,"created_at":"2021-12-16T17:43:51Z","inputs":{}}`, "1021110718827683840", ""},
		{"form_id of the wrong type", `{"id":"5","form_id":7.5,"created_at":"2021-12-16T17:43:51Z","inputs":{}}`, "5", "form response 5: form_id 7.5 is not a decimal number"},
		{"bad time", `{"id":"6","form_id":"1","created_at":"16/12/2021","inputs":{}}`, "6", `created_at "16/12/2021" is not RFC 3339`},
		{"missing inputs and id", `{"form_id":"1","created_at":"2021-12-16T17:43:51Z"}`, "", "form response (id unknown): id is missing\ninputs is missing"},
		{"not an object", `["id"]`, "", "form response (id unknown): json: cannot unmarshal array"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, r := decodeResponse([]byte(tc.raw))
			if id != tc.id {
				t.Errorf("id = %q, want %q", id, tc.id)
			}
			if tc.err != "" {
				if r.err == nil || !strings.Contains(r.err.Error(), tc.err) || r.value != nil {
					t.Fatalf("err = %v, want %q", r.err, tc.err)
				}
				return
			}
			if r.err != nil {
				t.Fatal(r.err)
			}
			if !r.value.CreatedAt.Equal(time.Date(2021, 12, 16, 17, 43, 51, 0, time.UTC)) || r.value.ExtraJSON != nil {
				t.Errorf("value %+v", r.value)
			}
		})
	}
	_, r := decodeResponse([]byte(`{"id":"7","form_id":"1","created_at":"2021-12-16T17:43:51Z","inputs":{"a":1},"campaign":"tết","score":9.5}`))
	if r.err != nil || r.value.Inputs != `{"a":1}` || *r.value.ExtraJSON != `{"campaign":"tết","score":9.5}` {
		t.Fatalf("extra fields: %+v %v", r.value, r.err)
	}
}

// TestVendorExample decodes the response example of Tiki's document
// (testdata/vendor-example.json, copied verbatim).
func TestVendorExample(t *testing.T) {
	body, err := os.ReadFile("testdata/vendor-example.json")
	if err != nil {
		t.Fatal(err)
	}
	raws, err := parsePage(body)
	if err != nil || len(raws) != 3 {
		t.Fatalf("parsePage = %d, %v", len(raws), err)
	}
	for i, want := range []string{"998", "997", "996"} {
		id, r := decodeResponse(raws[i])
		if id != want || r.err != nil || !strings.Contains(r.value.Inputs, "Tini app lead gen") || r.value.FormID != "1" {
			t.Errorf("record %d: %s %+v %v", i, id, r.value, r.err)
		}
	}
}

// FuzzDecodeResponse: any bytes give a value or an error, never a panic,
// and a value always has its id, form id and time. The seed corpus holds
// the vendor document's example.
func FuzzDecodeResponse(f *testing.F) {
	example, err := os.ReadFile("testdata/vendor-example.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(example))
	f.Add(`{"created_at":"2021-12-16T17:43:51Z","form_id":"1","id":"998","inputs":{"address":"880 CMT8","age":23}}`)
	f.Fuzz(func(t *testing.T, raw string) {
		_, r := decodeResponse([]byte(raw))
		if (r.value == nil) == (r.err == nil) {
			t.Fatalf("decodeResponse(%q): value %v and err %v", raw, r.value, r.err)
		}
		if v := r.value; v != nil && (v.ID == "" || v.FormID == "" || v.CreatedAt.IsZero()) {
			t.Fatalf("decodeResponse(%q) = %+v", raw, v)
		}
		raws, err := parsePage([]byte(raw))
		for _, r := range raws {
			decodeResponse(r)
		}
		if err == nil && !json.Valid([]byte(raw)) {
			t.Fatalf("parsePage(%q) accepted invalid JSON", raw)
		}
	})
}
