// Package metrics holds every Prometheus collector of the connector,
// registered in one place under the namespace "connector".
package metrics

import (
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Namespace prefixes every metric name.
const Namespace = "connector"

// Metrics are the connector's collectors. Labels are bounded: source and
// provider come from the configuration, reason and result from fixed lists.
// A series is created when it first counts something, and the histograms
// are per provider, not per source: a source has 8 series in steady state
// (records polled, written and sent to the DLQ, committed transactions,
// last success, lag, newest record, state), more only while it fails.
type Metrics struct {
	Registry *prometheus.Registry

	RecordsPolled   *prometheus.CounterVec   // source, provider
	RecordsWritten  *prometheus.CounterVec   // source, provider
	DLQRecords      *prometheus.CounterVec   // source, provider
	PollErrors      *prometheus.CounterVec   // source, provider, reason
	RequestFailures *prometheus.CounterVec   // source, provider, reason
	Transactions    *prometheus.CounterVec   // source, provider, result
	PollDuration    *prometheus.HistogramVec // provider
	CommitDuration  *prometheus.HistogramVec // provider
	LastSuccess     *prometheus.GaugeVec     // source, provider
	FencedCommits   *prometheus.CounterVec   // source, provider
	SeenDropped     *prometheus.CounterVec   // source, provider
	Ready           prometheus.Gauge
	// The connector's records_in_flight budget.
	RecordsInFlight prometheus.Gauge   // records the sources hold
	InFlightWait    prometheus.Counter // seconds polls waited for the budget

	// The replica's share of the work, from the connector's group.
	Generation prometheus.Gauge   // the group generation of the last rebalance
	Rebalances prometheus.Counter // rebalances this replica took part in
	Tasks      prometheus.Gauge   // tasks this replica owns
}

// New creates the collectors and registers them, with the Go and process
// collectors and build info, on a new registry. sources is called at each
// scrape for connector_source_lag_seconds,
// connector_source_newest_record_timestamp_seconds and
// connector_source_state.
func New(version string, sources func() []SourceSnapshot) *Metrics {
	sp := []string{"source", "provider"}
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		RecordsPolled: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "records_polled_total",
			Help: "Vendor records read by polls."}, sp),
		RecordsWritten: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "records_written_total",
			Help: "Change events committed to the source's topic."}, sp),
		DLQRecords: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "dlq_records_total",
			Help: "Vendor records that could not be converted, committed to the dead-letter topic."}, sp),
		PollErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "poll_errors_total",
			Help: "Failed polls by reason; the source backs off and retries from its committed offset."}, append(sp, "reason")),
		RequestFailures: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "http_request_failures_total",
			Help: "Failed vendor HTTP attempts by reason, retried or not."}, append(sp, "reason")),
		Transactions: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "transactions_total",
			Help: "Kafka transactions by result (committed, aborted)."}, append(sp, "result")),
		PollDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "poll_duration_seconds",
			Help: "Time to read one batch from the vendor, by provider.", Buckets: prometheus.ExponentialBuckets(0.01, 2.5, 10)}, []string{"provider"}),
		CommitDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "transaction_duration_seconds",
			Help: "Time to write and commit one batch with its offset, by provider.", Buckets: prometheus.ExponentialBuckets(0.005, 2.5, 10)}, []string{"provider"}),
		LastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: Namespace, Name: "last_success_timestamp_seconds",
			Help: "When the source last committed a batch (or found nothing new)."}, sp),
		FencedCommits: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "fenced_commits_total",
			Help: "Commits refused because the task's producer was fenced (a transaction timed out, another owner, offsets -force)."}, sp),
		SeenDropped: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "offset_versions_dropped_total",
			Help: "Versions the source's offset could not remember (more than 40,000 inside the overlap): a later poll may write them again."}, sp),
		Ready: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: "ready",
			Help: "1 once the broker answered and the replica joined its group."}),
		RecordsInFlight: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: "records_in_flight",
			Help: "Records the sources hold, from the start of a poll (what it expects to read) until its batch is committed; bounded by records_in_flight."}),
		InFlightWait: prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: "records_in_flight_wait_seconds_total",
			Help: "Time polls waited for room in records_in_flight, summed over the sources."}),
		Generation: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Subsystem: "group", Name: "generation",
			Help: "Generation of the connector's group at this replica's last rebalance."}),
		Rebalances: prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Subsystem: "group", Name: "rebalances_total",
			Help: "Rebalances of the connector's group this replica took part in."}),
		Tasks: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Subsystem: "group", Name: "tasks",
			Help: "Tasks (offsets-topic partitions) this replica owns."}),
	}
	buildInfo := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: Namespace, Name: "build_info",
		Help: "Build information; always 1."}, []string{"version", "goversion"})
	goVersion := "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		goVersion = bi.GoVersion
	}
	buildInfo.WithLabelValues(version, goVersion).Set(1)
	m.Registry.MustRegister(m.RecordsPolled, m.RecordsWritten, m.DLQRecords, m.PollErrors, m.RequestFailures,
		m.Transactions, m.PollDuration, m.CommitDuration, m.LastSuccess, m.FencedCommits, m.SeenDropped, m.Ready, m.RecordsInFlight, m.InFlightWait, m.Generation, m.Rebalances, m.Tasks, buildInfo, newSourceCollector(sources),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}
