package etelecom

import (
	"github.com/vnstream/connector/pkg/config"
	"github.com/vnstream/connector/pkg/provider"
	"github.com/vnstream/connector/pkg/source/zns"
)

// Kind is the source kind of eTelecom ZNS messages.
const Kind = "etelecom_zns"

// DefaultTopic is the default topic of an etelecom_zns source.
const DefaultTopic = "etelecom.zalo.messages"

func init() {
	provider.Register(provider.Provider{Kind: Kind, Section: "etelecom", Topic: DefaultTopic, Entity: Entity, Value: &Message{}}, NewSettings, New)
}

// Settings configure an etelecom_zns source (its `etelecom:` section):
// the ZNS messages of one eTelecom Zalo Cloud shop.
type Settings struct {
	// BaseURL is the Twirp service prefix that ".Zalo/ListMessages" is
	// appended to, e.g. https://api.etelecom.vn/v1/shop. Required: the
	// document does not name one.
	BaseURL      string `yaml:"base_url"`
	zns.Settings `yaml:",inline"`
}

// NewSettings returns Settings holding the defaults.
func NewSettings() *Settings { return &Settings{Settings: zns.DefaultSettings()} }

// Check implements config.Settings.
func (s *Settings) Check(add func(setting, problem string)) {
	if s.BaseURL == "" {
		add("base_url", "required: the service prefix .Zalo/ListMessages is appended to, e.g. https://api.etelecom.vn/v1/shop")
	} else {
		config.CheckURL(add, "base_url", s.BaseURL)
	}
	s.Settings.Check(add)
}
