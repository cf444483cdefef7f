package schema_test

import (
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hamba/avro/v2"

	"github.com/vnstream/connector/pkg/schema"
	"github.com/vnstream/connector/pkg/source/tiki"
	"github.com/vnstream/connector/schemas"
)

const valueName = "connector.tiki.form_response.Value"

func loadTiki(t testing.TB) (*schema.Set, *schema.Entity) {
	t.Helper()
	return loadTikiFrom(t, schemas.FS)
}

// loadTikiFrom loads the schemas of fsys and returns Tiki's entity.
func loadTikiFrom(t testing.TB, fsys fs.FS) (*schema.Set, *schema.Entity) {
	t.Helper()
	set, err := schema.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	e, err := set.Entity(tiki.Entity)
	if err != nil {
		t.Fatal(err)
	}
	return set, e
}

func TestLoadEmbedded(t *testing.T) {
	set, e := loadTiki(t)
	if got := set.Names(); !slices.Contains(got, tiki.Entity) || !slices.IsSorted(got) {
		t.Errorf("Names() = %v, want sorted and holding %s", got, tiki.Entity)
	}
	if e.Name != tiki.Entity {
		t.Errorf("Name = %q", e.Name)
	}
	for _, c := range []struct {
		what, text, full string
		parsed           avro.Schema
	}{
		{"key", e.KeyText, "connector.tiki.form_response.Key", e.Key},
		{"value", e.ValueText, "connector.tiki.form_response.Envelope", e.Value},
	} {
		// Self-contained: parses alone with a fresh cache.
		s, err := avro.ParseWithCache(c.text, "", &avro.SchemaCache{})
		if err != nil {
			t.Fatalf("%s text does not parse alone: %v\n%s", c.what, err, c.text)
		}
		if got := s.(avro.NamedSchema).FullName(); got != c.full {
			t.Errorf("%s text names %s, want %s", c.what, got, c.full)
		}
		if s.String() != c.parsed.String() {
			t.Errorf("%s text parses to\n%s\nwant\n%s", c.what, s, c.parsed)
		}
	}
	if got := e.Record.(avro.NamedSchema).FullName(); got != valueName {
		t.Errorf("Record is %s, want %s", got, valueName)
	}

	// Docs of the record, its fields and the inlined types are kept.
	for _, doc := range []string{
		`"doc":"A Debezium-compatible change event of a Tiki lead-form response."`,
		`"doc":"When the user submitted the form."`,
		`"doc":"Kind of source the event was read from, e.g. tiki_lead."`,
		`"default":null`,
		`"logicalType":"timestamp-millis"`,
	} {
		if !strings.Contains(e.ValueText, doc) {
			t.Errorf("value text lacks %s", doc)
		}
	}
	if !strings.Contains(e.KeyText, `"doc":"Kafka key of a Tiki lead-form response."`) {
		t.Errorf("key text lacks its doc: %s", e.KeyText)
	}

	// The Value record is defined once, in before, then referenced by name.
	def := `{"type":"record","name":"` + valueName + `"`
	if n := strings.Count(e.ValueText, def); n != 1 {
		t.Errorf("value text defines %s %d times, want once", valueName, n)
	}
	ref := `"type":["null","` + valueName + `"]`
	if i, j := strings.Index(e.ValueText, def), strings.Index(e.ValueText, ref); j < 0 || j < i {
		t.Errorf("value text does not reference %s by name after its definition", valueName)
	}
	if n := strings.Count(e.ValueText, `"name":"connector.Source"`); n != 1 {
		t.Errorf("value text names connector.Source %d times, want once (inlined)", n)
	}
}

func TestUnknownEntity(t *testing.T) {
	set, _ := loadTiki(t)
	_, err := set.Entity("zns/message")
	if err == nil || !strings.Contains(err.Error(), `"zns/message"`) || !strings.Contains(err.Error(), tiki.Entity) {
		t.Fatalf("err = %v, want it to name the entity and list %s", err, tiki.Entity)
	}
}

// embeddedFS copies the embedded schemas into a MapFS a test may change.
func embeddedFS(t testing.TB) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	err := fs.WalkDir(schemas.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(schemas.FS, p)
		m[p] = &fstest.MapFile{Data: data}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// replaceIn replaces old by new in the file p of m, which must hold old.
func replaceIn(t testing.TB, m fstest.MapFS, p, old, new string) {
	t.Helper()
	s := string(m[p].Data)
	if !strings.Contains(s, old) {
		t.Fatalf("%s does not hold %q", p, old)
	}
	m[p] = &fstest.MapFile{Data: []byte(strings.Replace(s, old, new, 1))}
}

func TestLoadErrors(t *testing.T) {
	const (
		value    = "tiki/form_response/value.avsc"
		envelope = "tiki/form_response/envelope.avsc"
	)
	for _, c := range []struct {
		name    string
		change  func(m fstest.MapFS)
		want    []string
		notWant []string // a broken definition is reported in its own file only
	}{
		{
			name: "broken JSON",
			change: func(m fstest.MapFS) {
				m["nxlink/customer/key.avsc"] = &fstest.MapFile{Data: []byte(`{"type": "record",`)}
			},
			want: []string{"nxlink/customer/key.avsc", "invalid JSON"},
		},
		{
			name: "unknown referenced name",
			change: func(m fstest.MapFS) {
				replaceIn(t, m, envelope, `"type": "connector.Source"`, `"type": "connector.Origin"`)
			},
			want: []string{envelope, `unknown type "connector.Origin"`, `field "source"`},
		},
		{
			name: "invalid schema",
			change: func(m fstest.MapFS) {
				replaceIn(t, m, value, `"type": "string",
      "doc": "Id of the lead form`, `"type": "strin",
      "doc": "Id of the lead form`)
			},
			want:    []string{value, `field "form_id": unknown type "connector.tiki.form_response.strin"`},
			notWant: []string{envelope},
		},
		{
			name: "Avro parser error",
			change: func(m fstest.MapFS) {
				replaceIn(t, m, value, `"name": "form_id"`, `"name": "id"`)
			},
			want:    []string{value, "duplicate field"},
			notWant: []string{envelope},
		},
		{
			name: "name defined twice",
			change: func(m fstest.MapFS) {
				m["extra.avsc"] = m["source.avsc"]
			},
			want: []string{`"connector.Source" is defined twice`, "extra.avsc", "source.avsc"},
		},
		{
			name: "named type without namespace",
			change: func(m fstest.MapFS) {
				m["plain.avsc"] = &fstest.MapFile{Data: []byte(`{"type":"enum","name":"Color","symbols":["RED"]}`)}
			},
			want: []string{"plain.avsc", `"Color" has no namespace`},
		},
		{
			name:   "entity folder without envelope",
			change: func(m fstest.MapFS) { delete(m, envelope) },
			want:   []string{"entity tiki/form_response", "missing " + envelope},
		},
		{
			name: "envelope fields out of order",
			change: func(m fstest.MapFS) {
				replaceIn(t, m, envelope, `"name": "op"`, `"name": "operation"`)
			},
			want: []string{envelope, "envelope fields are [before after source operation ts_ms]"},
		},
		{
			name: "envelope after of another type",
			change: func(m fstest.MapFS) {
				replaceIn(t, m, envelope, `"type": ["null", "connector.tiki.form_response.Value"],
      "default": null,
      "doc": "The form response after`, `"type": ["null", "string"],
      "default": null,
      "doc": "The form response after`)
			},
			want: []string{envelope, `field after must be ["null", "` + valueName + `"]`},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := embeddedFS(t)
			c.change(m)
			_, err := schema.Load(m)
			if err == nil {
				t.Fatal("Load succeeded")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			for _, w := range c.notWant {
				if strings.Contains(err.Error(), w) {
					t.Errorf("error %q names %q", err, w)
				}
			}
		})
	}
}

// A type may be referenced by a short name within its namespace, and nested
// named types are collected and inlined too.
func TestLoadResolvesNamespacesAndNestedTypes(t *testing.T) {
	m := fstest.MapFS{
		"shared.avsc": {Data: []byte(`{"type":"record","name":"Money","namespace":"connector.common","fields":[
			{"name":"currency","type":{"type":"enum","name":"Currency","symbols":["VND","USD"]}},
			{"name":"amount","type":"long"}]}`)},
		"shop/order/key.avsc": {Data: []byte(`{"type":"record","name":"Key","namespace":"connector.shop.order","fields":[{"name":"id","type":"long"}]}`)},
		"shop/order/value.avsc": {Data: []byte(`{"type":"record","name":"Value","namespace":"connector.shop.order","fields":[
			{"name":"total","type":"connector.common.Money"},
			{"name":"currencies","type":{"type":"array","items":"connector.common.Currency"}},
			{"name":"tags","type":{"type":"map","values":"string"}}]}`)},
		"shop/order/envelope.avsc": {Data: []byte(`{"type":"record","name":"Envelope","namespace":"connector.shop.order","fields":[
			{"name":"before","type":["null","Value"],"default":null},
			{"name":"after","type":["null","Value"],"default":null},
			{"name":"source","type":"connector.Source"},
			{"name":"op","type":"string"},
			{"name":"ts_ms","type":"long"}]}`)},
		"source.avsc": {Data: embeddedFS(t)["source.avsc"].Data},
	}
	set, err := schema.Load(m)
	if err != nil {
		t.Fatal(err)
	}
	e, err := set.Entity("shop/order")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"items":"connector.common.Currency"`,
		`{"type":"enum","name":"connector.common.Currency"`,
		`"type":["null","connector.shop.order.Value"]`,
	} {
		if !strings.Contains(e.ValueText, want) {
			t.Errorf("value text lacks %s:\n%s", want, e.ValueText)
		}
	}
	if _, err := avro.ParseWithCache(e.ValueText, "", &avro.SchemaCache{}); err != nil {
		t.Fatal(err)
	}
}
