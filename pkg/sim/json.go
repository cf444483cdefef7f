package sim

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/go-json-experiment/json/jsontext"
)

// MaxBody is the most bytes of a request body a simulator reads: 1 MiB.
const MaxBody = 1 << 20

// WriteJSON answers with status and body, a JSON document.
func WriteJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body) // a write error means the client is gone
}

// AppendString appends s to b as a JSON string, as encoding/json/v2
// writes it: quotes, backslashes and control characters escaped, other
// UTF-8 as it is, invalid UTF-8 as U+FFFD (all that AppendQuote's error
// would report).
func AppendString(b []byte, s string) []byte {
	b, _ = jsontext.AppendQuote(b, s)
	return b
}

// CloneJSON returns a copy of m, a record's extra members, that shares no
// memory with it; nil stays nil.
func CloneJSON(m map[string]json.RawMessage) map[string]json.RawMessage {
	if m == nil {
		return nil
	}
	out := make(map[string]json.RawMessage, len(m))
	for k, v := range m {
		out[k] = bytes.Clone(v)
	}
	return out
}
