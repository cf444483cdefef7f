// Package source defines what a source is: a pure function from a committed
// offset and a vendor API to the next batch of change records (Source,
// Record, Offset, Op), and the small helpers every decoder shares: integer
// id ordering (ids.go), the JSON type names and body quotes of error
// messages (jsonkind.go, quote.go) and unix-seconds times (time.go). The
// polling machinery is package poll, the vendor HTTP client package fetch;
// the providers decode with encoding/json/v2
// (github.com/go-json-experiment/json).
//
// One sub-package per provider (tiki, zns with interits and etelecom,
// nxlink, nhanh) implements Source and registers itself with package
// provider; each has a simulator of its API under package sim, for tests
// and for `connector dev`.
package source

import (
	"context"
	"encoding/json"
	"time"
)

// Offset is a source's position: a small JSON document only the source
// understands. It is stored as given in the offsets topic. A nil Offset means
// the source has never committed and starts its initial backfill.
type Offset = json.RawMessage

// Op is the Debezium operation of a change event.
type Op string

// The operations a polled source emits. A polled API has no deletes.
const (
	OpCreate Op = "c" // a record seen for the first time after the backfill
	OpUpdate Op = "u" // a record seen before, with a newer update time
	OpRead   Op = "r" // a record read during the initial backfill
)

// Record is one change of one vendor entity.
type Record struct {
	// Key is the Avro key value: a struct of the entity's id fields.
	Key any
	// Value is the entity, a pointer to a struct matching the entity schema;
	// it becomes the envelope's `after`.
	Value any
	// Op is c, u or r.
	Op Op
	// Time is the entity's own time (creation or update time).
	Time time.Time
	// Position is a human-readable cursor position, for source.position.
	Position string
	// Raw is the record's JSON as the vendor sent it, for the dead-letter
	// topic; set with Err (a converted record that its codec refuses goes
	// there as its Value in JSON).
	Raw json.RawMessage
	// Err is set when the vendor record could not be converted. Value is
	// then unset (Key may be set, when the id could be read) and the record
	// goes to the dead-letter topic (or fails the batch, as configured)
	// with Raw and Err in its headers.
	Err error
}

// Source polls one configured vendor account.
//
// A Source holds no state that a restart would lose: Poll is a function of
// the offset it is given and of what the vendor API answers. The runtime
// commits the returned records and next offset in one Kafka transaction, then
// calls Poll again with next; when the transaction fails it calls Poll again
// with the last committed offset.
type Source interface {
	// Poll reads the records after offset. It returns them in the order
	// they must be written, the offset that follows them, and whether more
	// records are waiting now (the runtime then polls again at once instead
	// of waiting for the poll interval). An error means nothing was read;
	// the runtime backs off and retries from the same offset.
	Poll(ctx context.Context, offset Offset) (records []Record, next Offset, more bool, err error)
}
