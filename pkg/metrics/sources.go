package metrics

import "github.com/prometheus/client_golang/prometheus"

// SourceSnapshot is one source's state and lag at scrape time.
type SourceSnapshot struct {
	Source, Provider string
	// State is the source's current state; States lists them all.
	State string
	// Lag is now − the newest committed record's time, in seconds; nil
	// before the first record.
	Lag *float64
}

// States are the values of connector_source_state's state label.
var States = []string{"unassigned", "starting", "running", "backing_off", "failed", "stopped"}

// sourceCollector computes connector_source_lag_seconds and
// connector_source_state when scraped, so the lag grows while a source is
// stalled even though nothing updates it.
type sourceCollector struct {
	snapshot   func() []SourceSnapshot
	lag, state *prometheus.Desc
}

func newSourceCollector(snapshot func() []SourceSnapshot) *sourceCollector {
	return &sourceCollector{
		snapshot: snapshot,
		lag: prometheus.NewDesc(prometheus.BuildFQName(Namespace, "", "source_lag_seconds"),
			"Now minus the entity time of the newest record the source committed since start.", []string{"source", "provider"}, nil),
		state: prometheus.NewDesc(prometheus.BuildFQName(Namespace, "", "source_state"),
			"1 for the source's current state, 0 for the others.", []string{"source", "provider", "state"}, nil),
	}
}

func (c *sourceCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.lag
	ch <- c.state
}

func (c *sourceCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.snapshot() {
		if s.Lag != nil {
			ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, *s.Lag, s.Source, s.Provider)
		}
		for _, st := range States {
			v := 0.0
			if st == s.State {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(c.state, prometheus.GaugeValue, v, s.Source, s.Provider, st)
		}
	}
}
