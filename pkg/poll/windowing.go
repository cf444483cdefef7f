package poll

import "time"

// Windowing is how a time-filtered source walks the vendor's history in
// bounded windows (see Windows); providers embed it, inline, in their
// settings.
type Windowing struct {
	// StartTime is where the initial backfill begins. Required.
	StartTime time.Time `yaml:"start_time"`
	// Window is the longest time range read in one poll (one
	// transaction). Default: the provider's (24h for tiki_lead, 1h for the
	// others).
	Window time.Duration `yaml:"window"`
	// Lag keeps windows this far behind now, for writes that become
	// visible late (Overlap catches later ones). Default 2s.
	Lag time.Duration `yaml:"lag"`
	// Overlap re-reads this much before the last window's end, at least
	// 1s (the resolution of the time filters). Default 5m.
	Overlap time.Duration `yaml:"overlap"`
	// MaxWindowRecords halves a window that holds more records, so memory
	// stays bounded; the next windows keep the halved length until they
	// hold less than half as many. Default 10000.
	MaxWindowRecords int `yaml:"max_window_records"`
}

// The Windowing defaults but Window, which each provider states.
const (
	DefaultLag              = 2 * time.Second
	DefaultOverlap          = 5 * time.Minute
	DefaultMaxWindowRecords = 10000
)

// DefaultWindowing is Windowing with its defaults and the provider's
// window size.
func DefaultWindowing(window time.Duration) Windowing {
	return Windowing{Window: window, Lag: DefaultLag, Overlap: DefaultOverlap, MaxWindowRecords: DefaultMaxWindowRecords}
}

// Check reports what is wrong with w to add, by setting name.
func (w Windowing) Check(add func(setting, problem string)) {
	if w.StartTime.IsZero() {
		add("start_time", "required: where the initial backfill begins (RFC 3339)")
	}
	if w.Window < time.Second {
		add("window", "must be at least 1s")
	}
	if w.Lag < 0 {
		add("lag", "must not be negative")
	}
	if w.Overlap < time.Second {
		add("overlap", "must be at least 1s, the resolution of the vendor's time filter")
	}
	if w.MaxWindowRecords <= 0 {
		add("max_window_records", "must be positive")
	}
}
