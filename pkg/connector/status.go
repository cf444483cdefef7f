package connector

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vnstream/connector/pkg/metrics"
	"github.com/vnstream/connector/pkg/poll"
	"github.com/vnstream/connector/pkg/source"
)

// State is what a source is doing.
type State string

// The states of a source, in /status and connector_source_state (whose
// label values, metrics.States, list the same).
const (
	StateUnassigned State = "unassigned"  // its task runs on another replica, or on none yet
	StateStarting   State = "starting"    // its task is assigned here: fencing it and reading the offset
	StateRunning    State = "running"     // polling and committing
	StateBackingOff State = "backing_off" // its last poll or commit failed; retrying
	StateFailed     State = "failed"      // it needs an operator (credentials refused, a record dlq.mode=fail cannot write); still retrying
	StateStopped    State = "stopped"     // the connector is shutting down
)

// SourceStatus is one source in /status. It never holds a secret: errors
// name requests without credentials (see fetch.Error).
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
	// Offset summarises the committed offset: its size, watermark and how
	// many versions it remembers (`connector offsets list` prints it
	// whole). Absent before the source has one.
	Offset *poll.Summary `json:"offset,omitempty"`
	// Position is how far the source has read with everything it found
	// committed: its offset's watermark (the offset committed, or one that
	// moved on in memory over polls that found nothing, see
	// offset_heartbeat), or, when the last poll left nothing waiting, the
	// horizon that poll read up to (its start − the source's lag; a keyset
	// watermark, the newest time read, stands still while the vendor is
	// quiet). Zero before the source has an offset.
	Position time.Time `json:"position,omitzero"`
	// LagSeconds is now − Position, while the source's task runs on this
	// replica; absent otherwise.
	LagSeconds *float64 `json:"lag_seconds,omitempty"`
	// Newest is the entity time of the newest record committed since
	// start; it stands still while the vendor sends nothing new.
	Newest time.Time `json:"newest_record,omitzero"`
	// WaitingSince is when the source's next poll began to wait for room
	// in records_in_flight, which other sources' batches hold; absent
	// while it is not waiting.
	WaitingSince time.Time `json:"waiting_for_room_since,omitzero"`
}

// GroupStatus is this replica's place in the connector's group.
type GroupStatus struct {
	// Instance is this replica's name (its client id in the group).
	Instance string `json:"instance"`
	// MemberID and Generation are from the last rebalance; empty and 0
	// before the replica joined.
	MemberID   string `json:"member_id"`
	Generation int32  `json:"generation"`
	// Rebalances counts the rebalances this replica took part in.
	Rebalances int `json:"rebalances"`
	// Tasks are the tasks (offsets-topic partitions) it owns.
	Tasks []int32 `json:"tasks"`
}

// Status is the body of /status.
type Status struct {
	Connector string `json:"connector"`
	Version   string `json:"version"`
	Ready     bool   `json:"ready"`
	// StartError is why the replica cannot start yet (the broker is
	// unreachable, a topic cannot be created...): set while it retries,
	// absent once it started.
	StartError   string         `json:"start_error,omitempty"`
	StartErrorAt time.Time      `json:"start_error_at,omitzero"`
	Group        GroupStatus    `json:"group"`
	Sources      []SourceStatus `json:"sources"`
}

// statusBoard holds every source's status; workers write, /status and
// the metrics collector read.
type statusBoard struct {
	mu      sync.Mutex
	sources []*SourceStatus
	byName  map[string]*SourceStatus
	// offsets holds each source's committed offset, summarised into its
	// SourceStatus only when a snapshot is taken after it changed.
	offsets map[string]*offsetState
}

// offsetState is a source's committed offset and its summary.
type offsetState struct {
	offset     source.Offset
	summarized bool
}

func newStatusBoard() *statusBoard {
	return &statusBoard{byName: map[string]*SourceStatus{}, offsets: map[string]*offsetState{}}
}

// add registers a source in the starting state.
func (b *statusBoard) add(s SourceStatus) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.byName[s.Name]; ok {
		return
	}
	b.sources = append(b.sources, &s)
	b.byName[s.Name] = &s
	b.offsets[s.Name] = &offsetState{summarized: true}
}

// setOffset records a source's committed offset (read or committed).
func (b *statusBoard) setOffset(name string, off source.Offset) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if o := b.offsets[name]; o != nil && !bytes.Equal(o.offset, off) {
		o.offset, o.summarized = off, false
	}
}

// update changes one source's status under the lock.
func (b *statusBoard) update(name string, fn func(*SourceStatus)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if s, ok := b.byName[name]; ok {
		fn(s)
	}
}

// setAll puts every source in state.
func (b *statusBoard) setAll(state State) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, s := range b.sources {
		s.State = state
	}
}

// snapshot copies every status, with the lag computed at now for the
// sources whose task runs here: a replica that gave a task away keeps its
// last position, which would only grow stale. With offsets, the offsets
// that changed since the last such snapshot are summarised first; the
// metrics, which do not show them, take snapshots without.
func (b *statusBoard) snapshot(now time.Time, offsets bool) []SourceStatus {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]SourceStatus, len(b.sources))
	for i, s := range b.sources {
		if o := b.offsets[s.Name]; offsets && !o.summarized {
			s.Offset, o.summarized = poll.Summarize(o.offset), true
		}
		out[i] = *s
		if !s.Position.IsZero() && s.State != StateUnassigned {
			lag := now.Sub(s.Position).Seconds()
			out[i].LagSeconds = &lag
		}
	}
	return out
}

// metricsSnapshot feeds connector_source_lag_seconds,
// connector_source_newest_record_timestamp_seconds and
// connector_source_state.
func (b *statusBoard) metricsSnapshot() []metrics.SourceSnapshot {
	snap := b.snapshot(time.Now(), false)
	out := make([]metrics.SourceSnapshot, len(snap))
	for i, s := range snap {
		out[i] = metrics.SourceSnapshot{Source: s.Name, Provider: s.Kind, State: string(s.State), Lag: s.LagSeconds, Newest: s.Newest}
	}
	return out
}

// committed records a successful step: the offset committed (or polled
// again unchanged), the position it reached and the newest record written.
func (b *statusBoard) committed(name string, offset source.Offset, position, newest time.Time) {
	b.update(name, func(s *SourceStatus) {
		s.State, s.Failures, s.LastSuccess, s.Position = StateRunning, 0, time.Now().UTC(), position
		if newest.After(s.Newest) {
			s.Newest = newest.UTC()
		}
	})
	b.setOffset(name, offset)
}

// failed records a failed step and the state it leaves the source in.
func (b *statusBoard) failed(name string, state State, err error) {
	b.update(name, func(s *SourceStatus) {
		s.State, s.LastError, s.LastErrorAt = state, err.Error(), time.Now().UTC()
		s.Failures++
	})
}

// serveStatus answers /status: every source, or those the query names
// (?source=NAME and ?state=STATE, each repeatable or comma-separated;
// both given, a source must match both).
func (c *Connector) serveStatus(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	names, states := listParam(q["source"]), listParam(q["state"])
	for _, s := range states {
		if !slices.Contains(metrics.States, s) {
			http.Error(w, fmt.Sprintf("state %q is not one of %s", s, strings.Join(metrics.States, ", ")), http.StatusBadRequest)
			return
		}
	}
	sources := c.status.snapshot(time.Now(), true)
	if len(names) > 0 || len(states) > 0 {
		sources = slices.DeleteFunc(sources, func(s SourceStatus) bool {
			return len(names) > 0 && !slices.Contains(names, s.Name) || len(states) > 0 && !slices.Contains(states, string(s.State))
		})
	}
	st := Status{Connector: c.cfg.Name, Version: c.version, Ready: c.ready.Load(), Group: c.GroupStatus(), Sources: sources}
	c.mu.Lock()
	st.StartError, st.StartErrorAt = c.startErr, c.startErrAt
	c.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(st)
}

// GroupStatus returns this replica's place in the connector's group.
func (c *Connector) GroupStatus() GroupStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	g := c.group
	g.Instance = c.instance
	g.Tasks = append([]int32{}, g.Tasks...)
	return g
}

// listParam splits a repeatable, comma-separated query parameter.
func listParam(values []string) []string {
	var out []string
	for _, v := range values {
		for item := range strings.SplitSeq(v, ",") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, item)
			}
		}
	}
	return out
}
