package nhanh

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/vnstream/connector/pkg/source"
)

// TestWhatV2DoesNotDo shows, case by case, what encoding/json/v2 does not
// do by itself that Nhanh's JSON needs, and so why the decoder has the
// piece of code named in each case. Should a later version of v2 change
// one of these, the test says which piece to revisit.
func TestWhatV2DoesNotDo(t *testing.T) {
	// A conversation as v2 would read it with plain typed fields.
	type typed struct {
		ID       string `json:"id"`
		Channel  int32  `json:"channel"`
		HasReply bool   `json:"hasReply"`
		Status   int32  `json:"status"`
	}

	t.Run("every member of the wrong type is reported: member", func(t *testing.T) {
		raw := `{"id":"c1","channel":1.5,"hasReply":0,"status":1}`
		var v typed
		err := json.Unmarshal([]byte(raw), &v)
		serr, ok := errors.AsType[*json.SemanticError](err)
		if !ok || serr.JSONPointer != "/channel" || strings.Contains(err.Error(), "hasReply") {
			t.Fatalf("v2 now reports %v", err)
		}
		c := decodeConversation([]byte(raw))
		if c.err == nil || !strings.Contains(c.err.Error(), "channel 1.5 is not a 32-bit integer\nhasReply 0 is not a boolean") {
			t.Fatalf("decodeConversation: %v", c.err)
		}
	})

	t.Run("of a member sent twice the last counts: member", func(t *testing.T) {
		raw := `{"id":"c1","status":"read","status":2}`
		var v typed
		if err := json.Unmarshal([]byte(raw), &v, source.DecodeOptions); err == nil {
			t.Fatalf("v2 now reads %s as %+v", raw, v)
		}
		var w wireConversation
		if err := json.Unmarshal([]byte(raw), &w, source.DecodeOptions); err != nil || !w.Status.set || w.Status.value != 2 || w.Status.wrong != nil {
			t.Fatalf("wireConversation: %+v, %v", w.Status, err)
		}
	})

	t.Run("a member name sent twice is accepted: source.DecodeOptions", func(t *testing.T) {
		raw := `{"id":"a","id":"b"}`
		var v typed
		err := json.Unmarshal([]byte(raw), &v)
		if serr, ok := errors.AsType[*jsontext.SyntacticError](err); !ok || serr.Err != jsontext.ErrDuplicateName {
			t.Fatalf("v2 now reads %s by default: %+v, %v", raw, v, err)
		}
		if err := json.Unmarshal([]byte(raw), &v, source.DecodeOptions); err != nil || v.ID != "b" {
			t.Fatalf("with source.DecodeOptions: %+v, %v", v, err)
		}
	})

	t.Run("invalid UTF-8 is read as U+FFFD: source.DecodeOptions", func(t *testing.T) {
		raw := "{\"id\":\"a\xffb\"}"
		var v typed
		if err := json.Unmarshal([]byte(raw), &v); err == nil {
			t.Fatalf("v2 now reads invalid UTF-8 by default: %+v", v)
		}
		if err := json.Unmarshal([]byte(raw), &v, source.DecodeOptions); err != nil || v.ID != "a\ufffdb" {
			t.Fatalf("with source.DecodeOptions: %+v, %v", v, err)
		}
	})

	t.Run("unknown members are kept: embed, not unknown", func(t *testing.T) {
		// This version of v2 ignores the ",unknown" tag option: the field
		// becomes an ordinary member named after it.
		var old struct {
			ID    jsontext.Value `json:"id"`
			Extra jsontext.Value `json:",unknown"`
		}
		if err := json.Unmarshal([]byte(`{"id":"a","tags":[7]}`), &old); err != nil || old.Extra != nil {
			t.Fatalf(`",unknown" now collects %s, %v`, old.Extra, err)
		}
		if err := json.Unmarshal([]byte(`{"Extra":1}`), &old); err != nil || string(old.Extra) != "1" {
			t.Fatalf(`a field tagged ",unknown" no longer reads the member of its name: %s, %v`, old.Extra, err)
		}
		var w wireConversation
		if err := json.Unmarshal([]byte(`{"id":"a","tags":[7],"Extra":1}`), &w, source.DecodeOptions); err != nil || string(w.Extra) != `{"tags":[7],"Extra":1}` {
			t.Fatalf(`",embed": %s, %v`, w.Extra, err)
		}
	})

	t.Run("times are unix seconds, as numbers or strings: seconds", func(t *testing.T) {
		var v struct {
			T time.Time `json:"t,format:unix"`
		}
		// The format tag is experimental: refused unless enabled.
		if err := json.Unmarshal([]byte(`{"t":1742803465}`), &v); err == nil {
			t.Fatalf("v2 now supports the format tag by default: %v", v.T)
		}
		// Enabled, the unix format reads neither a numeric string nor
		// only whole seconds.
		format := json.ExperimentalSupportFormatTag(true)
		if err := json.Unmarshal([]byte(`{"t":"1742803465"}`), &v, format); err == nil {
			t.Fatalf("v2's unix format now reads a numeric string: %v", v.T)
		}
		if err := json.Unmarshal([]byte(`{"t":1742803465.5}`), &v, format); err != nil || v.T.Nanosecond() == 0 {
			t.Fatalf("v2's unix format no longer reads fractions: %v, %v", v.T, err)
		}
		for raw, ok := range map[string]bool{`1742803465`: true, `"1742803465"`: true, `1742803465.5`: false, `-1`: false} {
			var s member[seconds]
			if err := json.Unmarshal([]byte(raw), &s); err != nil {
				t.Fatalf("seconds(%s): %v", raw, err)
			}
			if err := s.wrong; (err == nil) != ok {
				t.Errorf("seconds(%s): %v", raw, err)
			}
		}
	})

	t.Run("the end of the input is named as before: syntaxError", func(t *testing.T) {
		err := json.Unmarshal([]byte(`{"id":`), new(jsontext.Value))
		if !strings.Contains(err.Error(), "unexpected EOF") {
			t.Fatalf("v2 now says %v", err)
		}
		if got := syntaxError(err).Error(); !strings.HasPrefix(got, "unexpected end of JSON input") {
			t.Fatalf("syntaxError: %s", got)
		}
	})
}
