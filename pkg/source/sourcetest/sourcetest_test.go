package sourcetest_test

import (
	"encoding/json"
	"testing"

	"github.com/vnstream/connector/pkg/source/sourcetest"
)

func TestID(t *testing.T) {
	for in, want := range map[string]string{
		`1021110718827683840`:                "1021110718827683840",
		`"1021110718827683840"`:              "1021110718827683840",
		`"331526780045341_7521482117936821"`: "331526780045341_7521482117936821",
		`18446744073709551615`:               "18446744073709551615",
	} {
		got, err := sourcetest.ID("id", json.RawMessage(in))
		if err != nil || got != want {
			t.Errorf("ID(%s) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{``, `null`, `""`, `1.5e18`, `1021110718827683840.0`, `{}`, `[1]`, `true`, `99999999999999999999`} {
		if _, err := sourcetest.ID("id", json.RawMessage(bad)); err == nil {
			t.Errorf("ID(%s) accepted", bad)
		}
	}
}
