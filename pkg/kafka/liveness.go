package kafka

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// GroupID is the consumer group a running connector joins on its offsets
// topic, so that tools can tell it is running (see Running).
func GroupID(connector string) string { return "connector-" + connector }

// LivenessTimeout is the session and rebalance timeout of the liveness
// group: a crashed instance stops counting as running after it.
const LivenessTimeout = 10 * time.Second

// Announce joins the connector's consumer group on the offsets topic and
// stays in it until the returned stop is called. The membership is the
// connector's liveness signal; it consumes nothing of note (the offsets
// topic is small and compacted) and commits nothing. stop leaves at once,
// even while the group waits for crashed members to time out.
func Announce(opts []kgo.Opt, connector, offsetsTopic string) (stop func(), err error) {
	ctx, cancel := context.WithCancel(context.Background())
	cl, err := kgo.NewClient(append(opts[:len(opts):len(opts)],
		kgo.WithContext(ctx),
		kgo.ConsumerGroup(GroupID(connector)),
		kgo.ConsumeTopics(offsetsTopic),
		kgo.DisableAutoCommit(),
		kgo.SessionTimeout(LivenessTimeout),
		kgo.RebalanceTimeout(LivenessTimeout),
		kgo.FetchMaxBytes(1<<20),
	)...)
	if err != nil {
		cancel()
		return nil, err
	}
	return func() {
		// A classic group's leave waits for a rebalance in progress;
		// cancelling the client's context first makes it return at once.
		leave, done := context.WithTimeout(context.Background(), time.Second)
		defer done()
		_ = cl.LeaveGroupContext(leave)
		cancel()
		cl.Close()
	}, nil
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
