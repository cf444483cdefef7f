package schema

import (
	"fmt"
	"slices"

	"github.com/hamba/avro/v2"
)

// compatible checks the new schema against old, the latest registered one,
// as compat says.
func compatible(compat Compatibility, newSchema, old avro.Schema) error {
	switch compat {
	case CompatBackward:
		return incompatibility(newSchema, old)
	case CompatForward:
		return incompatibility(old, newSchema)
	case CompatFull:
		if err := incompatibility(newSchema, old); err != nil {
			return fmt.Errorf("backward: %w", err)
		}
		if err := incompatibility(old, newSchema); err != nil {
			return fmt.Errorf("forward: %w", err)
		}
	}
	return nil
}

// incompatibility returns nil when reader can read what writer wrote, as
// hamba's compatibility check decides, and otherwise hamba's reason prefixed
// with the path of the field it concerns (e.g. "field after.form_id: ...").
// hamba's own message loses the field inside unions, and every entity record
// sits in the envelope's before/after unions.
func incompatibility(reader, writer avro.Schema) error {
	l := &locator{sc: avro.NewSchemaCompatibility(), visited: map[[2][32]byte]bool{}}
	if err := l.sc.Compatible(reader, writer); err == nil {
		return nil
	}
	path, reason := l.locate(reader, writer, "")
	if path == "" {
		return reason
	}
	return fmt.Errorf("field %s: %w", path, reason)
}

// locator walks two incompatible schemas the way hamba's check does to find
// the innermost field where they disagree.
type locator struct {
	sc      *avro.SchemaCompatibility
	visited map[[2][32]byte]bool
}

// locate returns the path of the innermost field below path where reader
// and writer, known to be incompatible, disagree, and hamba's reason there.
func (l *locator) locate(reader, writer avro.Schema, path string) (string, error) {
	reader, writer = deref(reader), deref(writer)
	reason := l.sc.Compatible(reader, writer)
	key := [2][32]byte{reader.Fingerprint(), writer.Fingerprint()}
	if l.visited[key] { // a recursive type: stop here
		return path, reason
	}
	l.visited[key] = true

	switch {
	case writer.Type() == avro.Union:
		for _, w := range writer.(*avro.UnionSchema).Types() {
			if l.sc.Compatible(reader, w) != nil {
				return l.locate(reader, w, path)
			}
		}
	case reader.Type() == avro.Union:
		for _, r := range reader.(*avro.UnionSchema).Types() {
			if sameType(deref(r), writer) {
				return l.locate(r, writer, path)
			}
		}
	case reader.Type() != writer.Type(): // a type change: hamba's reason names both
	case reader.Type() == avro.Record:
		r, w := reader.(*avro.RecordSchema), writer.(*avro.RecordSchema)
		if r.Name() != w.Name() && !slices.Contains(r.Aliases(), w.FullName()) {
			break // renamed: hamba's reason names both
		}
		for _, rf := range r.Fields() {
			p := rf.Name()
			if path != "" {
				p = path + "." + p
			}
			wf := writerField(w, rf)
			switch {
			case wf == nil && !rf.HasDefault():
				return p, reason
			case wf != nil && l.sc.Compatible(rf.Type(), wf.Type()) != nil:
				return l.locate(rf.Type(), wf.Type(), p)
			}
		}
	case reader.Type() == avro.Array:
		return l.locate(reader.(*avro.ArraySchema).Items(), writer.(*avro.ArraySchema).Items(), path+"[]")
	case reader.Type() == avro.Map:
		return l.locate(reader.(*avro.MapSchema).Values(), writer.(*avro.MapSchema).Values(), path+"{}")
	}
	return path, reason
}

func deref(s avro.Schema) avro.Schema {
	if ref, ok := s.(*avro.RefSchema); ok {
		return ref.Schema()
	}
	return s
}

// sameType reports whether a and b are the same kind of type and, when
// named, have the same full name.
func sameType(a, b avro.Schema) bool {
	if a.Type() != b.Type() {
		return false
	}
	an, aNamed := a.(avro.NamedSchema)
	bn, bNamed := b.(avro.NamedSchema)
	return !aNamed || !bNamed || an.FullName() == bn.FullName()
}

// writerField returns the field of w that the reader field rf reads: the one
// with its name or one of its aliases, as hamba matches them.
func writerField(w *avro.RecordSchema, rf *avro.Field) *avro.Field {
	for _, f := range w.Fields() {
		if f.Name() == rf.Name() || slices.Contains(rf.Aliases(), f.Name()) {
			return f
		}
	}
	return nil
}
