// Package sourcetest holds what the providers' tests share: a settable
// clock, a loop that polls a source until it has caught up, a scripted
// server that records the requests a source sends, and a reference reader
// of JSON objects built on encoding/json, for checking the fast decoders
// against it, and the codec of an entity's shipped schemas.
package sourcetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/vnstream/connector/pkg/schema"
	"github.com/vnstream/connector/pkg/source"
	"github.com/vnstream/connector/schemas"
)

// Clock is a time a test sets and moves, safe for concurrent use. Pass
// its Now to a source's or a simulator's WithClock.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a Clock at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Drain polls s from off until it reports nothing more waiting, and
// returns every record with the last offset. A poll error, or 1000 polls
// without catching up, fails the test.
func Drain(t testing.TB, s source.Source, off source.Offset) ([]source.Record, source.Offset) {
	t.Helper()
	var all []source.Record
	for range 1000 {
		recs, next, more, err := s.Poll(context.Background(), off)
		if err != nil {
			t.Fatal(err)
		}
		all, off = append(all, recs...), next
		if !more {
			return all, off
		}
	}
	t.Fatal("the source never caught up")
	return nil, nil
}

// Member is a member of a JSON object as encoding/json reads it: its name
// unescaped, its value as sent.
type Member struct {
	Name  string
	Value json.RawMessage
}

// Members reads the members of the JSON object raw, in order, with
// encoding/json's tokenizer; false when raw is not a valid JSON object.
func Members(raw []byte) ([]Member, bool) {
	if !json.Valid(raw) {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	var ms []Member
	for dec.More() {
		name, err := dec.Token()
		if err != nil {
			return nil, false
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, false
		}
		ms = append(ms, Member{name.(string), v})
	}
	return ms, true
}

// Request is one request a Scripted server received.
type Request struct {
	Method, Path string
	Header       http.Header
	Body         string
}

// Scripted starts a server on 127.0.0.1, stopped when the test ends, that
// answers its n-th request with the n-th of bodies as JSON (the last one
// again once they run out). It returns the server and a function giving
// the requests received so far.
func Scripted(t testing.TB, bodies ...string) (*httptest.Server, func() []Request) {
	t.Helper()
	var mu sync.Mutex
	var got []Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, Request{r.Method, r.URL.Path, r.Header.Clone(), string(body)})
		n := len(got)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, bodies[min(n, len(bodies))-1])
	}))
	t.Cleanup(srv.Close)
	return srv, func() []Request { mu.Lock(); defer mu.Unlock(); return slices.Clone(got) }
}

// ID reads an identifier sent as a JSON string or a JSON number, with
// encoding/json, the reference the decoders' ids are checked against; a
// number's digits are kept exactly as sent (never through float64). The error names
// field. A null or missing id is an error.
func ID(field string, raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return "", fmt.Errorf("%s is missing", field)
	case raw[0] == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", fmt.Errorf("%s: %w", field, err)
		}
		if s == "" {
			return "", fmt.Errorf("%s is empty", field)
		}
		return s, nil
	}
	if _, err := strconv.ParseInt(string(raw), 10, 64); err != nil {
		if _, err := strconv.ParseUint(string(raw), 10, 64); err != nil {
			return "", fmt.Errorf("%s %s is neither a string nor a 64-bit integer", field, source.Quote(raw))
		}
	}
	return string(raw), nil
}

// Codec returns the set of the shipped schemas and the single-object codec
// of entity for values of valueType's type, failing t when either cannot
// be made.
func Codec(t testing.TB, entity string, valueType any) (*schema.Set, *schema.Codec) {
	t.Helper()
	set, err := schema.Load(schemas.FS)
	if err != nil {
		t.Fatal(err)
	}
	e, err := set.Entity(entity)
	if err != nil {
		t.Fatal(err)
	}
	codec, err := schema.NewSingleObjectCodec(e, valueType)
	if err != nil {
		t.Fatal(err)
	}
	return set, codec
}
