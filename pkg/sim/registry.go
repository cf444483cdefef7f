package sim

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Registration is how `connector dev` runs the simulator of one provider
// kind. Each simulator package registers its own from init.
type Registration struct {
	// Kind is the provider kind the simulator fakes, e.g. tiki_lead.
	Kind string
	// Name names the simulator in what `connector dev` prints, e.g. Tiki.
	Name string
	// New returns the simulator of one run, holding no records and
	// accepting credentials made up for the run, with the variables
	// config/dev.yaml reads (name → value): the source's base URL and
	// those credentials.
	New func(run Run) (Simulator, map[string]string)
}

// Run is one run of `connector dev`, as its simulators see it.
type Run struct {
	// URL is where the simulator is served, e.g. http://127.0.0.1:41353.
	URL string
	// ID is the unix second the run started. A simulator starts its ids
	// from it, so that a restart never serves a new record under an id
	// an earlier run wrote.
	ID int64
}

// registry holds the registrations by kind. Register writes it from init
// only, so reads need no lock.
var registry = map[string]Registration{}

// Register adds r. It panics on a registration that is not fully
// described or whose kind is registered already.
func Register(r Registration) {
	if r.Kind == "" || r.Name == "" || r.New == nil {
		panic(fmt.Sprintf("sim: the simulator of %q is not fully described", r.Kind))
	}
	if _, ok := registry[r.Kind]; ok {
		panic("sim: two simulators of " + r.Kind)
	}
	registry[r.Kind] = r
}

// Lookup returns the registration of kind.
func Lookup(kind string) (Registration, bool) {
	r, ok := registry[kind]
	return r, ok
}

// All returns every registration, by kind.
func All() []Registration {
	return slices.SortedFunc(maps.Values(registry), func(a, b Registration) int { return strings.Compare(a.Kind, b.Kind) })
}
