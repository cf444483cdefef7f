package schema

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/hamba/avro/v2"
	"github.com/modern-go/reflect2"
)

// singleObjectMagic starts an Avro single-object encoded frame.
var singleObjectMagic = [2]byte{0xC3, 0x01}

// maxPooledBuffer caps the buffer of an encoding writer kept for reuse; a
// writer that grew larger on an unusually big event is left to the GC.
const maxPooledBuffer = 64 << 10

// Codec encodes the keys and envelopes of one entity on one topic: a frame
// header naming the writer schema, then the Avro binary encoding. It is safe
// for concurrent use.
type Codec struct {
	entity                 string
	flat                   bool // the value is the entity record, Envelope.After
	key, value             encoder
	record                 encoder // the entity record
	keyPrefix, valuePrefix []byte
	keySchema, valueSchema string
	writers                sync.Pool // of *avro.Writer of the codec's own API
}

// encoder writes values with one schema, keeping hamba's encoder of the
// last Go type it wrote. hamba's Writer.WriteVal finds the encoder in a
// sync.Map, keyed by the schema's fingerprint and the type, on every call:
// for the key and the entity of each event, 4 % of the connector's CPU in
// cmd/bench's tiki_lead profile.
type encoder struct {
	api    avro.API
	schema avro.Schema
	last   *atomic.Pointer[typedEncoder]
}

// typedEncoder is hamba's encoder of the Go type rtype.
type typedEncoder struct {
	rtype uintptr
	enc   avro.ValEncoder
}

func newEncoder(api avro.API, s avro.Schema) encoder {
	return encoder{api: api, schema: s, last: new(atomic.Pointer[typedEncoder])}
}

// write writes v as w.WriteVal(e.schema, v) does.
func (e encoder) write(w *avro.Writer, v any) {
	rtype := reflect2.RTypeOf(v)
	t := e.last.Load()
	if t == nil || t.rtype != rtype {
		t = &typedEncoder{rtype: rtype, enc: e.api.EncoderOf(e.schema, reflect2.TypeOf(v))}
		e.last.Store(t)
	}
	t.enc.Encode(reflect2.PtrOf(v), w)
}

// NewSingleObjectCodec returns a Codec writing Avro single-object encoding:
// C3 01, the 8-byte little-endian CRC-64-AVRO fingerprint of the schema's
// Parsing Canonical Form, then the Avro binary encoding. KeySchema and
// ValueSchema are "fp:" and the fingerprint as 16 hex digits.
//
// valueType is a pointer to the Go entity struct (e.g. &tiki.FormResponse{});
// its struct type is registered under the entity record's full name in the
// codec's own avro API, so Envelope.After may hold a pointer to the struct
// or the struct itself. The codec checks at once that valueType and
// SourceInfo encode with the envelope schema.
func NewSingleObjectCodec(e *Entity, valueType any) (*Codec, error) {
	c, err := newCodec(e, valueType)
	if err != nil {
		return nil, err
	}
	c.keyPrefix, c.keySchema = singleObjectFraming(e.keyFingerprint)
	c.valuePrefix, c.valueSchema = singleObjectFraming(e.valueFingerprint)
	return c, nil
}

func singleObjectFraming(fp uint64) ([]byte, string) {
	prefix := binary.LittleEndian.AppendUint64(singleObjectMagic[:], fp)
	return prefix, fmt.Sprintf("fp:%016x", fp)
}

func newCodec(e *Entity, valueType any) (*Codec, error) {
	if e == nil {
		return nil, errors.New("schema: codec: nil entity")
	}
	rv := reflect.ValueOf(valueType)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("schema: codec for %s: value type must be a non-nil pointer to a struct, got %T", e.Name, valueType)
	}
	record := e.Record.(*avro.RecordSchema) // Load accepts only records
	api := avro.Config{}.Freeze()
	// hamba encodes a pointer held by an `any` in a nullable union without
	// help; the struct type itself must be registered under its union name.
	api.Register(record.FullName(), rv.Elem().Interface())
	var probe any = &Envelope{After: valueType}
	if e.flat {
		probe = valueType
	}
	if _, err := api.Marshal(e.Value, probe); err != nil {
		return nil, fmt.Errorf("schema: codec for %s: %T does not encode with %s: %w", e.Name, valueType, record.FullName(), err)
	}
	c := &Codec{entity: e.Name, flat: e.flat, key: newEncoder(api, e.Key), value: newEncoder(api, e.Value), record: newEncoder(api, record)}
	c.writers.New = func() any { return avro.NewWriter(nil, 512, avro.WithWriterConfig(api)) }
	if !e.flat {
		if err := c.checkLayout(api, valueType); err != nil {
			return nil, fmt.Errorf("schema: codec for %s: %w", e.Name, err)
		}
	}
	return c, nil
}

// writeEnvelope writes env in the layout of an envelope schema, which
// Load checks (before, after, source, op, ts_ms; before and after the
// nullable entity record): the entity through hamba/avro, the rest field
// by field. Encoding the whole Envelope through hamba looked up an encoder
// in its cache three times per event (the envelope, and the `any` in
// before and after), 7 % of the connector's CPU in cmd/bench's Tiki run;
// writing the fields takes one lookup. checkLayout compares the two at
// start-up.
func (c *Codec) writeEnvelope(w *avro.Writer, env *Envelope) {
	c.writeNullable(w, env.Before)
	c.writeNullable(w, env.After)
	s := &env.Source
	w.WriteString(s.Version)
	w.WriteString(s.Connector)
	w.WriteString(s.Provider)
	w.WriteString(s.Source)
	w.WriteLong(s.TsMs)
	w.WriteBool(s.Snapshot)
	w.WriteString(s.Position)
	w.WriteString(env.Op)
	w.WriteLong(env.TsMs)
}

// writeNullable writes v as the union of null and the entity record:
// branch 0 for nil (a nil pointer included), else branch 1 and v.
func (c *Codec) writeNullable(w *avro.Writer, v any) {
	if rv := reflect.ValueOf(v); !rv.IsValid() || (rv.Kind() == reflect.Pointer && rv.IsNil()) {
		w.WriteLong(0)
		return
	}
	w.WriteLong(1)
	c.record.write(w, v)
}

// checkLayout reports whether writeEnvelope writes what hamba/avro
// writes for the same envelope with the codec's value schema.
func (c *Codec) checkLayout(api avro.API, valueType any) error {
	env := &Envelope{After: valueType, Op: "u", TsMs: -1, Source: SourceInfo{
		Version: "v", Connector: "c", Provider: "p", Source: "s", TsMs: 1 << 40, Snapshot: true, Position: "x"}}
	want, err := api.Marshal(c.value.schema, env)
	if err != nil {
		return err
	}
	w := c.writers.Get().(*avro.Writer)
	defer c.writers.Put(w)
	w.Reset(nil)
	c.writeEnvelope(w, env)
	if w.Error != nil || !bytes.Equal(w.Buffer(), want) {
		return fmt.Errorf("the envelope's layout is not the one its schema gives (%x, want %x; %v)", w.Buffer(), want, w.Error)
	}
	return nil
}

// AppendKey appends the framed encoding of key, a struct (or pointer to one)
// matching the entity's key schema, to dst.
func (c *Codec) AppendKey(dst []byte, key any) ([]byte, error) {
	out, err := c.append(dst, c.keyPrefix, c.key, key)
	if err != nil {
		return dst, fmt.Errorf("schema: encode %s key: %w", c.entity, err)
	}
	return out, nil
}

// AppendValue appends the framed encoding of env to dst: of env itself, or
// of env.After alone for a codec of the Flat shape.
func (c *Codec) AppendValue(dst []byte, env *Envelope) ([]byte, error) {
	if env == nil {
		return dst, fmt.Errorf("schema: encode %s value: nil envelope", c.entity)
	}
	var out []byte
	var err error
	if c.flat {
		out, err = c.append(dst, c.valuePrefix, c.value, env.After)
	} else {
		out, err = c.appendWith(dst, c.valuePrefix, func(w *avro.Writer) { c.writeEnvelope(w, env) })
	}
	if err != nil {
		return dst, fmt.Errorf("schema: encode %s value: %w", c.entity, err)
	}
	return out, nil
}

// append encodes v with a pooled writer of the codec's API and appends the
// prefix and the encoding to dst; on error dst is returned unchanged.
func (c *Codec) append(dst, prefix []byte, e encoder, v any) ([]byte, error) {
	return c.appendWith(dst, prefix, func(w *avro.Writer) { e.write(w, v) })
}

// appendWith is append with write writing the value.
func (c *Codec) appendWith(dst, prefix []byte, write func(*avro.Writer)) ([]byte, error) {
	w := c.writers.Get().(*avro.Writer)
	w.Reset(nil)
	write(w)
	err := w.Error
	if err == nil {
		dst = slices.Grow(dst, len(prefix)+len(w.Buffer()))
		dst = append(dst, prefix...)
		dst = append(dst, w.Buffer()...)
	}
	w.Error = nil
	if cap(w.Buffer()) <= maxPooledBuffer {
		c.writers.Put(w)
	}
	return dst, err
}

// KeySchema names the key's writer schema, for a record header:
// "fp:<16 hex digits>" for single-object encoding, "id:<n>" for the registry.
func (c *Codec) KeySchema() string { return c.keySchema }

// ValueSchema names the value's writer schema like KeySchema.
func (c *Codec) ValueSchema() string { return c.valueSchema }
