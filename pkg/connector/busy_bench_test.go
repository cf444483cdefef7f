package connector_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/vnstream/connector/pkg/connector"
	"github.com/vnstream/connector/pkg/schema"
	tikisim "github.com/vnstream/connector/pkg/sim/tiki"
	"github.com/vnstream/connector/schemas"
)

// BenchmarkBusyAccounts measures freshness under load: one source of each
// kind, the simulators at the vendors' own page caps, changing
// BUSY_RATE records a second per source (default 100: a tenth new
// records, the rest updates of records made so far; Tiki's responses
// never change, so all its changes are new responses) for BUSY_MINUTES
// (default 10), with poll_interval 2s and every other setting at its
// default (lag 2s, overlap 5m, rate_limit 5 requests/s, BUSY_RATE_LIMIT
// to change it). A read_committed
// consumer times each event. Per source it reports requests per poll,
// the mean poll duration, p50 and p99 of the delay from the vendor's
// write to the committed event, the largest offset, and the share of the
// versions that stayed current for poll_interval + lag + 1s that were
// emitted. Command:
//
//	BUSY_RATE=100 BUSY_MINUTES=10 go test ./pkg/connector -run '^$' -bench BenchmarkBusyAccounts -benchtime 1x -timeout 30m
func BenchmarkBusyAccounts(b *testing.B) {
	rate := maEnvInt(b, "BUSY_RATE", 100)
	minutes := maEnvInt(b, "BUSY_MINUTES", 10)
	rateLimit := maEnvInt(b, "BUSY_RATE_LIMIT", 5)
	const pollInterval, lag = 2 * time.Second, 2 * time.Second
	live := pollInterval + lag + time.Second

	addrs := testBrokers(b)
	now := time.Now().UTC().Truncate(time.Second)
	type busySource struct {
		c   changeCase
		sim changeSim
		log *busyLog
	}
	var (
		srcs    []*busySource
		cfgSrcs []changeSource
		env     = map[string]string{}
	)
	for _, c := range append(changeCases(), tikiCase()) {
		sim, section, vars := c.newSim(b, 0)
		for k, v := range vars {
			env[k] = v
		}
		section = strings.NewReplacer("      page_size: 50\n", "", "      lag: 1s\n", "", "      overlap: 5s\n", "").Replace(section)
		cfgSrcs = append(cfgSrcs, changeSource{name: c.kind, kind: c.kind, section: strings.ReplaceAll(section, "{{start}}", now.Add(-time.Minute).Format(time.RFC3339))})
		srcs = append(srcs, &busySource{c: c, sim: sim, log: &busyLog{byKey: map[string][]busyMade{}}})
	}
	cfg := changeConfig(b, addrs, env, cfgSrcs...)
	for i := range cfg.Sources {
		s := &cfg.Sources[i]
		s.PollInterval = pollInterval
		s.HTTP.RateLimit = float64(rateLimit)
		s.HTTP.MaxAttempts = 5
		s.HTTP.BackoffInitial, s.HTTP.BackoffMax = 500*time.Millisecond, 30*time.Second
	}
	var (
		mu      sync.Mutex
		largest = map[string]int{}
		arrived = map[string]map[string]time.Time{} // kind → key@ts → when read
	)
	r := start(b, cfg, connector.WithOnCommit(func(bt connector.Batch) {
		mu.Lock()
		largest[bt.Kind] = max(largest[bt.Kind], len(bt.Offset))
		mu.Unlock()
	}))
	defer r.stop(b)
	ctx, cancel := context.WithCancel(context.Background())
	var readers sync.WaitGroup
	for i, s := range srcs {
		arrived[s.c.kind] = map[string]time.Time{}
		readers.Add(1)
		go func() {
			defer readers.Done()
			busyRead(ctx, b, s.c, addrs, cfg.Sources[i].Topic, func(key string, ts time.Time) {
				mu.Lock()
				arrived[s.c.kind][key+"@"+ts.Format(time.RFC3339Nano)] = time.Now()
				mu.Unlock()
			})
		}()
	}

	var load sync.WaitGroup
	started := time.Now()
	end := started.Add(time.Duration(minutes) * time.Minute)
	for _, s := range srcs {
		load.Add(1)
		go func() {
			defer load.Done()
			creates := max(1, rate/10)
			if s.c.kind == "tiki_lead" {
				creates = rate
			}
			tick := time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
			n := 0
			for time.Now().Before(end) {
				<-tick.C
				// This tick's share of the second's changes.
				due := rate*(n+1)/10 - rate*n/10
				news := creates*(n+1)/10 - creates*n/10
				for i := range due {
					at := time.Now()
					if i < news || len(s.log.ids) == 0 {
						s.log.add(s.sim.create(b, at), at, true)
						continue
					}
					id := s.log.ids[(n*rate+i)*7919%len(s.log.ids)]
					s.log.add(s.sim.update(b, id, at), at, true)
				}
				n++
			}
		}()
	}
	b.ResetTimer()
	load.Wait()
	ended := time.Now()
	time.Sleep(30 * time.Second) // the last polls
	cancel()
	readers.Wait()
	b.StopTimer()

	durations := pollDurations(b, r)
	// The table goes to stdout: b.Log truncates long output, and the
	// connector's warnings go there.
	fmt.Printf("%d changes/s per source for %d min, poll_interval %v, lag %v, overlap 5m, rate_limit %d/s, vendor page caps\n", rate, minutes, pollInterval, lag, rateLimit)
	fmt.Printf("%-20s %9s %7s %9s %12s %9s %9s %10s %12s\n", "source", "versions", "req/s", "req/poll", "poll s", "p50 s", "p99 s", "offset KB", "lived≥"+live.String())
	for _, s := range srcs {
		polls := durations[s.c.kind].count
		var delays []float64
		lived, emitted := 0, 0
		for key, vs := range s.log.byKey {
			for i, m := range vs {
				next := ended
				if i+1 < len(vs) {
					next = vs[i+1].made
				}
				got, ok := arrived[s.c.kind][key+"@"+m.v.updated.Truncate(time.Millisecond).Format(time.RFC3339Nano)]
				if ok {
					delays = append(delays, got.Sub(m.made).Seconds())
				}
				if next.Sub(m.made) >= live {
					lived++
					if ok {
						emitted++
					}
				}
			}
		}
		slices.Sort(delays)
		q := func(p float64) float64 {
			if len(delays) == 0 {
				return 0
			}
			return delays[min(len(delays)-1, int(p*float64(len(delays))))]
		}
		fmt.Printf("%-20s %9d %7.2f %9.1f %12.3f %9.1f %9.1f %10.1f %6d/%-6d\n", s.c.kind, s.log.total, float64(s.sim.requests())/ended.Sub(started).Seconds(), float64(s.sim.requests())/max(1, float64(polls)),
			durations[s.c.kind].sum/max(1, float64(polls)), q(0.5), q(0.99), float64(largest[s.c.kind])/1024, emitted, lived)
	}
}

// busyRead reads topic read_committed until ctx ends, handing each
// event's key and version time to each.
func busyRead(ctx context.Context, b *testing.B, c changeCase, brokers []string, topic string, each func(key string, ts time.Time)) {
	set, err := schema.Load(schemas.FS)
	if err != nil {
		b.Error(err)
		return
	}
	dec := schema.NewDecoder(set, nil)
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		b.Error(err)
		return
	}
	defer cl.Close()
	for ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			var key, env map[string]any
			if dec.Decode(ctx, r.Key, &key) != nil || dec.Decode(ctx, r.Value, &env) != nil {
				b.Errorf("%s: an event that does not decode at %d/%d", topic, r.Partition, r.Offset)
				return
			}
			for _, v := range env["after"].(map[string]any) {
				ts, _ := v.(map[string]any)[c.updatedField].(time.Time)
				each(c.keyText(key), ts)
			}
		})
	}
}

// pollStats is a provider's poll count and total poll seconds.
type pollStats struct {
	count float64
	sum   float64
}

// pollDurations reads connector_poll_duration_seconds by provider.
func pollDurations(b *testing.B, r *running) map[string]pollStats {
	mfs, err := r.c.Metrics().Registry.Gather()
	if err != nil {
		b.Fatal(err)
	}
	out := map[string]pollStats{}
	for _, mf := range mfs {
		if mf.GetName() != "connector_poll_duration_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "provider" {
					out[l.GetValue()] = pollStats{float64(m.GetHistogram().GetSampleCount()), m.GetHistogram().GetSampleSum()}
				}
			}
		}
	}
	return out
}

// tikiCase is Tiki as a change case: its responses never change, so the
// benchmark only creates them.
func tikiCase() changeCase {
	return changeCase{
		kind: "tiki_lead", updatedField: "created_at",
		keyText: func(k map[string]any) string { return fmt.Sprint(k["id"]) },
		newSim: func(t testing.TB, pageCap int) (changeSim, string, map[string]string) {
			sim := tikisim.New(clientID, secret, capped(tikisim.WithPageCap, pageCap)...)
			section := `    tiki:
      base_url: ` + serve(t, sim) + `
      client_id: ` + clientID + `
      client_secret: ${TIKI_SECRET}
      form_ids: ["` + formA + `"]
      start_time: {{start}}
`
			create := func(at time.Time) tikisim.Response { return sim.Create(formA, at) }
			update := func(string, time.Time) (tikisim.Response, error) {
				return tikisim.Response{}, fmt.Errorf("a Tiki form response never changes")
			}
			return adapt(create, update, func(r tikisim.Response) version {
				return version{id: r.ID, key: r.ID, updated: r.CreatedAt}
			}, sim.Stats), section, map[string]string{"TIKI_SECRET": secret}
		},
	}
}
