package source

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Quote returns the start of a body for an error message: at most 160
// bytes, control characters and invalid UTF-8 replaced.
func Quote(body []byte) string {
	const max = 160
	cut := len(body) > max
	if cut {
		body = body[:max]
	}
	s := strings.Map(func(r rune) rune {
		if r == utf8.RuneError || r < 0x20 {
			return ' '
		}
		return r
	}, string(body))
	if cut {
		s += "…"
	}
	return fmt.Sprintf("%q", s)
}
