// Package connector is the runtime: it prepares Kafka (topics, fencing,
// offsets), builds one worker per configured source, runs them in
// isolation from each other, and serves /metrics, /healthz and /readyz.
package connector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/vnstream/connector/pkg/config"
	"github.com/vnstream/connector/pkg/kafka"
	"github.com/vnstream/connector/pkg/metrics"
	"github.com/vnstream/connector/pkg/schema"
	"github.com/vnstream/connector/pkg/source"
	"github.com/vnstream/connector/schemas"
)

// Batch describes one committed transaction, for Option WithOnCommit.
type Batch struct {
	Source, Kind, Topic string
	// Events counts the change events written, Ops them by operation.
	Events int
	Ops    map[source.Op]int
	// DLQ counts the records written to the dead-letter topic.
	DLQ int
	// Offset is the source's offset committed with the batch.
	Offset source.Offset
}

// Connector runs the configured sources.
type Connector struct {
	cfg       *config.Config
	version   string
	log       *slog.Logger
	metrics   *metrics.Metrics
	transport http.RoundTripper
	onCommit  func(Batch)
	kopts     []kgo.Opt
	ready     atomic.Bool
	status    *statusBoard
}

// Option tunes a Connector.
type Option func(*Connector)

// WithLogger sets the logger. Default: slog.Default().
func WithLogger(l *slog.Logger) Option { return func(c *Connector) { c.log = l } }

// WithVersion sets the version reported in events and build info. Default "dev".
func WithVersion(v string) Option { return func(c *Connector) { c.version = v } }

// WithTransport sets the HTTP transport of every source. Default: a clone
// of http.DefaultTransport per source.
func WithTransport(t http.RoundTripper) Option { return func(c *Connector) { c.transport = t } }

// WithOnCommit calls fn after every committed batch.
func WithOnCommit(fn func(Batch)) Option { return func(c *Connector) { c.onCommit = fn } }

// New returns a connector for cfg (as config.Load returns it).
func New(cfg *config.Config, opts ...Option) (*Connector, error) {
	c := &Connector{cfg: cfg, version: "dev", log: slog.Default(), status: newStatusBoard()}
	for _, o := range opts {
		o(c)
	}
	c.metrics = metrics.New(c.version, c.status.metricsSnapshot)
	for _, s := range cfg.Sources {
		c.status.add(SourceStatus{Name: s.Name, Kind: s.Kind, Topic: s.Topic, Task: -1})
	}
	kopts, err := kafka.Options(cfg.Kafka)
	if err != nil {
		return nil, err
	}
	c.kopts = kopts
	return c, nil
}

// Metrics returns the connector's collectors.
func (c *Connector) Metrics() *metrics.Metrics { return c.metrics }

// Ready reports whether offsets are restored and the broker answered.
func (c *Connector) Ready() bool { return c.ready.Load() }

// Run serves the HTTP endpoints, prepares Kafka (retrying while the broker
// is unreachable), and runs every source until ctx ends. A source that
// fails backs off alone. Run returns nil after a clean shutdown (no
// transaction is left half-written: an open one is aborted), and an error
// only when it cannot start: a wrong offsets topic, an incompatible schema.
func (c *Connector) Run(ctx context.Context) error {
	stopServer, err := c.serve()
	if err != nil {
		return err
	}
	defer stopServer()

	workers, err := c.prepareRetrying(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	leave, err := kafka.Announce(c.kopts, c.cfg.Name, c.cfg.Kafka.OffsetsTopic)
	if err != nil {
		return err
	}
	defer leave()
	c.ready.Store(true)
	c.metrics.Ready.Set(1)
	defer func() { c.ready.Store(false); c.metrics.Ready.Set(0) }()
	c.log.Info("connector running", "sources", len(workers))

	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Go(func() { w.run(ctx) })
	}
	wg.Wait()
	for _, w := range workers {
		w.producer.Close()
	}
	return nil
}

// prepareRetrying runs prepare until it succeeds, retrying errors that a
// broker coming up would cure, or ctx ends.
func (c *Connector) prepareRetrying(ctx context.Context) ([]*worker, error) {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = 500 * time.Millisecond
	b.MaxInterval = 10 * time.Second
	b.MaxElapsedTime = 0
	b.Reset()
	for {
		workers, err := c.prepare(ctx)
		if err == nil {
			return workers, nil
		}
		var perm *permanentError
		if errors.As(err, &perm) || ctx.Err() != nil {
			return nil, err
		}
		wait := b.NextBackOff()
		c.log.Warn("cannot start yet; retrying", "err", err, "retry_in", wait.Round(time.Millisecond))
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
	}
}

// permanentError is a start-up failure that retrying cannot cure: a wrong
// topic configuration, an incompatible schema.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// prepare ensures topics, registers schemas, fences the tasks, restores the
// offsets and builds the workers.
func (c *Connector) prepare(ctx context.Context) ([]*worker, error) {
	cfg := c.cfg
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(c.kopts...)
	if err != nil {
		return nil, &permanentError{err}
	}
	defer cl.Close()
	// Fail fast while the broker is unreachable, so the retry loop (and
	// readiness) notices it coming up within seconds.
	ping, cancelPing := context.WithTimeout(pctx, 5*time.Second)
	err = cl.Ping(ping)
	cancelPing()
	if err != nil {
		return nil, fmt.Errorf("kafka brokers %v do not answer: %w", cfg.Kafka.Brokers, err)
	}
	adm := kadm.NewClient(cl)

	topics := []kafka.Topic{
		{Name: cfg.Kafka.OffsetsTopic, Partitions: cfg.Kafka.OffsetsPartitions, Replication: cfg.Kafka.ReplicationFactor, Compact: true},
		{Name: cfg.DLQ.Topic, Partitions: cfg.Kafka.TopicPartitions, Replication: cfg.Kafka.ReplicationFactor},
	}
	for _, s := range cfg.Sources {
		topics = append(topics, kafka.Topic{Name: s.Topic, Partitions: cfg.Kafka.TopicPartitions, Replication: cfg.Kafka.ReplicationFactor})
	}
	if err := kafka.EnsureTopics(pctx, adm, topics); err != nil {
		if errors.Is(err, kafka.ErrNotCompacted) {
			return nil, &permanentError{err}
		}
		return nil, err
	}
	nparts, err := kafka.Partitions(pctx, adm, cfg.Kafka.OffsetsTopic)
	if err != nil {
		return nil, err
	}

	codecs, err := c.codecs(pctx)
	if err != nil {
		return nil, err
	}

	producers := map[int32]*kafka.Producer{}
	workers := make([]*worker, 0, len(cfg.Sources))
	var tasks []int32
	for _, s := range cfg.Sources {
		key := kafka.OffsetKey(cfg.Name, s.Name)
		task := kafka.Task(key, nparts)
		p, ok := producers[task]
		if !ok {
			txnID := kafka.TransactionalID(cfg.Name, task)
			if err := kafka.Fence(pctx, cl, txnID, cfg.Kafka.TransactionTimeout); err != nil {
				return nil, err
			}
			p = kafka.NewProducer(c.kopts, txnID, cfg.Kafka.OffsetsTopic, cfg.Kafka.TransactionTimeout, c.metrics.Registry)
			producers[task] = p
			tasks = append(tasks, task)
		}
		w := c.newWorker(s, codecs[s.Name], task, p, key)
		workers = append(workers, w)
	}
	offsets, err := kafka.ReadOffsets(pctx, c.kopts, cfg.Kafka.OffsetsTopic, tasks, cfg.Name)
	if err != nil {
		return nil, err
	}
	for _, w := range workers {
		w.offset = offsets[w.cfg.Name]
		c.status.update(w.cfg.Name, func(s *SourceStatus) { s.Task, s.Offset = w.task, w.offset })
		w.log.Info("offset restored", "task", w.task, "offset", string(w.offset))
	}
	return workers, nil
}

// codecs builds each source's serializer: the Confluent wire format with a
// registry, Avro single-object encoding without.
func (c *Connector) codecs(ctx context.Context) (map[string]*schema.Codec, error) {
	set, err := schema.Load(schemas.FS)
	if err != nil {
		return nil, &permanentError{err}
	}
	var reg *sr.Client
	r := c.cfg.SchemaRegistry
	if r.URL != "" {
		opts := []sr.ClientOpt{sr.URLs(r.URL)}
		if r.Username != "" {
			opts = append(opts, sr.BasicAuth(r.Username, r.Password.Value()))
		}
		if reg, err = sr.NewClient(opts...); err != nil {
			return nil, &permanentError{err}
		}
	}
	compat, err := schema.ParseCompatibility(r.Compatibility)
	if err != nil {
		return nil, &permanentError{err}
	}
	out := map[string]*schema.Codec{}
	for _, s := range c.cfg.Sources {
		p := providers[s.Kind]
		e, err := set.Entity(p.entity)
		if err != nil {
			return nil, &permanentError{err}
		}
		var codec *schema.Codec
		if reg == nil {
			codec, err = schema.NewSingleObjectCodec(e, p.valueType)
		} else {
			codec, err = schema.NewRegistryCodec(ctx, reg, s.Topic, e, p.valueType, compat)
		}
		if err != nil {
			if errors.Is(err, schema.ErrIncompatible) {
				return nil, &permanentError{err}
			}
			return nil, fmt.Errorf("source %s: %w", s.Name, err)
		}
		out[s.Name] = codec
	}
	return out, nil
}

func (c *Connector) newWorker(s config.Source, codec *schema.Codec, task int32, p *kafka.Producer, key []byte) *worker {
	m := c.metrics
	client := source.NewClient(source.ClientConfig{
		Source:         s.Name,
		Timeout:        s.HTTP.Timeout,
		RateLimit:      s.HTTP.RateLimit,
		MaxBodyBytes:   s.HTTP.MaxBodyBytes,
		MaxAttempts:    s.HTTP.MaxAttempts,
		BackoffInitial: s.HTTP.BackoffInitial,
		BackoffMax:     s.HTTP.BackoffMax,
		Transport:      c.transport,
		OnFailure: func(r source.Reason) {
			m.RequestFailures.WithLabelValues(s.Name, s.Kind, string(r)).Inc()
		},
	})
	for _, r := range source.Reasons {
		m.RequestFailures.WithLabelValues(s.Name, s.Kind, string(r))
	}
	return &worker{
		c:        c,
		cfg:      s,
		src:      providers[s.Kind].newSource(s, client),
		codec:    codec,
		task:     task,
		producer: p,
		key:      key,
		log:      c.log.With("source", s.Name, "kind", s.Kind),
		headers: []kgo.RecordHeader{
			{Key: "connector.provider", Value: []byte(s.Kind)},
			{Key: "connector.source", Value: []byte(s.Name)},
			{Key: "connector.key.schema", Value: []byte(codec.KeySchema())},
			{Key: "connector.value.schema", Value: []byte(codec.ValueSchema())},
		},
	}
}
