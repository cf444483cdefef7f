package source

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

func TestKindArticle(t *testing.T) {
	for v, want := range map[string]string{`"x"`: "a string", `{}`: "an object", `[1]`: "an array", `true`: "a boolean", `-1.5`: "a number", `null`: "null"} {
		if got := KindArticle(v); got != want {
			t.Errorf("KindArticle(%s) = %q, want %q", v, got, want)
		}
	}
}

func TestRecordText(t *testing.T) {
	raw := []byte(`{"id":"42","name":"Hà Nội","zz":1}`)
	var id, name []byte
	v := NewValidator(raw)
	if !v.Object() {
		t.Fatal("not an object")
	}
	for {
		key, ok := v.Member()
		if !ok {
			break
		}
		val := v.Value()
		if val == nil {
			t.Fatal("bad value")
		}
		switch string(key) {
		case `"id"`:
			id = val
		case `"name"`:
			name = val
		}
	}
	txt := NewRecordText(raw, AppendMember(nil, []byte(`"zz"`), []byte(`1`)))
	if got := txt.Of(id); got != `"42"` {
		t.Errorf("Of(id) = %s", got)
	}
	if got := txt.Of(name); got != `"Hà Nội"` {
		t.Errorf("Of(name) = %s", got)
	}
	if got := txt.Extra(); got != `{"zz":1}` {
		t.Errorf("Extra = %s", got)
	}
	if got := NewRecordText(raw, nil).Extra(); got != "" {
		t.Errorf("Extra without unknown members = %q", got)
	}
}

// AppendString writes what encoding/json reads back as the same string.
func TestAppendString(t *testing.T) {
	for _, s := range []string{"", "Khách hàng Hà Nội", `a"b\c`, "tab\tnl\n\x00\x1f", "<&>", "bad \xff utf-8"} {
		b := AppendString([]byte("x"), s)
		var got string
		if b[0] != 'x' || json.Unmarshal(b[1:], &got) != nil || (utf8.ValidString(s) && got != s) || !utf8.ValidString(got) {
			t.Errorf("AppendString(%q) = %s, read back as %q", s, b, got)
		}
	}
}
