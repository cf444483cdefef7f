package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/vnstream/connector/pkg/config"
	"github.com/vnstream/connector/pkg/poll"
	"github.com/vnstream/connector/pkg/source/etelecom"
	"github.com/vnstream/connector/pkg/source/interits"
	"github.com/vnstream/connector/pkg/source/nhanh"
	"github.com/vnstream/connector/pkg/source/nxlink"
	"github.com/vnstream/connector/pkg/source/zns"
)

const allKinds = `
name: all-kinds
kafka:
  brokers: ["127.0.0.1:9092"]
sources:
  - name: zns-its
    kind: interits_zns
    interits:
      api_key: ${ITS_KEY}
      start_time: 2026-01-01T00:00:00Z
  - name: zns-etel
    kind: etelecom_zns
    etelecom:
      base_url: https://api.etelecom.vn/v1/shop
      api_key: ${ETEL_KEY}
      oa_id: "4318"
      start_time: 2026-01-01T00:00:00Z
      window: 30m
  - name: cdp
    kind: nxlink_customer
    nxlink:
      access_key: fme2na3kdi3ki
      access_secret: ${NX_SECRET}
      app_key: ${NX_APP_KEY}
      tenant_id: 123
      time_zone: Asia/Ho_Chi_Minh
      start_time: 2026-01-01T00:00:00Z
  - name: vpage
    kind: nhanh_conversation
    nhanh:
      app_id: "75123"
      business_id: "4001"
      access_token: ${NHANH_TOKEN}
      page_ids: ["331526780045341"]
`

var allKindsEnv = map[string]string{"ITS_KEY": "k1", "ETEL_KEY": "k2", "NX_SECRET": "k3", "NX_APP_KEY": "k4", "NHANH_TOKEN": "k5"}

func TestParseAllKindsAppliesDefaults(t *testing.T) {
	cfg, err := config.Parse([]byte(allKinds), env(allKindsEnv))
	if err != nil {
		t.Fatal(err)
	}
	its, etel, nx, nh := cfg.Sources[0], cfg.Sources[1], cfg.Sources[2], cfg.Sources[3]
	checks := []struct {
		name      string
		got, want any
	}{
		{"interits topic", its.Topic, interits.DefaultTopic},
		{"interits base", its.Settings.(*zns.Settings).BaseURL, interits.DefaultBaseURL},
		{"interits page", its.Settings.(*zns.Settings).PageSize, zns.DefaultPageSize},
		{"interits window", its.Settings.(*zns.Settings).Window, time.Hour},
		{"interits overlap", its.Settings.(*zns.Settings).Overlap, poll.DefaultOverlap},
		{"interits key", its.Settings.(*zns.Settings).APIKey.Value(), "k1"},
		{"etelecom topic", etel.Topic, etelecom.DefaultTopic},
		{"etelecom window", etel.Settings.(*zns.Settings).Window, 30 * time.Minute},
		{"etelecom oa", etel.Settings.(*zns.Settings).OAID, "4318"},
		{"nxlink topic", nx.Topic, nxlink.DefaultTopic},
		{"nxlink base", nx.Settings.(*nxlink.Settings).BaseURL, nxlink.DefaultBaseURL},
		{"nxlink page", nx.Settings.(*nxlink.Settings).PageSize, 50},
		{"nxlink tenant", nx.Settings.(*nxlink.Settings).TenantID, int64(123)},
		{"nxlink lag", nx.Settings.(*nxlink.Settings).Lag, poll.DefaultLag},
		{"nxlink secrets", nx.Settings.(*nxlink.Settings).AccessSecret.Value() + nx.Settings.(*nxlink.Settings).AppKey.Value(), "k3k4"},
		{"nhanh topic", nh.Topic, nhanh.DefaultTopic},
		{"nhanh base", nh.Settings.(*nhanh.Settings).BaseURL, nhanh.DefaultBaseURL},
		{"nhanh page", nh.Settings.(*nhanh.Settings).PageSize, 50},
		{"nhanh lag", nh.Settings.(*nhanh.Settings).Lag, poll.DefaultLag},
		{"nhanh token", nh.Settings.(*nhanh.Settings).AccessToken.Value(), "k5"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestParseAllKindsProblems(t *testing.T) {
	y := `
name: bad
kafka:
  brokers: ["127.0.0.1:9092"]
sources:
  - name: a
    kind: interits_zns
    interits: {api_key: plain, page_size: 1001, start_time: 2026-01-01T00:00:00Z, overlap: 500ms}
  - name: b
    kind: etelecom_zns
    etelecom: {api_key: "${K}"}
    nhanh: {app_id: "1"}
  - name: c
    kind: nxlink_customer
    nxlink: {access_secret: "${K}", app_key: "${K}", time_zone: Mars/Olympus, page_size: 51, start_time: 2026-01-01T00:00:00Z}
  - name: d
    kind: nhanh_conversation
    nhanh: {app_id: "1", access_token: "${K}", type: 3, lag: -1s, color: blue}
  - name: e
    kind: nxlink_customer
`
	// Unknown settings are reported first, alone.
	_, err := config.Parse([]byte(y), env(map[string]string{"K": "v"}))
	if err == nil || !strings.Contains(err.Error(), "sources[3].nhanh.color: unknown setting (line 18)") {
		t.Fatalf("unknown setting: %v", err)
	}
	y = strings.Replace(y, ", color: blue", "", 1)
	_, err = config.Parse([]byte(y), env(map[string]string{"K": "v"}))
	for _, want := range []string{
		"sources[0].interits.api_key: a secret must come from the environment",
		"sources[0].interits.page_size: must be 1..1000",
		"sources[0].interits.overlap: must be at least 1s",
		"sources[1].etelecom.base_url: required",
		"sources[1].etelecom.start_time: required",
		"sources[1].nhanh: only for kind nhanh_conversation",
		"sources[2].nxlink.access_key: required",
		"sources[2].nxlink.tenant_id: required",
		`sources[2].nxlink.time_zone: "Mars/Olympus" is not an IANA time zone`,
		"sources[2].nxlink.page_size: must be 1..50",
		"sources[3].nhanh.business_id: required",
		"sources[3].nhanh.type: must be 0 (all), 1 (comments) or 2 (messages)",
		"sources[3].nhanh.lag: must not be negative",
		"sources[4].nxlink: required for kind nxlink_customer",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}
