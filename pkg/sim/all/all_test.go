package all_test

import (
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/vnstream/connector/pkg/config"
	"github.com/vnstream/connector/pkg/fetch"
	"github.com/vnstream/connector/pkg/provider"
	_ "github.com/vnstream/connector/pkg/provider/all"
	"github.com/vnstream/connector/pkg/sim"
	_ "github.com/vnstream/connector/pkg/sim/all"
	"github.com/vnstream/connector/pkg/source"
)

// TestEverySimulator starts each registered simulator as `connector dev`
// does and reads it with its provider, configured by config/dev.yaml and
// the variables the registration returned: the provider reads the
// records NewRecord created, then a new one and a change (ChangeRecord
// refusing only with sim.ErrNeverChanges), and RecordIDs lists them all
// in id order.
func TestEverySimulator(t *testing.T) {
	raw, err := os.ReadFile("../../../config/dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	vars := map[string]string{"DEV_KAFKA_BROKER": "127.0.0.1:9092", "DEV_HTTP_LISTEN": "-",
		"DEV_START_TIME": now.Add(-3 * time.Hour).Format(time.RFC3339)}
	sims := map[string]sim.Simulator{}
	for _, reg := range sim.All() {
		srv := httptest.NewUnstartedServer(nil)
		s, v := reg.New(sim.Run{URL: "http://" + srv.Listener.Addr().String(), ID: now.Unix()})
		srv.Config.Handler = s
		srv.Start()
		t.Cleanup(srv.Close)
		maps.Copy(vars, v)
		sims[reg.Kind] = s
	}
	cfg, err := config.Parse(raw, func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Sources) != len(sims) {
		t.Errorf("config/dev.yaml has %d sources, want one per simulator: %d", len(cfg.Sources), len(sims))
	}
	for _, src := range cfg.Sources {
		t.Run(src.Kind, func(t *testing.T) {
			t.Parallel()
			s, ok := sims[src.Kind]
			if !ok {
				t.Fatalf("no simulator of %s", src.Kind)
			}
			p, _ := provider.Lookup(src.Kind)
			tr := &http.Transport{}
			t.Cleanup(tr.CloseIdleConnections)
			poller := p.New(src.Name, src.Settings, fetch.NewClient(fetch.Config{Source: src.Name, RateLimit: 1000, MaxAttempts: 1, Transport: tr}))
			for i := range 10 {
				s.NewRecord(now.Add(-2*time.Hour + time.Duration(i)*time.Minute))
			}
			ids := s.RecordIDs()
			ops, offset := poll(t, poller, nil)
			if len(ids) != 10 || ops[source.OpRead] != 10 || len(ops) != 1 {
				t.Fatalf("created 10 records; RecordIDs() = %v, the provider read %v", ids, ops)
			}
			for i := 1; i < len(ids); i++ {
				if source.CompareIDs(ids[i-1], ids[i]) >= 0 {
					t.Errorf("RecordIDs() = %v, not in id order", ids)
				}
			}

			want := map[source.Op]int{source.OpCreate: 1, source.OpUpdate: 1}
			at := time.Now()
			switch err := s.ChangeRecord(ids[3], at); {
			case errors.Is(err, sim.ErrNeverChanges):
				delete(want, source.OpUpdate)
			case err != nil:
				t.Fatalf("ChangeRecord(%s): %v", ids[3], err)
			}
			if err := s.ChangeRecord("404", at); err == nil {
				t.Error("ChangeRecord of an unknown id: no error")
			}
			id := s.NewRecord(at)
			time.Sleep(2 * time.Second) // past the lag, 1s, at second resolution
			if ops, _ := poll(t, poller, offset); !maps.Equal(ops, want) {
				t.Errorf("after a new record and a change, the provider read %v, want %v", ops, want)
			}
			if ids := s.RecordIDs(); len(ids) != 11 || !slices.Contains(ids, id) {
				t.Errorf("RecordIDs() = %v, want 11 with %s", ids, id)
			}
		})
	}
}

// poll reads src from offset until it has caught up, counting the records
// by op; a record that did not convert fails the test.
func poll(t *testing.T, src source.Source, offset source.Offset) (map[source.Op]int, source.Offset) {
	t.Helper()
	ops := map[source.Op]int{}
	for range 100 {
		records, next, more, err := src.Poll(t.Context(), offset)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range records {
			if r.Err != nil {
				t.Fatalf("%s: %v", r.Raw, r.Err)
			}
			ops[r.Op]++
		}
		if offset = next; !more {
			return ops, offset
		}
	}
	t.Fatal("the source did not catch up in 100 polls")
	return nil, nil
}
