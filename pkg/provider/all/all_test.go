package all_test

import (
	"os"
	"strings"
	"testing"

	"github.com/vnstream/connector/pkg/config"
	"github.com/vnstream/connector/pkg/provider"
	_ "github.com/vnstream/connector/pkg/provider/all"
	"github.com/vnstream/connector/pkg/schema"
	"github.com/vnstream/connector/pkg/sim"
	_ "github.com/vnstream/connector/pkg/sim/all"
	"github.com/vnstream/connector/schemas"
)

// TestEveryProviderIsComplete: each registered provider has its schema,
// a codec for its entity type, settings whose defaults name no problem
// that a user could not fix, a section in the README's configuration
// reference that states its default topic, and a registered simulator.
func TestEveryProviderIsComplete(t *testing.T) {
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	set, err := schema.Load(schemas.FS)
	if err != nil {
		t.Fatal(err)
	}
	all := provider.All()
	if len(all) != 5 {
		t.Fatalf("%d providers registered, want the 5 of this repository", len(all))
	}
	for _, p := range all {
		e, err := set.Entity(p.Entity)
		if err != nil {
			t.Errorf("%s: %v", p.Kind, err)
			continue
		}
		if _, err := schema.NewSingleObjectCodec(e, p.Value); err != nil {
			t.Errorf("%s: %v", p.Kind, err)
		}
		if k, ok := config.KindNamed(p.Kind); !ok || k.Section != p.Section || k.Topic != p.Topic {
			t.Errorf("%s: the configuration knows it as %+v", p.Kind, k)
		}
		_, section, ok := strings.Cut(string(readme), "### `"+p.Kind+"`\n")
		if section, _, _ = strings.Cut(section, "\n### "); !ok || !strings.Contains(section, p.Topic) {
			t.Errorf("README.md has no section ### `%s` stating its default topic %s", p.Kind, p.Topic)
		}
		if _, ok := sim.Lookup(p.Kind); !ok {
			t.Errorf("%s: no simulator registered (see package sim)", p.Kind)
		}
	}
}
