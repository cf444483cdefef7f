package connector

import (
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
}

// providers maps each config.Kinds entry to its provider.
var providers = map[string]provider{
	"tiki_lead": {
		entity:    tiki.Entity,
		valueType: &tiki.FormResponse{},
		newSource: func(s config.Source, client *source.Client) source.Source {
			return tiki.New(s.Name, *s.Tiki, client)
		},
	},
}
