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
	Sources        []Source       `yaml:"sources"`
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
	// Kind is the provider: tiki_lead, interits_zns, etelecom_zns,
	// nxlink_customer or nhanh_conversation.
	Kind string `yaml:"kind"`
	// Topic receives the source's events. Default: the provider's topic
	// (tiki_lead: tiki.lead.form-responses, interits_zns:
	// interits.zalo.messages, etelecom_zns: etelecom.zalo.messages,
	// nxlink_customer: nxlink.cdp.customers, nhanh_conversation:
	// nhanh.vpage.conversations).
	Topic string `yaml:"topic"`
	// PollInterval is the wait between polls once the source has caught
	// up. Default 30s.
	PollInterval time.Duration `yaml:"poll_interval"`
	// ErrorBackoffMax caps the exponential wait after failed polls.
	// Default 5m.
	ErrorBackoffMax time.Duration `yaml:"error_backoff_max"`
	HTTP            SourceHTTP    `yaml:"http"`
	// Exactly one provider section is set, the one named like the kind.
	Tiki     *Tiki     `yaml:"tiki"`
	InterITS *InterITS `yaml:"interits"`
	ETelecom *ETelecom `yaml:"etelecom"`
	Nxlink   *Nxlink   `yaml:"nxlink"`
	Nhanh    *Nhanh    `yaml:"nhanh"`
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

// Windowing is how a time-filtered source walks the vendor's history in
// bounded windows (tiki_lead, interits_zns, etelecom_zns, nxlink_customer);
// its settings sit directly in the provider's section.
type Windowing struct {
	// StartTime is where the initial backfill begins. Required.
	StartTime time.Time `yaml:"start_time"`
	// Window is the longest time range read in one poll (one
	// transaction). Default 24h for tiki_lead, 1h for the others.
	Window time.Duration `yaml:"window"`
	// Lag keeps windows this far behind now, for writes that become
	// visible late (Overlap catches later ones). Default 2s.
	Lag time.Duration `yaml:"lag"`
	// Overlap re-reads this much before the last window's end, at least
	// 1s (the resolution of the time filters). Default 5m.
	Overlap time.Duration `yaml:"overlap"`
	// MaxWindowRecords halves a window that holds more records, so memory
	// stays bounded. Default 10000.
	MaxWindowRecords int `yaml:"max_window_records"`
}

// Tiki configures a tiki_lead source.
type Tiki struct {
	// BaseURL is the open API base. Default
	// https://api.tiki.vn/tiniapp-open-api (sandbox:
	// https://api.tiki.vn/tiniapp-sandbox-open-api).
	BaseURL  string `yaml:"base_url"`
	ClientID string `yaml:"client_id"`
	// ClientSecret must come from ${ENV} or ClientSecretFile.
	ClientSecret     Secret `yaml:"client_secret"`
	ClientSecretFile string `yaml:"client_secret_file"`
	// FormIDs are the lead forms to read. Required.
	FormIDs []string `yaml:"form_ids"`
	// PageSize is the size parameter, 1..500. Default 500.
	PageSize  int `yaml:"page_size"`
	Windowing `yaml:",inline"`
}

// InterITS configures an interits_zns source: the ZNS messages of one
// InterITS CPaaS account.
type InterITS struct {
	// BaseURL is the CPaaS base. Default https://cpaas.interits.com.
	BaseURL string `yaml:"base_url"`
	// APIKey is the account's API-KEY; it must come from ${ENV} or
	// APIKeyFile.
	APIKey     Secret `yaml:"api_key"`
	APIKeyFile string `yaml:"api_key_file"`
	// OAID limits the messages to one Zalo Official Account. Optional.
	OAID string `yaml:"oa_id"`
	// PageSize is paging.limit, 1..1000. Default 100.
	PageSize  int `yaml:"page_size"`
	Windowing `yaml:",inline"`
}

// ETelecom configures an etelecom_zns source: the ZNS messages of one
// eTelecom Zalo Cloud shop.
type ETelecom struct {
	// BaseURL is the Twirp service prefix that ".Zalo/ListMessages" is
	// appended to, e.g. https://api.etelecom.vn/v1/shop. Required: the
	// document does not name one.
	BaseURL string `yaml:"base_url"`
	// APIKey is the Bearer key (a shop key for partner accounts); it must
	// come from ${ENV} or APIKeyFile.
	APIKey     Secret `yaml:"api_key"`
	APIKeyFile string `yaml:"api_key_file"`
	// OAID limits the messages to one Zalo Official Account. Optional.
	OAID string `yaml:"oa_id"`
	// PageSize is paging.limit, 1..1000. Default 100.
	PageSize  int `yaml:"page_size"`
	Windowing `yaml:",inline"`
}

// Nxlink configures an nxlink_customer source: the CDP customers of one
// NXCLOUD nxlink tenant.
type Nxlink struct {
	// BaseURL is the open API host. Default https://api-hk.nxlink.ai.
	BaseURL string `yaml:"base_url"`
	// AccessKey is the accessKey header. Required.
	AccessKey string `yaml:"access_key"`
	// AccessSecret signs every request; it must come from ${ENV} or
	// AccessSecretFile.
	AccessSecret     Secret `yaml:"access_secret"`
	AccessSecretFile string `yaml:"access_secret_file"`
	// TenantID is the tenant_id body field. Required.
	TenantID int64 `yaml:"tenant_id"`
	// AppKey is the app_key body field; it must come from ${ENV} or
	// AppKeyFile.
	AppKey     Secret `yaml:"app_key"`
	AppKeyFile string `yaml:"app_key_file"`
	// TimeZone is the IANA zone of nxlink's zone-less times
	// ("2006-01-02 15:04:05"), e.g. Asia/Ho_Chi_Minh. Required: a wrong
	// zone shifts every window and timestamp.
	TimeZone string `yaml:"time_zone"`
	// PageSize is limit, 1..50. Default 50.
	PageSize  int `yaml:"page_size"`
	Windowing `yaml:",inline"`
}

// Nhanh configures an nhanh_conversation source: the vPage conversations
// of one Nhanh.vn business.
type Nhanh struct {
	// BaseURL is the vPage open API base. Default
	// https://vpage.open.nhanh.vn.
	BaseURL string `yaml:"base_url"`
	// AppID and BusinessID are the appId and businessId query parameters.
	// Required.
	AppID      string `yaml:"app_id"`
	BusinessID string `yaml:"business_id"`
	// AccessToken is the Authorization header; it must come from ${ENV}
	// or AccessTokenFile.
	AccessToken     Secret `yaml:"access_token"`
	AccessTokenFile string `yaml:"access_token_file"`
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
