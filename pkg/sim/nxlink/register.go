package nxlinksim

import (
	"crypto/rand"
	"time"

	"github.com/vnstream/connector/pkg/sim"
)

func init() {
	sim.Register(sim.Registration{
		Kind: "nxlink_customer",
		Name: "nxlink CDP",
		New: func(run sim.Run) (sim.Simulator, map[string]string) {
			const accessKey = "dev-nxlink-access-key"
			secret, appKey := rand.Text(), rand.Text()
			// The tenant_id and time_zone of config/dev.yaml:
			// Asia/Ho_Chi_Minh is UTC+7 all year.
			s := New(accessKey, secret, 123, appKey, WithZone(time.FixedZone("ICT", 7*3600)),
				WithStartID(DefaultStartID+run.ID*10_000_000))
			return sim.Of(s, sim.Records[Record]{Create: s.Create, Update: s.Update, List: s.Records, ID: func(r Record) string { return r.ID }}), map[string]string{"DEV_NXLINK_URL": run.URL, "DEV_NXLINK_ACCESS_KEY": accessKey,
				"DEV_NXLINK_ACCESS_SECRET": secret, "DEV_NXLINK_APP_KEY": appKey}
		},
	})
}
