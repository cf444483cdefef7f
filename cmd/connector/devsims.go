package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	nhanhsim "github.com/vnstream/connector/pkg/sim/nhanh"
	nxlinksim "github.com/vnstream/connector/pkg/sim/nxlink"
	tikisim "github.com/vnstream/connector/pkg/sim/tiki"
	znssim "github.com/vnstream/connector/pkg/sim/zns"
)

// devSim is one vendor simulator of `connector dev`, served on 127.0.0.1.
type devSim struct {
	name string
	url  string
	stop func()
	// tick adds a new record and, where records change, changes one.
	tick func(now time.Time)
}

type devSims []devSim

func (ss devSims) stop() {
	for _, s := range ss {
		s.stop()
	}
}

// live ticks every simulator each interval until ctx ends.
func (ss devSims) live(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			for _, s := range ss {
				s.tick(now.UTC())
			}
		}
	}
}

// startSims starts the five simulators with credentials made up for this
// run, each holding a backlog laid out over the three days before epoch
// (the same on every restart), and returns the DEV_* variables
// config/dev.yaml reads.
func startSims(epoch time.Time, o devOptions) (devSims, map[string]string, error) {
	vars := map[string]string{}
	var sims devSims
	add := func(name, urlVar string, h http.Handler, tick func(time.Time)) error {
		url, stop, err := serveLoopback(h)
		if err != nil {
			return err
		}
		sims = append(sims, devSim{name: name, url: url, stop: stop, tick: tick})
		vars[urlVar] = url
		return nil
	}
	backlog := func(create func(at time.Time)) {
		span := 72 * time.Hour
		for i := range o.backlog {
			create(epoch.Add(-span + time.Duration(i)*(span/time.Duration(max(o.backlog, 1)))))
		}
	}
	// The ZNS and nxlink ids start above every earlier run's, so a restart
	// never serves a new record under an id already written.
	runID := time.Now().Unix()

	secret := randomHex(24)
	tiki := tikisim.New("dev-tiki-client", secret)
	forms := []string{"84112926079713300", "88238130968199168"}
	n := 0
	backlog(func(at time.Time) { tiki.Create(forms[n%2], at); n++ })
	vars["DEV_TIKI_CLIENT_ID"], vars["DEV_TIKI_CLIENT_SECRET"] = "dev-tiki-client", secret
	err := add("Tiki", "DEV_TIKI_URL", tiki, func(now time.Time) {
		id := now.UnixMilli()
		tiki.Add(tikisim.Response{
			ID: strconv.FormatInt(id, 10), FormID: forms[0], CreatedAt: now.Truncate(time.Second),
			Inputs: []byte(fmt.Sprintf(`{"name":"Khách hàng %d","phone":"09%08d","city":"Hà Nội"}`, id%1000, id%1e8)),
		})
	})
	if err != nil {
		return sims, nil, err
	}

	for _, z := range []struct {
		name, prefix string
		dialect      znssim.Dialect
		path         string
	}{{"InterITS ZNS", "DEV_INTERITS", znssim.InterITS, ""}, {"eTelecom ZNS", "DEV_ETELECOM", znssim.ETelecom, znssim.BasePath}} {
		key := randomHex(16)
		sim := znssim.New(z.dialect, key, znssim.WithStartID(uint64(runID)*1_000_000))
		backlog(func(at time.Time) { sim.Create(at) })
		ids := func() []string { return ids(sim.Records(), func(r znssim.Record) string { return r.ID }) }
		if err := add(z.name, z.prefix+"_URL", sim, changer(sim.Create, sim.Update, ids)); err != nil {
			return sims, nil, err
		}
		vars[z.prefix+"_URL"] += z.path
		vars[z.prefix+"_API_KEY"] = key
	}

	nxSecret, nxApp := randomHex(16), randomHex(8)
	hcm, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		return sims, nil, err
	}
	nx := nxlinksim.New("dev-nxlink-access-key", nxSecret, 123, nxApp, nxlinksim.WithZone(hcm),
		nxlinksim.WithStartID(nxlinksim.DefaultStartID+runID*10_000_000))
	backlog(func(at time.Time) { nx.Create(at) })
	vars["DEV_NXLINK_ACCESS_KEY"], vars["DEV_NXLINK_ACCESS_SECRET"], vars["DEV_NXLINK_APP_KEY"] = "dev-nxlink-access-key", nxSecret, nxApp
	nxIDs := func() []string { return ids(nx.Records(), func(r nxlinksim.Record) string { return r.ID }) }
	if err := add("nxlink CDP", "DEV_NXLINK_URL", nx, changer(nx.Create, nx.Update, nxIDs)); err != nil {
		return sims, nil, err
	}

	token := randomHex(24)
	nh := nhanhsim.New("75123", "4001", token)
	backlog(func(at time.Time) { nh.Create(at) })
	vars["DEV_NHANH_ACCESS_TOKEN"] = token
	nhIDs := func() []string { return ids(nh.Records(), func(r nhanhsim.Record) string { return r.ID }) }
	if err := add("Nhanh vPage", "DEV_NHANH_URL", nh, changer(nh.Create, nh.Update, nhIDs)); err != nil {
		return sims, nil, err
	}
	return sims, vars, nil
}

// changer is the tick of a simulator whose records change: one new record
// and a change to one of the existing ones, picked at random.
func changer[R any](create func(time.Time) R, update func(string, time.Time) (R, error), ids func() []string) func(time.Time) {
	return func(now time.Time) {
		if all := ids(); len(all) > 0 {
			_, _ = update(all[rand.IntN(len(all))], now) // a clock step back only skips this change
		}
		create(now)
	}
}

func ids[R any](rs []R, id func(R) string) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = id(r)
	}
	return out
}
