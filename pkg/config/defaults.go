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
	DefaultCompression        = "snappy"
	DefaultBatchBytes         = 256 << 10
	DefaultHTTPListen         = ":8080"
	DefaultDLQMode            = "dlq"
	DefaultCompatibility      = "BACKWARD"
	DefaultValueFormat        = "envelope"
	DefaultRecordsInFlight    = 20000

	DefaultPollInterval    = 30 * time.Second
	DefaultOffsetHeartbeat = 5 * time.Minute
	DefaultErrorBackoffMax = 5 * time.Minute

	DefaultHTTPTimeout        = 30 * time.Second
	DefaultHTTPRateLimit      = 5.0
	DefaultHTTPMaxBodyBytes   = 32 << 20
	DefaultHTTPMaxAttempts    = 5
	DefaultHTTPBackoffInitial = 500 * time.Millisecond
	DefaultHTTPBackoffMax     = 30 * time.Second
)

// Compressions are the codecs kafka.compression accepts.
var Compressions = []string{"snappy", "lz4", "zstd", "gzip", "none"}

// newConfig returns a Config holding the defaults, which the file is
// decoded onto: a setting the file gives, zero included, replaces its
// default (and validation says when it is out of range).
func newConfig() Config {
	return Config{
		Kafka: Kafka{
			OffsetsTopic:       DefaultOffsetsTopic,
			OffsetsPartitions:  DefaultOffsetsPartitions,
			TopicPartitions:    DefaultTopicPartitions,
			ReplicationFactor:  DefaultReplicationFactor,
			TransactionTimeout: DefaultTransactionTimeout,
			Group:              Group{SessionTimeout: DefaultSessionTimeout, RebalanceTimeout: DefaultRebalanceTimeout},
			ClientMetrics:      true,
			Compression:        DefaultCompression,
			BatchBytes:         DefaultBatchBytes,
		},
		HTTP:            HTTP{Listen: DefaultHTTPListen},
		DLQ:             DLQ{Mode: DefaultDLQMode},
		SchemaRegistry:  SchemaRegistry{Compatibility: DefaultCompatibility},
		ValueFormat:     DefaultValueFormat,
		RecordsInFlight: DefaultRecordsInFlight,
	}
}

// newSource returns a Source holding the defaults (see newConfig).
func newSource() Source {
	return Source{
		PollInterval:    DefaultPollInterval,
		OffsetHeartbeat: DefaultOffsetHeartbeat,
		ErrorBackoffMax: DefaultErrorBackoffMax,
		HTTP: SourceHTTP{
			Timeout:        DefaultHTTPTimeout,
			RateLimit:      DefaultHTTPRateLimit,
			MaxBodyBytes:   DefaultHTTPMaxBodyBytes,
			MaxAttempts:    DefaultHTTPMaxAttempts,
			BackoffInitial: DefaultHTTPBackoffInitial,
			BackoffMax:     DefaultHTTPBackoffMax,
		},
	}
}

// applyDefaults fills the defaults that depend on other settings.
func (c *Config) applyDefaults() {
	if c.Kafka.TLS.CAFile != "" || c.Kafka.TLS.CertFile != "" {
		c.Kafka.TLS.Enabled = true
	}
	if c.DLQ.Topic == "" {
		c.DLQ.Topic = c.Name + ".dlq"
	}
	for i := range c.Sources {
		s := &c.Sources[i]
		if k, ok := KindNamed(s.Kind); ok && s.Topic == "" {
			s.Topic = k.Topic
		}
		if s.ValueFormat == "" {
			s.ValueFormat = c.ValueFormat
		}
	}
}
