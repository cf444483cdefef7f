package kafka

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// OffsetKey is the offsets-topic key of a source, in Kafka Connect's shape:
// ["<connector>",{"source":"<source>"}].
func OffsetKey(connector, source string) []byte {
	b, err := json.Marshal([]any{connector, map[string]string{"source": source}})
	if err != nil {
		panic(fmt.Sprintf("kafka: offset key does not marshal: %v", err))
	}
	return b
}

// ParseOffsetKey reads a key written by OffsetKey.
func ParseOffsetKey(key []byte) (connector, source string, err error) {
	var parts []json.RawMessage
	if err := json.Unmarshal(key, &parts); err != nil || len(parts) != 2 {
		return "", "", fmt.Errorf("offset key %s is not [connector, {source}]", key)
	}
	var part struct {
		Source string `json:"source"`
	}
	if err := json.Unmarshal(parts[0], &connector); err != nil {
		return "", "", fmt.Errorf("offset key %s: connector is not a string", key)
	}
	if err := json.Unmarshal(parts[1], &part); err != nil || part.Source == "" {
		return "", "", fmt.Errorf("offset key %s: no source name", key)
	}
	return connector, part.Source, nil
}

// Task is the task a source belongs to: the offsets-topic partition its key
// hashes to with Kafka's default partitioner (murmur2), as Kafka Connect
// places the same key.
func Task(key []byte, partitions int) int32 {
	return int32(kgo.StickyKeyPartitioner(nil).ForTopic("").Partition(&kgo.Record{Key: key}, partitions))
}

// ReadOffsets reads the offsets topic from its start to its current end
// with read_committed and returns the last offset of every source of
// connector (keyed by source name). A tombstone removes a source's offset.
// Only the given partitions are read; nil reads them all.
//
// It waits for open transactions of other producers on those partitions to
// end; the connector fences its own tasks' producers first (Fence).
func ReadOffsets(ctx context.Context, opts []kgo.Opt, topic string, partitions []int32, connector string) (map[string][]byte, error) {
	adm, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, err
	}
	ends, err := kadm.NewClient(adm).ListEndOffsets(ctx, topic)
	adm.Close()
	if err != nil {
		return nil, fmt.Errorf("listing end offsets of %s: %w", topic, err)
	}
	want := map[int32]bool{}
	for _, p := range partitions {
		want[p] = true
	}
	remaining := map[int32]int64{}
	start := map[int32]kgo.Offset{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err != nil || (partitions != nil && !want[o.Partition]) || o.Offset == 0 {
			return
		}
		remaining[o.Partition] = o.Offset
		start[o.Partition] = kgo.NewOffset().AtStart()
	})
	if err := ends.Error(); err != nil {
		return nil, fmt.Errorf("listing end offsets of %s: %w", topic, err)
	}
	offsets := map[string][]byte{}
	if len(remaining) == 0 {
		return offsets, nil
	}
	cl, err := kgo.NewClient(append(opts,
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: start}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.KeepControlRecords(),
	)...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	for len(remaining) > 0 {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("reading offsets topic %s: %w", topic, err)
		}
		var ferr error
		fs.EachError(func(t string, p int32, err error) { ferr = fmt.Errorf("reading %s[%d]: %w", t, p, err) })
		if ferr != nil {
			return nil, ferr
		}
		fs.EachRecord(func(r *kgo.Record) {
			if end, ok := remaining[r.Partition]; ok && r.Offset >= end-1 {
				delete(remaining, r.Partition)
			}
			if r.Attrs.IsControl() {
				return
			}
			conn, src, err := ParseOffsetKey(r.Key)
			if err != nil || conn != connector {
				return
			}
			if r.Value == nil {
				delete(offsets, src)
			} else {
				offsets[src] = r.Value
			}
		})
	}
	return offsets, nil
}
