// Package connector is the runtime: it prepares Kafka (topics, schemas),
// builds one worker per configured source and one task per offsets-topic
// partition holding sources, joins the replicas' group, runs the tasks the
// group assigns (task.go: fence, read the offsets, poll and commit), each
// source isolated from the others, and serves /metrics, /healthz, /readyz
// and /status.
package connector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/vnstream/connector/pkg/config"
	"github.com/vnstream/connector/pkg/fetch"
	"github.com/vnstream/connector/pkg/kafka"
	"github.com/vnstream/connector/pkg/metrics"
	"github.com/vnstream/connector/pkg/poll"
	"github.com/vnstream/connector/pkg/provider"
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
	closeIdle func() // closes the idle connections of the transport New made; nil with WithTransport
	onCommit  func(Batch)
	kopts     []kgo.Opt
	instance  string
	ready     atomic.Bool
	status    *statusBoard
	budget    *budget // records_in_flight

	// Set by Run: the tasks of the configuration, the group membership and
	// the tasks running on this replica.
	runCtx  context.Context
	tasks   map[int32]*task
	member  *kafka.Member
	mu      sync.Mutex
	running map[int32]*runningTask
	group   GroupStatus
	// startErr is the last error of starting, while it is retried.
	startErr   string
	startErrAt time.Time
	// built holds the codec of each topic whose schemas are registered,
	// kept across start-up attempts.
	built map[string]*schema.Codec
}

// runningTask is a task this replica runs.
type runningTask struct {
	stop    context.CancelFunc
	done    chan struct{}
	sources int // the task's sources, counted in the budget's share
}

// Option tunes a Connector.
type Option func(*Connector)

// WithLogger sets the logger. Default: slog.Default().
func WithLogger(l *slog.Logger) Option { return func(c *Connector) { c.log = l } }

// WithVersion sets the version reported in events and build info. Default "dev".
func WithVersion(v string) Option { return func(c *Connector) { c.version = v } }

// WithTransport sets the HTTP transport of every source. Default: one
// fetch.NewTransport shared by every source (a pool of connections per
// vendor host, fetch.MaxConnsPerHost at most), its idle connections closed
// when Run returns.
func WithTransport(t http.RoundTripper) Option { return func(c *Connector) { c.transport = t } }

// WithInstance names this replica in the connector's group. Default: the
// host name (on Kubernetes, the pod name).
func WithInstance(name string) Option { return func(c *Connector) { c.instance = name } }

// WithOnCommit calls fn after every committed batch.
func WithOnCommit(fn func(Batch)) Option { return func(c *Connector) { c.onCommit = fn } }

// New returns a connector for cfg (as config.Load returns it).
func New(cfg *config.Config, opts ...Option) (*Connector, error) {
	c := &Connector{cfg: cfg, version: "dev", log: slog.Default(), status: newStatusBoard(), running: map[int32]*runningTask{}}
	c.instance, _ = os.Hostname()
	for _, o := range opts {
		o(c)
	}
	if c.transport == nil {
		t := fetch.NewTransport()
		c.transport, c.closeIdle = t, t.CloseIdleConnections
	}
	c.metrics = metrics.New(c.version, c.status.metricsSnapshot)
	c.budget = newBudget(cfg.RecordsInFlight, c.metrics.RecordsInFlight, c.metrics.InFlightWait)
	for _, s := range cfg.Sources {
		c.status.add(SourceStatus{Name: s.Name, Kind: s.Kind, Topic: s.Topic, Task: -1, State: StateUnassigned})
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

// Ready reports whether the broker answered and the replica joined its group.
func (c *Connector) Ready() bool { return c.ready.Load() }

// Run serves the HTTP endpoints, prepares Kafka (retrying while the broker
// is unreachable), joins the connector's group and runs the tasks it
// assigns until ctx ends. A source that fails backs off alone. Run returns
// nil after a clean shutdown (every task stopped, no transaction left
// half-written: an open one is aborted, then the replica leaves the group),
// and an error only when it cannot start: a wrong offsets topic, an
// incompatible schema.
func (c *Connector) Run(ctx context.Context) error {
	stopServer, err := c.serve()
	if err != nil {
		return err
	}
	defer stopServer()
	if c.closeIdle != nil {
		defer c.closeIdle()
	}

	tasks, err := c.prepareRetrying(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	c.runCtx, c.tasks = ctx, tasks
	weights := map[int32]int{}
	for id, t := range tasks {
		weights[id] = len(t.workers)
	}
	k := c.cfg.Kafka
	// The group's callbacks take c.mu: holding it until c.member is set
	// keeps them waiting for it.
	c.mu.Lock()
	member, err := kafka.Join(c.kopts, kafka.GroupConfig{
		Connector: c.cfg.Name, OffsetsTopic: k.OffsetsTopic, Instance: c.instance,
		SessionTimeout: k.Group.SessionTimeout, RebalanceTimeout: k.Group.RebalanceTimeout,
		Weights: weights, Assigned: c.assigned, Revoked: c.revoked,
	})
	c.member = member
	c.mu.Unlock()
	if err != nil {
		return err
	}
	c.log.Info("joined the connector's group; waiting for tasks", "group", kafka.GroupID(c.cfg.Name), "instance", c.instance, "sources", len(c.cfg.Sources))
	<-ctx.Done()
	c.ready.Store(false)
	c.metrics.Ready.Set(0)
	// Stop every task (their last commits end or abort) before leaving,
	// so the group hands them to the other replicas only then.
	c.revoked(c.GroupStatus().Tasks, false)
	member.Leave()
	c.status.setAll(StateStopped)
	return nil
}

// assigned starts the tasks the group gave this replica. Tasks holding no
// source of this replica's configuration have nothing to run.
func (c *Connector) assigned(ids []int32, generation int32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	memberID, _ := c.member.ID()
	c.group.MemberID, c.group.Generation = memberID, generation
	c.group.Rebalances++
	c.metrics.Generation.Set(float64(generation))
	c.metrics.Rebalances.Inc()
	for _, id := range ids {
		c.group.Tasks = append(c.group.Tasks, id)
		t := c.tasks[id]
		if t == nil || c.runCtx.Err() != nil {
			continue
		}
		ctx, stop := context.WithCancel(c.runCtx)
		rt := &runningTask{stop: stop, done: make(chan struct{}), sources: len(t.workers)}
		c.running[id] = rt
		c.budget.run(rt.sources) // before any of them polls
		go func() {
			defer close(rt.done)
			t.run(ctx)
		}()
	}
	slices.Sort(c.group.Tasks)
	c.metrics.Tasks.Set(float64(len(c.group.Tasks)))
	c.log.Info("group rebalanced", "generation", generation, "gained", ids, "tasks", c.group.Tasks)
	if !c.ready.Load() {
		c.ready.Store(true)
		c.metrics.Ready.Set(1)
	}
}

// revoked stops the given tasks and returns once their sources stopped:
// their last commit finished or was aborted.
func (c *Connector) revoked(ids []int32, lost bool) {
	c.mu.Lock()
	var (
		stopping []*runningTask
		gone     []int32
	)
	for _, id := range ids {
		if rt := c.running[id]; rt != nil {
			rt.stop()
			stopping = append(stopping, rt)
			delete(c.running, id)
		}
		if i := slices.Index(c.group.Tasks, id); i >= 0 {
			c.group.Tasks = slices.Delete(c.group.Tasks, i, i+1)
			gone = append(gone, id)
		}
	}
	c.metrics.Tasks.Set(float64(len(c.group.Tasks)))
	c.mu.Unlock()
	for _, rt := range stopping {
		<-rt.done
		c.budget.run(-rt.sources)
	}
	for _, id := range gone {
		if t := c.tasks[id]; t != nil {
			for _, w := range t.workers {
				c.status.update(w.cfg.Name, func(s *SourceStatus) { s.State = StateUnassigned })
			}
		}
	}
	if len(gone) > 0 {
		c.log.Info("tasks given up", "tasks", gone, "lost", lost)
	}
}

// prepareRetrying runs prepare until it succeeds, retrying errors that a
// broker coming up would cure, or ctx ends.
func (c *Connector) prepareRetrying(ctx context.Context) (map[int32]*task, error) {
	b := newBackoff(500*time.Millisecond, 10*time.Second)
	for {
		tasks, err := c.prepare(ctx)
		c.mu.Lock()
		c.startErr, c.startErrAt = "", time.Time{}
		if err != nil {
			c.startErr, c.startErrAt = err.Error(), time.Now().UTC()
		}
		c.mu.Unlock()
		if err == nil {
			return tasks, nil
		}
		var perm *permanentError
		if errors.As(err, &perm) || ctx.Err() != nil {
			return nil, err
		}
		wait := b.NextBackOff()
		c.log.Warn("cannot start yet; retrying", "err", err, "retry_in", wait.Round(time.Millisecond))
		if !sleep(ctx, wait) {
			return nil, ctx.Err()
		}
	}
}

// permanentError is a start-up failure that retrying cannot cure: a wrong
// topic configuration, an incompatible schema.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// prepare ensures topics, registers schemas and builds the tasks and their
// workers. It neither fences nor reads offsets: a task does that when the
// group assigns it. Each step has its own deadline (stepTimeout), so the
// time a large configuration takes is not bounded by one; schemas an
// earlier attempt registered are kept, so a retry resumes.
func (c *Connector) prepare(ctx context.Context) (map[int32]*task, error) {
	cfg := c.cfg
	cl, err := kgo.NewClient(c.kopts...)
	if err != nil {
		return nil, &permanentError{err}
	}
	defer cl.Close()
	// Fail fast while the broker is unreachable, so the retry loop (and
	// readiness) notices it coming up within seconds.
	ping, cancelPing := context.WithTimeout(ctx, 5*time.Second)
	err = cl.Ping(ping)
	cancelPing()
	if err != nil {
		return nil, fmt.Errorf("kafka brokers %v do not answer: %w", cfg.Kafka.Brokers, err)
	}
	adm := kadm.NewClient(cl)

	topics := []kafka.Topic{
		{Name: cfg.Kafka.OffsetsTopic, Partitions: cfg.Kafka.OffsetsPartitions, Replication: cfg.Kafka.ReplicationFactor, Compact: true, MinEventBytes: poll.MaxOffsetBytes},
		{Name: cfg.DLQ.Topic, Partitions: cfg.Kafka.TopicPartitions, Replication: cfg.Kafka.ReplicationFactor, BatchBytes: cfg.Kafka.BatchBytes},
	}
	for _, s := range cfg.Sources {
		topics = append(topics, kafka.Topic{Name: s.Topic, Partitions: cfg.Kafka.TopicPartitions, Replication: cfg.Kafka.ReplicationFactor, BatchBytes: cfg.Kafka.BatchBytes})
	}
	step, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	limits, err := kafka.EnsureTopics(step, adm, topics)
	if err != nil {
		if errors.Is(err, kafka.ErrTopicConfig) {
			return nil, &permanentError{err}
		}
		return nil, err
	}
	nparts, err := kafka.Partitions(step, adm, cfg.Kafka.OffsetsTopic)
	if err != nil {
		return nil, err
	}

	codecs, err := c.codecs(ctx)
	if err != nil {
		return nil, err
	}

	tasks := map[int32]*task{}
	for _, s := range cfg.Sources {
		key := kafka.OffsetKey(cfg.Name, s.Name)
		id := kafka.Task(key, nparts)
		t := tasks[id]
		if t == nil {
			txnID := kafka.TransactionalID(cfg.Name, id)
			t = &task{c: c, id: id, txnID: txnID, log: c.log.With("task", id, "transactional_id", txnID), limits: limits}
			tasks[id] = t
		}
		t.workers = append(t.workers, c.newWorker(s, codecs[s.Topic], id, key, limits))
		c.status.update(s.Name, func(st *SourceStatus) { st.Task = id })
	}
	return tasks, nil
}

// stepTimeout bounds one step of starting: creating the topics, reading
// the offsets topic's partitions, registering one topic's schemas.
const stepTimeout = 30 * time.Second

// maxRegistering is how many topics' schemas are registered at once.
const maxRegistering = 8

// RegistryClient is a client of the configured schema registry, with its
// basic auth; nil without schema_registry.url.
func RegistryClient(r config.SchemaRegistry) (*sr.Client, error) {
	if r.URL == "" {
		return nil, nil
	}
	opts := []sr.ClientOpt{sr.URLs(r.URL)}
	if r.Username != "" {
		opts = append(opts, sr.BasicAuth(r.Username, r.Password.Value()))
	}
	return sr.NewClient(opts...)
}

// codecs returns the serializer of each topic the sources write (a topic
// holds one kind in one shape, so its sources share one): the Confluent
// wire format with a registry, Avro single-object encoding without. With
// a registry, the subjects of maxRegistering topics are registered and
// checked at once, each topic under its own stepTimeout; the codecs of an
// earlier attempt are kept, so a retry asks only for those it lacks.
func (c *Connector) codecs(ctx context.Context) (map[string]*schema.Codec, error) {
	set, err := schema.Load(schemas.FS)
	if err != nil {
		return nil, &permanentError{err}
	}
	reg, err := RegistryClient(c.cfg.SchemaRegistry)
	if err != nil {
		return nil, &permanentError{err}
	}
	compat, err := schema.ParseCompatibility(c.cfg.SchemaRegistry.Compatibility)
	if err != nil {
		return nil, &permanentError{err}
	}
	if c.built == nil {
		c.built = map[string]*schema.Codec{}
	}
	type build struct {
		source config.Source
		entity *schema.Entity
		value  any
		codec  *schema.Codec
		err    error
	}
	var builds []*build
	pending := map[string]bool{}
	for _, s := range c.cfg.Sources {
		if _, ok := c.built[s.Topic]; ok || pending[s.Topic] {
			continue
		}
		pending[s.Topic] = true
		e, err := SourceEntity(set, s)
		if err != nil {
			return nil, &permanentError{err}
		}
		p, _ := provider.Lookup(s.Kind)
		builds = append(builds, &build{source: s, entity: e, value: p.Value})
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, maxRegistering)
	for _, b := range builds {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if reg == nil {
				b.codec, b.err = schema.NewSingleObjectCodec(b.entity, b.value)
				return
			}
			step, cancel := context.WithTimeout(ctx, stepTimeout)
			defer cancel()
			b.codec, b.err = schema.NewRegistryCodec(step, reg, b.source.Topic, b.entity, b.value, compat)
		})
	}
	wg.Wait()
	var failed error
	for _, b := range builds {
		switch {
		case b.err == nil:
			c.built[b.source.Topic] = b.codec
		case errors.Is(b.err, schema.ErrIncompatible) || errors.Is(b.err, schema.ErrRefused):
			return nil, &permanentError{fmt.Errorf("topic %s (source %s): %w", b.source.Topic, b.source.Name, b.err)}
		case failed == nil:
			failed = fmt.Errorf("topic %s (source %s): %w", b.source.Topic, b.source.Name, b.err)
		}
	}
	if failed != nil {
		return nil, failed
	}
	return c.built, nil
}

func (c *Connector) newWorker(s config.Source, codec *schema.Codec, task int32, key []byte, limits kafka.Limits) *worker {
	m := c.metrics
	client := fetch.NewClient(fetch.Config{
		Source:         s.Name,
		Timeout:        s.HTTP.Timeout,
		RateLimit:      s.HTTP.RateLimit,
		MaxBodyBytes:   s.HTTP.MaxBodyBytes,
		MaxAttempts:    s.HTTP.MaxAttempts,
		BackoffInitial: s.HTTP.BackoffInitial,
		BackoffMax:     s.HTTP.BackoffMax,
		Transport:      c.transport,
		OnFailure: func(r fetch.Reason) {
			m.RequestFailures.WithLabelValues(s.Name, s.Kind, string(r)).Inc()
		},
	})
	p, _ := provider.Lookup(s.Kind)
	return &worker{
		c:        c,
		cfg:      s,
		src:      p.New(s.Name, s.Settings, client),
		codec:    codec,
		task:     task,
		key:      key,
		backoff:  newBackoff(time.Second, s.ErrorBackoffMax),
		read:     -1,
		maxEvent: limits.MaxEvent(s.Topic),
		maxDLQ:   limits.MaxEvent(c.cfg.DLQ.Topic),
		log:      c.log.With("source", s.Name, "kind", s.Kind),
		headers: []kgo.RecordHeader{
			{Key: "connector.provider", Value: []byte(s.Kind)},
			{Key: "connector.source", Value: []byte(s.Name)},
			{Key: "connector.key.schema", Value: []byte(codec.KeySchema())},
			{Key: "connector.value.schema", Value: []byte(codec.ValueSchema())},
		},
	}
}
