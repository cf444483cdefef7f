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

// Simulator is a vendor API fake: it serves the API and holds records.
// Each simulator also has typed methods (Create, Update, Add, Records)
// for tests that need the records' content.
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
	// RecordIDs returns the ids of the records held, in id order (see
	// IDs).
	RecordIDs() []string
}

// ErrNeverChanges is ChangeRecord's error when the vendor never changes a
// record once made (Tiki's form responses).
var ErrNeverChanges = errors.New("the vendor's records never change")

// IDs returns the id of each record, in id order: source.CompareIDs,
// numbers as integers.
func IDs[R any](records []R, id func(R) string) []string {
	out := make([]string, len(records))
	for i, r := range records {
		out[i] = id(r)
	}
	slices.SortFunc(out, source.CompareIDs)
	return out
}
