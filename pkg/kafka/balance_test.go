package kafka

import (
	"fmt"
	"maps"
	"slices"
	"testing"
)

// loads sums the weight each member carries.
func loads(plan map[string][]int32, weights map[int32]int) map[string]int {
	out := map[string]int{}
	for m, tasks := range plan {
		for _, t := range tasks {
			out[m] += weights[t]
		}
	}
	return out
}

func TestAssignSpreadsSourcesNotPartitions(t *testing.T) {
	cases := []struct {
		name    string
		n       int
		weights map[int32]int
		members []string
		want    []int // sorted loads
	}{
		{"5 sources in 5 tasks on 3 replicas", 25, map[int32]int{3: 1, 7: 1, 11: 1, 19: 1, 24: 1}, []string{"a", "b", "c"}, []int{1, 2, 2}},
		{"a task of 3 sources weighs 3", 25, map[int32]int{0: 3, 5: 1, 9: 1}, []string{"a", "b", "c"}, []int{1, 1, 3}},
		{"more replicas than sources", 6, map[int32]int{1: 1, 2: 1}, []string{"a", "b", "c", "d"}, []int{0, 0, 1, 1}},
		{"one replica takes all", 4, map[int32]int{0: 2, 3: 5}, []string{"a"}, []int{7}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			plan := assign(c.n, c.weights, c.members, nil)
			var all []int32
			for _, tasks := range plan {
				all = append(all, tasks...)
			}
			slices.Sort(all)
			if len(all) != c.n || (c.n > 0 && (all[0] != 0 || all[c.n-1] != int32(c.n-1))) || len(slices.Compact(all)) != c.n {
				t.Fatalf("tasks assigned %v, want each of 0..%d once", all, c.n-1)
			}
			l := loads(plan, c.weights)
			got := make([]int, 0, len(c.members))
			for _, m := range c.members {
				got = append(got, l[m])
			}
			slices.Sort(got)
			if !slices.Equal(got, c.want) {
				t.Fatalf("loads %v, want %v (plan %v)", got, c.want, plan)
			}
		})
	}
}

// TestAssignMovesTasksInTwoRebalances scales one replica out to three: the
// first rebalance keeps with its owner what stays there and gives no moved
// task to anyone (its owner must stop it first); the second, after the
// owner revoked them, hands them over; nothing that stayed balanced moves.
func TestAssignMovesTasksInTwoRebalances(t *testing.T) {
	weights := map[int32]int{0: 1, 1: 1, 2: 1, 3: 1, 4: 1}
	claims := map[int32][]string{}
	for i := range int32(5) {
		claims[i] = []string{"a"}
	}
	members := []string{"a", "b", "c"}
	first := assign(5, weights, members, claims)
	if len(first["b"]) != 0 || len(first["c"]) != 0 || len(first["a"]) != 2 {
		t.Fatalf("first rebalance %v: want a to keep 2 tasks and nobody to get a task a still owns", first)
	}
	claims = map[int32][]string{}
	for _, task := range first["a"] {
		claims[task] = []string{"a"}
	}
	second := assign(5, weights, members, claims)
	if !slices.Equal(second["a"], first["a"]) {
		t.Fatalf("second rebalance moved a's kept tasks: %v then %v", first["a"], second["a"])
	}
	if l := loads(second, weights); l["a"] != 2 || l["b"]+l["c"] != 3 || min(l["b"], l["c"]) != 1 {
		t.Fatalf("second rebalance loads %v, want 2/2/1", l)
	}
}

func TestAssignWithholdsATaskTwoMembersClaim(t *testing.T) {
	plan := assign(2, map[int32]int{0: 1, 1: 1}, []string{"a", "b"}, map[int32][]string{0: {"a", "b"}})
	for m, tasks := range plan {
		if slices.Contains(tasks, 0) {
			t.Fatalf("task 0, claimed by a and b, was given to %s: %v", m, plan)
		}
	}
	if got := slices.Concat(slices.Collect(maps.Values(plan))...); !slices.Contains(got, 1) {
		t.Fatalf("task 1 unassigned: %v", plan)
	}
}

func TestAssignIsDeterministic(t *testing.T) {
	weights := map[int32]int{}
	for i := range int32(25) {
		weights[i] = int(i % 4)
	}
	want := fmt.Sprint(assign(25, weights, []string{"a", "b", "c"}, nil))
	for range 20 {
		if got := fmt.Sprint(assign(25, weights, []string{"a", "b", "c"}, nil)); got != want {
			t.Fatalf("assign differs between runs: %s vs %s", got, want)
		}
	}
}
