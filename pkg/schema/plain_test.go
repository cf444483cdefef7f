package schema_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/vnstream/connector/pkg/schema"
)

// TestDecodeJSONEnvelope reads an event of the embedded Tiki schemas back
// as plain JSON: fields in the schema's order, the after record and the
// nullable extra_json without branch names, the timestamp as RFC 3339.
func TestDecodeJSONEnvelope(t *testing.T) {
	set, c := newSingleObjectCodec(t)
	kb, vb := fixedFrames(t, c)
	d := schema.NewDecoder(set, nil)
	got, err := d.DecodeJSON(context.Background(), kb)
	if want := `{"id":"1234567890123"}`; err != nil || string(got) != want {
		t.Errorf("key = %s, %v; want %s", got, err, want)
	}
	got, err = d.DecodeJSON(context.Background(), vb)
	want := `{"before":null,"after":{"id":"1234567890123","form_id":"42","created_at":"2025-03-14T09:26:53.589Z",` +
		`"inputs":"{\"name\":\"Nguyễn Văn A\",\"phone\":\"0901234567\"}","extra_json":"{\"campaign\":\"tet-2025\"}"},` +
		`"source":{"version":"0.1.0","connector":"vnstream","provider":"tiki_lead","source":"tiki-main","ts_ms":1741944413589,` +
		`"snapshot":true,"position":"2025-03-14T09:26:53Z/1234567890123"},"op":"r","ts_ms":1741946400000}`
	if err != nil || string(got) != want {
		t.Errorf("value =\n%s, %v\nwant\n%s", got, err, want)
	}
}

// TestDecodeJSONTypes reads, through a registry, a value of a schema with
// every kind of type the plain form treats apart: unions hamba/avro wraps
// (a branch that is a record or a map) and those it does not, maps with
// their keys sorted, arrays, enums and timestamps.
func TestDecodeJSONTypes(t *testing.T) {
	const text = `{"type":"record","name":"T","namespace":"x","fields":[
		{"name":"z","type":"string"},
		{"name":"rec_or_string","type":["string",{"type":"record","name":"R","fields":[{"name":"n","type":"long"}]}]},
		{"name":"string_or_rec","type":["string","R"]},
		{"name":"long_or_string","type":["long","string"]},
		{"name":"maybe_time","type":["null",{"type":"long","logicalType":"timestamp-millis"}]},
		{"name":"maybe_map","type":["null",{"type":"map","values":"int"}]},
		{"name":"map","type":{"type":"map","values":["null","R"]}},
		{"name":"list","type":{"type":"array","items":{"type":"enum","name":"E","symbols":["A","B"]}}}
	]}`
	s := avro.MustParse(text)
	value := map[string]any{
		"z":              "first",
		"rec_or_string":  map[string]any{"x.R": map[string]any{"n": int64(7)}},
		"string_or_rec":  map[string]any{"string": "s"},
		"long_or_string": "t",
		"maybe_time":     time.Date(2026, 12, 4, 10, 0, 0, 5e6, time.UTC),
		"maybe_map":      map[string]any{"map": map[string]any{"b": 2, "a": 1}},
		"map":            map[string]any{"k2": nil, "k1": map[string]any{"x.R": map[string]any{"n": int64(1)}}},
		"list":           []any{"B", "A"},
	}
	payload, err := avro.Marshal(s, value)
	if err != nil {
		t.Fatal(err)
	}
	_, cl := newRegistry(t)
	ss, err := cl.CreateSchema(context.Background(), "t-value", sr.Schema{Schema: text, Type: sr.TypeAvro})
	if err != nil {
		t.Fatal(err)
	}
	frame, err := new(sr.ConfluentHeader).AppendEncode(nil, ss.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := schema.NewDecoder(nil, cl).DecodeJSON(context.Background(), append(frame, payload...))
	want := `{"z":"first","rec_or_string":{"n":7},"string_or_rec":"s","long_or_string":"t",` +
		`"maybe_time":"2026-12-04T10:00:00.005Z","maybe_map":{"a":1,"b":2},"map":{"k1":{"n":1},"k2":null},"list":["B","A"]}`
	if err != nil || string(got) != want {
		t.Errorf("DecodeJSON =\n%s, %v\nwant\n%s", got, err, want)
	}
	if _, err := schema.NewDecoder(nil, cl).DecodeJSON(context.Background(), append(frame, payload[:3]...)); err == nil || !strings.Contains(err.Error(), "schema: decode") {
		t.Errorf("truncated value: %v, want a decode error", err)
	}
}
