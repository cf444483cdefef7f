package schema_test

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vnstream/connector/pkg/schema"
	"github.com/vnstream/connector/pkg/source/tiki"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// typedEnvelope is how a consumer knowing the entity type decodes an envelope.
type typedEnvelope struct {
	Before *tiki.FormResponse `avro:"before"`
	After  *tiki.FormResponse `avro:"after"`
	Source schema.SourceInfo  `avro:"source"`
	Op     string             `avro:"op"`
	TsMs   int64              `avro:"ts_ms"`
}

// fixedEvent is one form response event with every value fixed.
func fixedEvent() (tiki.Key, *schema.Envelope) {
	extra := `{"campaign":"tet-2025"}`
	fr := &tiki.FormResponse{
		ID:        "1234567890123",
		FormID:    "42",
		CreatedAt: time.Date(2025, 3, 14, 9, 26, 53, 589_000_000, time.UTC),
		Inputs:    `{"name":"Nguyễn Văn A","phone":"0901234567"}`,
		ExtraJSON: &extra,
	}
	return tiki.Key{ID: fr.ID}, &schema.Envelope{
		After: fr,
		Source: schema.SourceInfo{
			Version:   "0.1.0",
			Connector: "vnstream",
			Provider:  "tiki_lead",
			Source:    "tiki-main",
			TsMs:      fr.CreatedAt.UnixMilli(),
			Snapshot:  true,
			Position:  "2025-03-14T09:26:53Z/1234567890123",
		},
		Op:   "r",
		TsMs: time.Date(2025, 3, 14, 10, 0, 0, 0, time.UTC).UnixMilli(),
	}
}

// fixedFrames are the key and value frames c writes for fixedEvent.
func fixedFrames(t *testing.T, c *schema.Codec) (key, value []byte) {
	t.Helper()
	k, env := fixedEvent()
	key, err := c.AppendKey(nil, k)
	if err != nil {
		t.Fatal(err)
	}
	if value, err = c.AppendValue(nil, env); err != nil {
		t.Fatal(err)
	}
	return key, value
}

func newSingleObjectCodec(t testing.TB) (*schema.Set, *schema.Codec) {
	t.Helper()
	set, e := loadTiki(t)
	c, err := schema.NewSingleObjectCodec(e, &tiki.FormResponse{})
	if err != nil {
		t.Fatal(err)
	}
	return set, c
}

// frameFingerprint checks the single-object header of frame against the
// codec's header value ("fp:<hex>") and returns the fingerprint.
func frameFingerprint(t *testing.T, frame []byte, header string) uint64 {
	t.Helper()
	hexFP, ok := strings.CutPrefix(header, "fp:")
	if !ok || len(hexFP) != 16 {
		t.Fatalf("schema header %q, want fp:<16 hex digits>", header)
	}
	fp, err := strconv.ParseUint(hexFP, 16, 64)
	if err != nil {
		t.Fatal(err)
	}
	if len(frame) < 10 || frame[0] != 0xC3 || frame[1] != 0x01 {
		t.Fatalf("frame starts % x, want c3 01", frame[:min(len(frame), 2)])
	}
	if got := binary.LittleEndian.Uint64(frame[2:10]); got != fp {
		t.Fatalf("frame fingerprint %016x, header says %016x", got, fp)
	}
	return fp
}

func TestSingleObjectRoundTrip(t *testing.T) {
	set, c := newSingleObjectCodec(t)
	key, env := fixedEvent()
	prefix := []byte("kept")

	kb, err := c.AppendKey(prefix, key)
	if err != nil {
		t.Fatal(err)
	}
	vb, err := c.AppendValue(prefix, env)
	if err != nil {
		t.Fatal(err)
	}
	if string(kb[:4]) != "kept" || string(vb[:4]) != "kept" {
		t.Fatal("Append did not keep dst")
	}
	kb, vb = kb[4:], vb[4:]
	keyFP := frameFingerprint(t, kb, c.KeySchema())
	valueFP := frameFingerprint(t, vb, c.ValueSchema())
	if keyFP == valueFP {
		t.Fatal("key and value frames carry the same fingerprint")
	}

	d := schema.NewDecoder(set, nil)
	ctx := context.Background()

	var gotKey tiki.Key
	if err := d.Decode(ctx, kb, &gotKey); err != nil {
		t.Fatal(err)
	}
	if gotKey != key {
		t.Errorf("key = %+v, want %+v", gotKey, key)
	}

	var got typedEnvelope
	if err := d.Decode(ctx, vb, &got); err != nil {
		t.Fatal(err)
	}
	want := typedEnvelope{After: env.After.(*tiki.FormResponse), Source: env.Source, Op: env.Op, TsMs: env.TsMs}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("typed envelope =\n%+v\nwant\n%+v", got, want)
	}

	var m map[string]any
	if err := d.Decode(ctx, vb, &m); err != nil {
		t.Fatal(err)
	}
	after, ok := m["after"].(map[string]any)[valueName].(map[string]any)
	if !ok {
		t.Fatalf("after = %#v, want a union value named %s", m["after"], valueName)
	}
	fr := env.After.(*tiki.FormResponse)
	for k, v := range map[string]any{
		"id":         fr.ID,
		"form_id":    fr.FormID,
		"created_at": fr.CreatedAt,
		"inputs":     fr.Inputs,
		"extra_json": *fr.ExtraJSON, // hamba decodes ["null","string"] to the string
	} {
		if !reflect.DeepEqual(after[k], v) {
			t.Errorf("after.%s = %#v, want %#v", k, after[k], v)
		}
	}
	if m["before"] != nil || m["op"] != "r" || m["ts_ms"] != env.TsMs {
		t.Errorf("envelope map = %v", m)
	}
	if src := m["source"].(map[string]any); src["provider"] != "tiki_lead" || src["snapshot"] != true || src["ts_ms"] != fr.CreatedAt.UnixMilli() {
		t.Errorf("source = %v", src)
	}
}

// After may hold the entity struct itself, not only a pointer to it; both
// encode the same, also when they alternate (the codec keeps the encoder
// of the last type it wrote).
func TestAfterByValue(t *testing.T) {
	_, c := newSingleObjectCodec(t)
	_, env := fixedEvent()
	ptr := env.After
	byPtr, err := c.AppendValue(nil, env)
	if err != nil {
		t.Fatal(err)
	}
	env.After = *env.After.(*tiki.FormResponse)
	byValue, err := c.AppendValue(nil, env)
	if err != nil {
		t.Fatal(err)
	}
	if string(byPtr) != string(byValue) {
		t.Errorf("by value % x\nby pointer % x", byValue, byPtr)
	}
	env.After = ptr
	if again, err := c.AppendValue(nil, env); err != nil || string(again) != string(byPtr) {
		t.Errorf("by pointer after by value: % x, %v\nwant % x", again, err, byPtr)
	}
	env.After = nil
	if _, err := c.AppendValue(nil, env); err != nil {
		t.Errorf("nil after: %v", err)
	}
}

func TestGoldenFrames(t *testing.T) {
	_, c := newSingleObjectCodec(t)
	kb, vb := fixedFrames(t, c)
	got := fmt.Sprintf("key %s\n%s\nvalue %s\n%s", c.KeySchema(), hex.Dump(kb), c.ValueSchema(), hex.Dump(vb))

	golden := filepath.Join("testdata", "tiki_form_response.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("frames differ from %s (run go test -update if the change is intended)\ngot:\n%s\nwant:\n%s", golden, got, want)
	}
}

func TestCodecErrors(t *testing.T) {
	_, e := loadTiki(t)
	type wrongValue struct {
		ID string `avro:"id"`
	}
	for _, c := range []struct {
		name      string
		valueType any
		want      string
	}{
		{"nil", nil, "non-nil pointer to a struct, got <nil>"},
		{"struct, not pointer", tiki.FormResponse{}, "got tiki.FormResponse"},
		{"nil pointer", (*tiki.FormResponse)(nil), "got *tiki.FormResponse"},
		{"missing fields", &wrongValue{}, "*schema_test.wrongValue does not encode with " + valueName},
	} {
		_, err := schema.NewSingleObjectCodec(e, c.valueType)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), tiki.Entity) {
			t.Errorf("%s: err = %v, want it to name %s and hold %q", c.name, err, tiki.Entity, c.want)
		}
	}

	_, codec := newSingleObjectCodec(t)
	dst := []byte("kept")
	got, err := codec.AppendKey(dst, struct{ Other int }{})
	if err == nil || !strings.Contains(err.Error(), "encode tiki/form_response key") {
		t.Errorf("AppendKey of a wrong type: err = %v", err)
	}
	if string(got) != "kept" {
		t.Errorf("AppendKey on error returned %q, want dst unchanged", got)
	}
	if _, err := codec.AppendValue(nil, nil); err == nil {
		t.Error("AppendValue(nil) succeeded")
	}
	_, env := fixedEvent()
	env.After = &wrongValue{ID: "1"}
	if _, err := codec.AppendValue(nil, env); err == nil || !strings.Contains(err.Error(), "encode tiki/form_response value") {
		t.Errorf("AppendValue with a foreign after: err = %v", err)
	}
}

func TestCodecConcurrent(t *testing.T) {
	_, c := newSingleObjectCodec(t)
	_, env := fixedEvent()
	want, err := c.AppendValue(nil, env)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			var buf []byte
			for range 200 {
				var err error
				if buf, err = c.AppendValue(buf[:0], env); err != nil || string(buf) != string(want) {
					t.Errorf("concurrent AppendValue = % x, %v", buf, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// A codec writes the envelope field by field; it refuses to start when
// that layout is not what its schema gives, e.g. a source block whose
// fields are in another order (hamba/avro would follow the schema).
func TestCodecRefusesAnotherEnvelopeLayout(t *testing.T) {
	m := embeddedFS(t)
	replaceIn(t, m, "source.avsc", `"name": "snapshot"`, `"name": "snapshot_swapped"`)
	replaceIn(t, m, "source.avsc", `"name": "ts_ms"`, `"name": "snapshot"`)
	replaceIn(t, m, "source.avsc", `"name": "snapshot_swapped"`, `"name": "ts_ms"`)
	replaceIn(t, m, "source.avsc", `"type": "long"`, `"type": "boolean_swapped"`)
	replaceIn(t, m, "source.avsc", `"type": "boolean"`, `"type": "long"`)
	replaceIn(t, m, "source.avsc", `"type": "boolean_swapped"`, `"type": "boolean"`)
	_, e := loadTikiFrom(t, m)
	_, err := schema.NewSingleObjectCodec(e, &tiki.FormResponse{})
	if err == nil || !strings.Contains(err.Error(), "the envelope's layout is not the one its schema gives") {
		t.Fatalf("err = %v, want the layout refused", err)
	}
	if _, err := schema.NewSingleObjectCodec(e.Flat(), &tiki.FormResponse{}); err != nil {
		t.Errorf("flat codec: %v (it has no envelope)", err)
	}
}
