package tiki

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/vnstream/connector/pkg/source/sourcetest"
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
		{"both array names: data counts", `{"data":{"data":[{"id":"1"}],"customer_responses":[{"id":"2"},{"id":"3"}]}}`, 1, ""},
		{"null data array", `{"data":{"total":null,"data":null,"customer_responses":[{"id":"2"}]}}`, 1, ""},
		{"array of the wrong type", `{"data":{"data":{"id":"1"}}}`, 0, "not the documented JSON: data.data is an object, want an array"},
		{"data not an object", `{"data":[]}`, 0, "not the documented JSON: data is an array, want an object"},
		{"null data", `{"data":null}`, 0, `no "data" object`},
		{"the last data counts", `{"data":{"data":[{"id":"1"}]},"data":null}`, 0, `no "data" object`},
		{"the last data object replaces the first", `{"data":{"data":[{"id":"1"}]},"data":{"customer_responses":[{"id":"2"},{"id":"3"}]}}`, 2, ""},
		{"the last array counts", `{"data":{"data":[{"id":"1"},{"id":"2"}],"data":[{"id":"3"}]}}`, 1, ""},
		{"not an object", `[{"data":{}}]`, 0, "not the documented JSON: the response is an array, want an object"},
		{"total not an integer", `{"data":{"total":1.5,"data":[]}}`, 0, "not the documented JSON: data.total 1.5 is not a 64-bit integer"},
		{"total beyond 64 bits", `{"data":{"total":9223372036854775808,"data":[]}}`, 0, "data.total 9223372036854775808 is not a 64-bit integer"},
		{"total a string", `{"data":{"total":"many","data":[]}}`, 0, "data.total is a string, want an integer"},
		{"names match exactly", `{"Data":{"data":[{"id":"1"}]}}`, 0, `no "data" object`},
		{"invalid UTF-8 is not a reason to refuse a page", "{\"data\":{\"data\":[{\"id\":\"1\",\"inputs\":{\"name\":\"\xff\"}}]}}", 1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raws, err := parsePage([]byte(tc.body))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				// A body that is not JSON at all says so in a way
				// fetch.Client.DoJSON can tell (and retry).
				var se *jsontext.SyntacticError
				if notJSON := !json.Valid([]byte(tc.body)); notJSON != errors.As(err, &se) {
					t.Errorf("err = %v: wraps a jsontext.SyntacticError: %v, want %v", err, !notJSON, notJSON)
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
		{"not an object", `["id"]`, "", "form response (id unknown): the record is an array, want a JSON object"},
		{"not JSON", `{"id":"9",`, "", "form response (id unknown): unexpected end of JSON input"},
		{"created_at of the wrong type, id named", `{"id":"8","form_id":"1","created_at":1639676631,"inputs":{}}`, "8", "form response 8: created_at is a number, want an RFC 3339 time string"},
		{"names match exactly", `{"ID":"9","form_id":"1","created_at":"2021-12-16T17:43:51Z","inputs":{}}`, "", "form response (id unknown): id is missing"},
		{"the last of a repeated member counts", `{"id":"x","id":"9","form_id":"1","created_at":"2021-12-16T17:43:51Z","inputs":{}}`, "9", ""},
		{"null", `null`, "", "form response (id unknown): the record is null, want a JSON object"},
		{"an array that is not JSON", `["id"`, "", "form response (id unknown): unexpected end of JSON input"},
		{"garbage after the object", `{"id":"9","form_id":"1","created_at":"2021-12-16T17:43:51Z","inputs":{}} x`, "", "form response (id unknown): jsontext: invalid character 'x' after top-level value"},
		{"escaped names and digits", `{"i\u0064":"1\u0030","form_id":"1","created_at":"2021-12-16T17:43:51Z","inputs":{}}`, "10", ""},
		{"an id beyond 64 bits keeps its digits", `{"id":123456789012345678901234567890,"form_id":"1","created_at":"2021-12-16T17:43:51Z","inputs":{}}`, "123456789012345678901234567890", ""},
		{"a negative id", `{"id":-5,"form_id":"1","created_at":"2021-12-16T17:43:51Z","inputs":{}}`, "", "form response (id unknown): id -5 is not a decimal number"},
		{"the string null is missing", `{"id":"null","form_id":"1","created_at":"2021-12-16T17:43:51Z","inputs":{}}`, "", "form response (id unknown): id is missing"},
		{"null created_at", `{"id":"3","form_id":"1","created_at":null,"inputs":{}}`, "3", `form response 3: created_at "" is not RFC 3339`},
		{"null inputs are sent", `{"id":"4","form_id":"1","created_at":"2021-12-16T17:43:51Z","inputs":null}`, "4", ""},
		{"invalid UTF-8 in a string id", "{\"id\":\"1\xff\",\"form_id\":\"1\",\"created_at\":\"2021-12-16T17:43:51Z\",\"inputs\":{}}", "", "form response (id unknown): id \"1\xff\" is not a decimal number"},
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
	// Unknown members as sent: escapes, spacing and repeats kept; inputs
	// and bad UTF-8 too.
	_, r = decodeResponse([]byte("{\"id\":\"7\",\"form_id\":\"1\",\"created_at\":\"2021-12-16T17:43:51+07:00\",\"inputs\": { \"a\" : \"\xff\" } ,\"x\":1,\"\\u0078\" : [ 2 ],\"ID\":\"\\u00e0\"}"))
	if r.err != nil || r.value.Inputs != "{ \"a\" : \"\xff\" }" || *r.value.ExtraJSON != `{"x":1,"\u0078":[ 2 ],"ID":"\u00e0"}` ||
		!r.value.CreatedAt.Equal(time.Date(2021, 12, 16, 10, 43, 51, 0, time.UTC)) || r.value.CreatedAt.Location() != time.UTC {
		t.Fatalf("members as sent: %+v %q %v", r.value, *r.value.ExtraJSON, r.err)
	}
}

// TestDecoderReuse: a responseDecoder keeps nothing of one record in the
// next (it reuses the buffers of its record).
func TestDecoderReuse(t *testing.T) {
	var d responseDecoder
	full := `{"id":"1","form_id":"2","created_at":"2021-12-16T17:43:51Z","inputs":{"a":"a long answer, longer than the next"},"campaign":"x"}`
	for i, tc := range []struct{ raw, inputs, extra, err string }{
		{full, `{"a":"a long answer, longer than the next"}`, `{"campaign":"x"}`, ""},
		{`{"id":"3","form_id":"2","created_at":"2021-12-16T17:43:51Z","inputs":{"b":1}}`, `{"b":1}`, "", ""},
		{full, `{"a":"a long answer, longer than the next"}`, `{"campaign":"x"}`, ""},
		{`{"created_at":"2021-12-16T17:43:51Z"}`, "", "", "form response (id unknown): id is missing\nform_id is missing\ninputs is missing"},
		{`{"id":"4","form_id":"2","created_at":"2021-12-16T17:43:51Z","inputs":[],"x":{}}`, `[]`, `{"x":{}}`, ""},
	} {
		_, r := d.decode([]byte(tc.raw))
		if tc.err != "" {
			if r.err == nil || r.err.Error() != tc.err {
				t.Fatalf("record %d: err %v, want %q", i, r.err, tc.err)
			}
			continue
		}
		if r.err != nil || r.value.Inputs != tc.inputs || (r.value.ExtraJSON == nil) != (tc.extra == "") || (tc.extra != "" && *r.value.ExtraJSON != tc.extra) {
			t.Fatalf("record %d: %+v %v, want inputs %s, extra %q", i, r.value, r.err, tc.inputs, tc.extra)
		}
	}
}

// TestNestingLimit: a record or a page nested too deep is refused exactly
// where encoding/json refuses it (10000 levels).
func TestNestingLimit(t *testing.T) {
	// record is a valid record nested depth levels deep.
	record := func(depth int) string {
		nested := strings.Repeat("[", depth-1) + strings.Repeat("]", depth-1)
		return `{"id":"1","form_id":"1","created_at":"2021-12-16T17:43:51Z","inputs":` + nested + `}`
	}
	for _, depth := range []int{9999, 10000, 10001} {
		rec := record(depth)
		_, r := decodeResponse([]byte(rec))
		if ok := json.Valid([]byte(rec)); ok != (r.err == nil) {
			t.Errorf("record %d deep: err %.80v, encoding/json says valid %v", depth, r.err, ok)
		}
		body := `{"data":{"data":[` + record(depth-3) + `]}}`
		_, err := parsePage([]byte(body))
		if _, problem := referencePage([]byte(body)); (problem == "") != (err == nil) {
			t.Errorf("page %d deep: err %.80v, encoding/json says %q", depth, err, problem)
		}
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

// FuzzDecodeResponse: any bytes, as one record or as a page, give a value
// or an error, never a panic, and the same as encoding/json reads them
// under the decoder's rules (referenceResponse, referencePage): the same
// id, the same value field by field, unknown members kept in order, byte
// for byte; a page refused as not JSON exactly when encoding/json refuses
// it, the same records. One responseDecoder reads the input and then the
// page's records, as Poll does, so nothing may leak from one record into
// the next. The seed corpus holds the vendor document's example.
func FuzzDecodeResponse(f *testing.F) {
	example, err := os.ReadFile("testdata/vendor-example.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(example))
	f.Add(`{"created_at":"2021-12-16T17:43:51Z","form_id":"1","id":"998","inputs":{"address":"880 CMT8","age":23}}`)
	f.Add(`{"id":1021110718827683840,"form_id":"8\u0034","created_at":"2021-12-16T17:43:51.5+07:00","inputs":null,"x":[1,{"y":"\u00e0"}],"x":-0.5e3}`)
	f.Add(`{"data":{"total":2,"data":null,"customer_responses":[{"id":"1"}, 7]}}`)
	f.Add(`{"data":{"data":[{"id":"1","form_id":"1","created_at":"2021-12-16T17:43:51Z","inputs":{},"x":1},{"id":"2","form_id":"1","created_at":"2021-12-16T17:43:51Z"}]},"data":{"customer_responses":[]}}`)
	f.Add("{\"id\":\"1\",\"form_id\":\"\xff1\",\"created_at\":\"2021-12-16T17:43:51Z\",\"inputs\":\"\xfe\",\"\xfd\":\"\\ud800\"}")
	f.Fuzz(func(t *testing.T, raw string) {
		var dec responseDecoder
		checkResponse(t, &dec, []byte(raw))
		raws, err := parsePage([]byte(raw))
		want, problem := referencePage([]byte(raw))
		switch {
		case problem != "":
			if err == nil || !strings.Contains(err.Error(), problem) {
				t.Fatalf("parsePage(%q) = %v, want %q", raw, err, problem)
			}
		case err != nil:
			t.Fatalf("parsePage(%q): %v", raw, err)
		case fmt.Sprintf("%q", raws) != fmt.Sprintf("%q", want):
			t.Fatalf("parsePage(%q) = %q, want %q", raw, raws, want)
		}
		for _, r := range raws {
			checkResponse(t, &dec, r)
		}
	})
}

// checkResponse decodes raw with dec and compares the result with
// referenceResponse.
func checkResponse(t *testing.T, dec *responseDecoder, raw []byte) {
	t.Helper()
	id, r := dec.decode(raw)
	wantID, want, extra := referenceResponse(raw)
	if (r.value == nil) == (r.err == nil) || (r.value == nil) != (want == nil) || id != wantID {
		t.Fatalf("decodeResponse(%q) = %q, %+v, %v; want %q, %+v", raw, id, r.value, r.err, wantID, want)
	}
	if r.err != nil {
		name := cmp.Or(id, "(id unknown)")
		if !strings.HasPrefix(r.err.Error(), "form response "+name+": ") {
			t.Fatalf("decodeResponse(%q): error %q does not name the record %s", raw, r.err, name)
		}
		return
	}
	v := r.value
	if v.ID != want.ID || v.FormID != want.FormID || !v.CreatedAt.Equal(want.CreatedAt) || v.CreatedAt.Location() != time.UTC || v.Inputs != want.Inputs {
		t.Fatalf("decodeResponse(%q) = %+v, want %+v", raw, v, want)
	}
	if (v.ExtraJSON == nil) != (len(extra) == 0) {
		t.Fatalf("decodeResponse(%q): extra_json %v, want %v", raw, v.ExtraJSON, extra)
	}
	if v.ExtraJSON != nil {
		got, ok := sourcetest.Members([]byte(*v.ExtraJSON))
		if !ok || fmt.Sprintf("%q", got) != fmt.Sprintf("%q", extra) {
			t.Fatalf("decodeResponse(%q): extra_json %s, want %q", raw, *v.ExtraJSON, extra)
		}
	}
}

// referenceResponse is what decodeResponse must make of raw, read with
// encoding/json: the id when it can be read, and the value, nil when the
// record is an error; extra lists the members extra_json must hold.
// Members are matched by their exact names, the last of a name counting.
func referenceResponse(raw []byte) (id string, want *FormResponse, extra []sourcetest.Member) {
	ms, ok := sourcetest.Members(raw)
	if !ok {
		return "", nil, nil
	}
	known := map[string]json.RawMessage{}
	for _, m := range ms {
		switch m.Name {
		case "id", "form_id", "created_at", "inputs":
			known[m.Name] = m.Value
		default:
			extra = append(extra, m)
		}
	}
	decimal := func(v json.RawMessage) (string, bool) {
		s := string(v)
		if len(v) > 0 && v[0] == '"' && json.Unmarshal(v, &s) != nil {
			return "", false
		}
		return s, s != "" && s != "null" && strings.Trim(s, "0123456789") == ""
	}
	id, idOK := decimal(known["id"])
	if !idOK {
		id = ""
	}
	formID, formOK := decimal(known["form_id"])
	var created string
	createdOK := true
	if v := known["created_at"]; v != nil && string(v) != "null" {
		createdOK = json.Unmarshal(v, &created) == nil
	}
	at, err := time.Parse(time.RFC3339, created)
	inputs, inputsOK := known["inputs"]
	if !idOK || !formOK || !createdOK || err != nil || !inputsOK {
		return id, nil, extra
	}
	return id, &FormResponse{ID: id, FormID: formID, CreatedAt: at, Inputs: string(inputs)}, extra
}

// referencePage is what parsePage must make of body, read with
// encoding/json: the records, or the problem its error must name. A member
// sent twice is read in order: each must have its documented type, and
// the last counts.
func referencePage(body []byte) ([]json.RawMessage, string) {
	const notDocumented, noData = "response is not the documented JSON", `response has no "data" object`
	top, ok := sourcetest.Members(body)
	switch {
	case json.Valid(body) && string(bytes.TrimSpace(body)) == "null":
		return nil, noData
	case !ok:
		return nil, notDocumented
	}
	var records, responses []json.RawMessage
	hasData := false
	for _, m := range top {
		if m.Name != "data" {
			continue
		}
		records, responses = nil, nil
		if hasData = string(m.Value) != "null"; !hasData {
			continue
		}
		data, ok := sourcetest.Members(m.Value)
		if !ok {
			return nil, notDocumented
		}
		var total int64
		for _, d := range data {
			switch d.Name {
			case "total":
				ok = json.Unmarshal(d.Value, &total) == nil
			case "data":
				records = nil
				ok = json.Unmarshal(d.Value, &records) == nil
			case "customer_responses":
				responses = nil
				ok = json.Unmarshal(d.Value, &responses) == nil
			}
			if !ok {
				return nil, notDocumented
			}
		}
	}
	if !hasData {
		return nil, noData
	}
	if records != nil {
		return records, ""
	}
	return responses, ""
}

// FuzzDecodePage: the one-pass read of a page gives what reading it
// record by record gives, or falls back to it.
func FuzzDecodePage(f *testing.F) {
	f.Add([]byte(`{"data":{"total":2,"data":[{"id":"2","form_id":"1","created_at":"2026-03-01T00:20:00Z","inputs":{"a":1},"utm":"x"},{"id":1,"form_id":"1","created_at":"2026-03-01T00:05:00+07:00","inputs":{}}]}}`))
	f.Add([]byte(`{"data":{"customer_responses":[{"id":"3","form_id":"1","created_at":"2026-03-01T00:20:00Z","inputs":[]},null]}}`))
	f.Add([]byte(`{"data":{"data":[{"id":"4","form_id":7.5,"created_at":"2026-03-01T00:20:00Z","inputs":{}}]}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		got, gotErr := decodePage(body)
		want, wantErr := decodeEach(body)
		if (gotErr == nil) != (wantErr == nil) || len(got) != len(want) {
			t.Fatalf("one pass: %d records, %v; record by record: %d, %v", len(got), gotErr, len(want), wantErr)
		}
		for i := range got {
			g, w := got[i], want[i]
			if g.id != w.id || (g.err == nil) != (w.err == nil) || (g.value == nil) != (w.value == nil) {
				t.Fatalf("record %d: one pass %q %+v %v, record by record %q %+v %v", i, g.id, g.value, g.err, w.id, w.value, w.err)
			}
			if g.value != nil {
				gv, wv := *g.value, *w.value
				if gv.ID != wv.ID || gv.FormID != wv.FormID || !gv.CreatedAt.Equal(wv.CreatedAt) || gv.Inputs != wv.Inputs ||
					(gv.ExtraJSON == nil) != (wv.ExtraJSON == nil) || (gv.ExtraJSON != nil && *gv.ExtraJSON != *wv.ExtraJSON) {
					t.Fatalf("record %d: one pass %+v, record by record %+v", i, gv, wv)
				}
			}
		}
	})
}

// decodeResponse converts one raw record (see responseDecoder.decode).
func decodeResponse(raw jsontext.Value) (id string, r response) {
	var d responseDecoder
	return d.decode(raw)
}
