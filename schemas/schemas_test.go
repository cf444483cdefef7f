package schemas

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"testing"
)

func TestEmbedded(t *testing.T) {
	for _, p := range []string{
		"source.avsc",
		"tiki/form_response/key.avsc",
		"tiki/form_response/value.avsc",
		"tiki/form_response/envelope.avsc",
		"zalo/zns_message/key.avsc",
		"zalo/zns_message/value.avsc",
		"zalo/zns_message/envelope.avsc",
		"nxlink/customer/key.avsc",
		"nxlink/customer/value.avsc",
		"nxlink/customer/envelope.avsc",
		"nhanh/conversation/key.avsc",
		"nhanh/conversation/value.avsc",
		"nhanh/conversation/envelope.avsc",
	} {
		if _, err := fs.Stat(FS, p); err != nil {
			t.Errorf("%s not embedded: %v", p, err)
		}
	}
}

// Every file is JSON, and every named type and every field has a doc.
func TestEverythingDocumented(t *testing.T) {
	n := 0
	err := fs.WalkDir(FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if path.Ext(p) != ".avsc" {
			return fmt.Errorf("%s: not a schema file", p)
		}
		data, err := fs.ReadFile(FS, p)
		if err != nil {
			return err
		}
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		n++
		for _, missing := range undocumented(v, "") {
			t.Errorf("%s: %s has no doc", p, missing)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no schema files")
	}
}

// undocumented lists the named types and fields in v without a "doc".
func undocumented(v any, at string) []string {
	var out []string
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			out = append(out, undocumented(e, at)...)
		}
	case map[string]any:
		switch v["type"] {
		case "record", "enum", "fixed":
			name, _ := v["name"].(string)
			at = name
			if doc, _ := v["doc"].(string); doc == "" {
				out = append(out, "type "+name)
			}
			fields, _ := v["fields"].([]any)
			for _, f := range fields {
				f, _ := f.(map[string]any)
				fname, _ := f["name"].(string)
				if doc, _ := f["doc"].(string); doc == "" {
					out = append(out, "field "+at+"."+fname)
				}
				out = append(out, undocumented(f["type"], at)...)
			}
		case "array":
			out = append(out, undocumented(v["items"], at)...)
		case "map":
			out = append(out, undocumented(v["values"], at)...)
		}
	}
	return out
}
