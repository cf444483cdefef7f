package schema

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/hamba/avro/v2"
)

// DecodeJSON decodes the frame b with its writer schema, as Decode does,
// and returns the value as plain JSON, the way a person reads it: a
// record's fields in its schema's order, a union's value without its
// branch name (Avro's own JSON encoding would wrap it, e.g.
// {"string": "x"}), timestamps as RFC 3339 strings, map keys sorted.
func (d *Decoder) DecodeJSON(ctx context.Context, b []byte) (jsontext.Value, error) {
	s, payload, err := d.writerSchema(ctx, b)
	if err != nil {
		return nil, err
	}
	var v any
	if err := d.read(s, payload, &v); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	enc := jsontext.NewEncoder(&out)
	if err := writePlain(enc, s, v); err != nil {
		return nil, fmt.Errorf("schema: decode: %w", err)
	}
	return bytes.TrimSuffix(out.Bytes(), []byte("\n")), nil // the encoder ends a top-level value with one
}

// writePlain writes v, decoded by hamba/avro from a value of s into an
// any, as plain JSON.
func writePlain(enc *jsontext.Encoder, s avro.Schema, v any) error {
	switch s := s.(type) {
	case *avro.RefSchema:
		return writePlain(enc, s.Schema(), v)
	case *avro.RecordSchema:
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("record %s decoded as %T", s.FullName(), v)
		}
		if err := enc.WriteToken(jsontext.BeginObject); err != nil {
			return err
		}
		for _, f := range s.Fields() {
			if err := enc.WriteToken(jsontext.String(f.Name())); err != nil {
				return err
			}
			if err := writePlain(enc, f.Type(), m[f.Name()]); err != nil {
				return fmt.Errorf("%s.%s: %w", s.Name(), f.Name(), err)
			}
		}
		return enc.WriteToken(jsontext.EndObject)
	case *avro.UnionSchema:
		if v == nil {
			return enc.WriteToken(jsontext.Null)
		}
		if !wrapsUnion(s) { // a primitive or time value, as it is
			return json.MarshalEncode(enc, v)
		}
		if m, ok := v.(map[string]any); ok && len(m) == 1 {
			for name, inner := range m {
				if t, _ := s.Types().Get(name); t != nil {
					return writePlain(enc, t, inner)
				}
			}
		}
		return fmt.Errorf("union value %T names no branch of %s", v, s)
	case *avro.ArraySchema:
		items, ok := v.([]any)
		if !ok {
			return fmt.Errorf("array decoded as %T", v)
		}
		if err := enc.WriteToken(jsontext.BeginArray); err != nil {
			return err
		}
		for _, item := range items {
			if err := writePlain(enc, s.Items(), item); err != nil {
				return err
			}
		}
		return enc.WriteToken(jsontext.EndArray)
	case *avro.MapSchema:
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("map decoded as %T", v)
		}
		if err := enc.WriteToken(jsontext.BeginObject); err != nil {
			return err
		}
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if err := enc.WriteToken(jsontext.String(k)); err != nil {
				return err
			}
			if err := writePlain(enc, s.Values(), m[k]); err != nil {
				return err
			}
		}
		return enc.WriteToken(jsontext.EndObject)
	}
	return json.MarshalEncode(enc, v)
}

// wrapsUnion reports whether hamba/avro, decoding a value of u into an
// any, gives it as {branch name: value}: it does so for every branch once
// one branch is a type its resolver cannot name (a record, enum, fixed,
// array or map, or a logical type it does not register), and otherwise
// gives the value itself.
func wrapsUnion(u *avro.UnionSchema) bool {
	for _, t := range u.Types() {
		switch t.Type() {
		case avro.Record, avro.Enum, avro.Fixed, avro.Array, avro.Map, avro.Ref:
			return true
		}
		if l, ok := t.(avro.LogicalTypeSchema); ok && l.Logical() != nil {
			switch l.Logical().Type() {
			case avro.Date, avro.TimeMillis, avro.TimeMicros, avro.TimestampMillis, avro.TimestampMicros, avro.Decimal, avro.UUID:
			default:
				return true
			}
		}
	}
	return false
}
