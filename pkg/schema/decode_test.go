package schema_test

import (
	"context"
	"strings"
	"testing"

	"github.com/vnstream/connector/pkg/schema"
)

func TestDecodeErrors(t *testing.T) {
	set, c := newSingleObjectCodec(t)
	key, _ := fixedEvent()
	frame, err := c.AppendKey(nil, key)
	if err != nil {
		t.Fatal(err)
	}
	_, cl := newRegistry(t)

	unknownFP := append([]byte(nil), frame...)
	unknownFP[2] ^= 0xff
	for _, tc := range []struct {
		name  string
		frame []byte
		cl    bool
		want  string
	}{
		{"empty", nil, false, "empty frame"},
		{"unknown magic", []byte{0x7f, 1, 2}, false, "unknown magic byte 0x7f"},
		{"bad second magic byte", append([]byte{0xc3, 0x02}, frame[2:]...), false, "unknown magic c3 02"},
		{"short single-object", frame[:6], false, "short single-object frame: 6 bytes"},
		{"unknown fingerprint", unknownFP, false, "unknown schema fingerprint"},
		{"truncated payload", frame[:len(frame)-1], false, "unexpected EOF"},
		{"trailing bytes", append(append([]byte(nil), frame...), 0), false, "trailing bytes"},
		{"short Confluent", []byte{0, 0, 1}, false, "short Confluent frame: 3 bytes"},
		{"Confluent without client", []byte{0, 0, 0, 0, 7, 2}, false, "schema id 7 but no registry client"},
		{"unknown registry id", []byte{0, 0, 0, 0, 7, 2}, true, "schema id 7:"},
	} {
		d := schema.NewDecoder(set, nil)
		if tc.cl {
			d = schema.NewDecoder(set, cl)
		}
		var m map[string]any
		err := d.Decode(context.Background(), tc.frame, &m)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}
