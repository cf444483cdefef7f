package kafka

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/plugin/kprom"

	"github.com/vnstream/connector/pkg/metrics"
)

// TransactionalID is the transactional id of a task: whoever starts a
// producer with it fences the previous owner.
func TransactionalID(connector string, task int32) string {
	return fmt.Sprintf("%s-%d", connector, task)
}

// ShutdownAbortTimeout bounds the abort of a transaction interrupted by
// shutdown, so the process exits within a pod's grace period.
const ShutdownAbortTimeout = 5 * time.Second

// ErrFenced marks a commit refused because the producer's epoch is no
// longer current: the broker timed the transaction out, or another producer
// with the same transactional id (the task's new owner, `connector offsets
// -force`) took the task over.
var ErrFenced = errors.New("producer fenced: its transaction timed out or another producer took the task over")

// Producer is the transactional producer of one task for one ownership of
// it. OpenProducer fences the task: InitProducerID bumps the epoch of the
// task's transactional id, which aborts whatever a previous owner left open
// and makes every later commit of that owner fail. Every Commit runs with
// that epoch, so a caller that reads the task's offsets after OpenProducer
// and commits only through this producer commits only from offsets nobody
// has overwritten since.
//
// Any failed Commit ends the producer's use: its outcome may be unknown, or
// the producer fenced. The owner closes it and, if it still owns the task,
// opens a new one and reads the offsets again. The sources of a task take
// turns: commits are serialized.
type Producer struct {
	mu      sync.Mutex
	cl      *kgo.Client
	txnID   string
	timeout time.Duration
	failed  error
}

// OpenProducer fences the task whose transactional id is txnID and returns
// its producer. opts are the shared client options (Options); offsetsTopic's
// records go to the partition set on them, all others by key hash. With reg
// set, the client's metrics (franz-go's kprom) are registered there as
// connector_kafka_*, labelled with client_id = txnID, until Close.
func OpenProducer(ctx context.Context, opts []kgo.Opt, txnID, offsetsTopic string, txnTimeout time.Duration, reg prometheus.Registerer) (*Producer, error) {
	opts = append(opts[:len(opts):len(opts)],
		kgo.TransactionalID(txnID),
		kgo.ClientID(txnID),
		kgo.TransactionTimeout(txnTimeout),
		kgo.RecordDeliveryTimeout(txnTimeout),
		kgo.RecordPartitioner(partitioner{offsetsTopic}),
		kgo.MaxBufferedRecords(1<<16),
	)
	if reg != nil {
		opts = append(opts, kgo.WithHooks(kprom.NewMetrics(metrics.Namespace,
			kprom.Registerer(reg), kprom.Subsystem("kafka"), kprom.WithClientLabel())))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, err
	}
	// ProducerID sends InitProducerID for the transactional id now rather
	// than at the first produce: the fence must come before the read.
	if _, _, err := cl.ProducerID(ctx); err != nil {
		cl.Close()
		if isFenced(err) {
			err = fmt.Errorf("%w: %v", ErrFenced, err)
		}
		return nil, fmt.Errorf("fencing transactional id %s: %w", txnID, err)
	}
	return &Producer{cl: cl, txnID: txnID, timeout: txnTimeout}, nil
}

// MaxEventBytes is the most bytes of key, value and headers (their keys
// and values) one record may take to a topic whose max.message.bytes is
// 1,000,012 or more (the broker's default, 1,048,588, is): franz-go's
// limit on a record batch (kgo.ProducerBatchMaxBytes, 1,000,012 bytes by
// default), less the batch's header (61 bytes) and the record's own
// lengths and header lengths, with room to spare. franz-go fails a larger
// record, and with it the transaction, on every attempt. Limits.MaxEvent
// is the limit of a topic whose batches are capped lower (its BatchBytes,
// its max.message.bytes).
const MaxEventBytes = 999_000

// Commit writes records in one transaction. On a nil error all of them are
// visible to read_committed readers. On an error the producer is done (see
// Producer): none of the records is visible, or the outcome is unknown and
// the next owner learns it from the offsets topic after fencing.
func (p *Producer) Commit(ctx context.Context, records []*kgo.Record) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.failed != nil {
		return fmt.Errorf("transaction %s not started: the producer failed before: %w", p.txnID, p.failed)
	}
	err := p.commit(ctx, records)
	if err != nil {
		p.failed = err
	}
	return err
}

func (p *Producer) commit(ctx context.Context, records []*kgo.Record) error {
	if err := p.cl.BeginTransaction(); err != nil {
		return p.wrap("begin transaction", err)
	}
	var (
		errMu    sync.Mutex
		firstErr error
	)
	// One promise for every record: a closure per record was an allocation
	// per event.
	promise := func(r *kgo.Record, err error) {
		if err != nil {
			errMu.Lock()
			if firstErr == nil {
				firstErr = fmt.Errorf("producing to %s: %w", r.Topic, err)
			}
			errMu.Unlock()
		}
	}
	for _, r := range records {
		p.cl.Produce(ctx, r, promise)
	}
	flushErr := p.cl.Flush(ctx)
	errMu.Lock()
	produceErr := errors.Join(firstErr, flushErr, ctx.Err())
	errMu.Unlock()
	// End with a context of its own: a cancelled ctx (shutdown, a revoked
	// task) must still be able to abort cleanly rather than leave the
	// transaction open until it times out, holding back read_committed
	// readers. Then the abort is best effort within ShutdownAbortTimeout:
	// the next owner's InitProducerID aborts whatever is left.
	endTimeout := p.timeout
	if ctx.Err() != nil {
		endTimeout = min(endTimeout, ShutdownAbortTimeout)
	}
	endCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), endTimeout)
	defer cancel()
	endErr := p.cl.EndTransaction(endCtx, kgo.TransactionEndTry(produceErr == nil))
	if produceErr == nil && endErr == nil {
		return nil
	}
	return p.wrap("transaction not committed", errors.Join(produceErr, endErr))
}

func (p *Producer) wrap(what string, err error) error {
	if isFenced(err) {
		return fmt.Errorf("%s %s: %w: %v", what, p.txnID, ErrFenced, err)
	}
	return fmt.Errorf("%s %s: %w", what, p.txnID, err)
}

// Close releases the producer. No transaction is open between commits.
func (p *Producer) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cl.Close()
}

func isFenced(err error) bool {
	return errors.Is(err, kerr.ProducerFenced) || errors.Is(err, kerr.InvalidProducerEpoch) ||
		errors.Is(err, kerr.TransactionalIDAuthorizationFailed)
}

// partitioner sends offsets-topic records to the partition set on them
// (their task) and every other record by Kafka's key hash.
type partitioner struct{ offsetsTopic string }

func (p partitioner) ForTopic(topic string) kgo.TopicPartitioner {
	if topic == p.offsetsTopic {
		return kgo.ManualPartitioner().ForTopic(topic)
	}
	return kgo.StickyKeyPartitioner(nil).ForTopic(topic)
}
