package source

import (
	"fmt"
	"testing"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

func TestDecodeHelpers(t *testing.T) {
	var v struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte("{\"id\":\"a\",\"id\":\"b\xff\"}"), &v, DecodeOptions); err != nil || v.ID != "b\ufffd" {
		t.Errorf("DecodeOptions: %+v, %v; want the last id, bad UTF-8 as U+FFFD", v, err)
	}
	for in, want := range map[string]bool{``: true, `null`: true, `0`: false, `""`: false} {
		if IsNull(jsontext.Value(in)) != want {
			t.Errorf("IsNull(%q) = %v", in, !want)
		}
	}
	for in, want := range map[string]bool{`18446744073709551615`: true, `-9223372036854775808`: true, `18446744073709551616`: false, `1.0`: false, `1e3`: false} {
		if IsInteger(jsontext.Value(in)) != want {
			t.Errorf("IsInteger(%s) = %v", in, !want)
		}
	}
	if got := Unquote(jsontext.Value("\"Kh\\u00e1ch \xff\"")); got != "Khách \ufffd" {
		t.Errorf("Unquote = %q", got)
	}
}

// Elements keeps an array's elements as the parts of the body they were
// read from (copies without a body), anything else in Other, and the
// last of a member sent twice.
func TestElements(t *testing.T) {
	type doc struct {
		List Elements `json:"list"`
	}
	body := []byte(`{"list":[{"a":1} , 2,"x"],"other":[3]}`)
	d := doc{List: Elements{Body: body}}
	if err := json.Unmarshal(body, &d, DecodeOptions); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf("%s", d.List.List); got != `[{"a":1} 2 "x"]` || !d.List.Sent || d.List.Other != nil {
		t.Fatalf("Elements = %s, sent %v, other %s", got, d.List.Sent, d.List.Other)
	}
	body[11] = 'b'
	if string(d.List.List[0]) != `{"b":1}` {
		t.Errorf("element 0 = %s, want the part of the body", d.List.List[0])
	}
	for _, tc := range []struct{ body, list, other string }{
		{`{"list":null}`, "[]", "null"},
		{`{"list":{"a":[1]}}`, "[]", `{"a":[1]}`},
		{`{"list":[1],"list":"s"}`, "[]", `"s"`},
		{`{"list":"s","list":[]}`, "[]", ""},
	} {
		var d doc // no Body: the elements are copies
		if err := json.Unmarshal([]byte(tc.body), &d, DecodeOptions); err != nil {
			t.Fatal(err)
		}
		if list, other := fmt.Sprintf("%s", d.List.List), string(d.List.Other); list != tc.list || other != tc.other || !d.List.Sent || (d.List.List == nil) != (other != "") {
			t.Errorf("%s: list %s other %s sent %v, want %s and %s", tc.body, list, other, d.List.Sent, tc.list, tc.other)
		}
	}
	var d2 doc
	if err := json.Unmarshal([]byte(`{}`), &d2, DecodeOptions); err != nil || d2.List.Sent {
		t.Errorf("absent: sent %v, %v", d2.List.Sent, err)
	}
}
