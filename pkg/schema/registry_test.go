package schema_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/vnstream/connector/pkg/schema"
	"github.com/vnstream/connector/pkg/source/tiki"
)

const topic = "tiki.lead.form-responses"

// newRegistry starts a fake registry on 127.0.0.1, closed when the test ends.
func newRegistry(t *testing.T) (*srfake.Registry, *sr.Client) {
	t.Helper()
	reg := srfake.New()
	t.Cleanup(reg.Close)
	if !strings.HasPrefix(reg.URL(), "http://127.0.0.1:") {
		t.Fatalf("fake registry serves on %s, want 127.0.0.1", reg.URL())
	}
	cl, err := sr.NewClient(sr.URLs(reg.URL()))
	if err != nil {
		t.Fatal(err)
	}
	return reg, cl
}

// schemaID parses a codec's "id:<n>" header value.
func schemaID(t *testing.T, header string) int {
	t.Helper()
	s, ok := strings.CutPrefix(header, "id:")
	id, err := strconv.Atoi(s)
	if !ok || err != nil || id <= 0 {
		t.Fatalf("schema header %q, want id:<n>", header)
	}
	return id
}

func TestRegistryStartsAndRoundTrip(t *testing.T) {
	reg, cl := newRegistry(t)
	var fetchedByID atomic.Int32
	reg.Intercept(func(_ http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/schemas/ids/") {
			fetchedByID.Add(1)
		}
		return false
	})
	ctx := context.Background()
	set, e := loadTiki(t)

	first, err := schema.NewRegistryCodec(ctx, cl, topic, e, &tiki.FormResponse{}, "")
	if err != nil {
		t.Fatal(err)
	}
	keyID, valueID := schemaID(t, first.KeySchema()), schemaID(t, first.ValueSchema())
	for _, c := range []struct {
		subject, text string
		id            int
	}{{topic + "-key", e.KeyText, keyID}, {topic + "-value", e.ValueText, valueID}} {
		got, ok := reg.GetSchema(c.subject, 1)
		if !ok {
			t.Fatalf("subject %s not registered", c.subject)
		}
		if got.ID != c.id || got.Schema.Schema != c.text || got.Type != sr.TypeAvro {
			t.Errorf("subject %s: id %d type %s text %s, want id %d and the entity's text", c.subject, got.ID, got.Type, got.Schema.Schema, c.id)
		}
	}

	second, err := schema.NewRegistryCodec(ctx, cl, topic, e, &tiki.FormResponse{}, schema.CompatBackward)
	if err != nil {
		t.Fatal(err)
	}
	if second.KeySchema() != first.KeySchema() || second.ValueSchema() != first.ValueSchema() {
		t.Errorf("second start: %s %s, want the first start's %s %s", second.KeySchema(), second.ValueSchema(), first.KeySchema(), first.ValueSchema())
	}
	for _, subject := range []string{topic + "-key", topic + "-value"} {
		if versions, err := cl.SubjectVersions(ctx, subject); err != nil || !slices.Equal(versions, []int{1}) {
			t.Errorf("subject %s versions %v (%v), want [1]", subject, versions, err)
		}
	}

	key, env := fixedEvent()
	kb, err := second.AppendKey(nil, &key)
	if err != nil {
		t.Fatal(err)
	}
	vb, err := second.AppendValue(nil, env)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		frame []byte
		id    int
	}{{kb, keyID}, {vb, valueID}} {
		if len(c.frame) < 5 || c.frame[0] != 0 || binary.BigEndian.Uint32(c.frame[1:5]) != uint32(c.id) {
			t.Fatalf("frame starts % x, want 00 and id %d", c.frame[:min(len(c.frame), 5)], c.id)
		}
	}

	d := schema.NewDecoder(set, cl)
	for range 2 { // the second round is served from the decoder's cache
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
		if !reflect.DeepEqual(got.After, env.After) || got.Source != env.Source || got.Op != env.Op || got.TsMs != env.TsMs {
			t.Errorf("envelope = %+v, want %+v", got, env)
		}
		var m map[string]any
		if err := d.Decode(ctx, vb, &m); err != nil {
			t.Fatal(err)
		}
		if m["op"] != "r" {
			t.Errorf("map envelope = %v", m)
		}
	}
	if n := fetchedByID.Load(); n != 2 {
		t.Errorf("decoder fetched schemas by id %d times, want 2 (key and value, then cached)", n)
	}
}

// formResponseV2 is the Go type of the form response with a new required field.
type formResponseV2 struct {
	ID         string    `avro:"id"`
	FormID     string    `avro:"form_id"`
	CampaignID string    `avro:"campaign_id"`
	CreatedAt  time.Time `avro:"created_at"`
	Inputs     string    `avro:"inputs"`
	ExtraJSON  *string   `avro:"extra_json"`
}

// entityV2 loads the form response entity with a required campaign_id
// field (no default) added to value.avsc.
func entityV2(t *testing.T) *schema.Entity {
	t.Helper()
	m := embeddedFS(t)
	replaceIn(t, m, "tiki/form_response/value.avsc", `{
      "name": "created_at"`, `{
      "name": "campaign_id",
      "type": "string",
      "doc": "Id of the ad campaign that brought the user."
    },
    {
      "name": "created_at"`)
	_, e := loadTikiFrom(t, m)
	return e
}

func TestRegistryCompatibility(t *testing.T) {
	_, cl := newRegistry(t)
	ctx := context.Background()
	_, v1 := loadTiki(t)
	v2 := entityV2(t)

	c1, err := schema.NewRegistryCodec(ctx, cl, topic, v1, &tiki.FormResponse{}, schema.CompatBackward)
	if err != nil {
		t.Fatal(err)
	}
	v1ID := schemaID(t, c1.ValueSchema())

	// Latest is v1. A reader using v2 cannot read v1 data: campaign_id has
	// no default. BACKWARD and FULL refuse v2 and name the field.
	for _, compat := range []schema.Compatibility{schema.CompatBackward, schema.CompatFull} {
		_, err := schema.NewRegistryCodec(ctx, cl, topic, v2, &formResponseV2{}, compat)
		want := `schema registry: subject "` + topic + `-value": new schema is not ` + string(compat) +
			` compatible with version 1 (id ` + strconv.Itoa(v1ID) + `): `
		if !errors.Is(err, schema.ErrIncompatible) || !strings.HasPrefix(err.Error(), want) ||
			!strings.Contains(err.Error(), "field before.campaign_id: reader field campaign_id is missing in writer schema and has no default") {
			t.Errorf("%s: err = %v\nwant %s... naming before.campaign_id", compat, err, want)
		}
	}

	// NONE skips the check and registers v2 as version 2.
	c2, err := schema.NewRegistryCodec(ctx, cl, topic, v2, &formResponseV2{}, schema.CompatNone)
	if err != nil {
		t.Fatal(err)
	}
	if c2.ValueSchema() == c1.ValueSchema() || c2.KeySchema() != c1.KeySchema() {
		t.Errorf("after NONE: key %s value %s, want the key's id kept and a new value id (was %s)", c2.KeySchema(), c2.ValueSchema(), c1.ValueSchema())
	}
	if versions, err := cl.SubjectVersions(ctx, topic+"-value"); err != nil || !slices.Equal(versions, []int{1, 2}) {
		t.Errorf("value versions %v (%v), want [1 2]", versions, err)
	}

	// Latest is now v2. Going back to v1 is BACKWARD (a v1 reader ignores
	// campaign_id) but not FORWARD (a v2 reader needs campaign_id).
	if _, err := schema.NewRegistryCodec(ctx, cl, topic, v1, &tiki.FormResponse{}, schema.CompatForward); err == nil ||
		!strings.Contains(err.Error(), "not FORWARD compatible with version 2") || !strings.Contains(err.Error(), "campaign_id") {
		t.Errorf("FORWARD back to v1: err = %v", err)
	}
	if _, err := schema.NewRegistryCodec(ctx, cl, topic, v1, &tiki.FormResponse{}, schema.CompatBackward); err != nil {
		t.Errorf("BACKWARD back to v1: %v", err)
	}
}

func TestRegistryErrors(t *testing.T) {
	reg, cl := newRegistry(t)
	ctx := context.Background()
	_, e := loadTiki(t)

	if _, err := schema.NewRegistryCodec(ctx, nil, topic, e, &tiki.FormResponse{}, ""); err == nil {
		t.Error("nil client accepted")
	}
	if _, err := schema.NewRegistryCodec(ctx, cl, "", e, &tiki.FormResponse{}, ""); err == nil {
		t.Error("empty topic accepted")
	}
	if _, err := schema.NewRegistryCodec(ctx, cl, topic, e, &tiki.FormResponse{}, "SIDEWAYS"); err == nil || !strings.Contains(err.Error(), `"SIDEWAYS"`) {
		t.Errorf("unknown compatibility: err = %v", err)
	}
	if reg.SubjectExists(topic + "-key") {
		t.Error("a failed start registered a subject")
	}

	// A 409 is a refusal, a 503 is not: it may pass.
	status := http.StatusConflict
	reg.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodPost {
			return false
		}
		w.Header().Set("Content-Type", "application/vnd.schemaregistry.v1+json")
		w.WriteHeader(status)
		_, _ = fmt.Fprintf(w, `{"error_code":%d,"message":"Schema being registered is incompatible with an earlier schema"}`, status)
		return true
	})
	_, err := schema.NewRegistryCodec(ctx, cl, topic, e, &tiki.FormResponse{}, schema.CompatNone)
	if !errors.Is(err, schema.ErrRefused) ||
		!strings.Contains(err.Error(), `subject "`+topic+`-key": register: refused by the registry (HTTP 409, error code 409): Schema being registered is incompatible`) {
		t.Errorf("registry refusal: err = %v", err)
	}
	status = http.StatusServiceUnavailable
	if _, err := schema.NewRegistryCodec(ctx, cl, topic, e, &tiki.FormResponse{}, schema.CompatNone); err == nil || errors.Is(err, schema.ErrRefused) {
		t.Errorf("registry answering 503: err = %v, want an error that is not a refusal", err)
	}
}

func TestParseCompatibility(t *testing.T) {
	for in, want := range map[string]schema.Compatibility{
		"":         schema.CompatBackward,
		"BACKWARD": schema.CompatBackward,
		"forward":  schema.CompatForward,
		" Full ":   schema.CompatFull,
		"NONE":     schema.CompatNone,
	} {
		if got, err := schema.ParseCompatibility(in); err != nil || got != want {
			t.Errorf("ParseCompatibility(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := schema.ParseCompatibility("BACKWARD_TRANSITIVE"); err == nil {
		t.Error("BACKWARD_TRANSITIVE accepted")
	}
}
