package interits

import (
	"github.com/vnstream/connector/pkg/config"
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
	provider.Register(provider.Provider{Kind: Kind, Section: "interits", Topic: DefaultTopic, Entity: Entity, Value: &Message{}}, NewSettings, New)
}

// Settings configure an interits_zns source (its `interits:` section):
// the ZNS messages of one InterITS CPaaS account.
type Settings struct {
	// BaseURL is the CPaaS base. Default https://cpaas.interits.com.
	BaseURL      string `yaml:"base_url"`
	zns.Settings `yaml:",inline"`
}

// NewSettings returns Settings holding the defaults.
func NewSettings() *Settings {
	return &Settings{BaseURL: DefaultBaseURL, Settings: zns.DefaultSettings()}
}

// Check implements config.Settings.
func (s *Settings) Check(add func(setting, problem string)) {
	config.CheckURL(add, "base_url", s.BaseURL)
	s.Settings.Check(add)
}
