package connector

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"reflect"
	"strconv"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/go-json-experiment/json"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/vnstream/connector/pkg/config"
	"github.com/vnstream/connector/pkg/fetch"
	"github.com/vnstream/connector/pkg/kafka"
	"github.com/vnstream/connector/pkg/poll"
	"github.com/vnstream/connector/pkg/schema"
	"github.com/vnstream/connector/pkg/source"
)

// worker runs one source: poll, encode, commit with the offset, repeat.
// It lives as long as the connector; its task runs it while this replica
// owns the task, with the offset the task read after fencing.
type worker struct {
	c     *Connector
	cfg   config.Source
	src   source.Source
	codec *schema.Codec
	task  int32
	key   []byte // offsets-topic key
	// offset is where the next poll reads from; committed is the offset
	// last read or committed, at committedAt. They differ while polls
	// find nothing new: such an offset is committed only every
	// offset_heartbeat.
	offset      source.Offset
	committed   source.Offset
	committedAt time.Time
	headers     []kgo.RecordHeader
	// env is the envelope encode fills for each record in turn: one
	// allocated per record was 4 % of the bytes cmd/bench's Tiki run
	// allocated.
	env schema.Envelope
	log *slog.Logger
	// backoff and retryAt pace a failing source; they outlive the task's
	// sessions, so a source whose commits keep failing backs off while the
	// other sources of its task go on.
	backoff *backoff.ExponentialBackOff
	retryAt time.Time
	// placed is the offset watermark was read from (poll.Watermark): it
	// is read once per offset, not on every poll.
	placed    source.Offset
	watermark time.Time
	// pending is the poll started while the last batch committed (see
	// prefetch), nil when none.
	pending chan *polled
	// read is how many records the last poll read, -1 before the first:
	// what the next one reserves of the connector's budget.
	read int
	// maxEvent and maxDLQ are the most bytes an event to the source's
	// topic, and a record to the dead-letter topic, may take
	// (kafka.Limits.MaxEvent).
	maxEvent, maxDLQ int
}

// horizoner is a source that tells how far a poll starting now may read
// (poll.Engine).
type horizoner interface{ Horizon() time.Time }

// expecter is a source that tells how many records a poll from an offset
// may read (poll.Engine).
type expecter interface{ Expect(source.Offset) int }

// limiter is a source whose polls can keep fewer records than its own
// bound (poll.Engine).
type limiter interface{ Limit(int) }

// expect is how many records a poll from offset reserves of the budget:
// as many as the last poll read, or before the first what the source
// expects (0 when it cannot tell).
func (w *worker) expect(offset source.Offset) int {
	if w.read >= 0 {
		return w.read
	}
	if e, ok := w.src.(expecter); ok {
		return e.Expect(offset)
	}
	return 0
}

// position is how far a source has read once its poll returned an
// offset whose watermark is wm: wm, or the horizon the poll started at
// (zero when unknown) when it left nothing waiting and wm is behind it.
func position(wm time.Time, more bool, horizon time.Time) time.Time {
	if !more && horizon.After(wm) {
		return horizon.UTC()
	}
	return wm
}

// place reads the watermark of w.offset, when it is not the offset it was
// last read from.
func (w *worker) place() {
	if !bytes.Equal(w.placed, w.offset) {
		w.watermark, _ = poll.Watermark(w.offset)
		w.placed = w.offset
	}
}

// newBackoff is a jittered exponential backoff from initial up to max
// that never gives up.
func newBackoff(initial, max time.Duration) *backoff.ExponentialBackOff {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = initial
	b.MaxInterval = max
	b.MaxElapsedTime = 0
	b.Reset()
	return b
}

// run polls and commits through p until ctx ends or a commit fails; then
// it ends the task's session with end and returns. A failed poll backs
// off alone. It reports whether it committed anything.
func (w *worker) run(ctx context.Context, p *kafka.Producer, end context.CancelCauseFunc) (committed bool) {
	defer func() { // a poll still running ends with ctx
		if res := w.fetched(); res != nil {
			w.c.budget.release(res.held)
		}
	}()
	board := w.c.status
	if !bytes.Equal(w.placed, w.offset) {
		// The task read an offset other than the one the position was
		// computed from (first session, another owner, offsets -force).
		w.place()
		board.update(w.cfg.Name, func(s *SourceStatus) { s.Position = w.watermark })
	}
	delay := time.Until(w.retryAt)
	if len(w.offset) > 0 { // a source without one starts its backfill at once
		delay = max(delay, firstPollDelay(w.cfg.PollInterval))
	}
	if !sleep(ctx, delay) {
		return false
	}
	board.update(w.cfg.Name, func(s *SourceStatus) { s.State = StateRunning })
	for ctx.Err() == nil {
		wait, err := w.step(ctx, p)
		switch {
		case err == nil:
			w.backoff.Reset()
			committed = true
		case ctx.Err() != nil:
			return committed
		default:
			wait = w.backoff.NextBackOff()
			state := StateBackingOff
			if needsOperator(err) {
				state = StateFailed
			}
			msg := "source failed; backing off"
			if errors.Is(err, kafka.ErrFenced) {
				msg = "commit fenced: a transaction timed out, the task has a new owner, or offsets -force; the task re-reads its offsets if it still owns it"
			}
			w.log.Warn(msg, "err", err, "task", w.task, "state", state, "retry_in", wait.Round(time.Millisecond))
			board.failed(w.cfg.Name, state, err)
			if isCommitFailure(err) {
				w.retryAt = time.Now().Add(wait)
				end(err)
				return committed
			}
		}
		if !sleep(ctx, wait) {
			return committed
		}
	}
	return committed
}

// maxFirstPollDelay caps firstPollDelay.
const maxFirstPollDelay = 10 * time.Second

// firstPollDelay is how long a source that has an offset waits before the
// first poll of a task session: a random part of its poll interval (10s
// at most), so that sources started together (a restart, a rebalance)
// spread their polls instead of polling, and committing through their
// task's producer, in lock-step.
func firstPollDelay(interval time.Duration) time.Duration {
	return rand.N(min(interval, maxFirstPollDelay))
}

// jitter is the time from the start of a poll that caught up to the
// start of the next: between 90 and 100 % of the poll interval, at
// random, so that polls that happen to meet drift apart, and never more
// than the interval, so that a version is read within poll_interval +
// lag (+ the second the windows end on, + the poll's own length) of its
// write.
func jitter(interval time.Duration) time.Duration {
	return interval - rand.N(interval/10+1)
}

// errUnconvertible fails a batch holding a record that cannot be converted,
// with dlq.mode fail.
var errUnconvertible = errors.New("record cannot be converted (dlq.mode=fail)")

// needsOperator tells the failures that retrying alone will not cure:
// credentials the vendor refuses, a record that cannot be converted.
func needsOperator(err error) bool {
	return fetch.ReasonOf(err) == fetch.ReasonAuth || errors.Is(err, errUnconvertible)
}

// polled is the result of one poll, from offset from.
type polled struct {
	from    source.Offset
	started time.Time
	horizon time.Time // how far a poll starting then could read (zero: unknown)
	records []source.Record
	next    source.Offset
	more    bool
	err     error
	// held is what the records hold of the connector's budget, to be
	// released once they are committed or dropped.
	held int
}

// poll polls the source from offset, counting the poll in the metrics.
// It bounds the records the poll keeps to the source's share of the
// connector's budget, waits for room in it for the records it expects,
// then holds as many as it read.
func (w *worker) poll(ctx context.Context, offset source.Offset) *polled {
	m := w.c.metrics
	res := &polled{from: offset}
	if l, ok := w.src.(limiter); ok {
		l.Limit(w.c.budget.share())
	}
	waited := false
	reserved, err := w.c.budget.reserve(ctx, w.expect(offset), func() {
		waited = true
		w.c.status.update(w.cfg.Name, func(s *SourceStatus) { s.WaitingSince = time.Now().UTC() })
	})
	if waited {
		w.c.status.update(w.cfg.Name, func(s *SourceStatus) { s.WaitingSince = time.Time{} })
	}
	if err != nil {
		res.err = err
		return res
	}
	if h, ok := w.src.(horizoner); ok {
		res.horizon = h.Horizon()
	}
	res.started = time.Now()
	res.records, res.next, res.more, res.err = w.src.Poll(ctx, offset)
	m.PollDuration.WithLabelValues(w.cfg.Kind).Observe(time.Since(res.started).Seconds())
	res.held = len(res.records)
	w.c.budget.settle(reserved, res.held)
	if res.err != nil {
		if ctx.Err() == nil {
			reason := string(fetch.ReasonOf(res.err))
			if reason == "" {
				reason = "other"
			}
			m.PollErrors.WithLabelValues(w.cfg.Name, w.cfg.Kind, reason).Inc()
		}
		return res
	}
	m.RecordsPolled.WithLabelValues(w.cfg.Name, w.cfg.Kind).Add(float64(len(res.records)))
	w.read = res.held
	return res
}

// prefetch starts the poll from offset in the background, while the batch
// before it commits: fetching and decoding the next pages then overlaps
// encoding and committing this one. Commits stay in order: the next step
// uses the result only if the offset it reads from is still offset.
func (w *worker) prefetch(ctx context.Context, offset source.Offset) {
	done := make(chan *polled, 1)
	w.pending = done
	go func() { done <- w.poll(ctx, offset) }()
}

// fetched waits for the poll prefetch started and returns it, or nil
// when there is none or it read from another offset than w.offset (its
// records released).
func (w *worker) fetched() *polled {
	if w.pending == nil {
		return nil
	}
	res := <-w.pending
	w.pending = nil
	if !bytes.Equal(res.from, w.offset) {
		w.c.budget.release(res.held)
		return nil
	}
	return res
}

// step polls one batch and commits it. It returns how long to wait before
// the next step when it succeeded.
func (w *worker) step(ctx context.Context, p *kafka.Producer) (time.Duration, error) {
	m, labels := w.c.metrics, []string{w.cfg.Name, w.cfg.Kind}
	res := w.fetched()
	if res == nil {
		res = w.poll(ctx, w.offset)
	}
	defer w.c.budget.release(res.held)
	if res.err != nil {
		return 0, res.err
	}
	records, next, more, horizon := res.records, res.next, res.more, res.horizon
	wait := max(0, jitter(w.cfg.PollInterval)-time.Since(res.started))
	if more {
		wait = 0
	}
	if len(records) == 0 && (bytes.Equal(next, w.committed) || time.Since(w.committedAt) < w.cfg.OffsetHeartbeat) {
		// Nothing to write: the offset moves on in memory. Were the task to
		// restart first, its polls would re-read what found nothing.
		m.LastSuccess.WithLabelValues(labels...).SetToCurrentTime()
		w.offset = next
		w.place()
		w.c.status.committed(w.cfg.Name, w.committed, position(w.watermark, more, horizon), time.Time{})
		return wait, nil
	}
	enc, err := w.encode(records)
	if err != nil {
		m.PollErrors.WithLabelValues(w.cfg.Name, w.cfg.Kind, "record").Inc()
		return 0, err
	}
	batch := append(enc.batch, &kgo.Record{Topic: w.c.cfg.Kafka.OffsetsTopic, Partition: w.task, Key: w.key, Value: next})
	if more {
		w.prefetch(ctx, next)
	}
	start := time.Now()
	if err := p.Commit(ctx, batch); err != nil {
		m.Transactions.WithLabelValues(w.cfg.Name, w.cfg.Kind, "aborted").Inc()
		if errors.Is(err, kafka.ErrFenced) {
			m.FencedCommits.WithLabelValues(labels...).Inc()
		}
		return 0, &errCommit{err} // the batch's memory is left to the garbage collector
	}
	enc.chunks.recycle()
	freeRecords.Put(enc.records)
	m.CommitDuration.WithLabelValues(w.cfg.Kind).Observe(time.Since(start).Seconds())
	m.Transactions.WithLabelValues(w.cfg.Name, w.cfg.Kind, "committed").Inc()
	m.RecordsWritten.WithLabelValues(labels...).Add(float64(enc.events))
	m.DLQRecords.WithLabelValues(labels...).Add(float64(enc.dlq))
	m.LastSuccess.WithLabelValues(labels...).SetToCurrentTime()
	if n := poll.SeenDropped(next); n > 0 {
		m.SeenDropped.WithLabelValues(labels...).Add(float64(n))
		w.log.Warn("the offset remembers only the newest versions of the overlap; the sweep may write the older ones again",
			"dropped", n, "max_bytes", poll.MaxSeenBytes, "hint", "shorten the source's overlap")
	}
	w.offset, w.committed, w.committedAt = next, next, time.Now()
	w.place()
	w.c.status.committed(w.cfg.Name, next, position(w.watermark, more, horizon), enc.newest)
	if w.c.onCommit != nil {
		w.c.onCommit(Batch{Source: w.cfg.Name, Kind: w.cfg.Kind, Topic: w.cfg.Topic, Events: enc.events, Ops: enc.ops, DLQ: enc.dlq, Offset: next})
	}
	return wait, nil
}

// encoded is a batch ready to commit, with what it holds.
type encoded struct {
	batch       []*kgo.Record
	records     []kgo.Record // what batch points to, but the offset's record
	chunks      chunks       // the events' keys and values
	events, dlq int
	ops         map[source.Op]int // events by operation
	newest      time.Time         // entity time of the newest event
}

// encode turns records into Kafka records; records that cannot be
// converted go to the dead-letter topic, or fail the batch in fail mode.
func (w *worker) encode(records []source.Record) (encoded, error) {
	enc := encoded{batch: make([]*kgo.Record, 0, len(records)+1), ops: map[source.Op]int{}}
	// The Kafka records in one slice rather than one allocation each; it
	// never grows (a record becomes one Kafka record), so the pointers
	// into it stay valid.
	enc.records = freeRecords.Take(len(records))
	add := func(r kgo.Record) {
		enc.records = append(enc.records, r)
		enc.batch = append(enc.batch, &enc.records[len(enc.records)-1])
	}
	now := time.Now().UnixMilli()
	for i := range records {
		r := &records[i]
		var key, value []byte
		convErr := r.Err
		if convErr == nil {
			key, convErr = enc.chunks.add(func(dst []byte) ([]byte, error) { return w.codec.AppendKey(dst, r.Key) })
		}
		if convErr == nil {
			w.env = schema.Envelope{After: r.Value, Op: string(r.Op), TsMs: now, Source: schema.SourceInfo{
				Version: w.c.version, Connector: w.c.cfg.Name, Provider: w.cfg.Kind, Source: w.cfg.Name,
				TsMs: r.Time.UnixMilli(), Snapshot: r.Op == source.OpRead, Position: r.Position,
			}}
			value, convErr = enc.chunks.add(func(dst []byte) ([]byte, error) { return w.codec.AppendValue(dst, &w.env) })
		}
		headers := w.headers
		if convErr == nil && w.cfg.ValueFormat == "flat" { // the envelope's op and version time
			headers = append(headers[:len(headers):len(headers)],
				kgo.RecordHeader{Key: "connector.op", Value: []byte(r.Op)},
				kgo.RecordHeader{Key: "connector.ts_ms", Value: strconv.AppendInt(nil, r.Time.UnixMilli(), 10)})
		}
		if convErr == nil {
			if n := eventBytes(key, value, headers); n > w.maxEvent {
				convErr = fmt.Errorf("the event of %+v takes %d bytes, more than the %d a record to topic %s may (kafka.batch_bytes or its max.message.bytes, less 1,012)", reflect.Indirect(reflect.ValueOf(r.Key)), n, w.maxEvent, w.cfg.Topic)
			}
		}
		if convErr == nil {
			add(kgo.Record{Topic: w.cfg.Topic, Key: key, Value: value, Headers: headers})
			enc.events++
			enc.ops[r.Op]++
			if r.Time.After(enc.newest) {
				enc.newest = r.Time
			}
			continue
		}
		if w.c.cfg.DLQ.Mode == "fail" {
			return encoded{}, fmt.Errorf("source %s: %w at %s: %w", w.cfg.Name, errUnconvertible, r.Position, convErr)
		}
		raw := []byte(r.Raw)
		if raw == nil {
			// A converted record the codec refused: the engine keeps the
			// vendor's JSON of unconverted records only (poll.Engine.page).
			var err error
			if raw, err = json.Marshal(r.Value); err != nil {
				return encoded{}, fmt.Errorf("source %s: record at %s: %w; it cannot go to the dead-letter topic as JSON either: %w", w.cfg.Name, r.Position, convErr, err)
			}
		}
		w.log.Warn("record sent to the dead-letter topic", "topic", w.c.cfg.DLQ.Topic, "position", r.Position, "err", convErr)
		enc.dlq++
		headers = []kgo.RecordHeader{
			{Key: "connector.error", Value: []byte(convErr.Error())},
			{Key: "connector.provider", Value: []byte(w.cfg.Kind)},
			{Key: "connector.source", Value: []byte(w.cfg.Name)},
			{Key: "connector.topic", Value: []byte(w.cfg.Topic)},
			{Key: "connector.position", Value: []byte(r.Position)},
		}
		if eventBytes(nil, raw, headers) > w.maxDLQ {
			// What the vendor sent is too large for Kafka too: its start,
			// and its size, tell the operator what to fetch again.
			headers = append(headers, kgo.RecordHeader{Key: "connector.truncated", Value: strconv.AppendInt(nil, int64(len(raw)), 10)})
			raw = raw[:max(0, len(raw)-(eventBytes(nil, raw, headers)-w.maxDLQ))]
		}
		add(kgo.Record{Topic: w.c.cfg.DLQ.Topic, Value: raw, Headers: headers})
	}
	return enc, nil
}

// eventBytes is what a record of key, value and headers takes against
// kafka.Limits.MaxEvent.
func eventBytes(key, value []byte, headers []kgo.RecordHeader) int {
	n := len(key) + len(value)
	for _, h := range headers {
		n += len(h.Key) + len(h.Value)
	}
	return n
}
