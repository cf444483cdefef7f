package interits

import (
	"github.com/vnstream/connector/pkg/provider"
	"github.com/vnstream/connector/pkg/source/zns"
)

// Kind is the source kind of InterITS ZNS messages.
const Kind = "interits_zns"

// The defaults of an interits_zns source.
const (
	DefaultBaseURL = "https://cpaas.interits.com"
	DefaultTopic   = "interits.zalo.messages"
)

func init() {
	provider.Register(provider.Provider{Kind: Kind, Section: "interits", Topic: DefaultTopic, Entity: zns.Entity, Value: &zns.Message{}}, NewSettings, New)
}

// NewSettings returns the settings of a source holding the defaults
// (zns.Settings, in the `interits:` section).
func NewSettings() *zns.Settings { return Dialect.DefaultSettings() }
