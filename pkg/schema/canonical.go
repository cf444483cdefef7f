package schema

import (
	"fmt"
	"strconv"

	"github.com/hamba/avro/v2"
	"github.com/hamba/avro/v2/pkg/crc64"
)

// canonicalForm returns the Parsing Canonical Form of s as the Avro
// specification defines it (and Java's SchemaNormalization computes it):
// only the attributes name, type, fields, symbols, items, values and size, in
// that order; full names; primitives as bare strings, so logical types, docs,
// defaults, aliases and other properties are gone; no whitespace. A named
// type's second and later occurrences are written as its full name.
//
// hamba's Schema.String keeps logicalType, which the specification strips,
// so its fingerprints differ from other Avro implementations' whenever a
// schema has a logical type.
func canonicalForm(s avro.Schema) string {
	return string(appendCanonical(nil, s, map[string]bool{}))
}

// fingerprint returns the CRC-64-AVRO fingerprint of s's Parsing Canonical
// Form, the number single-object encoding writes little-endian after C3 01.
func fingerprint(s avro.Schema) uint64 {
	h := crc64.New()
	_, _ = h.Write([]byte(canonicalForm(s)))
	return h.Sum64()
}

// appendCanonical appends s's canonical form. A named type's full name
// stands alone when the type was written before, and otherwise starts its
// definition object.
func appendCanonical(b []byte, s avro.Schema, seen map[string]bool) []byte {
	if n, ok := s.(avro.NamedSchema); ok {
		full := n.FullName()
		if seen[full] {
			return appendString(b, full)
		}
		seen[full] = true
		b = append(b, `{"name":`...)
		b = appendString(b, full)
	}
	switch s := s.(type) {
	case *avro.NullSchema:
		return append(b, `"null"`...)
	case *avro.PrimitiveSchema:
		return appendString(b, string(s.Type()))
	case *avro.RefSchema:
		return appendString(b, s.Schema().FullName())
	case *avro.RecordSchema:
		b = append(b, `,"type":"record","fields":[`...)
		for i, f := range s.Fields() {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"name":`...)
			b = appendString(b, f.Name())
			b = append(b, `,"type":`...)
			b = appendCanonical(b, f.Type(), seen)
			b = append(b, '}')
		}
		return append(b, "]}"...)
	case *avro.EnumSchema:
		b = append(b, `,"type":"enum","symbols":[`...)
		for i, sym := range s.Symbols() {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, sym)
		}
		return append(b, "]}"...)
	case *avro.FixedSchema:
		b = append(b, `,"type":"fixed","size":`...)
		b = strconv.AppendInt(b, int64(s.Size()), 10)
		return append(b, '}')
	case *avro.ArraySchema:
		b = append(b, `{"type":"array","items":`...)
		b = appendCanonical(b, s.Items(), seen)
		return append(b, '}')
	case *avro.MapSchema:
		b = append(b, `{"type":"map","values":`...)
		b = appendCanonical(b, s.Values(), seen)
		return append(b, '}')
	case *avro.UnionSchema:
		b = append(b, '[')
		for i, t := range s.Types() {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendCanonical(b, t, seen)
		}
		return append(b, ']')
	default:
		// hamba's parser produces only the types above.
		panic(fmt.Sprintf("schema: canonical form of unexpected Avro schema %T", s))
	}
}
