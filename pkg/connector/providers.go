package connector

import (
	"fmt"

	"github.com/vnstream/connector/pkg/config"
	"github.com/vnstream/connector/pkg/poll"
	"github.com/vnstream/connector/pkg/provider"
	"github.com/vnstream/connector/pkg/schema"
	"github.com/vnstream/connector/pkg/source"
)

// SourceEntity is the entity of s's events in set: its kind's entity, in
// the flat shape when s's value_format is flat.
func SourceEntity(set *schema.Set, s config.Source) (*schema.Entity, error) {
	p, _ := provider.Lookup(s.Kind)
	e, err := set.Entity(p.Entity)
	if err != nil {
		return nil, err
	}
	if s.ValueFormat == "flat" {
		e = e.Flat()
	}
	return e, nil
}

// CheckOffset reports whether off is an offset a source of kind can resume
// from, for `connector offsets set`: every kind commits a poll.Cursor.
func CheckOffset(kind string, off source.Offset) error {
	if _, ok := provider.Lookup(kind); !ok {
		return fmt.Errorf("unknown source kind %q", kind)
	}
	return poll.CheckCursor(off)
}
