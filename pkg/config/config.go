// Package config holds the connector's configuration: the YAML file's
// shape, its defaults (defaults.go, the one place they are set), loading
// with ${ENV} expansion and secrets from files (load.go), and validation
// that reports every problem at once with its path (validate.go).
package config

import "time"

// Config is the whole configuration file.
type Config struct {
	// Name identifies this connector: it prefixes transactional ids and is
	// the first element of every offset key. Required; keep it stable.
	Name           string         `yaml:"name"`
	Kafka          Kafka          `yaml:"kafka"`
	SchemaRegistry SchemaRegistry `yaml:"schema_registry"`
	HTTP           HTTP           `yaml:"http"`
	DLQ            DLQ            `yaml:"dlq"`
	// ValueFormat is the shape of the events' values, for every source
	// that does not set its own: envelope (the change event: before,
	// after, source, op, ts_ms) or flat (the entity record alone, with the
	// op and the version's time in headers). Default envelope.
	ValueFormat string `yaml:"value_format"`
	// RecordsInFlight bounds the records the sources hold at once, from
	// the start of a poll until its batch is committed: a poll waits in
	// line while the records it expects to read do not fit (as many as
	// its last poll read; before its first, see poll.Engine.Expect), but
	// for one expecting at most a hundredth of the bound, which goes
	// ahead when it fits. A poll that reads more than it expected keeps
	// them, so the bound can be passed by one poll's surprise per source.
	// Default 20000.
	RecordsInFlight int      `yaml:"records_in_flight"`
	Sources         []Source `yaml:"sources"`
}

// Kafka is the connection to the cluster and the topics the connector owns.
type Kafka struct {
	// Brokers are the seed brokers, host:port. Required.
	Brokers []string `yaml:"brokers"`
	TLS     TLS      `yaml:"tls"`
	SASL    SASL     `yaml:"sasl"`
	// OffsetsTopic is the compacted topic holding every source's offset.
	// Default connector-offsets.
	OffsetsTopic string `yaml:"offsets_topic"`
	// OffsetsPartitions is the partition count used when the connector
	// creates the offsets topic; each partition is one task. Default 25.
	OffsetsPartitions int32 `yaml:"offsets_partitions"`
	// TopicPartitions is the partition count used when the connector
	// creates a provider or DLQ topic. Default 6.
	TopicPartitions int32 `yaml:"topic_partitions"`
	// ReplicationFactor is used when the connector creates a topic.
	// Default -1: the broker's default.replication.factor.
	ReplicationFactor int16 `yaml:"replication_factor"`
	// TransactionTimeout is the broker-side timeout of one transaction.
	// Default 60s.
	TransactionTimeout time.Duration `yaml:"transaction_timeout"`
	// Group is the replicas' consumer group on the offsets topic, which
	// assigns the tasks.
	Group Group `yaml:"group"`
	// ClientMetrics sends the brokers the client metrics they subscribe
	// to (KIP-714: a cluster asks for them once its operator configured
	// client-metrics subscriptions). Each of the connector's Kafka clients
	// pushes its own. Default true.
	ClientMetrics bool `yaml:"client_metrics"`
	// Compression is the codec of the batches the connector produces:
	// snappy, lz4, zstd, gzip or none. Default snappy.
	Compression string `yaml:"compression"`
	// BatchBytes caps a record batch to a provider or DLQ topic (franz-go's
	// ProducerBatchMaxBytes), below the topic's max.message.bytes, and with
	// it the largest event: 1,012 bytes less. Each task's producer keeps
	// buffers of its batches' size. Default 262144 (256 KiB); at least 16384.
	BatchBytes int32 `yaml:"batch_bytes"`
}

// Group tunes the consumer group through which the replicas share the
// tasks (the offsets topic's partitions).
type Group struct {
	// SessionTimeout is how long the group waits for a silent replica
	// before its tasks move to the others. Default 10s; brokers accept
	// 6s..300s unless configured otherwise.
	SessionTimeout time.Duration `yaml:"session_timeout"`
	// RebalanceTimeout bounds a rebalance: the time a replica has to stop
	// the tasks it gives up (finish or abort their transactions) and
	// rejoin. Default 30s.
	RebalanceTimeout time.Duration `yaml:"rebalance_timeout"`
}

// TLS configures encryption to the brokers.
type TLS struct {
	// Enabled turns TLS on (implied by any file below). Default false.
	Enabled bool `yaml:"enabled"`
	// CAFile is a PEM bundle of CAs to trust instead of the system's.
	CAFile string `yaml:"ca_file"`
	// CertFile and KeyFile are a PEM client certificate and key (mTLS).
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// ServerName overrides the name checked in the broker certificate.
	ServerName string `yaml:"server_name"`
	// InsecureSkipVerify disables certificate checks. Never in production.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
}

// SASL configures authentication to the brokers.
type SASL struct {
	// Mechanism is PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512; empty disables SASL.
	Mechanism string `yaml:"mechanism"`
	Username  string `yaml:"username"`
	// Password must come from ${ENV} or PasswordFile.
	Password     Secret `yaml:"password"`
	PasswordFile string `yaml:"password_file"`
}

// SchemaRegistry selects the Confluent wire format. Without a URL, events
// use Avro single-object encoding.
type SchemaRegistry struct {
	URL      string `yaml:"url"`
	Username string `yaml:"username"`
	// Password must come from ${ENV} or PasswordFile.
	Password     Secret `yaml:"password"`
	PasswordFile string `yaml:"password_file"`
	// Compatibility is checked against the latest registered schema before
	// registering: BACKWARD (default), FORWARD, FULL or NONE.
	Compatibility string `yaml:"compatibility"`
}

// HTTP is the operations endpoint: /metrics, /healthz, /readyz.
type HTTP struct {
	// Listen is the address to serve on. Default :8080; "-" disables it.
	Listen string `yaml:"listen"`
	// Pprof serves Go's profiles (net/http/pprof) under /debug/pprof/ on
	// the same address. Default false: a profile costs CPU and shows the
	// program's internals to whoever can reach the port.
	Pprof bool `yaml:"pprof"`
}

// DLQ decides what happens to a vendor record that cannot be converted.
type DLQ struct {
	// Mode is "dlq" (default: write the raw record to Topic with the error
	// in headers, and go on) or "fail" (stop the source until fixed).
	Mode string `yaml:"mode"`
	// Topic is the dead-letter topic. Default <name>.dlq.
	Topic string `yaml:"topic"`
}

// Source is one configured instance of a provider.
type Source struct {
	// Name is unique and stable: it keys the source's offset.
	Name string `yaml:"name"`
	// Kind is the provider (see Kinds): tiki_lead, interits_zns,
	// etelecom_zns, nxlink_customer or nhanh_conversation in this build.
	Kind string `yaml:"kind"`
	// Topic receives the source's events. Default: the kind's topic.
	Topic string `yaml:"topic"`
	// ValueFormat is envelope or flat, as Config.ValueFormat, which is
	// the default.
	ValueFormat string `yaml:"value_format"`
	// PollInterval is the wait between polls once the source has caught
	// up. Default 30s.
	PollInterval time.Duration `yaml:"poll_interval"`
	// OffsetHeartbeat is how often a source whose polls find nothing new
	// still commits its offset (an offset-only transaction): the
	// committed offset is at most this old, and a restart re-reads at
	// most this much of a quiet vendor. A poll that finds records commits
	// at once. Default 5m.
	OffsetHeartbeat time.Duration `yaml:"offset_heartbeat"`
	// ErrorBackoffMax caps the exponential wait after failed polls.
	// Default 5m.
	ErrorBackoffMax time.Duration `yaml:"error_backoff_max"`
	HTTP            SourceHTTP    `yaml:"http"`
	// Settings are the provider's settings, from the section named like
	// the kind's (Kind.Section, e.g. tiki:); nil when it is absent.
	Settings Settings `yaml:"-"`

	// sections are the provider sections the source has, of any kind.
	sections []section
}

// section is one provider section of a source.
type section struct {
	kind     Kind
	settings Settings
}

// SourceHTTP tunes the vendor HTTP client of one source.
type SourceHTTP struct {
	// Timeout bounds one request, body included. Default 30s.
	Timeout time.Duration `yaml:"timeout"`
	// RateLimit is the most requests per second. Default 5.
	RateLimit float64 `yaml:"rate_limit"`
	// MaxBodyBytes caps a response body. Default 32 MiB.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// MaxAttempts is the number of tries of one request. Default 5.
	MaxAttempts int `yaml:"max_attempts"`
	// BackoffInitial and BackoffMax bound the jittered exponential wait
	// between tries. Defaults 500ms and 30s. Retry-After wins when longer.
	BackoffInitial time.Duration `yaml:"backoff_initial"`
	BackoffMax     time.Duration `yaml:"backoff_max"`
}
