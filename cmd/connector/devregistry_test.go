package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"
)

// The dev registry gives the schemas it registered their ids back after a
// restart, whatever registers first then.
func TestDevRegistryKeepsIDsAcrossRestarts(t *testing.T) {
	ctx := context.Background()
	journal := filepath.Join(t.TempDir(), "registry.jsonl")
	schemaOf := func(field string) sr.Schema {
		return sr.Schema{Schema: `{"type":"record","name":"R","fields":[{"name":"` + field + `","type":"string"}]}`}
	}
	start := func() *sr.Client {
		d, err := startDevRegistry(journal, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(d.Close)
		if !strings.HasPrefix(d.url, "http://127.0.0.1:") {
			t.Fatalf("registry on %s, want 127.0.0.1", d.url)
		}
		cl, err := sr.NewClient(sr.URLs(d.url))
		if err != nil {
			t.Fatal(err)
		}
		return cl
	}
	cl := start()
	ids := map[string]int{}
	for _, s := range []string{"a", "b", "a"} {
		ss, err := cl.CreateSchema(ctx, s+"-value", schemaOf(s))
		if err != nil {
			t.Fatal(err)
		}
		ids[s] = ss.ID
	}
	if b, _ := os.ReadFile(journal); strings.Count(string(b), "\n") != 2 {
		t.Fatalf("journal after registering a, b and a again:\n%s", b)
	}

	cl = start()
	c, err := cl.CreateSchema(ctx, "c-value", schemaOf("c"))
	if err != nil {
		t.Fatal(err)
	}
	if c.ID == ids["a"] || c.ID == ids["b"] {
		t.Errorf("a new schema got id %d, one of %v", c.ID, ids)
	}
	for s, id := range ids {
		got, err := cl.SchemaByID(ctx, id)
		if err != nil || got.Schema != schemaOf(s).Schema {
			t.Errorf("after the restart, id %d = %q, %v; want %s's schema", id, got.Schema, err, s)
		}
	}

	if err := os.WriteFile(journal, []byte("{\"subject\":\"a-value\",\"id\":1,\"schema\":{\"schema\":\"x\"}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := startDevRegistry(journal, 0); err == nil || !strings.Contains(err.Error(), journal+":1: subject a-value") {
		t.Errorf("a journal the registry refuses: %v", err)
	}
}
