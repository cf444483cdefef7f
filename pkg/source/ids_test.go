package source

import (
	"slices"
	"strings"
	"testing"
)

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

func TestOrderIDs(t *testing.T) {
	ids := []string{"99", "100", "0099", "a", "", "B", "7"}
	slices.SortFunc(ids, OrderIDs)
	if got, want := strings.Join(ids, " "), "7 0099 99 100  B a"; got != want {
		t.Fatalf("sorted %q, want %q", got, want)
	}
}

func TestDigits(t *testing.T) {
	for s, want := range map[string]bool{"0": true, "0123456789": true, "": false, "12a": false, "-1": false, " 1": false, "١": false} {
		if got := Digits(s); got != want {
			t.Errorf("Digits(%q) = %v, want %v", s, got, want)
		}
	}
}
