package schema

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/sr"
)

// Decoder reads framed Avro values back: single-object frames (C3 01 +
// fingerprint) and Confluent frames (0 + schema id). It shares nothing with
// the Codec but the loaded schemas, so it checks what a Codec wrote. It is
// safe for concurrent use.
type Decoder struct {
	byFingerprint map[uint64]avro.Schema
	cl            *sr.Client
	api           avro.API

	mu   sync.RWMutex
	byID map[int]avro.Schema
}

// NewDecoder returns a Decoder resolving single-object frames by fingerprint
// among set's schemas (every loaded file's), and Confluent frames by id
// through the registry client cl, caching the schemas it fetched. cl may be
// nil when no Confluent frames are read.
func NewDecoder(set *Set, cl *sr.Client) *Decoder {
	d := &Decoder{cl: cl, api: avro.Config{}.Freeze(), byID: map[int]avro.Schema{}}
	if set != nil {
		d.byFingerprint = set.byFingerprint
	}
	return d
}

// Decode decodes the frame b with its writer schema into v, a pointer: e.g.
// a *map[string]any or a pointer to a struct with avro tags. A frame must
// hold exactly one value.
func (d *Decoder) Decode(ctx context.Context, b []byte, v any) error {
	s, payload, err := d.writerSchema(ctx, b)
	if err != nil {
		return err
	}
	return d.read(s, payload, v)
}

// read decodes payload, which must hold exactly one value of s, into v.
func (d *Decoder) read(s avro.Schema, payload []byte, v any) error {
	r := avro.NewReader(nil, 0, avro.WithReaderConfig(d.api)).Reset(payload)
	r.ReadVal(s, v)
	if r.Error != nil {
		return fmt.Errorf("schema: decode: %w", r.Error)
	}
	if r.Peek(); r.Error == nil {
		return errors.New("schema: decode: trailing bytes after the value")
	}
	return nil
}

// writerSchema returns the schema the frame b names and its Avro payload.
func (d *Decoder) writerSchema(ctx context.Context, b []byte) (avro.Schema, []byte, error) {
	switch {
	case len(b) == 0:
		return nil, nil, errors.New("schema: decode: empty frame")
	case b[0] == singleObjectMagic[0]:
		if len(b) < 10 {
			return nil, nil, fmt.Errorf("schema: decode: short single-object frame: %d bytes, want at least 10", len(b))
		}
		if b[1] != singleObjectMagic[1] {
			return nil, nil, fmt.Errorf("schema: decode: unknown magic % x, want c3 01", b[:2])
		}
		fp := binary.LittleEndian.Uint64(b[2:10])
		s, ok := d.byFingerprint[fp]
		if !ok {
			return nil, nil, fmt.Errorf("schema: decode: unknown schema fingerprint %016x", fp)
		}
		return s, b[10:], nil
	case b[0] == 0:
		if len(b) < 5 {
			return nil, nil, fmt.Errorf("schema: decode: short Confluent frame: %d bytes, want at least 5", len(b))
		}
		id := int(binary.BigEndian.Uint32(b[1:5]))
		s, err := d.registrySchema(ctx, id)
		if err != nil {
			return nil, nil, err
		}
		return s, b[5:], nil
	default:
		return nil, nil, fmt.Errorf("schema: decode: unknown magic byte %#02x, want c3 (single-object) or 00 (Confluent)", b[0])
	}
}

// registrySchema returns the schema of a registry id, fetching it once.
func (d *Decoder) registrySchema(ctx context.Context, id int) (avro.Schema, error) {
	d.mu.RLock()
	s, ok := d.byID[id]
	d.mu.RUnlock()
	if ok {
		return s, nil
	}
	if d.cl == nil {
		return nil, fmt.Errorf("schema: decode: Confluent frame with schema id %d but no registry client", id)
	}
	got, err := d.cl.SchemaByID(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("schema: decode: schema id %d: %w", id, err)
	}
	if got.Type != sr.TypeAvro {
		return nil, fmt.Errorf("schema: decode: schema id %d is a %s schema, not Avro", id, got.Type)
	}
	if len(got.References) > 0 {
		return nil, fmt.Errorf("schema: decode: schema id %d uses schema references, which are not resolved", id)
	}
	s, err = avro.ParseWithCache(got.Schema, "", &avro.SchemaCache{})
	if err != nil {
		return nil, fmt.Errorf("schema: decode: parse schema id %d: %w", id, err)
	}
	d.mu.Lock()
	d.byID[id] = s
	d.mu.Unlock()
	return s, nil
}
