package connector

import (
	"fmt"

	"github.com/vnstream/connector/pkg/poll"
	"github.com/vnstream/connector/pkg/provider"
	"github.com/vnstream/connector/pkg/source"
)

// Entity names the schema entity of a source kind, "" for an unknown kind.
func Entity(kind string) string {
	p, _ := provider.Lookup(kind)
	return p.Entity
}

// CheckOffset reports whether off is an offset a source of kind can resume
// from, for `connector offsets set`: every kind commits a poll.Cursor.
func CheckOffset(kind string, off source.Offset) error {
	if _, ok := provider.Lookup(kind); !ok {
		return fmt.Errorf("unknown source kind %q", kind)
	}
	return poll.CheckCursor(off)
}
