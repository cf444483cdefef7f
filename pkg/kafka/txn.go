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
	"github.com/twmb/franz-go/pkg/kmsg"
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
// with the same transactional id (another instance, `connector offsets
// -force`) took the task over. The caller re-reads its offset and retries.
var ErrFenced = errors.New("producer fenced: its transaction timed out or another producer took the task over")

// Producer is the transactional producer of one task. Commit writes a
// batch of records, the offset record included, in one transaction; the
// sources of a task take turns.
type Producer struct {
	mu      sync.Mutex
	base    []kgo.Opt // shared options, for Fence
	opts    []kgo.Opt
	txnID   string
	timeout time.Duration
	reg     prometheus.Registerer
	cl      *kgo.Client
}

// NewProducer returns the producer of the task whose transactional id is
// txnID. opts are the shared client options (Options); offsetsTopic's
// records go to the partition set on them, all others by key hash. With reg
// set, the client's metrics (franz-go's kprom) are registered there as
// connector_kafka_*, labelled with client_id = txnID.
func NewProducer(opts []kgo.Opt, txnID, offsetsTopic string, txnTimeout time.Duration, reg prometheus.Registerer) *Producer {
	return &Producer{
		base: opts,
		opts: append(append([]kgo.Opt(nil), opts...),
			kgo.TransactionalID(txnID),
			kgo.ClientID(txnID),
			kgo.TransactionTimeout(txnTimeout),
			kgo.RecordDeliveryTimeout(txnTimeout),
			kgo.RecordPartitioner(partitioner{offsetsTopic}),
			kgo.MaxBufferedRecords(1<<16),
		),
		txnID:   txnID,
		timeout: txnTimeout,
		reg:     reg,
	}
}

// Commit writes records in one transaction. On a nil error all of them are
// visible to read_committed readers; on an error none of them is, or, when
// the commit's outcome could not be confirmed, the caller must re-read its
// offset from the offsets topic (after Fence) to learn which.
func (p *Producer) Commit(ctx context.Context, records []*kgo.Record) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cl == nil {
		opts := p.opts
		if p.reg != nil {
			opts = append(opts[:len(opts):len(opts)], kgo.WithHooks(kprom.NewMetrics(metrics.Namespace,
				kprom.Registerer(p.reg), kprom.Subsystem("kafka"), kprom.WithClientLabel())))
		}
		cl, err := kgo.NewClient(opts...)
		if err != nil {
			return err
		}
		p.cl = cl
	}
	if err := p.cl.BeginTransaction(); err != nil {
		p.reset()
		if isFenced(err) {
			return fmt.Errorf("%w (transactional id %s): %v", ErrFenced, p.txnID, err)
		}
		return fmt.Errorf("begin transaction %s: %w", p.txnID, err)
	}
	var (
		errMu    sync.Mutex
		firstErr error
	)
	for _, r := range records {
		p.cl.Produce(ctx, r, func(r *kgo.Record, err error) {
			if err != nil {
				errMu.Lock()
				if firstErr == nil {
					firstErr = fmt.Errorf("producing to %s: %w", r.Topic, err)
				}
				errMu.Unlock()
			}
		})
	}
	flushErr := p.cl.Flush(ctx)
	errMu.Lock()
	produceErr := errors.Join(firstErr, flushErr, ctx.Err())
	errMu.Unlock()
	// End with a context of its own: a cancelled ctx (shutdown) must still
	// be able to abort cleanly rather than leave the transaction open. At
	// shutdown the abort is best effort within ShutdownAbortTimeout: the next
	// owner's InitProducerID aborts whatever is left.
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
	p.reset()
	err := errors.Join(produceErr, endErr)
	if isFenced(err) {
		return fmt.Errorf("%w (transactional id %s): %v", ErrFenced, p.txnID, err)
	}
	// Whatever the broker still holds open of this transaction is aborted
	// now, so the caller can read the committed outcome at once (not at
	// shutdown: nobody reads it then).
	if ctx.Err() == nil {
		if ferr := p.fence(endCtx); ferr != nil {
			err = errors.Join(err, ferr)
		}
	}
	return fmt.Errorf("transaction %s not committed: %w", p.txnID, err)
}

// reset drops the client after a failed transaction; the next Commit
// starts a new one, whose InitProducerID aborts anything left open.
func (p *Producer) reset() {
	if p.cl != nil {
		p.cl.Close()
		p.cl = nil
	}
}

func (p *Producer) fence(ctx context.Context) error {
	cl, err := kgo.NewClient(p.base...)
	if err != nil {
		return err
	}
	defer cl.Close()
	return Fence(ctx, cl, p.txnID, p.timeout)
}

// Close releases the producer. An open transaction is aborted by the broker
// when the next owner starts or when it times out.
func (p *Producer) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reset()
}

func isFenced(err error) bool {
	return errors.Is(err, kerr.ProducerFenced) || errors.Is(err, kerr.InvalidProducerEpoch) ||
		errors.Is(err, kerr.TransactionalIDAuthorizationFailed)
}

// Fence takes over the transactional id txnID: InitProducerID bumps its
// epoch, which aborts a transaction a previous owner (a crashed process,
// this process before a failed commit) left open, so read_committed readers
// see the true committed end at once instead of after the timeout.
func Fence(ctx context.Context, cl *kgo.Client, txnID string, txnTimeout time.Duration) error {
	for {
		req := kmsg.NewPtrInitProducerIDRequest()
		req.TransactionalID = &txnID
		req.TransactionTimeoutMillis = int32(txnTimeout.Milliseconds())
		req.ProducerID = -1
		req.ProducerEpoch = -1
		resp, err := req.RequestWith(ctx, cl)
		if err == nil {
			err = kerr.ErrorForCode(resp.ErrorCode)
		}
		if err == nil {
			return nil
		}
		if !kerr.IsRetriable(err) && !errors.Is(err, kerr.ConcurrentTransactions) {
			return fmt.Errorf("fencing transactional id %s: %w", txnID, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("fencing transactional id %s: %w", txnID, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
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
