package connector

import (
	"fmt"

	"github.com/vnstream/connector/pkg/config"
	"github.com/vnstream/connector/pkg/source"
	"github.com/vnstream/connector/pkg/source/tiki"
)

// provider ties a source kind to its implementation and its schema.
type provider struct {
	// entity names the schema folder in schemas/.
	entity string
	// valueType is a pointer to the Go entity type the source emits.
	valueType any
	// newSource builds the source for one configured instance.
	newSource func(s config.Source, client *source.Client) source.Source
	// checkOffset tells whether off is an offset the source can resume from.
	checkOffset func(off source.Offset) error
}

// providers maps each config.Kinds entry to its provider.
var providers = map[string]provider{
	"tiki_lead": {
		entity:    tiki.Entity,
		valueType: &tiki.FormResponse{},
		newSource: func(s config.Source, client *source.Client) source.Source {
			return tiki.New(s.Name, *s.Tiki, client)
		},
		checkOffset: checkCursor,
	},
}

// Entity names the schema entity of a source kind, "" for an unknown kind.
func Entity(kind string) string { return providers[kind].entity }

// CheckOffset reports whether off is an offset a source of kind can resume
// from, for `connector offsets set`.
func CheckOffset(kind string, off source.Offset) error {
	p, ok := providers[kind]
	if !ok {
		return fmt.Errorf("unknown source kind %q", kind)
	}
	return p.checkOffset(off)
}

func checkCursor(off source.Offset) error {
	_, err := source.DecodeCursor(off)
	return err
}
