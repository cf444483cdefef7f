package kafka

import (
	"cmp"
	"maps"
	"slices"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// BalancerName is the group protocol of the replicas' balancer.
const BalancerName = "connector-sources"

// balancer assigns the offsets topic's partitions (the tasks) to the
// members of the connector's group, spreading sources rather than
// partitions: a task weighs as many sources as it holds. It is cooperative
// (KIP-429): a task moves in two rebalances, first revoked from its owner,
// which stops it, then given to its new owner, so no task ever runs on two
// members of one generation. The leader balances with the weights of its
// own configuration.
type balancer struct {
	topic   string
	weights map[int32]int // task -> sources
}

func (*balancer) ProtocolName() string { return BalancerName }
func (*balancer) IsCooperative() bool  { return true }

func (*balancer) JoinGroupMetadata(topics []string, owned map[string][]int32, generation int32) []byte {
	meta := kmsg.NewConsumerMemberMetadata()
	meta.Version = 2
	meta.Topics = topics
	meta.Generation = generation
	for _, t := range slices.Sorted(maps.Keys(owned)) {
		o := kmsg.NewConsumerMemberMetadataOwnedPartition()
		o.Topic, o.Partitions = t, owned[t]
		meta.OwnedPartitions = append(meta.OwnedPartitions, o)
	}
	return meta.AppendTo(nil)
}

func (*balancer) ParseSyncAssignment(assignment []byte) (map[string][]int32, error) {
	return kgo.ParseConsumerSyncAssignment(assignment)
}

func (b *balancer) MemberBalancer(members []kmsg.JoinGroupResponseMember) (kgo.GroupMemberBalancer, map[string]struct{}, error) {
	cb, err := kgo.NewConsumerBalancer(b, members)
	if err != nil {
		return nil, nil, err
	}
	return cb, cb.MemberTopics(), nil
}

// Balance is called by kgo on the leader.
func (b *balancer) Balance(cb *kgo.ConsumerBalancer, topics map[string]int32) kgo.IntoSyncAssignment {
	var members []string
	claims := map[int32][]string{}
	cb.EachMember(func(m *kmsg.JoinGroupResponseMember, meta *kmsg.ConsumerMemberMetadata) {
		members = append(members, m.MemberID)
		for _, o := range meta.OwnedPartitions {
			if o.Topic == b.topic {
				for _, p := range o.Partitions {
					claims[p] = append(claims[p], m.MemberID)
				}
			}
		}
	})
	plan := cb.NewPlan()
	for member, tasks := range assign(int(topics[b.topic]), b.weights, members, claims) {
		for i := range cb.Members() {
			if m := &cb.Members()[i]; m.MemberID == member {
				plan.AddPartitions(m, b.topic, tasks)
			}
		}
	}
	return plan
}

// assign balances tasks 0..n-1 over members by weight (a task without a
// weight weighs 0 and is balanced by count), keeping a task with the member
// that owns it unless that member would carry more than its share. A task
// claimed by any other member than its target is left out of this
// generation: its owner sees it revoked, stops it and rejoins, and the next
// rebalance hands it over.
func assign(n int, weights map[int32]int, members []string, claims map[int32][]string) map[string][]int32 {
	out := make(map[string][]int32, len(members))
	if len(members) == 0 {
		return out
	}
	type load struct{ weight, tasks int }
	loads := make(map[string]*load, len(members))
	for _, m := range members {
		loads[m] = &load{}
	}
	total := 0
	tasks := make([]int32, n)
	for i := range tasks {
		tasks[i] = int32(i)
		total += weights[int32(i)]
	}
	share := (total + len(members) - 1) / len(members)
	slices.SortStableFunc(tasks, func(a, b int32) int { return cmp.Compare(weights[b], weights[a]) })
	least := func() string {
		best := members[0]
		for _, m := range members[1:] {
			l, b := loads[m], loads[best]
			if l.weight < b.weight || (l.weight == b.weight && l.tasks < b.tasks) {
				best = m
			}
		}
		return best
	}
	for _, t := range tasks {
		w := weights[t]
		target := least()
		if c := claims[t]; len(c) == 1 {
			if l, ok := loads[c[0]]; ok && (l.weight+w <= share || l.weight <= loads[target].weight) && (w > 0 || l.tasks <= loads[target].tasks+1) {
				target = c[0]
			}
		}
		loads[target].weight += w
		loads[target].tasks++
		if c := claims[t]; len(c) > 0 && !slices.Equal(c, []string{target}) {
			continue
		}
		out[target] = append(out[target], t)
	}
	for m := range out {
		slices.Sort(out[m])
	}
	return out
}
