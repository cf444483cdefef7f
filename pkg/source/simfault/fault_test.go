package simfault_test

import (
	"slices"
	"testing"

	"github.com/vnstream/connector/pkg/source/simfault"
)

func TestFaultString(t *testing.T) {
	var got []string
	for f := simfault.None - 1; f <= simfault.TrailingComma+1; f++ {
		got = append(got, f.String())
	}
	want := []string{"Fault(-1)", "none", "rate_limit", "server_error", "slow", "malformed", "html", "vendor_error",
		"empty_page", "stuck_cursor", "trailing_comma", "Fault(10)"}
	if !slices.Equal(got, want) {
		t.Errorf("String() = %v, want %v", got, want)
	}
}
