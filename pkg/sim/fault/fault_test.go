package fault_test

import (
	"slices"
	"testing"

	"github.com/vnstream/connector/pkg/sim/fault"
)

func TestFaultString(t *testing.T) {
	var got []string
	for f := fault.None - 1; f <= fault.TrailingComma+1; f++ {
		got = append(got, f.String())
	}
	want := []string{"Fault(-1)", "none", "rate_limit", "server_error", "slow", "malformed", "html", "vendor_error",
		"empty_page", "stuck_cursor", "trailing_comma", "Fault(10)"}
	if !slices.Equal(got, want) {
		t.Errorf("String() = %v, want %v", got, want)
	}
}
