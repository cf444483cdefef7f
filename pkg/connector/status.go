package connector

import (
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/vnstream/connector/pkg/metrics"
	"github.com/vnstream/connector/pkg/source"
)

// State is what a source is doing.
type State string

// The states of a source, in /status and connector_source_state (whose
// label values, metrics.States, list the same).
const (
	StateStarting   State = "starting"    // waiting for Kafka and its offset
	StateRunning    State = "running"     // polling and committing
	StateBackingOff State = "backing_off" // its last poll or commit failed; retrying
	StateFailed     State = "failed"      // it needs an operator (credentials refused, a record dlq.mode=fail cannot write); still retrying
	StateStopped    State = "stopped"     // the connector is shutting down
)

// SourceStatus is one source in /status. It never holds a secret: errors
// name requests without credentials (see source.Error).
type SourceStatus struct {
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	Topic    string `json:"topic"`
	Task     int32  `json:"task"`
	State    State  `json:"state"`
	Failures int    `json:"consecutive_failures"`
	// LastSuccess is when the source last committed a batch or found
	// nothing new; zero before the first.
	LastSuccess time.Time `json:"last_success,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	// Offset is the committed offset, as stored in the offsets topic.
	Offset json.RawMessage `json:"offset,omitempty"`
	// Newest is the entity time of the newest record committed since start.
	Newest time.Time `json:"newest_record,omitzero"`
	// LagSeconds is now − Newest; absent until a record is committed.
	LagSeconds *float64 `json:"lag_seconds,omitempty"`
}

// Status is the body of /status.
type Status struct {
	Connector string         `json:"connector"`
	Version   string         `json:"version"`
	Ready     bool           `json:"ready"`
	Sources   []SourceStatus `json:"sources"`
}

// statusBoard holds every source's status; workers write, /status and
// the metrics collector read.
type statusBoard struct {
	mu      sync.Mutex
	sources []*SourceStatus
	byName  map[string]*SourceStatus
}

func newStatusBoard() *statusBoard { return &statusBoard{byName: map[string]*SourceStatus{}} }

// add registers a source in the starting state.
func (b *statusBoard) add(s SourceStatus) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.byName[s.Name]; ok {
		return
	}
	s.State = StateStarting
	b.sources = append(b.sources, &s)
	b.byName[s.Name] = &s
}

// update changes one source's status under the lock.
func (b *statusBoard) update(name string, fn func(*SourceStatus)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if s, ok := b.byName[name]; ok {
		fn(s)
	}
}

// snapshot copies every status, with the lag computed at now.
func (b *statusBoard) snapshot(now time.Time) []SourceStatus {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]SourceStatus, len(b.sources))
	for i, s := range b.sources {
		out[i] = *s
		if !s.Newest.IsZero() {
			lag := now.Sub(s.Newest).Seconds()
			out[i].LagSeconds = &lag
		}
	}
	return out
}

// metricsSnapshot feeds connector_source_lag_seconds and connector_source_state.
func (b *statusBoard) metricsSnapshot() []metrics.SourceSnapshot {
	snap := b.snapshot(time.Now())
	out := make([]metrics.SourceSnapshot, len(snap))
	for i, s := range snap {
		out[i] = metrics.SourceSnapshot{Source: s.Name, Provider: s.Kind, State: string(s.State), Lag: s.LagSeconds}
	}
	return out
}

// committed records a successful step.
func (b *statusBoard) committed(name string, offset source.Offset, newest time.Time) {
	b.update(name, func(s *SourceStatus) {
		s.State, s.Failures, s.LastSuccess, s.Offset = StateRunning, 0, time.Now().UTC(), offset
		if newest.After(s.Newest) {
			s.Newest = newest.UTC()
		}
	})
}

// failed records a failed step and the state it leaves the source in.
func (b *statusBoard) failed(name string, state State, err error) {
	b.update(name, func(s *SourceStatus) {
		s.State, s.LastError, s.LastErrorAt = state, err.Error(), time.Now().UTC()
		s.Failures++
	})
}

func (c *Connector) serveStatus(w http.ResponseWriter, _ *http.Request) {
	st := Status{Connector: c.cfg.Name, Version: c.version, Ready: c.ready.Load(), Sources: c.status.snapshot(time.Now())}
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(st)
}
