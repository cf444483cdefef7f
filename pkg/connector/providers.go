package connector

import (
	"fmt"

	"github.com/vnstream/connector/pkg/config"
	"github.com/vnstream/connector/pkg/source"
	"github.com/vnstream/connector/pkg/source/etelecom"
	"github.com/vnstream/connector/pkg/source/interits"
	"github.com/vnstream/connector/pkg/source/nhanh"
	"github.com/vnstream/connector/pkg/source/nxlink"
	"github.com/vnstream/connector/pkg/source/tiki"
	"github.com/vnstream/connector/pkg/source/zns"
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
	"interits_zns": {
		entity:    zns.Entity,
		valueType: &zns.Message{},
		newSource: func(s config.Source, client *source.Client) source.Source {
			return interits.New(s.Name, *s.InterITS, client)
		},
	},
	"etelecom_zns": {
		entity:    zns.Entity,
		valueType: &zns.Message{},
		newSource: func(s config.Source, client *source.Client) source.Source {
			return etelecom.New(s.Name, *s.ETelecom, client)
		},
	},
	"nxlink_customer": {
		entity:    nxlink.Entity,
		valueType: &nxlink.Customer{},
		newSource: func(s config.Source, client *source.Client) source.Source {
			return nxlink.New(s.Name, *s.Nxlink, client)
		},
	},
	"nhanh_conversation": {
		entity:    nhanh.Entity,
		valueType: &nhanh.Conversation{},
		newSource: func(s config.Source, client *source.Client) source.Source {
			return nhanh.New(s.Name, *s.Nhanh, client)
		},
	},
}

// Entity names the schema entity of a source kind, "" for an unknown kind.
func Entity(kind string) string { return providers[kind].entity }

// CheckOffset reports whether off is an offset a source of kind can resume
// from, for `connector offsets set`: every kind commits a source.Cursor.
func CheckOffset(kind string, off source.Offset) error {
	if _, ok := providers[kind]; !ok {
		return fmt.Errorf("unknown source kind %q", kind)
	}
	_, err := source.DecodeCursor(off)
	return err
}
