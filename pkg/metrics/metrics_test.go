package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestCollectorsAreRegisteredUnderTheNamespace(t *testing.T) {
	lag := 42.5
	newest := time.Date(2026, 3, 1, 8, 0, 0, 250_000_000, time.UTC)
	m := New("1.2.3", func() []SourceSnapshot {
		return []SourceSnapshot{{Source: "tiki-main", Provider: "tiki_lead", State: "backing_off", Lag: &lag, Newest: newest}, {Source: "new", Provider: "tiki_lead", State: "starting"}}
	})
	m.RecordsWritten.WithLabelValues("tiki-main", "tiki_lead").Add(3)
	m.PollErrors.WithLabelValues("tiki-main", "tiki_lead", "auth").Inc()
	m.Transactions.WithLabelValues("tiki-main", "tiki_lead", "committed").Inc()
	m.Ready.Set(1)
	want := `
# HELP connector_records_written_total Change events committed to the source's topic.
# TYPE connector_records_written_total counter
connector_records_written_total{provider="tiki_lead",source="tiki-main"} 3
# HELP connector_poll_errors_total Failed polls by reason; the source backs off and retries from its committed offset.
# TYPE connector_poll_errors_total counter
connector_poll_errors_total{provider="tiki_lead",reason="auth",source="tiki-main"} 1
# HELP connector_transactions_total Kafka transactions by result (committed, aborted).
# TYPE connector_transactions_total counter
connector_transactions_total{provider="tiki_lead",result="committed",source="tiki-main"} 1
# HELP connector_ready 1 once the broker answered and the replica joined its group.
# TYPE connector_ready gauge
connector_ready 1
# HELP connector_source_lag_seconds Now minus the source's committed position: the watermark of its offset, or, when its last poll left nothing waiting, the time that poll read up to (its start minus the source's lag). Only on the replica that owns the source's task.
# TYPE connector_source_lag_seconds gauge
connector_source_lag_seconds{provider="tiki_lead",source="tiki-main"} 42.5
# HELP connector_source_newest_record_timestamp_seconds Entity time of the newest record the source committed since start; it stands still while the vendor sends nothing new.
# TYPE connector_source_newest_record_timestamp_seconds gauge
connector_source_newest_record_timestamp_seconds{provider="tiki_lead",source="tiki-main"} 1.77235200025e+09
# HELP connector_source_state 1 for the source's current state; the other states have no series.
# TYPE connector_source_state gauge
connector_source_state{provider="tiki_lead",source="new",state="starting"} 1
connector_source_state{provider="tiki_lead",source="tiki-main",state="backing_off"} 1
`
	if err := testutil.GatherAndCompare(m.Registry, strings.NewReader(want),
		"connector_records_written_total", "connector_poll_errors_total", "connector_transactions_total", "connector_ready",
		"connector_source_lag_seconds", "connector_source_newest_record_timestamp_seconds", "connector_source_state"); err != nil {
		t.Fatal(err)
	}
	mfs, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var build bool
	for _, mf := range mfs {
		name := mf.GetName()
		if !strings.HasPrefix(name, Namespace+"_") && !strings.HasPrefix(name, "go_") && !strings.HasPrefix(name, "process_") {
			t.Errorf("metric %s outside the namespace", name)
		}
		if name == "connector_build_info" {
			build = mf.GetMetric()[0].GetLabel()[1].GetValue() == "1.2.3"
		}
	}
	if !build {
		t.Error("connector_build_info does not carry the version")
	}
}
