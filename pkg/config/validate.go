package config

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Problem is one thing wrong with the configuration, at Path.
type Problem struct {
	Path string
	Msg  string
}

// Problems is every problem found; as an error it prints one per line.
type Problems []Problem

func (p *Problems) add(path, msg string) { *p = append(*p, Problem{path, msg}) }

func (p Problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return p
}

func (p Problems) Error() string {
	lines := make([]string, len(p))
	for i, e := range p {
		if e.Path == "" {
			lines[i] = e.Msg
		} else {
			lines[i] = e.Path + ": " + e.Msg
		}
	}
	return fmt.Sprintf("%d problem(s):\n  %s", len(p), strings.Join(lines, "\n  "))
}

// Kinds lists the source kinds this build knows.
var Kinds = []string{"tiki_lead", "interits_zns", "etelecom_zns", "nxlink_customer", "nhanh_conversation"}

var (
	nameRe  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	topicRe = regexp.MustCompile(`^[A-Za-z0-9._-]{1,249}$`)
	idRe    = regexp.MustCompile(`^[0-9]+$`)
)

func (c *Config) validate(external map[string]bool, p *Problems) {
	switch {
	case c.Name == "":
		p.add("name", "required")
	case !nameRe.MatchString(c.Name):
		p.add("name", "use letters, digits, '.', '_' and '-' only")
	}
	c.Kafka.validate(external, p)
	c.SchemaRegistry.validate(external, p)
	switch c.DLQ.Mode {
	case "dlq", "fail":
	default:
		p.add("dlq.mode", fmt.Sprintf("%q: must be dlq or fail", c.DLQ.Mode))
	}
	checkTopic(p, "dlq.topic", c.DLQ.Topic)
	if len(c.Sources) == 0 {
		p.add("sources", "at least one source is required")
	}
	names := map[string]int{}
	for i := range c.Sources {
		s := &c.Sources[i]
		path := fmt.Sprintf("sources[%d]", i)
		s.validate(path, external, p)
		if j, dup := names[s.Name]; dup && s.Name != "" {
			p.add(path+".name", fmt.Sprintf("%q is already the name of sources[%d]", s.Name, j))
		}
		names[s.Name] = i
		if s.Topic == c.Kafka.OffsetsTopic || s.Topic == c.DLQ.Topic {
			p.add(path+".topic", fmt.Sprintf("%q is the offsets or dead-letter topic", s.Topic))
		}
	}
}

func (k *Kafka) validate(external map[string]bool, p *Problems) {
	if len(k.Brokers) == 0 {
		p.add("kafka.brokers", "at least one broker is required")
	}
	for i, b := range k.Brokers {
		if _, port, ok := strings.Cut(b, ":"); !ok || port == "" {
			p.add(fmt.Sprintf("kafka.brokers[%d]", i), fmt.Sprintf("%q: want host:port", b))
		}
	}
	checkTopic(p, "kafka.offsets_topic", k.OffsetsTopic)
	positive(p, "kafka.offsets_partitions", int64(k.OffsetsPartitions))
	positive(p, "kafka.topic_partitions", int64(k.TopicPartitions))
	if k.ReplicationFactor < -1 || k.ReplicationFactor == 0 {
		p.add("kafka.replication_factor", "must be -1 (broker default) or at least 1")
	}
	if k.TransactionTimeout < time.Second {
		p.add("kafka.transaction_timeout", "must be at least 1s")
	}
	if k.Group.SessionTimeout < time.Second {
		p.add("kafka.group.session_timeout", "must be at least 1s")
	}
	if k.Group.RebalanceTimeout < time.Second {
		p.add("kafka.group.rebalance_timeout", "must be at least 1s")
	}
	if (k.TLS.CertFile == "") != (k.TLS.KeyFile == "") {
		p.add("kafka.tls", "cert_file and key_file go together")
	}
	switch k.SASL.Mechanism {
	case "":
	case "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
		if k.SASL.Username == "" {
			p.add("kafka.sasl.username", "required with a mechanism")
		}
		checkSecret(p, external, "kafka.sasl.password", k.SASL.Password, true)
	default:
		p.add("kafka.sasl.mechanism", fmt.Sprintf("%q: must be PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", k.SASL.Mechanism))
	}
}

func (r *SchemaRegistry) validate(external map[string]bool, p *Problems) {
	if r.URL != "" {
		checkURL(p, "schema_registry.url", r.URL)
	}
	checkSecret(p, external, "schema_registry.password", r.Password, false)
	switch r.Compatibility {
	case "BACKWARD", "FORWARD", "FULL", "NONE":
	default:
		p.add("schema_registry.compatibility", fmt.Sprintf("%q: must be BACKWARD, FORWARD, FULL or NONE", r.Compatibility))
	}
}

func (s *Source) validate(path string, external map[string]bool, p *Problems) {
	switch {
	case s.Name == "":
		p.add(path+".name", "required")
	case !nameRe.MatchString(s.Name):
		p.add(path+".name", "use letters, digits, '.', '_' and '-' only")
	}
	sections := []struct {
		kind, key string
		set       bool
		validate  func(path string)
	}{
		{"tiki_lead", "tiki", s.Tiki != nil, func(path string) { s.Tiki.validate(path, external, p) }},
		{"interits_zns", "interits", s.InterITS != nil, func(path string) { s.InterITS.validate(path, external, p) }},
		{"etelecom_zns", "etelecom", s.ETelecom != nil, func(path string) { s.ETelecom.validate(path, external, p) }},
		{"nxlink_customer", "nxlink", s.Nxlink != nil, func(path string) { s.Nxlink.validate(path, external, p) }},
		{"nhanh_conversation", "nhanh", s.Nhanh != nil, func(path string) { s.Nhanh.validate(path, external, p) }},
	}
	known := false
	for _, sec := range sections {
		switch {
		case sec.kind == s.Kind && sec.set:
			sec.validate(path + "." + sec.key)
		case sec.kind == s.Kind:
			p.add(path+"."+sec.key, "required for kind "+sec.kind)
		case sec.set:
			p.add(path+"."+sec.key, "only for kind "+sec.kind)
		}
		known = known || sec.kind == s.Kind
	}
	switch {
	case s.Kind == "":
		p.add(path+".kind", "required: one of "+strings.Join(Kinds, ", "))
	case !known:
		p.add(path+".kind", fmt.Sprintf("%q: unknown, want one of %s", s.Kind, strings.Join(Kinds, ", ")))
	}
	if s.Topic != "" { // empty only for an unknown kind, reported above
		checkTopic(p, path+".topic", s.Topic)
	}
	if s.PollInterval < 100*time.Millisecond {
		p.add(path+".poll_interval", "must be at least 100ms")
	}
	if s.ErrorBackoffMax < time.Second {
		p.add(path+".error_backoff_max", "must be at least 1s")
	}
	h := s.HTTP
	if h.Timeout < 100*time.Millisecond {
		p.add(path+".http.timeout", "must be at least 100ms")
	}
	if h.RateLimit <= 0 {
		p.add(path+".http.rate_limit", "must be positive")
	}
	if h.MaxBodyBytes < 1024 {
		p.add(path+".http.max_body_bytes", "must be at least 1024")
	}
	positive(p, path+".http.max_attempts", int64(h.MaxAttempts))
	if h.BackoffInitial <= 0 || h.BackoffMax < h.BackoffInitial {
		p.add(path+".http", "need 0 < backoff_initial <= backoff_max")
	}
}

func (t *Tiki) validate(path string, external map[string]bool, p *Problems) {
	checkURL(p, path+".base_url", t.BaseURL)
	if t.ClientID == "" {
		p.add(path+".client_id", "required")
	}
	checkSecret(p, external, path+".client_secret", t.ClientSecret, true)
	if len(t.FormIDs) == 0 {
		p.add(path+".form_ids", "at least one form id is required")
	}
	for i, id := range t.FormIDs {
		if !idRe.MatchString(id) {
			p.add(path+".form_ids["+strconv.Itoa(i)+"]", fmt.Sprintf("%q: must be a numeric id", id))
		}
	}
	checkRange(p, path+".page_size", t.PageSize, 500)
	t.Windowing.validate(path, p)
}

func (t *InterITS) validate(path string, external map[string]bool, p *Problems) {
	checkURL(p, path+".base_url", t.BaseURL)
	checkSecret(p, external, path+".api_key", t.APIKey, true)
	checkRange(p, path+".page_size", t.PageSize, 1000)
	t.Windowing.validate(path, p)
}

func (t *ETelecom) validate(path string, external map[string]bool, p *Problems) {
	if t.BaseURL == "" {
		p.add(path+".base_url", "required: the service prefix .Zalo/ListMessages is appended to, e.g. https://api.etelecom.vn/v1/shop")
	} else {
		checkURL(p, path+".base_url", t.BaseURL)
	}
	checkSecret(p, external, path+".api_key", t.APIKey, true)
	checkRange(p, path+".page_size", t.PageSize, 1000)
	t.Windowing.validate(path, p)
}

func (t *Nxlink) validate(path string, external map[string]bool, p *Problems) {
	checkURL(p, path+".base_url", t.BaseURL)
	if t.AccessKey == "" {
		p.add(path+".access_key", "required")
	}
	checkSecret(p, external, path+".access_secret", t.AccessSecret, true)
	checkSecret(p, external, path+".app_key", t.AppKey, true)
	if t.TenantID <= 0 {
		p.add(path+".tenant_id", "required: a positive tenant id")
	}
	if t.TimeZone == "" {
		p.add(path+".time_zone", "required: the IANA zone of nxlink's times, e.g. Asia/Ho_Chi_Minh")
	} else if _, err := time.LoadLocation(t.TimeZone); err != nil {
		p.add(path+".time_zone", fmt.Sprintf("%q is not an IANA time zone", t.TimeZone))
	}
	checkRange(p, path+".page_size", t.PageSize, 50)
	t.Windowing.validate(path, p)
}

func (t *Nhanh) validate(path string, external map[string]bool, p *Problems) {
	checkURL(p, path+".base_url", t.BaseURL)
	if t.AppID == "" {
		p.add(path+".app_id", "required")
	}
	if t.BusinessID == "" {
		p.add(path+".business_id", "required")
	}
	checkSecret(p, external, path+".access_token", t.AccessToken, true)
	if t.Type < 0 || t.Type > 2 {
		p.add(path+".type", "must be 0 (all), 1 (comments) or 2 (messages)")
	}
	checkRange(p, path+".page_size", t.PageSize, 50)
	if t.Lag < 0 {
		p.add(path+".lag", "must not be negative")
	}
}

func (w *Windowing) validate(path string, p *Problems) {
	if w.StartTime.IsZero() {
		p.add(path+".start_time", "required: where the initial backfill begins (RFC 3339)")
	}
	if w.Window < time.Second {
		p.add(path+".window", "must be at least 1s")
	}
	if w.Lag < 0 {
		p.add(path+".lag", "must not be negative")
	}
	if w.Overlap < time.Second {
		p.add(path+".overlap", "must be at least 1s, the resolution of the vendor's time filter")
	}
	positive(p, path+".max_window_records", int64(w.MaxWindowRecords))
}

func checkRange(p *Problems, path string, v, max int) {
	if v < 1 || v > max {
		p.add(path, fmt.Sprintf("must be 1..%d", max))
	}
}

func checkSecret(p *Problems, external map[string]bool, path string, s Secret, required bool) {
	switch {
	case s == "" && required:
		p.add(path, "required: set it from the environment (${VAR}) or "+lastPart(path)+"_file")
	case s != "" && !external[path]:
		p.add(path, "a secret must come from the environment (${VAR}) or "+lastPart(path)+"_file, not plain text in the file")
	}
}

func lastPart(path string) string { return path[strings.LastIndex(path, ".")+1:] }

func checkTopic(p *Problems, path, topic string) {
	if !topicRe.MatchString(topic) || topic == "." || topic == ".." {
		p.add(path, fmt.Sprintf("%q is not a valid Kafka topic name", topic))
	}
}

func checkURL(p *Problems, path, raw string) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		p.add(path, fmt.Sprintf("%q: want an http(s) URL", raw))
		return
	}
	if u.User != nil {
		p.add(path, "credentials do not belong in the URL")
	}
}

func positive(p *Problems, path string, v int64) {
	if v <= 0 {
		p.add(path, "must be positive")
	}
}
