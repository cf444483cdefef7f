package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vnstream/connector/pkg/config"
	_ "github.com/vnstream/connector/pkg/provider/all"
	"github.com/vnstream/connector/pkg/source/tiki"
)

const valid = `
name: test-connector
kafka:
  brokers: ["127.0.0.1:9092"]
sources:
  - name: tiki-main
    kind: tiki_lead
    tiki:
      client_id: abc
      client_secret: ${TIKI_SECRET}
      form_ids: ["84112926079713300", "1"]
      start_time: 2024-01-01T00:00:00Z
`

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// A source takes the connector's value_format unless it sets its own.
func TestValueFormatInherited(t *testing.T) {
	yaml := strings.Replace(valid, "sources:", "value_format: flat\nsources:", 1) + `  - name: tiki-envelope
    kind: tiki_lead
    topic: other
    value_format: envelope
    tiki: {client_id: abc, client_secret: "${TIKI_SECRET}", form_ids: ["1"], start_time: 2024-01-01T00:00:00Z}
`
	cfg, err := config.Parse([]byte(yaml), env(map[string]string{"TIKI_SECRET": "s"}))
	if err != nil || cfg.Sources[0].ValueFormat != "flat" || cfg.Sources[1].ValueFormat != "envelope" {
		t.Fatalf("value formats %q, %q: %v", cfg.Sources[0].ValueFormat, cfg.Sources[1].ValueFormat, err)
	}
}

func TestParseValidAppliesDefaults(t *testing.T) {
	cfg, err := config.Parse([]byte(valid), env(map[string]string{"TIKI_SECRET": "s3cr3t"}))
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Sources[0]
	if got := s.Settings.(*tiki.Settings).ClientSecret.Value(); got != "s3cr3t" {
		t.Errorf("secret = %q", got)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"offsets topic", cfg.Kafka.OffsetsTopic, config.DefaultOffsetsTopic},
		{"offsets partitions", cfg.Kafka.OffsetsPartitions, int32(config.DefaultOffsetsPartitions)},
		{"replication", cfg.Kafka.ReplicationFactor, int16(-1)},
		{"compression", cfg.Kafka.Compression, "snappy"},
		{"batch bytes", cfg.Kafka.BatchBytes, int32(262144)},
		{"client metrics", cfg.Kafka.ClientMetrics, true},
		{"dlq topic", cfg.DLQ.Topic, "test-connector.dlq"},
		{"dlq mode", cfg.DLQ.Mode, "dlq"},
		{"topic", s.Topic, tiki.DefaultTopic},
		{"value format", s.ValueFormat, "envelope"},
		{"poll interval", s.PollInterval, config.DefaultPollInterval},
		{"page size", s.Settings.(*tiki.Settings).PageSize, 500},
		{"window", s.Settings.(*tiki.Settings).Window, 24 * time.Hour},
		{"base url", s.Settings.(*tiki.Settings).BaseURL, tiki.DefaultBaseURL},
		{"max body", s.HTTP.MaxBodyBytes, int64(32 << 20)},
		{"start", s.Settings.(*tiki.Settings).StartTime, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestParseReportsEveryProblemWithItsPath(t *testing.T) {
	for _, tc := range []struct {
		name string
		yaml string
		env  map[string]string
		want []string
	}{
		{
			name: "many at once",
			yaml: `
kafka:
  brokers: ["nohost"]
  sasl: {mechanism: SCRAM-SHA-1}
  compression: brotli
  batch_bytes: 1000
dlq: {mode: drop}
records_in_flight: 0
sources:
  - name: a
    kind: tiki_lead
    tiki:
      client_id: ""
      form_ids: ["x1"]
      page_size: 501
      overlap: 500ms
      base_url: ftp://example.com
  - name: a
    kind: zalo
`,
			want: []string{
				"name: required",
				`kafka.brokers[0]: "nohost": want host:port`,
				`kafka.sasl.mechanism: "SCRAM-SHA-1"`,
				`kafka.compression: "brotli": must be one of snappy, lz4, zstd, gzip, none`,
				"kafka.batch_bytes: 1000: must be at least 16384",
				`dlq.mode: "drop": must be dlq or fail`,
				"records_in_flight: 0: must be at least 1",
				"sources[0].tiki.client_id: required",
				"sources[0].tiki.client_secret: required",
				`sources[0].tiki.form_ids[0]: "x1": must be a numeric id`,
				"sources[0].tiki.page_size: must be 1..500",
				"sources[0].tiki.start_time: required",
				"sources[0].tiki.overlap: must be at least 1s",
				`sources[0].tiki.base_url: "ftp://example.com": want an http(s) URL`,
				`sources[1].kind: "zalo": unknown, want one of etelecom_zns, interits_zns, nhanh_conversation, nxlink_customer, tiki_lead`,
				`sources[1].name: "a" is already the name of sources[0]`,
			},
		},
		{
			name: "plain-text secret refused",
			yaml: strings.Replace(valid, "${TIKI_SECRET}", "hunter2", 1),
			want: []string{"sources[0].tiki.client_secret: a secret must come from the environment (${VAR}) or client_secret_file, not plain text"},
		},
		{
			name: "missing variable",
			yaml: valid,
			env:  map[string]string{},
			want: []string{"sources[0].tiki.client_secret: environment variable TIKI_SECRET is not set (line 10)"},
		},
		{
			name: "unknown setting",
			yaml: valid + "    pol_interval: 5s\n",
			env:  map[string]string{"TIKI_SECRET": "x"},
			want: []string{"sources[0].pol_interval: unknown setting (line 13)"},
		},
		{
			name: "wrong type",
			yaml: valid + "    poll_interval: often\n",
			env:  map[string]string{"TIKI_SECRET": "x"},
			want: []string{`sources[0].poll_interval: "often" is not a duration: want a number with a unit, e.g. 500ms, 30s, 5m, 1h (line 13)`},
		},
		{
			name: "duration without a unit",
			yaml: valid + "    poll_interval: 5\n",
			env:  map[string]string{"TIKI_SECRET": "x"},
			want: []string{`sources[0].poll_interval: "5" is not a duration`},
		},
		{
			name: "number too large",
			yaml: valid + "    http:\n      max_attempts: 99999999999999999999\n",
			env:  map[string]string{"TIKI_SECRET": "x"},
			want: []string{`sources[0].http.max_attempts: "99999999999999999999" is not an integer that fits 64 bits (line 14)`},
		},
		{
			name: "explicit zeros are not defaults",
			yaml: strings.Replace(valid, "      form_ids:", "      page_size: 0\n      form_ids:", 1) + "    poll_interval: 0s\n",
			env:  map[string]string{"TIKI_SECRET": "x"},
			want: []string{"sources[0].poll_interval: must be at least 100ms", "sources[0].tiki.page_size: must be 1..500"},
		},
		{
			name: "heartbeat below the poll interval",
			yaml: valid + "    poll_interval: 1m\n    offset_heartbeat: 30s\n",
			env:  map[string]string{"TIKI_SECRET": "x"},
			want: []string{"sources[0].offset_heartbeat: must be at least poll_interval"},
		},
		{
			name: "kind typo",
			yaml: strings.Replace(valid, "kind: tiki_lead", "kind: tiki_leads", 1),
			env:  map[string]string{"TIKI_SECRET": "x"},
			want: []string{`sources[0].kind: "tiki_leads": unknown, want one of etelecom_zns, interits_zns, nhanh_conversation, nxlink_customer, tiki_lead (its tiki: section is for kind tiki_lead)`},
		},
		{
			name: "empty variable",
			yaml: valid,
			env:  map[string]string{"TIKI_SECRET": ""},
			want: []string{"sources[0].tiki.client_secret: required: set it from the environment (${VAR}) or client_secret_file (environment variable TIKI_SECRET is set but empty)"},
		},
		{
			name: "a default is plain text",
			yaml: strings.Replace(valid, "${TIKI_SECRET}", "${TIKI_SECRET:-hunter2}", 1),
			env:  map[string]string{},
			want: []string{"sources[0].tiki.client_secret: a secret must come from the environment (${VAR}) or client_secret_file, not plain text"},
		},
		{
			name: "two kinds on one topic",
			yaml: valid + `    topic: leads
  - name: nhanh
    kind: nhanh_conversation
    topic: leads
    nhanh: {app_id: "1", business_id: "2", access_token: "${TIKI_SECRET}"}
`,
			env:  map[string]string{"TIKI_SECRET": "x"},
			want: []string{`sources[1].topic: "leads" already receives the tiki_lead events of sources[0]: a topic holds one kind's schema`},
		},
		{
			name: "two value formats on one topic",
			yaml: valid + `    topic: leads
  - name: tiki-flat
    kind: tiki_lead
    topic: leads
    value_format: flat
    tiki: {client_id: abc, client_secret: "${TIKI_SECRET}", form_ids: ["1"], start_time: 2024-01-01T00:00:00Z}
`,
			env:  map[string]string{"TIKI_SECRET": "x"},
			want: []string{`sources[1].value_format: flat, but sources[0] writes envelope values to the same topic "leads": a topic holds one schema`},
		},
		{
			name: "unknown value formats",
			yaml: strings.Replace(valid, "sources:", "value_format: debezium\nsources:", 1) + "    value_format: new_record_state\n",
			env:  map[string]string{"TIKI_SECRET": "x"},
			want: []string{`value_format: "debezium": must be envelope or flat`, `sources[0].value_format: "new_record_state": must be envelope or flat`},
		},
		{
			name: "bad time",
			yaml: strings.Replace(valid, "2024-01-01T00:00:00Z", "yesterday", 1),
			env:  map[string]string{"TIKI_SECRET": "x"},
			want: []string{`sources[0].tiki.start_time: "yesterday" is not a time: want RFC 3339, e.g. 2026-01-01T00:00:00Z (line 12)`},
		},
		{
			name: "empty file",
			yaml: "",
			want: []string{"the file is empty"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Parse([]byte(tc.yaml), env(tc.env))
			if err == nil {
				t.Fatal("config.Parse succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if n := strings.Count(err.Error(), "\n  "); n != len(tc.want) {
				t.Errorf("error has %d problems, want %d:\n%v", n, len(tc.want), err)
			}
		})
	}
}

func TestEnvExpansionTypesValuesAndKeepsStructure(t *testing.T) {
	y := valid + "    poll_interval: ${EVERY}\n    http:\n      max_attempts: ${TRIES}\n"
	cfg, err := config.Parse([]byte(y), env(map[string]string{"TIKI_SECRET": "a: b\nc: [d", "EVERY": "5s", "TRIES": "3"}))
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Sources[0]
	if s.PollInterval != 5*time.Second || s.HTTP.MaxAttempts != 3 || s.Settings.(*tiki.Settings).ClientSecret.Value() != "a: b\nc: [d" {
		t.Fatalf("got poll %v, tries %d, secret %q", s.PollInterval, s.HTTP.MaxAttempts, s.Settings.(*tiki.Settings).ClientSecret.Value())
	}
}

func TestEnvDefaults(t *testing.T) {
	y := valid + "    poll_interval: ${EVERY:-7s}\n    topic: ${TOPIC:-}leads\n    http:\n      max_attempts: ${TRIES:-4}\n"
	cfg, err := config.Parse([]byte(y), env(map[string]string{"TIKI_SECRET": "x", "TRIES": ""}))
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Sources[0]
	if s.PollInterval != 7*time.Second || s.Topic != "leads" || s.HTTP.MaxAttempts != 4 {
		t.Fatalf("got poll %v, topic %q, tries %d; want the defaults 7s, leads, 4", s.PollInterval, s.Topic, s.HTTP.MaxAttempts)
	}
	cfg, err = config.Parse([]byte(y), env(map[string]string{"TIKI_SECRET": "x", "EVERY": "1m", "TRIES": "2"}))
	if err != nil || cfg.Sources[0].PollInterval != time.Minute || cfg.Sources[0].HTTP.MaxAttempts != 2 {
		t.Fatalf("set variables: %v, %+v", err, cfg)
	}
}

func TestSecretFromFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(file, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	y := strings.Replace(valid, "client_secret: ${TIKI_SECRET}", "client_secret_file: "+file, 1)
	cfg, err := config.Parse([]byte(y), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Sources[0].Settings.(*tiki.Settings).ClientSecret.Value(); got != "from-file" {
		t.Fatalf("secret = %q", got)
	}
	y = strings.Replace(valid, "client_secret: ${TIKI_SECRET}", "client_secret_file: "+file+".missing", 1)
	if _, err := config.Parse([]byte(y), env(nil)); err == nil || !strings.Contains(err.Error(), "sources[0].tiki.client_secret_file: open") {
		t.Fatalf("missing file: %v", err)
	}
}

func TestSecretNeverPrints(t *testing.T) {
	s := config.Secret("hunter2")
	for _, got := range []string{s.String(), s.GoString(), s.LogValue().String()} {
		if strings.Contains(got, "hunter2") {
			t.Fatalf("secret printed as %q", got)
		}
	}
	b, _ := s.MarshalText()
	if strings.Contains(string(b), "hunter2") {
		t.Fatal("secret marshalled")
	}
}

// exampleEnv gives every variable of the example configurations a value
// of the right kind.
func exampleEnv(name string) (string, bool) {
	switch {
	case strings.HasSuffix(name, "_URL"):
		return "http://127.0.0.1:1", true
	case strings.HasSuffix(name, "_TIME"):
		return "2026-01-01T00:00:00Z", true
	case strings.HasSuffix(name, "_BROKER"):
		return "127.0.0.1:9092", true
	case strings.HasSuffix(name, "_LISTEN"):
		return "127.0.0.1:0", true
	}
	return "set-by-test", true
}

func TestExampleConfigsAreValid(t *testing.T) {
	for _, f := range []string{"../../config/dev.yaml", "../../config/production.example.yaml"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := config.Parse(b, exampleEnv); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// FuzzParse: any file gives a configuration or an error, never a panic,
// and a configuration that parses passes its own validation.
func FuzzParse(f *testing.F) {
	for _, file := range []string{"../../config/dev.yaml", "../../config/production.example.yaml"} {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add(valid)
	f.Add("sources: [{name: a, kind: tiki_lead, tiki: {start_time: 2024-13-01}}]")
	f.Fuzz(func(t *testing.T, in string) {
		cfg, err := config.Parse([]byte(in), exampleEnv)
		if err != nil {
			return
		}
		if cfg.Name == "" || len(cfg.Kafka.Brokers) == 0 || len(cfg.Sources) == 0 {
			t.Fatalf("config.Parse accepted %q as %+v", in, cfg)
		}
	})
}
