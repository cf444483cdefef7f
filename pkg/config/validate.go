package config

import (
	"fmt"
	"net/url"
	"reflect"
	"regexp"
	"slices"
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

var (
	nameRe  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	topicRe = regexp.MustCompile(`^[A-Za-z0-9._-]{1,249}$`)
)

func (c *Config) validate(external map[string]bool, p *Problems) {
	checkName(p, "name", c.Name)
	c.Kafka.validate(external, p)
	c.SchemaRegistry.validate(external, p)
	switch c.DLQ.Mode {
	case "dlq", "fail":
	default:
		p.add("dlq.mode", fmt.Sprintf("%q: must be dlq or fail", c.DLQ.Mode))
	}
	checkTopic(p, "dlq.topic", c.DLQ.Topic)
	checkValueFormat(p, "value_format", c.ValueFormat)
	if c.RecordsInFlight < 1 {
		p.add("records_in_flight", fmt.Sprintf("%d: must be at least 1", c.RecordsInFlight))
	}
	if len(c.Sources) == 0 {
		p.add("sources", "at least one source is required")
	}
	names := map[string]int{}
	topics := map[string]int{}
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
		if s.ValueFormat != c.ValueFormat {
			checkValueFormat(p, path+".value_format", s.ValueFormat)
		}
		j, shared := topics[s.Topic]
		switch {
		case !shared:
			topics[s.Topic] = i
		case s.Topic == "":
		case c.Sources[j].Kind != s.Kind:
			p.add(path+".topic", fmt.Sprintf("%q already receives the %s events of sources[%d]: a topic holds one kind's schema", s.Topic, c.Sources[j].Kind, j))
		case c.Sources[j].ValueFormat != s.ValueFormat:
			p.add(path+".value_format", fmt.Sprintf("%s, but sources[%d] writes %s values to the same topic %q: a topic holds one schema", s.ValueFormat, j, c.Sources[j].ValueFormat, s.Topic))
		}
	}
}

// checkName reports a connector's or source's name that is empty or holds
// other characters than nameRe allows.
func checkName(p *Problems, path, name string) {
	switch {
	case name == "":
		p.add(path, "required")
	case !nameRe.MatchString(name):
		p.add(path, "use letters, digits, '.', '_' and '-' only")
	}
}

// checkValueFormat reports a value_format that is neither envelope nor flat.
func checkValueFormat(p *Problems, path, f string) {
	if f != "envelope" && f != "flat" {
		p.add(path, fmt.Sprintf("%q: must be envelope or flat", f))
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
	if !slices.Contains(Compressions, k.Compression) {
		p.add("kafka.compression", fmt.Sprintf("%q: must be one of %s", k.Compression, strings.Join(Compressions, ", ")))
	}
	if k.BatchBytes < 16<<10 {
		p.add("kafka.batch_bytes", fmt.Sprintf("%d: must be at least 16384", k.BatchBytes))
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
		CheckURL(p.add, "schema_registry.url", r.URL)
	}
	checkSecret(p, external, "schema_registry.password", r.Password, false)
	switch r.Compatibility {
	case "BACKWARD", "FORWARD", "FULL", "NONE":
	default:
		p.add("schema_registry.compatibility", fmt.Sprintf("%q: must be BACKWARD, FORWARD, FULL or NONE", r.Compatibility))
	}
}

func (s *Source) validate(path string, external map[string]bool, p *Problems) {
	checkName(p, path+".name", s.Name)
	k, known := KindNamed(s.Kind)
	switch {
	case s.Kind == "":
		p.add(path+".kind", "required: one of "+kindNames()+sectionHint(s.sections))
	case !known:
		p.add(path+".kind", fmt.Sprintf("%q: unknown, want one of %s%s", s.Kind, kindNames(), sectionHint(s.sections)))
	case s.Settings == nil:
		p.add(path+"."+k.Section, "required for kind "+k.Name)
	}
	for _, sec := range s.sections {
		spath := path + "." + sec.kind.Section
		switch {
		case !known:
			// The kind's own problem, above, says which kind the section is for.
		case sec.kind.Name != s.Kind:
			p.add(spath, "only for kind "+sec.kind.Name)
		default:
			sec.settings.Check(func(setting, problem string) { p.add(spath+"."+setting, problem) })
			eachSecret(reflect.ValueOf(sec.settings), spath+".", func(path string, secret *Secret, _ string) {
				checkSecret(p, external, path, *secret, false)
			})
		}
	}
	if s.Topic != "" { // empty only for an unknown kind, reported above
		checkTopic(p, path+".topic", s.Topic)
	}
	if s.PollInterval < 100*time.Millisecond {
		p.add(path+".poll_interval", "must be at least 100ms")
	}
	if s.OffsetHeartbeat < s.PollInterval {
		p.add(path+".offset_heartbeat", "must be at least poll_interval")
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

// sectionHint names the kinds of the provider sections a source without a
// known kind has, e.g. " (its tiki: section is for kind tiki_lead)".
func sectionHint(sections []section) string {
	var hints []string
	for _, sec := range sections {
		hints = append(hints, fmt.Sprintf("its %s: section is for kind %s", sec.kind.Section, sec.kind.Name))
	}
	if len(hints) == 0 {
		return ""
	}
	return " (" + strings.Join(hints, "; ") + ")"
}

// CheckRange reports setting unless 1 <= v <= max.
func CheckRange(add func(setting, problem string), setting string, v, max int) {
	if v < 1 || v > max {
		add(setting, fmt.Sprintf("must be 1..%d", max))
	}
}

// RequireSecret reports the secret setting when it is not set; the loader
// checks that a secret that is set came from the environment or a file.
func RequireSecret(add func(setting, problem string), setting string, s Secret) {
	if s == "" {
		add(setting, "required: set it from the environment (${VAR}) or "+setting+"_file")
	}
}

// CheckURL reports setting unless raw is an http(s) URL without
// credentials.
func CheckURL(add func(setting, problem string), setting, raw string) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		add(setting, fmt.Sprintf("%q: want an http(s) URL", raw))
		return
	}
	if u.User != nil {
		add(setting, "credentials do not belong in the URL")
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

func positive(p *Problems, path string, v int64) {
	if v <= 0 {
		p.add(path, "must be positive")
	}
}
