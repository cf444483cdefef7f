package nhanh

import (
	"time"

	"github.com/vnstream/connector/pkg/config"
	"github.com/vnstream/connector/pkg/poll"
	"github.com/vnstream/connector/pkg/provider"
)

// Kind is the source kind of Nhanh.vn vPage conversations.
const Kind = "nhanh_conversation"

// The defaults of an nhanh_conversation source.
const (
	DefaultBaseURL  = "https://vpage.open.nhanh.vn"
	DefaultTopic    = "nhanh.vpage.conversations"
	DefaultPageSize = 50
)

func init() {
	provider.Register(provider.Provider{Kind: Kind, Section: "nhanh", Topic: DefaultTopic, Entity: Entity, Value: &Conversation{}}, NewSettings, New)
}

// Settings configure an nhanh_conversation source (its `nhanh:` section):
// the vPage conversations of one Nhanh.vn business.
type Settings struct {
	// BaseURL is the vPage open API base. Default
	// https://vpage.open.nhanh.vn.
	BaseURL string `yaml:"base_url"`
	// AppID and BusinessID are the appId and businessId query parameters.
	// Required.
	AppID      string `yaml:"app_id"`
	BusinessID string `yaml:"business_id"`
	// AccessToken is the Authorization header; it must come from ${ENV}
	// or AccessTokenFile.
	AccessToken     config.Secret `yaml:"access_token"`
	AccessTokenFile string        `yaml:"access_token_file"`
	// PageIDs limits the conversations to these pages. Optional.
	PageIDs []string `yaml:"page_ids"`
	// Type limits the conversations to comments (1) or messages (2).
	// Default 0: both.
	Type int `yaml:"type"`
	// PageSize is paginator.size, 1..50. Default 50.
	PageSize int `yaml:"page_size"`
	// Lag keeps the cursor this far behind now: a conversation updated
	// within the lag is read by a later poll. Default 2s.
	Lag time.Duration `yaml:"lag"`
}

// NewSettings returns Settings holding the defaults.
func NewSettings() *Settings {
	return &Settings{BaseURL: DefaultBaseURL, PageSize: DefaultPageSize, Lag: poll.DefaultLag}
}

// Check implements config.Settings.
func (s *Settings) Check(add func(setting, problem string)) {
	config.CheckURL(add, "base_url", s.BaseURL)
	if s.AppID == "" {
		add("app_id", "required")
	}
	if s.BusinessID == "" {
		add("business_id", "required")
	}
	config.RequireSecret(add, "access_token", s.AccessToken)
	if s.Type < 0 || s.Type > 2 {
		add("type", "must be 0 (all), 1 (comments) or 2 (messages)")
	}
	config.CheckRange(add, "page_size", s.PageSize, 50)
	if s.Lag < 0 {
		add("lag", "must not be negative")
	}
}
