package source

import (
	"encoding/json"
	"testing"
)

func TestUnixSeconds(t *testing.T) {
	for in, want := range map[string]int64{`1742803465`: 1742803465, `"1718878288"`: 1718878288, `0`: 0} {
		got, err := UnixSeconds("updatedAt", json.RawMessage(in))
		if err != nil || got.Unix() != want {
			t.Errorf("UnixSeconds(%s) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{`1.7e9`, `-5`, `null`, `"abc"`, `true`, `1742803465000000`} {
		if _, err := UnixSeconds("updatedAt", json.RawMessage(bad)); err == nil {
			t.Errorf("UnixSeconds(%s) accepted", bad)
		}
	}
}
