package kafka

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// GroupID is the consumer group the replicas of a connector join on its
// offsets topic: it assigns them the tasks, and tools tell from its members
// that the connector is running (see Running).
func GroupID(connector string) string { return "connector-" + connector }

// GroupConfig configures Join.
type GroupConfig struct {
	Connector, OffsetsTopic string
	// Instance names this replica in the group (its client id, e.g. the pod
	// name); `connector offsets list` shows it as the owner of its tasks.
	Instance string
	// SessionTimeout is how long the group waits for a silent member
	// before handing its tasks to the others; RebalanceTimeout is how long
	// a member has to stop the tasks it gives up and rejoin.
	SessionTimeout, RebalanceTimeout time.Duration
	// Weights are the sources per task in this replica's configuration;
	// the group's leader balances with its own.
	Weights map[int32]int
	// Assigned is called, never concurrently with Revoked, after every
	// rebalance this replica takes part in, with the tasks it gained (often
	// none) and the group's generation. It must not block.
	Assigned func(tasks []int32, generation int32)
	// Revoked is called with the tasks this replica gives up: revoked by a
	// rebalance, all of them when it leaves, or lost with its session
	// (lost). It must return only once those tasks have stopped: no
	// transaction of theirs open, no commit to come.
	Revoked func(tasks []int32, lost bool)
}

// Member is this replica's membership in the connector's group.
type Member struct {
	cfg    GroupConfig
	opts   []kgo.Opt
	cl     *kgo.Client
	cancel context.CancelFunc
}

// Join joins the connector's group (the classic protocol, with the
// cooperative balancer of balance.go) and returns at once; the callbacks
// report what the group assigns. The member fetches nothing: the offsets
// topic's partitions stand for the tasks, whose offsets are read apart.
func Join(opts []kgo.Opt, cfg GroupConfig) (*Member, error) {
	ctx, cancel := context.WithCancel(context.Background())
	heartbeat := min(3*time.Second, cfg.SessionTimeout/3)
	tasks := func(m map[string][]int32) []int32 { return slices.Sorted(slices.Values(m[cfg.OffsetsTopic])) }
	cl, err := kgo.NewClient(append(opts[:len(opts):len(opts)],
		kgo.WithContext(ctx),
		kgo.ClientID(cfg.Instance),
		kgo.ConsumerGroup(GroupID(cfg.Connector)),
		kgo.ConsumeTopics(cfg.OffsetsTopic),
		// cooperative-sticky second: the protocol of the versions before
		// scale-out, whose single replica joined this group only to say it
		// was running. The group agrees on it while such a replica is a
		// member (an upgrade's rollout), and on the connector's own as soon
		// as it has left.
		kgo.Balancers(&balancer{topic: cfg.OffsetsTopic, weights: cfg.Weights}, kgo.CooperativeStickyBalancer()),
		kgo.DisableAutoCommit(),
		kgo.SessionTimeout(cfg.SessionTimeout),
		kgo.RebalanceTimeout(cfg.RebalanceTimeout),
		kgo.HeartbeatInterval(heartbeat),
		kgo.OnPartitionsAssigned(func(_ context.Context, cl *kgo.Client, m map[string][]int32) {
			_, gen := cl.GroupMetadata()
			cfg.Assigned(tasks(m), gen)
		}),
		kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
			cfg.Revoked(tasks(m), false)
		}),
		kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
			cfg.Revoked(tasks(m), true)
		}),
	)...)
	if err != nil {
		cancel()
		return nil, err
	}
	cl.PauseFetchTopics(cfg.OffsetsTopic)
	return &Member{cfg: cfg, opts: opts, cl: cl, cancel: cancel}, nil
}

// ID returns this member's id and generation in the group ("" and -1
// before it joined).
func (m *Member) ID() (string, int32) { return m.cl.GroupMetadata() }

// leaveTimeout bounds Leave.
const leaveTimeout = 2 * time.Second

// Leave leaves the group, so the others take this replica's tasks over at
// once rather than after the session timeout. The caller has stopped the
// tasks already (Revoked may be called again with them).
//
// kgo's leave waits for a rebalance in progress to complete, which lasts
// up to the rebalance timeout when a member died; past a second, Leave
// closes the client and sends LeaveGroup for its member id itself.
func (m *Member) Leave() {
	id, _ := m.ID()
	ctx, done := context.WithTimeout(context.Background(), leaveTimeout/2)
	err := m.cl.LeaveGroupContext(ctx)
	done()
	m.cancel()
	m.cl.Close()
	if err == nil || id == "" {
		return
	}
	cl, err := kgo.NewClient(m.opts...)
	if err != nil {
		return
	}
	defer cl.Close()
	ctx, done = context.WithTimeout(context.Background(), leaveTimeout/2)
	defer done()
	req := kmsg.NewPtrLeaveGroupRequest()
	req.Group, req.MemberID = GroupID(m.cfg.Connector), id
	member := kmsg.NewLeaveGroupRequestMember()
	member.MemberID = id
	req.Members = append(req.Members, member)
	_, _ = req.RequestWith(ctx, cl)
}

// Owns asks the group's coordinator whether this member still owns task
// in a stable group. A member that lost its session (a paused process, a
// partitioned node) learns it here before its client does, so it does not
// fence the task's new owner back. It answers false while the group is
// rebalancing.
func (m *Member) Owns(ctx context.Context, task int32) (bool, error) {
	id, _ := m.ID()
	if id == "" {
		return false, nil
	}
	groups, err := kadm.NewClient(m.cl).DescribeGroups(ctx, GroupID(m.cfg.Connector))
	if err != nil {
		return false, fmt.Errorf("describing group %s: %w", GroupID(m.cfg.Connector), err)
	}
	g, ok := groups[GroupID(m.cfg.Connector)]
	if !ok || g.Err != nil || g.State != "Stable" {
		return false, g.Err
	}
	for _, mem := range g.Members {
		if mem.MemberID != id {
			continue
		}
		a, ok := mem.Assigned.AsConsumer()
		if !ok {
			return false, nil
		}
		for _, t := range a.Topics {
			if t.Topic == m.cfg.OffsetsTopic && slices.Contains(t.Partitions, task) {
				return true, nil
			}
		}
	}
	return false, nil
}

// GroupMember is a running replica as the group's coordinator sees it.
type GroupMember struct {
	ID, Instance, Host string
	Tasks              []int32
}

// Members returns the replicas in the connector's group and the tasks each
// was assigned: none when no replica of the connector is running.
func Members(ctx context.Context, adm *kadm.Client, connector, offsetsTopic string) ([]GroupMember, error) {
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
	out := make([]GroupMember, 0, len(g.Members))
	for _, mem := range g.Members {
		gm := GroupMember{ID: mem.MemberID, Instance: mem.ClientID, Host: mem.ClientHost}
		if a, ok := mem.Assigned.AsConsumer(); ok {
			for _, t := range a.Topics {
				if t.Topic == offsetsTopic {
					gm.Tasks = append(gm.Tasks, t.Partitions...)
				}
			}
		}
		out = append(out, gm)
	}
	return out, nil
}
