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
			return New("75123", "4001", token), map[string]string{"DEV_NHANH_URL": run.URL, "DEV_NHANH_ACCESS_TOKEN": token}
		},
	})
}
