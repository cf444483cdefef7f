package sim_test

import (
	"testing"

	"github.com/go-json-experiment/json"

	"github.com/vnstream/connector/pkg/sim"
)

// TestAppendString: the strings the simulators serve read back as they
// were, quotes, backslashes, control characters and Vietnamese included;
// invalid UTF-8 is served as U+FFFD.
func TestAppendString(t *testing.T) {
	for in, want := range map[string]string{
		"":                       "",
		"Nguyễn Văn An":          "Nguyễn Văn An",
		`a "quoted" \ path`:      `a "quoted" \ path`,
		"tab\tnew\nline\x00\x1f": "tab\tnew\nline\x00\x1f",
		"<b>&</b>\u2028":         "<b>&</b>\u2028",
		"bad \xff byte":          "bad \uFFFD byte",
	} {
		b := sim.AppendString([]byte(`x`), in)
		var got string
		if b[0] != 'x' || json.Unmarshal(b[1:], &got) != nil || got != want {
			t.Errorf("AppendString(%q) = %s, reads back as %q", in, b, got)
		}
	}
}
