package schema

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/hamba/avro/v2"

	"github.com/vnstream/connector/schemas"
)

func parse(t *testing.T, text string) avro.Schema {
	t.Helper()
	s, err := avro.ParseWithCache(text, "", &avro.SchemaCache{})
	if err != nil {
		t.Fatalf("parse %s: %v", text, err)
	}
	return s
}

// Vectors from the Avro specification's shared test data
// (share/test/data/schema-tests.txt, checked by Java's SchemaNormalization):
// input, Parsing Canonical Form, and the CRC-64-AVRO fingerprint as Java's
// signed long.
func TestCanonicalFormSpecVectors(t *testing.T) {
	for _, c := range []struct {
		in, canonical string
		fingerprint   int64
	}{
		{`"null"`, `"null"`, 7195948357588979594},
		{`{"type":"boolean"}`, `"boolean"`, -6970731678124411036},
		{`"int"`, `"int"`, 8247732601305521295},
		{`"long"`, `"long"`, -3434872931120570953},
		{`"float"`, `"float"`, 5583340709985441680},
		{`"double"`, `"double"`, -8181574048448539266},
		{`"bytes"`, `"bytes"`, 5746618253357095269},
		{`"string"`, `"string"`, -8142146995180207161},
		{`[ "int"  ]`, `["int"]`, -5232228896498058493},
		{`[ "int" , {"type":"boolean"} ]`, `["int","boolean"]`, 5392556393470105090},
		{`{"fields":[], "type":"record", "name":"foo"}`, `{"name":"foo","type":"record","fields":[]}`, -4824392279771201922},
		{`{"fields":[], "type":"record", "name":"foo", "namespace":"x.y"}`, `{"name":"x.y.foo","type":"record","fields":[]}`, 5916914534497305771},
		{`{"fields":[], "type":"record", "name":"a.b.foo", "namespace":"x.y"}`, `{"name":"a.b.foo","type":"record","fields":[]}`, -4616218487480524110},
		{`{"fields":[], "type":"record", "name":"foo", "doc":"foo", "aliases":["foo","bar"]}`, `{"name":"foo","type":"record","fields":[]}`, -4824392279771201922},
		{`{"fields":[{"type":{"type":"boolean"}, "name":"f1"}], "type":"record", "name":"foo"}`, `{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"}]}`, 7843277075252814651},
		{`{"type":"enum", "name":"foo", "symbols":["A1"]}`, `{"name":"foo","type":"enum","symbols":["A1"]}`, -6342190197741309591},
		{`{"namespace":"x.y.z", "type":"enum", "name":"foo", "doc":"foo bar", "symbols":["A1", "A2"]}`, `{"name":"x.y.z.foo","type":"enum","symbols":["A1","A2"]}`, -4448647247586288245},
		{`{"name":"foo","type":"fixed","size":15}`, `{"name":"foo","type":"fixed","size":15}`, 1756455273707447556},
		{`{"namespace":"x.y.z", "type":"fixed", "name":"foo", "doc":"foo bar", "size":32}`, `{"name":"x.y.z.foo","type":"fixed","size":32}`, -3064184465700546786},
		{`{ "items":{"type":"null"}, "type":"array"}`, `{"type":"array","items":"null"}`, -589620603366471059},
		{`{ "values":"string", "type":"map"}`, `{"type":"map","values":"string"}`, -8732877298790414990},
		{`{"name":"PigValue","type":"record","fields":[{"name":"value", "type":["null", "int", "long", "PigValue"]}]}`,
			`{"name":"PigValue","type":"record","fields":[{"name":"value","type":["null","int","long","PigValue"]}]}`, -1759257747318642341},
	} {
		s := parse(t, c.in)
		if got := canonicalForm(s); got != c.canonical {
			t.Errorf("canonicalForm(%s) = %s, want %s", c.in, got, c.canonical)
		}
		if got := int64(fingerprint(s)); got != c.fingerprint {
			t.Errorf("fingerprint(%s) = %d, want %d", c.in, got, c.fingerprint)
		}
	}
}

// Without logical types hamba's canonical form is the specification's, so
// both fingerprints agree.
func TestFingerprintMatchesHambaWithoutLogicalTypes(t *testing.T) {
	s := parse(t, `{"type":"record","name":"R","namespace":"a.b","doc":"d","fields":[
		{"name":"id","type":"string","doc":"x","default":"0"},
		{"name":"n","type":["null","long"],"default":null},
		{"name":"e","type":{"type":"enum","name":"E","symbols":["X","Y"],"aliases":["F"]}},
		{"name":"f","type":{"type":"fixed","name":"F16","size":16}},
		{"name":"l","type":{"type":"array","items":"E"}},
		{"name":"m","type":{"type":"map","values":"a.b.F16"}},
		{"name":"self","type":["null","R"],"default":null}]}`)
	if got, want := canonicalForm(s), s.String(); got != want {
		t.Errorf("canonicalForm = %s\nhamba String  = %s", got, want)
	}
	le, err := s.FingerprintUsing(avro.CRC64AvroLE)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fingerprint(s), binary.LittleEndian.Uint64(le); got != want {
		t.Errorf("fingerprint = %016x, hamba CRC64AvroLE = %016x", got, want)
	}
}

func TestCanonicalFormStripsLogicalTypes(t *testing.T) {
	with := parse(t, `{"type":"record","name":"a.R","fields":[
		{"name":"t","type":{"type":"long","logicalType":"timestamp-millis"}},
		{"name":"d","type":{"type":"int","logicalType":"date"}},
		{"name":"u","type":{"type":"string","logicalType":"uuid"}},
		{"name":"b","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}},
		{"name":"x","type":{"type":"fixed","name":"Dec","size":8,"logicalType":"decimal","precision":18,"scale":4}}]}`)
	without := parse(t, `{"type":"record","name":"a.R","fields":[
		{"name":"t","type":"long"},
		{"name":"d","type":"int"},
		{"name":"u","type":"string"},
		{"name":"b","type":"bytes"},
		{"name":"x","type":{"type":"fixed","name":"Dec","size":8}}]}`)
	if got, want := canonicalForm(with), canonicalForm(without); got != want {
		t.Errorf("with logical types:    %s\nwithout logical types: %s", got, want)
	}
	if fingerprint(with) != fingerprint(without) {
		t.Error("fingerprints differ")
	}
	if strings.Contains(canonicalForm(with), "logicalType") {
		t.Error("canonical form keeps logicalType")
	}
}

// The envelope's canonical form is hamba's with the timestamp-millis long
// written as a bare "long".
func TestEnvelopeCanonicalForm(t *testing.T) {
	set, err := Load(schemas.FS)
	if err != nil {
		t.Fatal(err)
	}
	e, err := set.Entity("tiki/form_response")
	if err != nil {
		t.Fatal(err)
	}
	want := strings.ReplaceAll(e.Value.String(), `{"type":"long","logicalType":"timestamp-millis"}`, `"long"`)
	if got := canonicalForm(e.Value); got != want {
		t.Errorf("canonicalForm = %s\nwant          %s", got, want)
	}
	if e.valueFingerprint != fingerprint(e.Value) || e.keyFingerprint != fingerprint(e.Key) {
		t.Error("entity fingerprints are not those of its schemas")
	}
}
