package connector_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vnstream/connector/pkg/connector"
)

// A caught-up source whose vendor is quiet is not behind: its lag is how
// far its committed position trails now (the lag setting plus the poll
// interval, give or take a poll), however old its newest record is. That
// holds for a window source, whose watermark follows now − lag, and for
// the keyset source, whose watermark stays at the newest time it read.
func TestQuietCaughtUpSourcesDoNotLag(t *testing.T) {
	addrs := testBrokers(t)
	now := time.Now().UTC().Truncate(time.Second)
	old := now.Add(-2 * time.Hour)
	var sources []changeSource
	env := map[string]string{}
	for _, c := range []struct {
		kind   string
		newSim func(testing.TB, int) (changeSim, string, map[string]string)
	}{{"nxlink_customer", newNxlink}, {"nhanh_conversation", newNhanh}} {
		sim, section, vars := c.newSim(t, 20)
		for i := range 30 {
			sim.create(t, old.Add(-time.Duration(i)*time.Minute))
		}
		for k, v := range vars {
			env[k] = v
		}
		sources = append(sources, changeSource{name: c.kind, kind: c.kind, section: strings.ReplaceAll(section, "{{start}}", now.Add(-3*time.Hour).Format(time.RFC3339))})
	}
	cfg := changeConfig(t, addrs, env, sources...)
	var got committed
	r := start(t, cfg, got.option())
	waitFor(t, "both backlogs", time.Minute, func() bool { return got.count() >= 60 })

	// Polls that find nothing new: the lag stays small while the newest
	// record ages. 1s lag + 200ms poll interval; the bound leaves room
	// for a slow poll under -race.
	const bound = 15.0
	var st connector.Status
	waitFor(t, "small lags", 30*time.Second, func() bool {
		_, body := get(t, r.c.Handler(), "/status")
		st = connector.Status{}
		if err := json.Unmarshal([]byte(body), &st); err != nil {
			t.Fatalf("/status %s: %v", body, err)
		}
		for _, s := range st.Sources {
			if s.LagSeconds == nil || *s.LagSeconds > bound || s.State != connector.StateRunning {
				return false
			}
		}
		return true
	})
	time.Sleep(2 * time.Second) // more idle polls
	_, body := get(t, r.c.Handler(), "/status")
	st = connector.Status{}
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatal(err)
	}
	_, exposition := get(t, r.c.Handler(), "/metrics")
	for _, s := range st.Sources {
		if s.LagSeconds == nil || *s.LagSeconds < 1 || *s.LagSeconds > bound {
			t.Errorf("%s: lag_seconds %v, want between the 1s lag setting and %vs", s.Name, s.LagSeconds, bound)
		}
		if s.Position.IsZero() || s.Position.After(time.Now().Add(-time.Second)) {
			t.Errorf("%s: position %v, want at most now − the 1s lag", s.Name, s.Position)
		}
		if !s.Newest.Equal(old) {
			t.Errorf("%s: newest_record %v, want %v", s.Name, s.Newest, old)
		}
		if s.Offset == nil || s.Offset.Watermark.IsZero() {
			t.Fatalf("%s: offset %+v has no watermark", s.Name, s.Offset)
		}
		wm := s.Offset.Watermark
		switch s.Kind {
		case "nhanh_conversation":
			// The keyset watermark is the newest time read: two hours
			// behind, while the position is the horizon of the last poll.
			if !wm.Equal(old) || !s.Position.After(wm) {
				t.Errorf("%s: watermark %v, position %v; want the watermark at the newest record %v and the position past it", s.Name, wm, s.Position, old)
			}
		default:
			// Polls that find nothing move the window in memory; the
			// offset is committed only every offset_heartbeat (5m).
			if s.Position.Before(wm) {
				t.Errorf("%s: position %v, want at or past the committed watermark %v", s.Name, s.Position, wm)
			}
		}
		for _, series := range []string{
			fmt.Sprintf(`connector_source_lag_seconds{provider=%q,source=%q} `, s.Kind, s.Name),
			fmt.Sprintf(`connector_source_newest_record_timestamp_seconds{provider=%q,source=%q} %v`, s.Kind, s.Name, float64(old.Unix())),
		} {
			if !strings.Contains(exposition, series) {
				t.Errorf("/metrics lacks %s", series)
			}
		}
	}
	if t.Failed() {
		t.Logf("/status:\n%s", body)
	}
}
