package schema_test

import (
	"context"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/vnstream/connector/pkg/schema"
	"github.com/vnstream/connector/pkg/source/tiki"
)

// The flat shape writes the entity record alone, framed with value.avsc's
// own fingerprint, and the key as the envelope shape does.
func TestFlatSingleObject(t *testing.T) {
	set, e := loadTiki(t)
	flat := e.Flat()
	if flat.Value != e.Record || e.Value == e.Record || flat.Key != e.Key || !strings.Contains(flat.ValueText, `"connector.tiki.form_response.Value"`) ||
		strings.Contains(flat.ValueText, "Envelope") {
		t.Fatalf("Flat: value %s", flat.ValueText)
	}
	c, err := schema.NewSingleObjectCodec(flat, &tiki.FormResponse{})
	if err != nil {
		t.Fatal(err)
	}
	envelope, err := schema.NewSingleObjectCodec(e, &tiki.FormResponse{})
	if err != nil {
		t.Fatal(err)
	}
	key, env := fixedEvent()
	kb, vb := fixedFrames(t, c)
	ekb, _ := fixedFrames(t, envelope)
	if string(kb) != string(ekb) || c.KeySchema() != envelope.KeySchema() || c.ValueSchema() == envelope.ValueSchema() {
		t.Fatalf("flat key %x (%s), value schema %s; envelope key %x (%s), value schema %s", kb, c.KeySchema(), c.ValueSchema(), ekb, envelope.KeySchema(), envelope.ValueSchema())
	}
	frameFingerprint(t, vb, c.ValueSchema())
	// The decoder finds the writer schema by the frame's fingerprint among
	// the loaded files': value.avsc's, as the record decodes.
	var got tiki.FormResponse
	if err := schema.NewDecoder(set, nil).Decode(context.Background(), vb, &got); err != nil {
		t.Fatal(err)
	}
	if want := env.After.(*tiki.FormResponse); !reflect.DeepEqual(&got, want) {
		t.Errorf("decoded %+v, want %+v (key %v)", got, want, key)
	}
}

// With a registry, the flat shape registers value.avsc as <topic>-value.
func TestFlatRegistry(t *testing.T) {
	_, cl := newRegistry(t)
	_, e := loadTiki(t)
	c, err := schema.NewRegistryCodec(context.Background(), cl, topic, e.Flat(), &tiki.FormResponse{}, "")
	if err != nil {
		t.Fatal(err)
	}
	got, err := cl.SchemaByVersion(context.Background(), topic+"-value", -1)
	if err != nil || got.Type != sr.TypeAvro || !strings.Contains(got.Schema.Schema, `"connector.tiki.form_response.Value"`) || strings.Contains(got.Schema.Schema, "Envelope") ||
		c.ValueSchema() != "id:"+strconv.Itoa(got.ID) {
		t.Fatalf("registered %s: %+v, %v; codec %s", topic+"-value", got, err, c.ValueSchema())
	}
}
