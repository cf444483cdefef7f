package etelecom

import (
	"github.com/vnstream/connector/pkg/provider"
	"github.com/vnstream/connector/pkg/source/zns"
)

// Kind is the source kind of eTelecom ZNS messages.
const Kind = "etelecom_zns"

// DefaultTopic is the default topic of an etelecom_zns source.
const DefaultTopic = "etelecom.zalo.messages"

func init() {
	provider.Register(provider.Provider{Kind: Kind, Section: "etelecom", Topic: DefaultTopic, Entity: zns.Entity, Value: &zns.Message{}}, NewSettings, New)
}

// NewSettings returns the settings of a source holding the defaults
// (zns.Settings, in the `etelecom:` section).
func NewSettings() *zns.Settings { return Dialect.DefaultSettings() }
