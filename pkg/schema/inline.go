package schema

import (
	"fmt"
	"strings"
)

// A definition is a named type (record, error, enum or fixed) as written in
// one of the loaded files.
type definition struct {
	node object
	file string
}

// primitives are the Avro type names that never refer to a named type.
var primitives = map[string]bool{
	"null": true, "boolean": true, "int": true, "long": true,
	"float": true, "double": true, "bytes": true, "string": true,
}

func isNamedKind(t string) bool {
	return t == "record" || t == "error" || t == "enum" || t == "fixed"
}

// fullName resolves name against the enclosing namespace ns, as the Avro
// spec does: a name holding a dot is already full.
func fullName(ns, name string) string {
	if ns == "" || strings.Contains(name, ".") {
		return name
	}
	return ns + "." + name
}

// namespaceOf returns the namespace part of a full name.
func namespaceOf(full string) string {
	if i := strings.LastIndexByte(full, '.'); i >= 0 {
		return full[:i]
	}
	return ""
}

// definedName returns the full name a named type definition declares within
// the enclosing namespace ns. Every named type must end up in a namespace:
// the texts this package writes carry full names only.
func definedName(o object, ns string) (string, error) {
	name, ok := o.str("name")
	if !ok || name == "" {
		return "", fmt.Errorf("named type without a \"name\" string")
	}
	if v, has := o.get("namespace"); has {
		s, ok := v.(string)
		if !ok {
			return "", fmt.Errorf("type %q: \"namespace\" is not a string", name)
		}
		ns = s
	}
	full := fullName(ns, name)
	if !strings.Contains(full, ".") {
		return "", fmt.Errorf("type %q has no namespace", name)
	}
	return full, nil
}

// collect records every named type defined in the schema v of file (at any
// depth) in defs. A name defined twice, in one file or two, is an error.
func collect(defs map[string]*definition, file string, v any, ns string) error {
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			if err := collect(defs, file, e, ns); err != nil {
				return err
			}
		}
	case object:
		t, _ := v.get("type")
		switch t := t.(type) {
		case []any:
			return collect(defs, file, t, ns)
		case string:
			switch {
			case isNamedKind(t):
				full, err := definedName(v, ns)
				if err != nil {
					return err
				}
				if prev, dup := defs[full]; dup {
					return fmt.Errorf("type %q is defined twice (also in %s)", full, prev.file)
				}
				defs[full] = &definition{node: v, file: file}
				if t == "enum" || t == "fixed" {
					return nil
				}
				return forFields(v, full, func(f object) error {
					ft, _ := f.get("type")
					return collect(defs, file, ft, namespaceOf(full))
				})
			case t == "array":
				items, _ := v.get("items")
				return collect(defs, file, items, ns)
			case t == "map":
				values, _ := v.get("values")
				return collect(defs, file, values, ns)
			}
		}
	}
	return nil
}

// forFields calls fn with each field object of the record r named full.
func forFields(r object, full string, fn func(object) error) error {
	fields, ok := r.get("fields")
	list, isList := fields.([]any)
	if !ok || !isList {
		return fmt.Errorf("record %q: \"fields\" is not an array", full)
	}
	for i, f := range list {
		fo, ok := f.(object)
		if !ok {
			return fmt.Errorf("record %q: field %d is not an object", full, i)
		}
		if err := fn(fo); err != nil {
			return err
		}
	}
	return nil
}

// inliner builds the self-contained form of one schema document: a named
// type referenced by name is replaced by its definition at its first use in
// the document; later uses stay references. Every name it writes is a full
// name and "namespace" attributes are dropped, so the text does not depend
// on namespace inheritance. Docs, defaults, logical types and any other
// attributes are kept, in file order.
type inliner struct {
	defs map[string]*definition
	seen map[string]bool
	// files collects the files whose definitions were inlined.
	files map[string]bool
}

func (in *inliner) schema(v any, ns string) (any, error) {
	switch v := v.(type) {
	case string:
		if primitives[v] {
			return v, nil
		}
		full := fullName(ns, v)
		if in.seen[full] {
			return full, nil
		}
		def, ok := in.defs[full]
		if !ok {
			return nil, fmt.Errorf("unknown type %q", full)
		}
		in.files[def.file] = true
		return in.define(def.node, namespaceOf(full))
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			s, err := in.schema(e, ns)
			if err != nil {
				return nil, err
			}
			out[i] = s
		}
		return out, nil
	case object:
		t, _ := v.get("type")
		switch t := t.(type) {
		case []any:
			return in.schema(t, ns)
		case string:
			switch {
			case isNamedKind(t):
				return in.define(v, ns)
			case t == "array":
				return in.rewrite(v, "items", ns)
			case t == "map":
				return in.rewrite(v, "values", ns)
			case primitives[t]:
				return v, nil
			default: // {"type": "some.Name"}: a reference in object form
				return in.schema(t, ns)
			}
		}
		return nil, fmt.Errorf("schema object without a \"type\" string or union: %s", appendJSON(nil, v))
	default:
		return nil, fmt.Errorf("not a schema: %s", appendJSON(nil, v))
	}
}

// rewrite copies o with the schema under key resolved.
func (in *inliner) rewrite(o object, key, ns string) (object, error) {
	out := make(object, 0, len(o))
	for _, m := range o {
		if m.key == key {
			s, err := in.schema(m.value, ns)
			if err != nil {
				return nil, err
			}
			m.value = s
		}
		out = append(out, m)
	}
	return out, nil
}

// define writes the named type definition o, found within namespace ns.
func (in *inliner) define(o object, ns string) (any, error) {
	full, err := definedName(o, ns)
	if err != nil {
		return nil, err
	}
	if in.seen[full] {
		return full, nil
	}
	in.seen[full] = true
	inner := namespaceOf(full)
	out := make(object, 0, len(o))
	for _, m := range o {
		switch m.key {
		case "namespace":
			continue
		case "name":
			m.value = full
		case "aliases":
			m.value = fullAliases(m.value, inner)
		case "fields":
			if t, _ := o.str("type"); t == "record" || t == "error" {
				fields, err := in.fields(o, full)
				if err != nil {
					return nil, err
				}
				m.value = fields
			}
		}
		out = append(out, m)
	}
	return out, nil
}

func (in *inliner) fields(r object, full string) ([]any, error) {
	var out []any
	err := forFields(r, full, func(f object) error {
		name, _ := f.str("name")
		nf, err := in.rewrite(f, "type", namespaceOf(full))
		if err != nil {
			return fmt.Errorf("record %q field %q: %w", full, name, err)
		}
		out = append(out, nf)
		return nil
	})
	return out, err
}

// fullAliases resolves the aliases of a named type against its namespace;
// anything but a list of strings is left for the Avro parser to reject.
func fullAliases(v any, ns string) any {
	list, ok := v.([]any)
	if !ok {
		return v
	}
	out := make([]any, len(list))
	for i, a := range list {
		if s, ok := a.(string); ok {
			out[i] = fullName(ns, s)
		} else {
			out[i] = a
		}
	}
	return out
}
