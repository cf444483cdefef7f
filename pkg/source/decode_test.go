package source

import (
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
