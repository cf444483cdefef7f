package main

import (
	"context"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"time"

	"github.com/vnstream/connector/pkg/sim"
	_ "github.com/vnstream/connector/pkg/sim/all"
)

// devSim is one vendor simulator of `connector dev`, served on 127.0.0.1.
type devSim struct {
	name string
	url  string
	sim  sim.Simulator
	srv  *http.Server
}

type devSims []devSim

func (ss devSims) stop() {
	for _, s := range ss {
		_ = s.srv.Close()
	}
}

// live ticks every simulator each interval until ctx ends: each changes
// one of its records, picked at random, and receives a new one.
func (ss devSims) live(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			for _, s := range ss {
				if ids := s.sim.RecordIDs(); len(ids) > 0 {
					// Tiki's records never change, and a clock step back
					// only skips this change.
					_ = s.sim.ChangeRecord(ids[rand.IntN(len(ids))], now.UTC())
				}
				s.sim.NewRecord(now.UTC())
			}
		}
	}
}

// startSims starts every registered simulator with credentials made up
// for this run, each holding a backlog laid out over the three days
// before epoch (the same on every restart), and returns the DEV_*
// variables config/dev.yaml reads.
func startSims(epoch time.Time, o devOptions) (devSims, map[string]string, error) {
	vars := map[string]string{}
	var sims devSims
	run := sim.Run{ID: time.Now().Unix()}
	for _, reg := range sim.All() {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			sims.stop()
			return nil, nil, err
		}
		run.URL = "http://" + ln.Addr().String()
		s, v := reg.New(run)
		span := 72 * time.Hour
		for i := range o.backlog {
			s.NewRecord(epoch.Add(-span + time.Duration(i)*(span/time.Duration(max(o.backlog, 1)))))
		}
		maps.Copy(vars, v)
		srv := &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		sims = append(sims, devSim{name: reg.Name, url: run.URL, sim: s, srv: srv})
	}
	return sims, vars, nil
}
