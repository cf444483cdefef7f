package znssim

import (
	"crypto/rand"

	"github.com/vnstream/connector/pkg/sim"
)

func init() {
	for _, d := range []struct {
		dialect    Dialect
		kind, name string
		vars       string // the prefix of the variables config/dev.yaml reads
		path       string // what follows the server URL in the base URL
	}{
		{InterITS, "interits_zns", "InterITS ZNS", "DEV_INTERITS", ""},
		{ETelecom, "etelecom_zns", "eTelecom ZNS", "DEV_ETELECOM", BasePath},
	} {
		sim.Register(sim.Registration{
			Kind: d.kind,
			Name: d.name,
			New: func(run sim.Run) (sim.Simulator, map[string]string) {
				key := rand.Text()
				s := New(d.dialect, key, WithStartID(uint64(run.ID)*1_000_000))
				return sim.Of(s, sim.Records[Record]{Create: s.Create, Update: s.Update, List: s.Records, ID: func(r Record) string { return r.ID }}), map[string]string{d.vars + "_URL": run.URL + d.path, d.vars + "_API_KEY": key}
			},
		})
	}
}
