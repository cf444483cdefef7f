// Package sim is what the in-process vendor simulators share, besides
// their fault injection (package sim/fault): the Simulator interface, the
// registry `connector dev` starts them from, and the helpers of their
// JSON answers. Each simulator is a sub-package named after its provider
// (tikisim in sim/tiki, znssim in sim/zns, nxlinksim in sim/nxlink,
// nhanhsim in sim/nhanh), used by the connector's tests and by
// `connector dev`; it registers itself from init, and package sim/all
// imports every one.
package sim

import (
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/vnstream/connector/pkg/source"
)

// Simulator is a vendor API fake, as `connector dev` and the tests that
// treat every simulator alike use it: it serves the API and holds
// records. Each simulator has typed methods (Create, Update, Add,
// Records) for tests that need the records' content; Of makes its
// Simulator.
type Simulator interface {
	http.Handler
	// NewRecord stores a new record created at at, its content
	// generated, and returns its id.
	NewRecord(at time.Time) string
	// ChangeRecord makes a new version of record id stamped at, the way
	// the vendor's records change. It fails for an unknown id or an at
	// before the record's last change, and with ErrNeverChanges on a
	// simulator whose vendor never changes a record.
	ChangeRecord(id string, at time.Time) error
	// RecordIDs returns the ids of the records held, in id order:
	// source.CompareIDs, numbers as integers.
	RecordIDs() []string
}

// ErrNeverChanges is ChangeRecord's error when the vendor never changes a
// record once made (Tiki's form responses).
var ErrNeverChanges = errors.New("the vendor's records never change")

// Records are a simulator's typed methods on records of type R.
type Records[R any] struct {
	// Create stores a new record created at at, its content generated.
	Create func(at time.Time) R
	// Update makes a new version of record id stamped at; nil when the
	// vendor's records never change.
	Update func(id string, at time.Time) (R, error)
	// List returns every record held.
	List func() []R
	// ID returns a record's id.
	ID func(R) string
}

// Of returns the Simulator that serves h and handles its records through
// r.
func Of[R any](h http.Handler, r Records[R]) Simulator { return typed[R]{h, r} }

// typed is the Simulator Of returns.
type typed[R any] struct {
	http.Handler
	r Records[R]
}

func (t typed[R]) NewRecord(at time.Time) string { return t.r.ID(t.r.Create(at)) }

func (t typed[R]) ChangeRecord(id string, at time.Time) error {
	if t.r.Update == nil {
		return ErrNeverChanges
	}
	_, err := t.r.Update(id, at)
	return err
}

func (t typed[R]) RecordIDs() []string {
	records := t.r.List()
	out := make([]string, len(records))
	for i, r := range records {
		out[i] = t.r.ID(r)
	}
	slices.SortFunc(out, source.CompareIDs)
	return out
}
