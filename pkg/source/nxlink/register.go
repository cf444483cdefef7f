package nxlink

import (
	"fmt"
	"time"

	"github.com/vnstream/connector/pkg/config"
	"github.com/vnstream/connector/pkg/poll"
	"github.com/vnstream/connector/pkg/provider"
)

// Kind is the source kind of nxlink CDP customers.
const Kind = "nxlink_customer"

// The defaults of an nxlink_customer source.
const (
	DefaultBaseURL  = "https://api-hk.nxlink.ai"
	DefaultTopic    = "nxlink.cdp.customers"
	DefaultPageSize = 50
)

func init() {
	provider.Register(provider.Provider{Kind: Kind, Section: "nxlink", Topic: DefaultTopic, Entity: Entity, Value: &Customer{}}, NewSettings, New)
}

// Settings configure an nxlink_customer source (its `nxlink:` section):
// the CDP customers of one NXCLOUD nxlink tenant.
type Settings struct {
	// BaseURL is the open API host. Default https://api-hk.nxlink.ai.
	BaseURL string `yaml:"base_url"`
	// AccessKey is the accessKey header. Required.
	AccessKey string `yaml:"access_key"`
	// AccessSecret signs every request; it must come from ${ENV} or
	// AccessSecretFile.
	AccessSecret     config.Secret `yaml:"access_secret"`
	AccessSecretFile string        `yaml:"access_secret_file"`
	// TenantID is the tenant_id body field. Required.
	TenantID int64 `yaml:"tenant_id"`
	// AppKey is the app_key body field; it must come from ${ENV} or
	// AppKeyFile.
	AppKey     config.Secret `yaml:"app_key"`
	AppKeyFile string        `yaml:"app_key_file"`
	// TimeZone is the IANA zone of nxlink's zone-less times
	// ("2006-01-02 15:04:05"), e.g. Asia/Ho_Chi_Minh. Required: a wrong
	// zone shifts every window and timestamp.
	TimeZone string `yaml:"time_zone"`
	// PageSize is limit, 1..50. Default 50.
	PageSize       int `yaml:"page_size"`
	poll.Windowing `yaml:",inline"`
}

// NewSettings returns Settings holding the defaults.
func NewSettings() *Settings {
	return &Settings{BaseURL: DefaultBaseURL, PageSize: DefaultPageSize, Windowing: poll.DefaultWindowing(time.Hour)}
}

// Check implements config.Settings.
func (s *Settings) Check(add func(setting, problem string)) {
	config.CheckURL(add, "base_url", s.BaseURL)
	if s.AccessKey == "" {
		add("access_key", "required")
	}
	config.RequireSecret(add, "access_secret", s.AccessSecret)
	config.RequireSecret(add, "app_key", s.AppKey)
	if s.TenantID <= 0 {
		add("tenant_id", "required: a positive tenant id")
	}
	if s.TimeZone == "" {
		add("time_zone", "required: the IANA zone of nxlink's times, e.g. Asia/Ho_Chi_Minh")
	} else if _, err := time.LoadLocation(s.TimeZone); err != nil {
		add("time_zone", fmt.Sprintf("%q is not an IANA time zone", s.TimeZone))
	}
	config.CheckRange(add, "page_size", s.PageSize, 50)
	s.Windowing.Check(add)
}
