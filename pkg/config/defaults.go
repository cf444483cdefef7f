package config

import "time"

// The defaults, in one place (a provider's are in its package, on the
// value its Kind.Settings returns). README.md's configuration reference
// lists the same values.
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
		if k, ok := KindNamed(s.Kind); ok {
			setDefault(&s.Topic, k.Topic)
		}
	}
}

func setDefault[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}
