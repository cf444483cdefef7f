package connector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/vnstream/connector/pkg/kafka"
)

// task runs the sources whose offsets live in one partition of the offsets
// topic, while the group has given that partition to this replica. It is
// the unit of ownership: one transactional id, one producer epoch at a
// time, every source of the task committing through it.
type task struct {
	c       *Connector
	id      int32
	txnID   string
	workers []*worker
	log     *slog.Logger
	// limits are the max.message.bytes of the topics, which cap the
	// producer's batches.
	limits kafka.Limits
}

// ownershipCheck is how often a task that failed waits to hear from the
// group that it still owns the task before it fences again.
const ownershipCheck = time.Second

// run owns the task until ctx ends (the task is revoked, lost or the
// connector stops). Each session fences, reads every source's offset and
// runs the sources; a failed commit of any of them ends the session, and
// the next one starts only once the group's coordinator confirms that
// this replica still owns the task: a replica that lost its session must
// not fence the task's new owner back.
func (t *task) run(ctx context.Context) {
	b := newBackoff(100*time.Millisecond, 10*time.Second)
	for first := true; ctx.Err() == nil; first = false {
		if !first && !t.awaitOwnership(ctx) {
			return
		}
		committed, err := t.session(ctx)
		if ctx.Err() != nil {
			return
		}
		if committed {
			b.Reset()
		}
		wait := b.NextBackOff()
		t.log.Warn("task session ended; fencing and re-reading the offsets of its sources", "err", err, "retry_in", wait.Round(time.Millisecond))
		if !sleep(ctx, wait) {
			return
		}
	}
}

// awaitOwnership waits until the group's coordinator says this replica
// owns the task, or ctx ends (the group revoked it).
func (t *task) awaitOwnership(ctx context.Context) bool {
	for {
		owns, err := t.c.member.Owns(ctx, t.id)
		if owns {
			return true
		}
		if err != nil && ctx.Err() == nil {
			t.log.Warn("cannot ask the group whether this replica still owns the task", "err", err)
		}
		for _, w := range t.workers {
			t.c.status.update(w.cfg.Name, func(s *SourceStatus) { s.State = StateStarting })
		}
		if !sleep(ctx, ownershipCheck) {
			return false
		}
	}
}

// session fences the task, reads the offsets of all its sources with the
// fence in place, and runs them until one commit fails or ctx ends. It
// reports whether any batch was committed.
func (t *task) session(ctx context.Context) (bool, error) {
	cfg := t.c.cfg
	for _, w := range t.workers {
		t.c.status.update(w.cfg.Name, func(s *SourceStatus) { s.State = StateStarting })
	}
	opts := append(t.c.kopts[:len(t.c.kopts):len(t.c.kopts)], kgo.ProducerBatchMaxBytesFn(t.limits.Batch))
	p, err := kafka.OpenProducer(ctx, opts, t.txnID, cfg.Kafka.OffsetsTopic, cfg.Kafka.TransactionTimeout, t.c.metrics.Registry)
	if err != nil {
		return false, err
	}
	defer p.Close()
	offsets, err := kafka.ReadOffsets(ctx, t.c.kopts, cfg.Kafka.OffsetsTopic, []int32{t.id}, cfg.Name)
	if err != nil {
		return false, fmt.Errorf("reading the offsets of task %d: %w", t.id, err)
	}
	sctx, end := context.WithCancelCause(ctx)
	defer end(nil)
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		committed bool
	)
	for _, w := range t.workers {
		w.offset = offsets[w.cfg.Name]
		w.committed, w.committedAt = w.offset, time.Now()
		t.c.status.setOffset(w.cfg.Name, w.offset)
		w.log.Info("offset restored", "task", t.id, "offset", string(w.offset))
		wg.Go(func() {
			if w.run(sctx, p, end) {
				mu.Lock()
				committed = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return committed, context.Cause(sctx)
}

// wakeSlot is the grain of the connector's waits: a wait of at least
// wakeSlot ends on the next multiple of it (of the wall clock), up to
// wakeSlot later than asked. Sources due at about the same time then wake
// together, and one wake-up of the Go runtime's threads serves several
// polls: with 1,000 quiet sources (33 polls a second) this took the
// connector from about 2 % to 0.8 % of a core (BenchmarkManyAccounts).
// Polls stay spread over the 300 slots of a 30 s poll interval.
const wakeSlot = 100 * time.Millisecond

// slotted is the wait, from now, that sleep(d) makes: d when shorter than
// wakeSlot, else up to the first wakeSlot boundary after now + d.
func slotted(now time.Time, d time.Duration) time.Duration {
	if d < wakeSlot {
		return d
	}
	return now.Add(d).Truncate(wakeSlot).Add(wakeSlot).Sub(now)
}

// sleep waits d (see slotted) or until ctx ends; it reports whether ctx
// is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	tm := time.NewTimer(slotted(time.Now(), d))
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-tm.C:
		return true
	}
}

// errCommit marks a failed commit: it ends the task's session.
type errCommit struct{ err error }

func (e *errCommit) Error() string { return e.err.Error() }
func (e *errCommit) Unwrap() error { return e.err }

// isCommitFailure tells a failed commit from a failed poll.
func isCommitFailure(err error) bool {
	var ce *errCommit
	return errors.As(err, &ce)
}
