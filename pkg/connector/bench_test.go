package connector_test

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vnstream/connector/internal/proc"
	tikisim "github.com/vnstream/connector/pkg/sim/tiki"
)

// BenchmarkEndToEnd measures the whole path, vendor HTTP body → Avro event
// → committed transaction, on b.N form responses of about 400 bytes served
// by a zero-latency simulator in pages of 500, into an in-process kfake
// broker. It reports records/s, CPU µs and allocations per record, and the
// process's peak RSS. The simulator and the broker run in the same process,
// so CPU and allocations include theirs: an upper bound for the connector.
func BenchmarkEndToEnd(b *testing.B) {
	broker := newBroker(b)
	sim, url := newSim(b, tikisim.WithPageCap(500))
	end := time.Now().UTC().Truncate(time.Second).Add(-time.Minute)
	span := time.Duration(b.N/10000+1) * time.Hour
	padding := strings.Repeat("x", 230)
	rs := make([]tikisim.Response, b.N)
	for i := range rs {
		rs[i] = tikisim.Response{
			ID: strconv.Itoa(1_000_000 + i), FormID: formA,
			CreatedAt: end.Add(-span + time.Duration(i)*(span/time.Duration(b.N))),
			Inputs:    json.RawMessage(fmt.Sprintf(`{"name":"Nguyễn Văn %d","phone":"09%08d","note":"%s"}`, i, i, padding)),
		}
	}
	sim.Add(rs...)
	cfg := testConfig(b, broker.ListenAddrs(), nil, "", tikiSource{name: "bench", url: url, start: end.Add(-span - time.Hour),
		pageSize: 500, window: "1h", maxWindow: 20000})
	cfg.Sources[0].HTTP.RateLimit = 1e6

	var got committed
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	cpu0 := cpuTime()
	b.ResetTimer()
	began := time.Now()
	r := start(b, cfg, got.option())
	waitFor(b, "the benchmark records", 10*time.Minute, func() bool { return got.count() >= b.N })
	elapsed := time.Since(began)
	b.StopTimer()
	cpu := cpuTime() - cpu0
	runtime.ReadMemStats(&m1)
	r.stop(b)

	n := float64(b.N)
	b.ReportMetric(n/elapsed.Seconds(), "records/s")
	b.ReportMetric(float64(cpu.Microseconds())/n, "cpu-µs/record")
	b.ReportMetric(float64(m1.Mallocs-m0.Mallocs)/n, "allocs/record")
	_, peak, _ := proc.Memory(os.Getpid())
	b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MiB")
}

// cpuTime is the CPU time (user + system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
