package tiki

import (
	"fmt"
	"strconv"
	"time"

	"github.com/vnstream/connector/pkg/config"
	"github.com/vnstream/connector/pkg/poll"
	"github.com/vnstream/connector/pkg/provider"
	"github.com/vnstream/connector/pkg/source"
)

// Kind is the source kind of Tiki lead forms.
const Kind = "tiki_lead"

// The defaults of a tiki_lead source.
const (
	DefaultBaseURL  = "https://api.tiki.vn/tiniapp-open-api"
	DefaultTopic    = "tiki.lead.form-responses"
	DefaultPageSize = 500
	DefaultWindow   = 24 * time.Hour
)

func init() {
	provider.Register(provider.Provider{Kind: Kind, Section: "tiki", Topic: DefaultTopic, Entity: Entity, Value: &FormResponse{}}, NewSettings, New)
}

// Settings configure a tiki_lead source (its `tiki:` section).
type Settings struct {
	// BaseURL is the open API base. Default
	// https://api.tiki.vn/tiniapp-open-api (sandbox:
	// https://api.tiki.vn/tiniapp-sandbox-open-api).
	BaseURL  string `yaml:"base_url"`
	ClientID string `yaml:"client_id"`
	// ClientSecret must come from ${ENV} or ClientSecretFile.
	ClientSecret     config.Secret `yaml:"client_secret"`
	ClientSecretFile string        `yaml:"client_secret_file"`
	// FormIDs are the lead forms to read. Required.
	FormIDs []string `yaml:"form_ids"`
	// PageSize is the size parameter, 1..500. Default 500.
	PageSize       int `yaml:"page_size"`
	poll.Windowing `yaml:",inline"`
}

// NewSettings returns Settings holding the defaults.
func NewSettings() *Settings {
	return &Settings{BaseURL: DefaultBaseURL, PageSize: DefaultPageSize, Windowing: poll.DefaultWindowing(DefaultWindow)}
}

// Check implements config.Settings.
func (s *Settings) Check(add func(setting, problem string)) {
	config.CheckURL(add, "base_url", s.BaseURL)
	if s.ClientID == "" {
		add("client_id", "required")
	}
	config.RequireSecret(add, "client_secret", s.ClientSecret)
	if len(s.FormIDs) == 0 {
		add("form_ids", "at least one form id is required")
	}
	for i, id := range s.FormIDs {
		if !source.Digits(id) {
			add("form_ids["+strconv.Itoa(i)+"]", fmt.Sprintf("%q: must be a numeric id", id))
		}
	}
	config.CheckRange(add, "page_size", s.PageSize, 500)
	s.Windowing.Check(add)
}
