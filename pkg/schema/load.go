// Package schema loads the connector's Avro schemas (see package schemas)
// and encodes Debezium-style change events with them: Avro single-object
// encoding without a schema registry, the Confluent wire format with one. Its
// Decoder reads both framings back independently of the encoding side.
package schema

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/hamba/avro/v2"
)

// The files of an entity folder.
const (
	keyFile      = "key.avsc"
	valueFile    = "value.avsc"
	envelopeFile = "envelope.avsc"
)

// envelopeFields are the envelope's fields, in the order its schema must list them.
var envelopeFields = []string{"before", "after", "source", "op", "ts_ms"}

// Set is the loaded schemas: the entities and every schema by fingerprint.
type Set struct {
	entities map[string]*Entity
	names    []string
	// byFingerprint holds every loaded file's schema by the CRC-64-AVRO
	// fingerprint of its Parsing Canonical Form.
	byFingerprint map[uint64]avro.Schema
}

// Entity is the schemas of one entity.
type Entity struct {
	// Name is the entity folder's path, e.g. "tiki/form_response".
	Name string
	// Key is the key schema; Value is the schema of a Kafka record's value:
	// the envelope, or the entity record itself for the Flat shape.
	Key, Value avro.Schema
	// KeyText and ValueText are the self-contained JSON texts of Key and
	// Value, docs included: what gets registered.
	KeyText, ValueText string
	// Record is the entity record (value.avsc) on its own.
	Record avro.Schema

	keyFingerprint, valueFingerprint uint64
	recordText                       string
	recordFingerprint                uint64
	flat                             bool
}

// Flat is e in the flat shape (Debezium's "new record state"): a Kafka
// record's value is the entity record alone, value.avsc, rather than the
// envelope; a Codec of it encodes an Envelope's After. The key is the
// same.
func (e *Entity) Flat() *Entity {
	f := *e
	f.Value, f.ValueText, f.valueFingerprint, f.flat = e.Record, e.recordText, e.recordFingerprint, true
	return &f
}

// document is one parsed .avsc file.
type document struct {
	file        string
	text        string
	schema      avro.Schema
	fingerprint uint64
}

// Load reads every .avsc file of fsys. A folder holding key.avsc,
// value.avsc or envelope.avsc is an entity folder and must hold all three;
// the entity is named by the folder's path. Other .avsc files (source.avsc)
// define shared named types.
//
// Files may reference named types of any loaded file by name. Each file is
// turned into a self-contained JSON text (a referenced type's definition
// inlined at its first use, docs, defaults and logical types kept) and
// parsed on its own with a fresh schema cache; errors name the file.
func Load(fsys fs.FS) (*Set, error) {
	trees := map[string]any{}
	entityDirs := map[string]bool{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || path.Ext(p) != ".avsc" {
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		tree, err := parseJSON(data)
		if err != nil {
			return fmt.Errorf("schema: %s: invalid JSON: %w", p, err)
		}
		trees[p] = tree
		switch path.Base(p) {
		case keyFile, valueFile, envelopeFile:
			dir := path.Dir(p)
			if dir == "." {
				return fmt.Errorf("schema: %s: entity files belong in an entity folder such as <provider>/<entity>/", p)
			}
			entityDirs[dir] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(trees) == 0 {
		return nil, errors.New("schema: no .avsc files found")
	}

	files := slices.Sorted(maps.Keys(trees))
	defs := map[string]*definition{}
	for _, p := range files {
		if err := collect(defs, p, trees[p], ""); err != nil {
			return nil, fmt.Errorf("schema: %s: %w", p, err)
		}
	}

	s := &Set{entities: map[string]*Entity{}, byFingerprint: map[uint64]avro.Schema{}}
	docs := map[string]*document{}
	failed := map[string]error{}
	deps := map[string]map[string]bool{}
	fileByFingerprint := map[uint64]string{}
	for _, p := range files {
		doc, err := parseDocument(p, trees[p], defs, deps)
		if err != nil {
			failed[p] = err
			continue
		}
		if prev, dup := fileByFingerprint[doc.fingerprint]; dup {
			return nil, fmt.Errorf("schema: %s: same fingerprint %016x as %s", p, doc.fingerprint, prev)
		}
		fileByFingerprint[doc.fingerprint] = p
		docs[p] = doc
		s.byFingerprint[doc.fingerprint] = doc.schema
	}
	if len(failed) > 0 {
		return nil, rootCauses(files, failed, deps)
	}

	s.names = slices.Sorted(maps.Keys(entityDirs))
	for _, dir := range s.names {
		e, err := newEntity(dir, docs)
		if err != nil {
			return nil, err
		}
		s.entities[dir] = e
	}
	return s, nil
}

// parseDocument builds the self-contained text of the file p and parses it
// with a fresh cache, so nothing outside the text can satisfy a reference.
// It records in deps[p] the files whose definitions it inlined.
func parseDocument(p string, tree any, defs map[string]*definition, deps map[string]map[string]bool) (*document, error) {
	in := &inliner{defs: defs, seen: map[string]bool{}, files: map[string]bool{}}
	deps[p] = in.files
	full, err := in.schema(tree, "")
	if err != nil {
		return nil, fmt.Errorf("schema: %s: %w", p, err)
	}
	text := string(appendJSON(nil, full))
	parsed, err := avro.ParseWithCache(text, "", &avro.SchemaCache{})
	if err != nil {
		return nil, fmt.Errorf("schema: %s: %w", p, err)
	}
	return &document{file: p, text: text, schema: parsed, fingerprint: fingerprint(parsed)}, nil
}

// rootCauses reports the failed files that inline nothing from another
// failed file: a broken definition is reported once, in its own file, not in
// every file that uses it. When every failure has a failed dependency (they
// reference each other), all are reported.
func rootCauses(files []string, failed map[string]error, deps map[string]map[string]bool) error {
	var roots, all []error
	for _, p := range files {
		err, ok := failed[p]
		if !ok {
			continue
		}
		all = append(all, err)
		root := true
		for dep := range deps[p] {
			if _, bad := failed[dep]; bad && dep != p {
				root = false
			}
		}
		if root {
			roots = append(roots, err)
		}
	}
	if len(roots) == 0 {
		return errors.Join(all...)
	}
	return errors.Join(roots...)
}

func newEntity(dir string, docs map[string]*document) (*Entity, error) {
	var key, value, envelope *document
	for _, f := range []struct {
		name string
		doc  **document
	}{{keyFile, &key}, {valueFile, &value}, {envelopeFile, &envelope}} {
		p := path.Join(dir, f.name)
		d, ok := docs[p]
		if !ok {
			return nil, fmt.Errorf("schema: entity %s: missing %s", dir, p)
		}
		if d.schema.Type() != avro.Record {
			return nil, fmt.Errorf("schema: %s: top-level type is %s, want a record", p, d.schema.Type())
		}
		*f.doc = d
	}
	if err := checkEnvelope(envelope.schema.(*avro.RecordSchema), value.schema.(*avro.RecordSchema)); err != nil {
		return nil, fmt.Errorf("schema: %s: %w", envelope.file, err)
	}
	return &Entity{
		Name:              dir,
		Key:               key.schema,
		Value:             envelope.schema,
		KeyText:           key.text,
		ValueText:         envelope.text,
		Record:            value.schema,
		keyFingerprint:    key.fingerprint,
		valueFingerprint:  envelope.fingerprint,
		recordText:        value.text,
		recordFingerprint: value.fingerprint,
	}, nil
}

// checkEnvelope verifies that env has the envelope fields in order and that
// its before and after carry the entity record.
func checkEnvelope(env, record *avro.RecordSchema) error {
	names := make([]string, len(env.Fields()))
	for i, f := range env.Fields() {
		names[i] = f.Name()
	}
	if !slices.Equal(names, envelopeFields) {
		return fmt.Errorf("envelope fields are [%s], want [%s]", strings.Join(names, " "), strings.Join(envelopeFields, " "))
	}
	for _, f := range env.Fields()[:2] {
		if !nullableOf(f.Type(), record.FullName()) {
			return fmt.Errorf("field %s must be [\"null\", %q]", f.Name(), record.FullName())
		}
	}
	return nil
}

// nullableOf reports whether s is the union of null and the named type full.
func nullableOf(s avro.Schema, full string) bool {
	u, ok := s.(*avro.UnionSchema)
	if !ok || len(u.Types()) != 2 || u.Types()[0].Type() != avro.Null {
		return false
	}
	n, ok := deref(u.Types()[1]).(avro.NamedSchema)
	return ok && n.FullName() == full
}

// Entity returns the entity named name, e.g. "tiki/form_response".
func (s *Set) Entity(name string) (*Entity, error) {
	e, ok := s.entities[name]
	if !ok {
		return nil, fmt.Errorf("schema: unknown entity %q (known: %s)", name, strings.Join(s.names, ", "))
	}
	return e, nil
}

// Names returns the entity names, sorted.
func (s *Set) Names() []string {
	return slices.Clone(s.names)
}
