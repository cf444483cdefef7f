package connector

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/vnstream/connector/pkg/config"
	"github.com/vnstream/connector/pkg/kafka"
	"github.com/vnstream/connector/pkg/schema"
	"github.com/vnstream/connector/pkg/source"
)

// worker runs one source: poll, encode, commit with the offset, repeat.
type worker struct {
	c        *Connector
	cfg      config.Source
	src      source.Source
	codec    *schema.Codec
	task     int32
	producer *kafka.Producer
	key      []byte // offsets-topic key
	offset   source.Offset
	// stale is set when a commit failed and its outcome must be read back
	// from the offsets topic before the next poll.
	stale   bool
	headers []kgo.RecordHeader
	log     *slog.Logger
}

// run polls until ctx ends. Every failure backs off and retries from the
// committed offset, fencing included: a transaction the broker timed out
// also shows as fenced, and when another instance really runs the same
// task, each of its commits fences ours and ours re-read the offset, so
// nothing is written twice either way.
func (w *worker) run(ctx context.Context) {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = time.Second
	b.MaxInterval = w.cfg.ErrorBackoffMax
	b.MaxElapsedTime = 0
	b.Reset()
	board := w.c.status
	defer board.update(w.cfg.Name, func(s *SourceStatus) { s.State = StateStopped })
	board.update(w.cfg.Name, func(s *SourceStatus) { s.State = StateRunning })
	for ctx.Err() == nil {
		wait, err := w.step(ctx)
		switch {
		case err == nil:
			b.Reset()
		case ctx.Err() != nil:
			return
		default:
			wait = b.NextBackOff()
			state := StateBackingOff
			if needsOperator(err) {
				state = StateFailed
			}
			msg := "source failed; backing off"
			if errors.Is(err, kafka.ErrFenced) {
				msg = "commit fenced: a transaction timed out, or another instance runs this task; re-reading the offset"
			}
			w.log.Warn(msg, "err", err, "task", w.task, "state", state, "retry_in", wait.Round(time.Millisecond))
			board.failed(w.cfg.Name, state, err)
		}
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
	}
}

// errUnconvertible fails a batch holding a record that cannot be converted,
// with dlq.mode fail.
var errUnconvertible = errors.New("record cannot be converted (dlq.mode=fail)")

// needsOperator tells the failures that retrying alone will not cure:
// credentials the vendor refuses, a record that cannot be converted.
func needsOperator(err error) bool {
	return source.ReasonOf(err) == source.ReasonAuth || errors.Is(err, errUnconvertible)
}

// step polls one batch and commits it. It returns how long to wait before
// the next step when it succeeded.
func (w *worker) step(ctx context.Context) (time.Duration, error) {
	m, labels := w.c.metrics, []string{w.cfg.Name, w.cfg.Kind}
	if w.stale {
		if err := w.reload(ctx); err != nil {
			return 0, err
		}
	}
	start := time.Now()
	records, next, more, err := w.src.Poll(ctx, w.offset)
	m.PollDuration.WithLabelValues(labels...).Observe(time.Since(start).Seconds())
	if err != nil {
		if ctx.Err() == nil {
			reason := string(source.ReasonOf(err))
			if reason == "" {
				reason = "other"
			}
			m.PollErrors.WithLabelValues(w.cfg.Name, w.cfg.Kind, reason).Inc()
		}
		return 0, err
	}
	m.RecordsPolled.WithLabelValues(labels...).Add(float64(len(records)))
	wait := w.cfg.PollInterval
	if more {
		wait = 0
	}
	if len(records) == 0 && bytes.Equal(next, w.offset) {
		m.LastSuccess.WithLabelValues(labels...).SetToCurrentTime()
		w.c.status.committed(w.cfg.Name, w.offset, time.Time{})
		return wait, nil
	}
	enc, err := w.encode(records)
	if err != nil {
		m.PollErrors.WithLabelValues(w.cfg.Name, w.cfg.Kind, "record").Inc()
		return 0, err
	}
	batch := append(enc.batch, &kgo.Record{Topic: w.c.cfg.Kafka.OffsetsTopic, Partition: w.task, Key: w.key, Value: next})
	start = time.Now()
	if err := w.producer.Commit(ctx, batch); err != nil {
		m.Transactions.WithLabelValues(w.cfg.Name, w.cfg.Kind, "aborted").Inc()
		// The outcome may be unknown: learn it from the offsets topic.
		w.stale = true
		return 0, err
	}
	m.CommitDuration.WithLabelValues(labels...).Observe(time.Since(start).Seconds())
	m.Transactions.WithLabelValues(w.cfg.Name, w.cfg.Kind, "committed").Inc()
	m.RecordsWritten.WithLabelValues(labels...).Add(float64(enc.events))
	m.DLQRecords.WithLabelValues(labels...).Add(float64(enc.dlq))
	m.LastSuccess.WithLabelValues(labels...).SetToCurrentTime()
	w.offset = next
	w.c.status.committed(w.cfg.Name, next, enc.newest)
	if w.c.onCommit != nil {
		w.c.onCommit(Batch{Source: w.cfg.Name, Kind: w.cfg.Kind, Topic: w.cfg.Topic, Events: enc.events, Ops: enc.ops, DLQ: enc.dlq, Offset: next})
	}
	return wait, nil
}

// encoded is a batch ready to commit, with what it holds.
type encoded struct {
	batch       []*kgo.Record
	events, dlq int
	ops         map[source.Op]int // events by operation
	newest      time.Time         // entity time of the newest event
}

// encode turns records into Kafka records; records that cannot be
// converted go to the dead-letter topic, or fail the batch in fail mode.
func (w *worker) encode(records []source.Record) (encoded, error) {
	enc := encoded{batch: make([]*kgo.Record, 0, len(records)+1), ops: map[source.Op]int{}}
	now := time.Now().UnixMilli()
	for i := range records {
		r := &records[i]
		var key, value []byte
		convErr := r.Err
		if convErr == nil {
			key, convErr = w.codec.AppendKey(nil, r.Key)
		}
		if convErr == nil {
			env := schema.Envelope{After: r.Value, Op: string(r.Op), TsMs: now, Source: schema.SourceInfo{
				Version: w.c.version, Connector: w.c.cfg.Name, Provider: w.cfg.Kind, Source: w.cfg.Name,
				TsMs: r.Time.UnixMilli(), Snapshot: r.Op == source.OpRead, Position: r.Position,
			}}
			value, convErr = w.codec.AppendValue(nil, &env)
		}
		if convErr == nil {
			enc.batch = append(enc.batch, &kgo.Record{Topic: w.cfg.Topic, Key: key, Value: value, Headers: w.headers})
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
		w.log.Warn("record sent to the dead-letter topic", "topic", w.c.cfg.DLQ.Topic, "position", r.Position, "err", convErr)
		enc.dlq++
		enc.batch = append(enc.batch, &kgo.Record{Topic: w.c.cfg.DLQ.Topic, Value: r.Raw, Headers: []kgo.RecordHeader{
			{Key: "connector.error", Value: []byte(convErr.Error())},
			{Key: "connector.provider", Value: []byte(w.cfg.Kind)},
			{Key: "connector.source", Value: []byte(w.cfg.Name)},
			{Key: "connector.topic", Value: []byte(w.cfg.Topic)},
			{Key: "connector.position", Value: []byte(r.Position)},
		}})
	}
	return enc, nil
}

// reload re-reads the source's committed offset after a failed commit.
func (w *worker) reload(ctx context.Context) error {
	offsets, err := kafka.ReadOffsets(ctx, w.c.kopts, w.c.cfg.Kafka.OffsetsTopic, []int32{w.task}, w.c.cfg.Name)
	if err != nil {
		return fmt.Errorf("re-reading the offset of %s: %w", w.cfg.Name, err)
	}
	w.offset = offsets[w.cfg.Name]
	w.stale = false
	return nil
}
