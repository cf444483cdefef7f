package kafka

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// ErrNotCompacted refuses an offsets topic without cleanup.policy=compact.
var ErrNotCompacted = errors.New("refusing to start")

// Topic is a topic the connector needs.
type Topic struct {
	Name       string
	Partitions int32
	// Replication is -1 for the broker's default.
	Replication int16
	// Compact requires cleanup.policy=compact: the offsets topic.
	Compact bool
}

// EnsureTopics creates the topics that are missing and checks the ones
// that exist. A compacted topic (the offsets topic) that exists without
// cleanup.policy=compact is refused: deleting old offsets would lose a
// source's position.
//
// It asks to create every topic first and lists them after: kgo caches
// metadata for MetadataMinAge, so a topic listed as missing just before
// its creation would look missing for that long.
func EnsureTopics(ctx context.Context, adm *kadm.Client, topics []Topic) error {
	createErrs := map[string]error{}
	names := make([]string, len(topics))
	for i, t := range topics {
		names[i] = t.Name
		var configs map[string]*string
		if t.Compact {
			configs = map[string]*string{"cleanup.policy": kadm.StringPtr("compact")}
		}
		resp, err := adm.CreateTopic(ctx, t.Partitions, t.Replication, configs, t.Name)
		if err == nil {
			err = resp.Err
		}
		if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
			// Without the right to create topics, an existing one is fine.
			createErrs[t.Name] = err
		}
	}
	if err := waitForTopics(ctx, adm, names); err != nil {
		for name, cerr := range createErrs {
			err = errors.Join(err, fmt.Errorf("creating topic %s: %w", name, cerr))
		}
		return err
	}
	for _, t := range topics {
		if !t.Compact {
			continue
		}
		if err := checkCompacted(ctx, adm, t.Name); err != nil {
			return err
		}
	}
	return nil
}

// waitForTopics waits until the metadata of every named topic has leaders
// for all its partitions: a topic just created is not usable at once.
func waitForTopics(ctx context.Context, adm *kadm.Client, names []string) error {
	for len(names) > 0 {
		tds, err := adm.ListTopics(ctx, names...)
		if err == nil {
			var missing []string
			for _, n := range names {
				td, ok := tds[n]
				if !ok || td.Err != nil || len(td.Partitions) == 0 {
					missing = append(missing, n)
					continue
				}
				for _, p := range td.Partitions {
					if p.Err != nil || p.Leader < 0 {
						missing = append(missing, n)
						break
					}
				}
			}
			names = missing
		}
		if len(names) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for new topics %v: %w", names, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

func checkCompacted(ctx context.Context, adm *kadm.Client, topic string) error {
	rcs, err := adm.DescribeTopicConfigs(ctx, topic)
	if err != nil {
		return fmt.Errorf("describing topic %s: %w", topic, err)
	}
	rc, err := rcs.On(topic, nil)
	if err != nil {
		return fmt.Errorf("describing topic %s: %w", topic, err)
	}
	if rc.Err != nil {
		return fmt.Errorf("describing topic %s: %w", topic, rc.Err)
	}
	policy := "delete"
	for _, c := range rc.Configs {
		if c.Key == "cleanup.policy" && c.Value != nil {
			policy = *c.Value
		}
	}
	for _, p := range strings.Split(policy, ",") {
		if strings.TrimSpace(p) == "compact" {
			return nil
		}
	}
	return fmt.Errorf("%w: offsets topic %s has cleanup.policy=%s: it must be compacted, or old offsets are deleted and sources restart from scratch; "+
		"fix it with: kafka-configs --alter --entity-type topics --entity-name %s --add-config cleanup.policy=compact", ErrNotCompacted, topic, policy, topic)
}

// Partitions returns the partition count of topic.
func Partitions(ctx context.Context, adm *kadm.Client, topic string) (int, error) {
	tds, err := adm.ListTopics(ctx, topic)
	if err != nil {
		return 0, fmt.Errorf("describing topic %s: %w", topic, err)
	}
	td, ok := tds[topic]
	if !ok || td.Err != nil {
		return 0, fmt.Errorf("describing topic %s: %v", topic, td.Err)
	}
	return len(td.Partitions), nil
}
