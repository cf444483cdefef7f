package nhanhsim

import (
	"crypto/rand"

	"github.com/vnstream/connector/pkg/sim"
)

func init() {
	sim.Register(sim.Registration{
		Kind: "nhanh_conversation",
		Name: "Nhanh vPage",
		New: func(run sim.Run) (sim.Simulator, map[string]string) {
			token := rand.Text()
			// The app_id and business_id of config/dev.yaml.
			s := New("75123", "4001", token)
			return sim.Of(s, sim.Records[Record]{Create: s.Create, Update: s.Update, List: s.Records, ID: func(r Record) string { return r.ID }}), map[string]string{"DEV_NHANH_URL": run.URL, "DEV_NHANH_ACCESS_TOKEN": token}
		},
	})
}
