package schema

import (
	"strings"
	"testing"
)

func TestCompatibleNamesTheField(t *testing.T) {
	const order = `{"type":"record","name":"a.Order","fields":[
		{"name":"id","type":"string"},
		{"name":"lines","type":{"type":"array","items":{"type":"record","name":"a.Line","fields":[
			{"name":"sku","type":"string"},
			{"name":"qty","type":%s}]}}},
		{"name":"next","type":["null","a.Order"],"default":null}]}`
	withQty := func(qty string) string { return strings.Replace(order, "%s", qty, 1) }
	old := parse(t, withQty(`"int"`))

	for _, c := range []struct {
		name, newText string
		compat        Compatibility
		want          string // "" when compatible
	}{
		{"same", withQty(`"int"`), CompatFull, ""},
		{"promotion int to long", withQty(`"long"`), CompatBackward, ""},
		{"promotion refused forward", withQty(`"long"`), CompatForward,
			"field lines[].qty: reader schema int not compatible with writer schema long"},
		{"type change in array items", withQty(`"string"`), CompatBackward,
			"field lines[].qty: reader schema string not compatible with writer schema int"},
		{"field added without default", strings.Replace(withQty(`"int"`), `{"name":"id","type":"string"}`,
			`{"name":"id","type":"string"},{"name":"note","type":"string"}`, 1), CompatBackward,
			"field note: reader field note is missing in writer schema and has no default"},
		{"field added with default", strings.Replace(withQty(`"int"`), `{"name":"id","type":"string"}`,
			`{"name":"id","type":"string"},{"name":"note","type":"string","default":""}`, 1), CompatFull, ""},
		{"field removed", strings.Replace(withQty(`"int"`), `{"name":"sku","type":"string"},`, ``, 1), CompatFull,
			"forward: field lines[].sku: reader field sku is missing in writer schema and has no default"},
		{"anything goes with NONE", withQty(`"string"`), CompatNone, ""},
	} {
		err := compatible(c.compat, parse(t, c.newText), old)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (err == nil || err.Error() != c.want):
			t.Errorf("%s: err = %v\nwant %s", c.name, err, c.want)
		}
	}
}

// A change inside a recursive type is found without looping.
func TestCompatibleRecursiveType(t *testing.T) {
	old := parse(t, `{"type":"record","name":"a.Node","fields":[
		{"name":"children","type":{"type":"array","items":"a.Node"}},
		{"name":"v","type":"int"}]}`)
	changed := parse(t, `{"type":"record","name":"a.Node","fields":[
		{"name":"children","type":{"type":"array","items":"a.Node"}},
		{"name":"v","type":"string"}]}`)
	err := compatible(CompatBackward, changed, old)
	if err == nil || err.Error() != "field v: reader schema string not compatible with writer schema int" {
		t.Fatalf("err = %v", err)
	}
}
