package tikisim

import (
	"crypto/rand"

	"github.com/vnstream/connector/pkg/sim"
)

func init() {
	sim.Register(sim.Registration{
		Kind: "tiki_lead",
		Name: "Tiki",
		New: func(run sim.Run) (sim.Simulator, map[string]string) {
			const clientID = "dev-tiki-client"
			secret := rand.Text()
			// The forms config/dev.yaml reads.
			s := New(clientID, secret, WithStartID(run.ID*1_000_000), WithForms("84112926079713300", "88238130968199168"))
			return sim.Of(s, sim.Records[Response]{Create: s.next, List: s.Responses, ID: func(r Response) string { return r.ID }}), map[string]string{"DEV_TIKI_URL": run.URL, "DEV_TIKI_CLIENT_ID": clientID, "DEV_TIKI_CLIENT_SECRET": secret}
		},
	})
}
