package source

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// UnixSeconds reads a JSON number of seconds since the epoch (a numeric
// string is accepted too). The error names field and quotes the value.
func UnixSeconds(field string, raw json.RawMessage) (time.Time, error) {
	s := string(bytes.Trim(bytes.TrimSpace(raw), `"`))
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > 1<<40 {
		return time.Time{}, fmt.Errorf("%s %s is not unix seconds", field, Quote(raw))
	}
	return time.Unix(n, 0).UTC(), nil
}
