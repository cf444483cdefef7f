package connector_test

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/vnstream/connector/pkg/sim/fault"
	nhanhsim "github.com/vnstream/connector/pkg/sim/nhanh"
	nxlinksim "github.com/vnstream/connector/pkg/sim/nxlink"
	znssim "github.com/vnstream/connector/pkg/sim/zns"
)

// changeCases lists the providers whose records change, each with an
// adapter from its simulator to the change tests.
func changeCases() []changeCase {
	return []changeCase{
		{
			kind: "interits_zns", newSim: newZNS(znssim.InterITS), updatedField: "updated_at",
			keyText: func(k map[string]any) string { return fmt.Sprint(k["id"]) },
		},
		{
			kind: "etelecom_zns", newSim: newZNS(znssim.ETelecom), updatedField: "updated_at",
			keyText: func(k map[string]any) string { return fmt.Sprint(k["id"]) },
		},
		{
			kind: "nxlink_customer", newSim: newNxlink, updatedField: "updated_at",
			keyText: func(k map[string]any) string { return fmt.Sprintf("%v/%v", k["tenant_id"], k["id"]) },
		},
		{
			kind: "nhanh_conversation", newSim: newNhanh, updatedField: "updatedAt",
			keyText: func(k map[string]any) string { return fmt.Sprint(k["id"]) },
		},
	}
}

// adapter is a simulator as the change tests drive it: its Create and
// Update, how one of its records reads as a version, and its counters.
type adapter[R any] struct {
	simCreate func(at time.Time) R
	simUpdate func(id string, at time.Time) (R, error)
	version   func(R) version
	stats     func() fault.Stats
}

func adapt[R any](create func(time.Time) R, update func(string, time.Time) (R, error), version func(R) version, stats func() fault.Stats) changeSim {
	return adapter[R]{create, update, version, stats}
}

func (a adapter[R]) requests() int { return a.stats().Requests }

// capped is the simulator option list that caps its pages at n, empty
// for n = 0 (the vendor's own cap).
func capped[O any](with func(int) O, n int) []O {
	if n == 0 {
		return nil
	}
	return []O{with(n)}
}

func (a adapter[R]) create(_ testing.TB, at time.Time) version { return a.version(a.simCreate(at)) }

func (a adapter[R]) update(t testing.TB, id string, at time.Time) version {
	r, err := a.simUpdate(id, at)
	if err != nil {
		t.Fatal(err)
	}
	return a.version(r)
}

// The credentials the simulators accept.
const (
	nxAccessKey = "nx-access-key"
	nxSecret    = "nx-access-secret-0123456789"
	nxAppKey    = "46oKF=os"
	nxTenant    = 123
	nhanhToken  = "nhanh-access-token-0123456789"
	nhanhApp    = "75123"
	nhanhBiz    = "4001"
	znsKey      = "zns-api-key-0123456789"
)

// newZNS returns the change-test adapter of one ZNS dialect. The eTelecom
// base URL ends in the Twirp service prefix.
func newZNS(d znssim.Dialect) func(t testing.TB, pageCap int) (changeSim, string, map[string]string) {
	return func(t testing.TB, pageCap int) (changeSim, string, map[string]string) {
		sim := znssim.New(d, znsKey, capped(znssim.WithPageCap, pageCap)...)
		url, section, keyVar := serve(t, sim), "interits", "ITS_KEY"
		if d == znssim.ETelecom {
			url, section, keyVar = url+znssim.BasePath, "etelecom", "ETEL_KEY"
		}
		return adapt(sim.Create, sim.Update, znsVersion, sim.Stats), `    ` + section + `:
      base_url: ` + url + `
      api_key: ${` + keyVar + `}
      page_size: 50
      start_time: {{start}}
      window: 1h
      lag: 1s
      overlap: 5s
`, map[string]string{keyVar: znsKey}
	}
}

func znsVersion(r znssim.Record) version {
	return version{id: r.ID, key: r.ID, updated: r.UpdatedAt,
		fields: map[string]any{"delivery_status": r.DeliveryStatus, "rate": r.Rate}}
}

func newNxlink(t testing.TB, pageCap int) (changeSim, string, map[string]string) {
	zone, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		t.Fatal(err)
	}
	sim := nxlinksim.New(nxAccessKey, nxSecret, nxTenant, nxAppKey, append(capped(nxlinksim.WithPageCap, pageCap), nxlinksim.WithZone(zone))...)
	section := `    nxlink:
      base_url: ` + serve(t, sim) + `
      access_key: ` + nxAccessKey + `
      access_secret: ${NX_SECRET}
      app_key: ${NX_APP_KEY}
      tenant_id: ` + strconv.Itoa(nxTenant) + `
      time_zone: Asia/Ho_Chi_Minh
      page_size: 50
      start_time: {{start}}
      window: 1h
      lag: 1s
      overlap: 5s
`
	return adapt(sim.Create, sim.Update, nxlinkVersion, sim.Stats), section, map[string]string{"NX_SECRET": nxSecret, "NX_APP_KEY": nxAppKey}
}

func nxlinkVersion(r nxlinksim.Record) version {
	return version{id: r.ID, key: fmt.Sprintf("%d/%s", nxTenant, r.ID), updated: r.UpdatedAt,
		fields: map[string]any{"id": r.ID, "remark": deref(r.Remark), "email": deref(r.Email), "full_name": deref(r.FullName)}}
}

func newNhanh(t testing.TB, pageCap int) (changeSim, string, map[string]string) {
	sim := nhanhsim.New(nhanhApp, nhanhBiz, nhanhToken, capped(nhanhsim.WithPageCap, pageCap)...)
	section := `    nhanh:
      base_url: ` + serve(t, sim) + `
      app_id: "` + nhanhApp + `"
      business_id: "` + nhanhBiz + `"
      access_token: ${NHANH_TOKEN}
      lag: 1s
`
	return adapt(sim.Create, sim.Update, nhanhVersion, sim.Stats), section, map[string]string{"NHANH_TOKEN": nhanhToken}
}

func nhanhVersion(r nhanhsim.Record) version {
	return version{id: r.ID, key: r.ID, updated: r.UpdatedAt,
		fields: map[string]any{"lastMessage": r.LastMessage, "status": r.Status, "hasReply": r.HasReply}}
}

// deref renders a nullable vendor field as the generic decoder does.
func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
