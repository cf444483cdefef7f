package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// SourceSnapshot is one source's state, lag and newest record at scrape
// time.
type SourceSnapshot struct {
	Source, Provider string
	// State is the source's current state; States lists them all.
	State string
	// Lag is now − the source's committed position (the watermark of its
	// offset, or the horizon its last poll read up to when that poll left
	// nothing waiting), in seconds; nil while the source has no position
	// or its task runs on another replica.
	Lag *float64
	// Newest is the entity time of the newest record the source committed
	// since start; zero before the first.
	Newest time.Time
}

// States are the values of connector_source_state's state label.
var States = []string{"unassigned", "starting", "running", "backing_off", "failed", "stopped"}

// sourceCollector computes connector_source_lag_seconds,
// connector_source_newest_record_timestamp_seconds and
// connector_source_state when scraped, so the lag grows while a source is
// stalled even though nothing updates it.
type sourceCollector struct {
	snapshot           func() []SourceSnapshot
	lag, newest, state *prometheus.Desc
}

func newSourceCollector(snapshot func() []SourceSnapshot) *sourceCollector {
	sp := []string{"source", "provider"}
	return &sourceCollector{
		snapshot: snapshot,
		lag: prometheus.NewDesc(prometheus.BuildFQName(Namespace, "", "source_lag_seconds"),
			"Now minus the source's committed position: the watermark of its offset, or, when its last poll left nothing waiting, the time that poll read up to (its start minus the source's lag). Only on the replica that owns the source's task.", sp, nil),
		newest: prometheus.NewDesc(prometheus.BuildFQName(Namespace, "", "source_newest_record_timestamp_seconds"),
			"Entity time of the newest record the source committed since start; it stands still while the vendor sends nothing new.", sp, nil),
		state: prometheus.NewDesc(prometheus.BuildFQName(Namespace, "", "source_state"),
			"1 for the source's current state; the other states have no series.", []string{"source", "provider", "state"}, nil),
	}
}

func (c *sourceCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.lag
	ch <- c.newest
	ch <- c.state
}

func (c *sourceCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.snapshot() {
		if s.Lag != nil {
			ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, *s.Lag, s.Source, s.Provider)
		}
		if !s.Newest.IsZero() {
			ch <- prometheus.MustNewConstMetric(c.newest, prometheus.GaugeValue, float64(s.Newest.Unix())+float64(s.Newest.Nanosecond())/1e9, s.Source, s.Provider)
		}
		ch <- prometheus.MustNewConstMetric(c.state, prometheus.GaugeValue, 1, s.Source, s.Provider, s.State)
	}
}
