package fault_test

import (
	"maps"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vnstream/connector/pkg/sim/fault"
)

// all are the faults after None.
var all = []fault.Fault{fault.RateLimit, fault.ServerError, fault.Slow, fault.Malformed, fault.HTML,
	fault.VendorError, fault.EmptyPage, fault.StuckCursor, fault.TrailingComma}

// draw returns the faults of the next n requests.
func draw(in *fault.Injector, n int) []fault.Fault {
	seq := make([]fault.Fault, n)
	for i := range seq {
		seq[i], _ = in.Next()
	}
	return seq
}

func TestFailNextQueue(t *testing.T) {
	in := fault.New("test", fault.RateLimit, fault.ServerError, fault.Slow)
	ctl := in.Controls()
	ctl.FailNext(fault.RateLimit, 2)
	ctl.FailNext(fault.ServerError, 1)
	ctl.FailNext(fault.Slow, 0)
	ctl.FailNext(fault.Slow, -1)
	ctl.FailNext(fault.None, 1)
	ctl.FailNext(fault.Slow, 1)
	ctl.SetFaultRates(fault.Rates{ServerError: 1})
	got := draw(in, 6)
	want := []fault.Fault{fault.RateLimit, fault.RateLimit, fault.ServerError, fault.None, fault.Slow, fault.ServerError}
	if !slices.Equal(got, want) {
		t.Errorf("faults %v, want the queue in order, then the random ones: %v", got, want)
	}
	wantCounts := map[fault.Fault]int{fault.RateLimit: 2, fault.ServerError: 2, fault.Slow: 1}
	if st := ctl.Stats(); !maps.Equal(st.Faults, wantCounts) {
		t.Errorf("Stats().Faults %v, want %v", st.Faults, wantCounts)
	}
}

func TestNoFaults(t *testing.T) {
	in := fault.New("test", all...)
	ctl := in.Controls()
	for range 100 {
		if f, d := in.Next(); f != fault.None || d != fault.DefaultSlowDelay {
			t.Fatalf("Next() = %v, %v without faults, want none, %v", f, d, fault.DefaultSlowDelay)
		}
	}
	if st := ctl.Stats(); len(st.Faults) != 0 || st.Faults == nil {
		t.Errorf("Stats().Faults %v, want an empty map", st.Faults)
	}
}

func TestSlowDelay(t *testing.T) {
	in := fault.New("test", fault.Slow)
	ctl := in.Controls()
	ctl.FailNext(fault.Slow, 2)
	ctl.SetFaultRates(fault.Rates{SlowDelay: 5 * time.Millisecond})
	if f, d := in.Next(); f != fault.Slow || d != 5*time.Millisecond {
		t.Errorf("Next() = %v, %v, want slow, 5ms", f, d)
	}
	ctl.SetFaultRates(fault.Rates{})
	if f, d := in.Next(); f != fault.Slow || d != 2*time.Second {
		t.Errorf("Next() = %v, %v, want slow and the default 2s", f, d)
	}
}

func TestRates(t *testing.T) {
	const n = 4000
	rates := fault.Rates{RateLimit: 0.10, ServerError: 0.05, Slow: 0.05, Malformed: 0.05, HTML: 0.05,
		VendorError: 0.05, EmptyPage: 0.05, StuckCursor: 0.05, TrailingComma: 0.05}
	p := map[fault.Fault]float64{fault.RateLimit: 0.10}
	for _, f := range all[1:] {
		p[f] = 0.05
	}
	run := func(seed int64) ([]fault.Fault, fault.Stats) {
		in := fault.New("test", all...)
		ctl := in.Controls()
		r := rates
		r.Seed = seed
		ctl.SetFaultRates(r)
		return draw(in, n), ctl.Stats()
	}
	seq, st := run(7)
	drawn := map[fault.Fault]int{}
	for _, f := range seq {
		drawn[f]++
	}
	for _, f := range all {
		// Within five standard deviations of the binomial mean.
		if got, mean := st.Faults[f], p[f]*n; math.Abs(float64(got)-mean) > 5*math.Sqrt(mean*(1-p[f])) {
			t.Errorf("%v: %d of %d requests, want about %.0f", f, got, n, mean)
		}
		if drawn[f] != st.Faults[f] {
			t.Errorf("%v: drawn %d times, Stats says %d", f, drawn[f], st.Faults[f])
		}
	}
	if again, _ := run(7); !slices.Equal(seq, again) {
		t.Errorf("the same seed gave different faults")
	}
	if other, _ := run(8); slices.Equal(seq, other) {
		t.Errorf("seeds 7 and 8 gave the same faults")
	}
}

func TestSetRatesRestarts(t *testing.T) {
	in := fault.New("test", all...)
	ctl := in.Controls()
	r := fault.Rates{RateLimit: 0.3, HTML: 0.3, Seed: 5}
	ctl.SetFaultRates(r)
	first := draw(in, 50)
	ctl.SetFaultRates(r)
	if again := draw(in, 50); !slices.Equal(first, again) {
		t.Errorf("SetRates with the same seed did not restart the sequence")
	}
}

// TestStackedRates checks that zero rates between non-zero ones take no
// share of the draw.
func TestStackedRates(t *testing.T) {
	in := fault.New("test", fault.ServerError, fault.StuckCursor)
	ctl := in.Controls()
	ctl.SetFaultRates(fault.Rates{ServerError: 0.5, StuckCursor: 0.5, Seed: 1})
	for _, f := range draw(in, 200) {
		if f != fault.ServerError && f != fault.StuckCursor {
			t.Fatalf("drew %v with rates that sum to 1 over server_error and stuck_cursor", f)
		}
	}
}

func TestPanics(t *testing.T) {
	in := fault.New("test", fault.RateLimit, fault.Slow)
	ctl := in.Controls()
	for name, f := range map[string]func(){
		"negative rate":        func() { ctl.SetFaultRates(fault.Rates{RateLimit: -0.1}) },
		"rate above 1":         func() { ctl.SetFaultRates(fault.Rates{Slow: 1.5}) },
		"NaN rate":             func() { ctl.SetFaultRates(fault.Rates{Slow: math.NaN()}) },
		"unsupported rate":     func() { ctl.SetFaultRates(fault.Rates{HTML: 0.1}) },
		"unsupported NaN rate": func() { ctl.SetFaultRates(fault.Rates{TrailingComma: math.NaN()}) },
		"negative SlowDelay":   func() { ctl.SetFaultRates(fault.Rates{SlowDelay: -time.Second}) },
		"unsupported fault":    func() { ctl.FailNext(fault.ServerError, 1) },
		"unknown fault":        func() { ctl.FailNext(fault.TrailingComma+1, 1) },
		"negative fault":       func() { ctl.FailNext(fault.None-1, 1) },
		"New of unknown":       func() { fault.New("test", fault.TrailingComma+1) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
	// Zero rates of unsupported faults are fine, and so is FailNext(None).
	ctl.SetFaultRates(fault.Rates{RateLimit: 1, SlowDelay: time.Millisecond})
	ctl.FailNext(fault.None, 1)
}

func TestStats(t *testing.T) {
	in := fault.New("test", fault.HTML)
	ctl := in.Controls()
	for i := 1; i <= 3; i++ {
		if n := in.CountRequest(); n != i {
			t.Errorf("CountRequest() = %d, want %d", n, i)
		}
	}
	in.CountServed()
	in.CountAuthFailed()
	in.CountAuthFailed()
	in.CountBadRequest()
	ctl.FailNext(fault.HTML, 1)
	in.Next()
	st := ctl.Stats()
	st.Faults[fault.HTML] = 99
	want := fault.Stats{Requests: 3, Served: 1, AuthFailed: 2, BadRequest: 1, Faults: map[fault.Fault]int{fault.HTML: 1}}
	if got := ctl.Stats(); got.Requests != want.Requests || got.Served != want.Served || got.AuthFailed != want.AuthFailed ||
		got.BadRequest != want.BadRequest || !maps.Equal(got.Faults, want.Faults) {
		t.Errorf("Stats() = %+v, want %+v (a copy)", got, want)
	}
}

func TestConcurrentUse(t *testing.T) {
	in := fault.New("test", all...)
	ctl := in.Controls()
	ctl.SetFaultRates(fault.Rates{RateLimit: 0.5, Seed: 1})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 100 {
				in.CountRequest()
				ctl.FailNext(fault.HTML, 1)
				in.Next()
				in.CountServed()
				ctl.Stats()
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			ctl.SetFaultRates(fault.Rates{ServerError: 0.5})
		}
	})
	wg.Wait()
	if st := ctl.Stats(); st.Requests != 400 || st.Served != 400 || st.Faults[fault.HTML] == 0 {
		t.Errorf("Stats() = %+v after 400 requests", st)
	}
}
