package source

import (
	"testing"

	"github.com/go-json-experiment/json/jsontext"
)

func TestJSONType(t *testing.T) {
	for v, want := range map[string]string{
		`"x"`: "a string", `{"a":1}`: "an object", ` [1]`: "an array", `true`: "a boolean",
		`false`: "a boolean", `null`: "null", `-1.5e3`: "a number",
	} {
		if got := JSONTypeArticle(jsontext.Value(v)); got != want {
			t.Errorf("JSONTypeArticle(%s) = %q, want %q", v, got, want)
		}
	}
}
