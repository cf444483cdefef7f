//go:build interop

package connector_test

import (
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vnstream/connector/pkg/kafka"
	"github.com/vnstream/connector/pkg/provider"
	"github.com/vnstream/connector/pkg/schema"
	"github.com/vnstream/connector/schemas"
)

// TestFlinkReadsTheTopicsAsUpsertTables has Flink SQL (2.2.0, in a local
// MiniCluster: test/java/FlinkUpsert.java) read every kind's topic, in the
// envelope and the flat shape, as an upsert-kafka table with the
// avro-confluent format through the registry, after the connector wrote
// records, was stopped, and wrote their changes and new records on a second
// run; the latest row of every key must be the simulator's latest version:
// 0 missing, 0 extra, 0 differing. Run it with -tags interop and
// INTEROP_JAVA_LIBS set to a directory with test/java/pom.xml's jars
// (.ci/run runs it against Apache Kafka 4.4.0; without KAFKA_BROKERS it
// runs on connector dev's embedded broker).
func TestFlinkReadsTheTopicsAsUpsertTables(t *testing.T) {
	libs := os.Getenv("INTEROP_JAVA_LIBS")
	if libs == "" {
		t.Fatal("INTEROP_JAVA_LIBS must name a directory with test/java/pom.xml's jars")
	}
	addrs := testBrokers(t)
	if os.Getenv("KAFKA_BROKERS") == "" { // connector dev's broker, which Java clients can use
		broker, err := kafka.StartEmbedded("", 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(broker.Close)
		addrs = broker.Addrs()
	}
	regURL, _ := newRegistry(t)
	now := time.Now().UTC().Truncate(time.Second)
	from := now.Add(-2 * time.Hour).Format(time.RFC3339)

	// Every kind, twice: an envelope source and a flat one, reading the
	// same simulator.
	tikiSim, tikiURL := newSim(t)
	seed(tikiSim, 20, now.Add(-time.Minute), time.Hour)
	tikiCfg := testConfig(t, addrs, nil, "", tikiSource{name: "tiki", url: tikiURL, start: now.Add(-2 * time.Hour)})
	var sources []changeSource
	both := func(kind, section string) {
		sources = append(sources, changeSource{name: kind, kind: kind, section: section},
			changeSource{name: kind + "-flat", kind: kind, section: "    value_format: flat\n" + section})
	}
	both("tiki_lead", tikiSection(tikiCfg))
	env := map[string]string{"TIKI_SECRET": secret}
	cases := changeCases()
	sims := map[string]changeSim{}
	histories := map[string]*history{}
	for _, c := range cases {
		sim, section, vars := c.newSim(t, 20)
		maps.Copy(env, vars)
		h := &history{}
		for i := range 20 {
			h.add(sim.create(t, now.Add(-time.Hour+time.Duration(i)*time.Minute)))
		}
		sims[c.kind], histories[c.kind] = sim, h
		both(c.kind, strings.ReplaceAll(section, "{{start}}", from))
	}
	cfg := changeConfig(t, addrs, env, sources...)
	cfg.SchemaRegistry.URL = regURL

	var first committed
	r := start(t, cfg, first.option())
	waitFor(t, "the backfill", 60*time.Second, func() bool { return first.count() >= 20*len(sources) })
	r.stop(t)
	// Changes and new records while the connector is stopped, then a
	// second run.
	changes := 0
	for _, c := range cases {
		h := histories[c.kind]
		for _, id := range h.pick(5) {
			h.add(sims[c.kind].update(t, id, time.Now()))
		}
		for range 3 {
			h.add(sims[c.kind].create(t, time.Now()))
		}
		changes += 8
	}
	for range 3 {
		tikiSim.Create(formA, time.Now().UTC().Truncate(time.Second))
	}
	changes += 3
	var second committed
	r = start(t, cfg, second.option())
	waitFor(t, "the changes", 60*time.Second, func() bool { return second.count() >= 2*changes })
	r.stop(t)

	set, err := schema.Load(schemas.FS)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, s := range cfg.Sources {
		// The latest state of every key, as the simulator holds it.
		want := map[string]map[string]any{}
		if s.Kind == "tiki_lead" {
			for _, resp := range tikiSim.Responses() {
				want[resp.ID] = map[string]any{"form_id": resp.FormID, "created_at": resp.CreatedAt}
			}
		} else {
			c := cases[slices.IndexFunc(cases, func(c changeCase) bool { return c.kind == s.Kind })]
			for key, vs := range histories[s.Kind].versions {
				last := vs[len(vs)-1]
				want[key] = map[string]any{c.updatedField: last.updated}
				maps.Copy(want[key], last.fields)
			}
		}
		var fields []string
		for _, w := range want {
			fields = slices.Collect(maps.Keys(w))
			break
		}
		slices.Sort(fields)
		p, _ := provider.Lookup(s.Kind)
		e, err := set.Entity(p.Entity)
		if err != nil {
			t.Fatal(err)
		}
		if s.ValueFormat == "flat" {
			e = e.Flat()
		}
		ddl, keys := schema.FlinkTable("t", e, s.Topic, strings.Join(addrs, ","), regURL)
		sel := make([]string, 0, len(keys)+len(fields))
		for _, k := range keys {
			sel = append(sel, "CAST(`key_"+k+"` AS STRING)")
		}
		for _, f := range fields {
			col := "`" + f + "`"
			if s.ValueFormat != "flat" {
				col = "`after`." + col
			}
			sel = append(sel, "CAST("+col+" AS STRING)")
		}
		// Read to the topic's end, the changes included.
		ddl = strings.TrimSuffix(ddl, "\n)") + ",\n  'scan.bounded.mode' = 'latest-offset'\n)"
		sql := ddl + ";\nSELECT " + strings.Join(sel, ", ") + " FROM `t`\n"
		file := filepath.Join(dir, s.Name+".sql")
		if err := os.WriteFile(file, []byte(sql), 0o644); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		out, err := exec.CommandContext(ctx, "java", "-cp", filepath.Join(libs, "*"), "../../test/java/FlinkUpsert.java", file, fmt.Sprint(len(keys))).Output()
		cancel()
		if err != nil {
			var stderr []byte
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = ee.Stderr
			}
			t.Fatalf("%s: Flink: %v\n%s\n%s", s.Name, err, out, tail(stderr, 3000))
		}
		missing, extra, differing := len(want), 0, 0
		for line := range strings.Lines(string(out)) {
			cols := strings.Split(strings.TrimSuffix(line, "\n"), "\t")
			key := strings.Join(cols[:len(keys)], "/")
			w, ok := want[key]
			if !ok {
				extra++
				t.Errorf("%s: key %s is not the simulator's", s.Name, key)
				continue
			}
			missing--
			for i, f := range fields {
				if !flinkEqual(w[f], cols[len(keys)+i]) {
					differing++
					t.Errorf("%s: key %s: %s = %s, the simulator's latest is %v", s.Name, key, f, cols[len(keys)+i], w[f])
				}
			}
		}
		t.Logf("%s (%s): %d keys, %d missing, %d extra, %d differing", s.Name, s.ValueFormat, len(want), missing, extra, differing)
		if missing != 0 {
			t.Errorf("%s: %d keys missing", s.Name, missing)
		}
	}
}

// flinkEqual reports whether Flink's CAST(... AS STRING) of a value is
// want: times to the millisecond, booleans in any case, nil as NULL.
func flinkEqual(want any, got string) bool {
	if w, ok := want.(time.Time); ok {
		g, err := time.Parse("2006-01-02 15:04:05.999999999", got)
		return err == nil && g.Equal(w.Truncate(time.Millisecond).UTC())
	}
	if want == nil {
		return got == "null"
	}
	return strings.EqualFold(fmt.Sprint(want), got)
}

// tail is the last n bytes of b.
func tail(b []byte, n int) []byte { return b[max(0, len(b)-n):] }
