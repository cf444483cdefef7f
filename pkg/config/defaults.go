package config

import "time"

// The defaults, in one place. README.md's configuration reference lists
// the same values.
const (
	DefaultOffsetsTopic       = "connector-offsets"
	DefaultOffsetsPartitions  = 25
	DefaultTopicPartitions    = 6
	DefaultReplicationFactor  = -1
	DefaultTransactionTimeout = 60 * time.Second
	DefaultSessionTimeout     = 10 * time.Second
	DefaultRebalanceTimeout   = 30 * time.Second
	DefaultHTTPListen         = ":8080"
	DefaultDLQMode            = "dlq"
	DefaultCompatibility      = "BACKWARD"

	DefaultPollInterval    = 30 * time.Second
	DefaultErrorBackoffMax = 5 * time.Minute

	DefaultHTTPTimeout        = 30 * time.Second
	DefaultHTTPRateLimit      = 5.0
	DefaultHTTPMaxBodyBytes   = 32 << 20
	DefaultHTTPMaxAttempts    = 5
	DefaultHTTPBackoffInitial = 500 * time.Millisecond
	DefaultHTTPBackoffMax     = 30 * time.Second

	DefaultWindow           = time.Hour
	DefaultLag              = 2 * time.Second
	DefaultOverlap          = 5 * time.Minute
	DefaultMaxWindowRecords = 10000

	DefaultTikiBaseURL  = "https://api.tiki.vn/tiniapp-open-api"
	DefaultTikiTopic    = "tiki.lead.form-responses"
	DefaultTikiPageSize = 500
	DefaultTikiWindow   = 24 * time.Hour

	DefaultInterITSBaseURL  = "https://cpaas.interits.com"
	DefaultInterITSTopic    = "interits.zalo.messages"
	DefaultInterITSPageSize = 100

	DefaultETelecomTopic    = "etelecom.zalo.messages"
	DefaultETelecomPageSize = 100

	DefaultNxlinkBaseURL  = "https://api-hk.nxlink.ai"
	DefaultNxlinkTopic    = "nxlink.cdp.customers"
	DefaultNxlinkPageSize = 50

	DefaultNhanhBaseURL  = "https://vpage.open.nhanh.vn"
	DefaultNhanhTopic    = "nhanh.vpage.conversations"
	DefaultNhanhPageSize = 50
)

// applyDefaults fills every setting left empty.
func (c *Config) applyDefaults() {
	k := &c.Kafka
	setDefault(&k.OffsetsTopic, DefaultOffsetsTopic)
	setDefault(&k.OffsetsPartitions, DefaultOffsetsPartitions)
	setDefault(&k.TopicPartitions, DefaultTopicPartitions)
	setDefault(&k.ReplicationFactor, DefaultReplicationFactor)
	setDefault(&k.TransactionTimeout, DefaultTransactionTimeout)
	setDefault(&k.Group.SessionTimeout, DefaultSessionTimeout)
	setDefault(&k.Group.RebalanceTimeout, DefaultRebalanceTimeout)
	if k.TLS.CAFile != "" || k.TLS.CertFile != "" {
		k.TLS.Enabled = true
	}
	setDefault(&c.HTTP.Listen, DefaultHTTPListen)
	setDefault(&c.DLQ.Mode, DefaultDLQMode)
	setDefault(&c.DLQ.Topic, c.Name+".dlq")
	setDefault(&c.SchemaRegistry.Compatibility, DefaultCompatibility)
	for i := range c.Sources {
		s := &c.Sources[i]
		setDefault(&s.PollInterval, DefaultPollInterval)
		setDefault(&s.ErrorBackoffMax, DefaultErrorBackoffMax)
		h := &s.HTTP
		setDefault(&h.Timeout, DefaultHTTPTimeout)
		setDefault(&h.RateLimit, DefaultHTTPRateLimit)
		setDefault(&h.MaxBodyBytes, DefaultHTTPMaxBodyBytes)
		setDefault(&h.MaxAttempts, DefaultHTTPMaxAttempts)
		setDefault(&h.BackoffInitial, DefaultHTTPBackoffInitial)
		setDefault(&h.BackoffMax, DefaultHTTPBackoffMax)
		if t := s.Tiki; t != nil {
			setDefault(&s.Topic, DefaultTikiTopic)
			setDefault(&t.BaseURL, DefaultTikiBaseURL)
			setDefault(&t.PageSize, DefaultTikiPageSize)
			t.Windowing.applyDefaults(DefaultTikiWindow)
		}
		if t := s.InterITS; t != nil {
			setDefault(&s.Topic, DefaultInterITSTopic)
			setDefault(&t.BaseURL, DefaultInterITSBaseURL)
			setDefault(&t.PageSize, DefaultInterITSPageSize)
			t.Windowing.applyDefaults(DefaultWindow)
		}
		if t := s.ETelecom; t != nil {
			setDefault(&s.Topic, DefaultETelecomTopic)
			setDefault(&t.PageSize, DefaultETelecomPageSize)
			t.Windowing.applyDefaults(DefaultWindow)
		}
		if t := s.Nxlink; t != nil {
			setDefault(&s.Topic, DefaultNxlinkTopic)
			setDefault(&t.BaseURL, DefaultNxlinkBaseURL)
			setDefault(&t.PageSize, DefaultNxlinkPageSize)
			t.Windowing.applyDefaults(DefaultWindow)
		}
		if t := s.Nhanh; t != nil {
			setDefault(&s.Topic, DefaultNhanhTopic)
			setDefault(&t.BaseURL, DefaultNhanhBaseURL)
			setDefault(&t.PageSize, DefaultNhanhPageSize)
			setDefault(&t.Lag, DefaultLag)
		}
	}
}

func (w *Windowing) applyDefaults(window time.Duration) {
	setDefault(&w.Window, window)
	setDefault(&w.Lag, DefaultLag)
	setDefault(&w.Overlap, DefaultOverlap)
	setDefault(&w.MaxWindowRecords, DefaultMaxWindowRecords)
}

func setDefault[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}
