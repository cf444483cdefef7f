package kafka

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// GroupID is the consumer group a running connector joins on its offsets
// topic, so that tools can tell it is running (see Running).
func GroupID(connector string) string { return "connector-" + connector }

// Announce joins the connector's consumer group on the offsets topic and
// stays in it until the returned client is closed. The membership is the
// connector's liveness signal; it consumes nothing of note (the offsets
// topic is small and compacted) and commits nothing.
func Announce(opts []kgo.Opt, connector, offsetsTopic string) (*kgo.Client, error) {
	return kgo.NewClient(append(opts[:len(opts):len(opts)],
		kgo.ConsumerGroup(GroupID(connector)),
		kgo.ConsumeTopics(offsetsTopic),
		kgo.DisableAutoCommit(),
		kgo.FetchMaxBytes(1<<20),
	)...)
}

// Running returns the hosts of the members of the connector's group: an
// empty list when no instance of the connector is running.
func Running(ctx context.Context, adm *kadm.Client, connector string) ([]string, error) {
	groups, err := adm.DescribeGroups(ctx, GroupID(connector))
	if err != nil {
		return nil, fmt.Errorf("describing group %s: %w", GroupID(connector), err)
	}
	g, ok := groups[GroupID(connector)]
	if !ok || errors.Is(g.Err, kerr.GroupIDNotFound) {
		return nil, nil
	}
	if g.Err != nil {
		return nil, fmt.Errorf("describing group %s: %w", GroupID(connector), g.Err)
	}
	hosts := make([]string, 0, len(g.Members))
	for _, m := range g.Members {
		hosts = append(hosts, m.ClientHost)
	}
	return hosts, nil
}
