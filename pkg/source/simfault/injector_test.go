package simfault_test

import (
	"maps"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vnstream/connector/pkg/source/simfault"
)

// all are the faults after None.
var all = []simfault.Fault{simfault.RateLimit, simfault.ServerError, simfault.Slow, simfault.Malformed, simfault.HTML,
	simfault.VendorError, simfault.EmptyPage, simfault.StuckCursor, simfault.TrailingComma}

// draw returns the faults of the next n requests.
func draw(in *simfault.Injector, n int) []simfault.Fault {
	seq := make([]simfault.Fault, n)
	for i := range seq {
		seq[i], _ = in.Next()
	}
	return seq
}

func TestFailNextQueue(t *testing.T) {
	in := simfault.New("test", simfault.RateLimit, simfault.ServerError, simfault.Slow)
	ctl := in.Controls()
	ctl.FailNext(simfault.RateLimit, 2)
	ctl.FailNext(simfault.ServerError, 1)
	ctl.FailNext(simfault.Slow, 0)
	ctl.FailNext(simfault.Slow, -1)
	ctl.FailNext(simfault.None, 1)
	ctl.FailNext(simfault.Slow, 1)
	ctl.SetFaultRates(simfault.Rates{ServerError: 1})
	got := draw(in, 6)
	want := []simfault.Fault{simfault.RateLimit, simfault.RateLimit, simfault.ServerError, simfault.None, simfault.Slow, simfault.ServerError}
	if !slices.Equal(got, want) {
		t.Errorf("faults %v, want the queue in order, then the random ones: %v", got, want)
	}
	wantCounts := map[simfault.Fault]int{simfault.RateLimit: 2, simfault.ServerError: 2, simfault.Slow: 1}
	if st := ctl.Stats(); !maps.Equal(st.Faults, wantCounts) {
		t.Errorf("Stats().Faults %v, want %v", st.Faults, wantCounts)
	}
}

func TestNoFaults(t *testing.T) {
	in := simfault.New("test", all...)
	ctl := in.Controls()
	for range 100 {
		if f, d := in.Next(); f != simfault.None || d != simfault.DefaultSlowDelay {
			t.Fatalf("Next() = %v, %v without faults, want none, %v", f, d, simfault.DefaultSlowDelay)
		}
	}
	if st := ctl.Stats(); len(st.Faults) != 0 || st.Faults == nil {
		t.Errorf("Stats().Faults %v, want an empty map", st.Faults)
	}
}

func TestSlowDelay(t *testing.T) {
	in := simfault.New("test", simfault.Slow)
	ctl := in.Controls()
	ctl.FailNext(simfault.Slow, 2)
	ctl.SetFaultRates(simfault.Rates{SlowDelay: 5 * time.Millisecond})
	if f, d := in.Next(); f != simfault.Slow || d != 5*time.Millisecond {
		t.Errorf("Next() = %v, %v, want slow, 5ms", f, d)
	}
	ctl.SetFaultRates(simfault.Rates{})
	if f, d := in.Next(); f != simfault.Slow || d != 2*time.Second {
		t.Errorf("Next() = %v, %v, want slow and the default 2s", f, d)
	}
}

func TestRates(t *testing.T) {
	const n = 4000
	rates := simfault.Rates{RateLimit: 0.10, ServerError: 0.05, Slow: 0.05, Malformed: 0.05, HTML: 0.05,
		VendorError: 0.05, EmptyPage: 0.05, StuckCursor: 0.05, TrailingComma: 0.05}
	p := map[simfault.Fault]float64{simfault.RateLimit: 0.10}
	for _, f := range all[1:] {
		p[f] = 0.05
	}
	run := func(seed int64) ([]simfault.Fault, simfault.Stats) {
		in := simfault.New("test", all...)
		ctl := in.Controls()
		r := rates
		r.Seed = seed
		ctl.SetFaultRates(r)
		return draw(in, n), ctl.Stats()
	}
	seq, st := run(7)
	drawn := map[simfault.Fault]int{}
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
	in := simfault.New("test", all...)
	ctl := in.Controls()
	r := simfault.Rates{RateLimit: 0.3, HTML: 0.3, Seed: 5}
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
	in := simfault.New("test", simfault.ServerError, simfault.StuckCursor)
	ctl := in.Controls()
	ctl.SetFaultRates(simfault.Rates{ServerError: 0.5, StuckCursor: 0.5, Seed: 1})
	for _, f := range draw(in, 200) {
		if f != simfault.ServerError && f != simfault.StuckCursor {
			t.Fatalf("drew %v with rates that sum to 1 over server_error and stuck_cursor", f)
		}
	}
}

func TestPanics(t *testing.T) {
	in := simfault.New("test", simfault.RateLimit, simfault.Slow)
	ctl := in.Controls()
	for name, f := range map[string]func(){
		"negative rate":        func() { ctl.SetFaultRates(simfault.Rates{RateLimit: -0.1}) },
		"rate above 1":         func() { ctl.SetFaultRates(simfault.Rates{Slow: 1.5}) },
		"NaN rate":             func() { ctl.SetFaultRates(simfault.Rates{Slow: math.NaN()}) },
		"unsupported rate":     func() { ctl.SetFaultRates(simfault.Rates{HTML: 0.1}) },
		"unsupported NaN rate": func() { ctl.SetFaultRates(simfault.Rates{TrailingComma: math.NaN()}) },
		"negative SlowDelay":   func() { ctl.SetFaultRates(simfault.Rates{SlowDelay: -time.Second}) },
		"unsupported fault":    func() { ctl.FailNext(simfault.ServerError, 1) },
		"unknown fault":        func() { ctl.FailNext(simfault.TrailingComma+1, 1) },
		"negative fault":       func() { ctl.FailNext(simfault.None-1, 1) },
		"New of unknown":       func() { simfault.New("test", simfault.TrailingComma+1) },
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
	ctl.SetFaultRates(simfault.Rates{RateLimit: 1, SlowDelay: time.Millisecond})
	ctl.FailNext(simfault.None, 1)
}

func TestStats(t *testing.T) {
	in := simfault.New("test", simfault.HTML)
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
	ctl.FailNext(simfault.HTML, 1)
	in.Next()
	st := ctl.Stats()
	st.Faults[simfault.HTML] = 99
	want := simfault.Stats{Requests: 3, Served: 1, AuthFailed: 2, BadRequest: 1, Faults: map[simfault.Fault]int{simfault.HTML: 1}}
	if got := ctl.Stats(); got.Requests != want.Requests || got.Served != want.Served || got.AuthFailed != want.AuthFailed ||
		got.BadRequest != want.BadRequest || !maps.Equal(got.Faults, want.Faults) {
		t.Errorf("Stats() = %+v, want %+v (a copy)", got, want)
	}
}

func TestConcurrentUse(t *testing.T) {
	in := simfault.New("test", all...)
	ctl := in.Controls()
	ctl.SetFaultRates(simfault.Rates{RateLimit: 0.5, Seed: 1})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 100 {
				in.CountRequest()
				ctl.FailNext(simfault.HTML, 1)
				in.Next()
				in.CountServed()
				ctl.Stats()
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			ctl.SetFaultRates(simfault.Rates{ServerError: 0.5})
		}
	})
	wg.Wait()
	if st := ctl.Stats(); st.Requests != 400 || st.Served != 400 || st.Faults[simfault.HTML] == 0 {
		t.Errorf("Stats() = %+v after 400 requests", st)
	}
}
