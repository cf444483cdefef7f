package sim_test

import (
	"testing"

	"github.com/vnstream/connector/pkg/sim"
)

func TestRegister(t *testing.T) {
	reg := sim.Registration{Kind: "test_kind", Name: "Test", New: func(sim.Run) (sim.Simulator, map[string]string) { return nil, nil }}
	sim.Register(reg)
	if got, ok := sim.Lookup("test_kind"); !ok || got.Name != "Test" {
		t.Errorf("Lookup() = %+v, %v", got, ok)
	}
	if all := sim.All(); len(all) != 1 || all[0].Kind != "test_kind" {
		t.Errorf("All() = %+v", all)
	}
	for name, r := range map[string]sim.Registration{
		"twice":   reg,
		"no kind": {Name: "Test", New: reg.New},
		"no name": {Kind: "other_kind", New: reg.New},
		"no New":  {Kind: "other_kind", Name: "Test"},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			sim.Register(r)
		}()
	}
}
