// Command bench measures the connector as it runs in production: the real
// connector binary, in its own process, backfilling N records from a
// vendor simulator into a broker in another process, and reports what
// the connector process alone spends per record.
//
// Usage (from the repository's root):
//
//	go run ./cmd/bench [-kind KIND|all] [-records N] [-encoding confluent|single-object]
//	    [-compression snappy|lz4|zstd|gzip|none] [-brokers HOST:PORT]
//	    [-connector BINARY] [-profile DIR] [-together] [-in-flight N]
//
// For each provider kind it starts the kind's simulator (package sim)
// holding N records spread over -span, in this process; the broker: kfake
// in a child process, or the Kafka cluster at -brokers; for the Confluent
// wire format, a schema registry (srfake) in this process. It then builds
// and starts `connector run` with the kind's source of config/dev.yaml
// (rate limit lifted, window -window), waits until its /metrics (read
// every 50 ms) count N events committed (connector_records_written_total),
// and prints the wall time until then, records/s, the connector's CPU µs
// per record (user + system, /proc/PID/stat), its peak RSS (VmHWM) and its
// Go allocations per record (go_memstats_mallocs_total, start-up
// included), and the bytes per record the simulator served and the topic
// holds (DescribeLogDirs, every replica). Once the connector has stopped, a
// read_committed consumer reads the topics: the run fails unless each
// holds exactly N events with N distinct keys. (Counting them while the
// connector ran took the benchmark's process as much CPU as the
// connector's on tiki_lead, on the same two cores.) With -profile DIR it
// also writes the connector's CPU profile of 3 seconds, from 1.5 s after
// its start, and its allocation profile to DIR, for `go tool pprof`. With
// -kind all -together, one connector runs the five kinds' sources at once,
// N records each, and the row "all" measures it per record of all of
// them. -in-flight sets the
// connector's records_in_flight (default: its default). The connector's
// kafka.client_metrics is off unless -client-metrics is given: kfake asks
// every client for all its metrics every 30 s, and compressing them took
// 8 MiB of the connector's heap (lz4's blocks), which a Kafka cluster asks
// for only once its operator subscribed to them.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"

	"github.com/vnstream/connector/pkg/config"
	"github.com/vnstream/connector/pkg/sim"
	_ "github.com/vnstream/connector/pkg/sim/all"
)

func main() {
	if len(os.Args) == 2 && os.Args[1] == brokerArg {
		if err := serveBroker(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "bench broker:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// options are the command's flags.
type options struct {
	kind      string
	records   int
	encoding  string
	compress  string
	brokers   string
	window    time.Duration
	span      time.Duration
	timeout   time.Duration
	connector string
	profile   string
	together  bool
	inFlight  int
	metrics   bool
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.kind, "kind", "tiki_lead", "provider kind to measure, or all")
	fs.IntVar(&o.records, "records", 1_000_000, "records the simulator holds and the connector must commit")
	fs.StringVar(&o.encoding, "encoding", "confluent", "confluent (wire format, through a schema registry) or single-object")
	fs.StringVar(&o.compress, "compression", "snappy", "the connector's kafka.compression")
	fs.StringVar(&o.brokers, "brokers", "", "Kafka brokers, host:port,...; default: kfake in a child process")
	fs.DurationVar(&o.window, "window", 2*time.Hour, "the source's window: one transaction per window")
	fs.DurationVar(&o.span, "span", 242*time.Hour, "the records' creation times, evenly spread, end a minute ago")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "the longest one kind may take")
	fs.StringVar(&o.connector, "connector", "", "the connector binary; default: go build ./cmd/connector")
	fs.BoolVar(&o.together, "together", false, "with -kind all: one connector runs a source of each kind at once, measured as one row (all), per record of all of them")
	fs.IntVar(&o.inFlight, "in-flight", config.DefaultRecordsInFlight, "the connector's records_in_flight")
	fs.BoolVar(&o.metrics, "client-metrics", false, "the connector's kafka.client_metrics: kfake asks every client for all its metrics every 30 s, which a Kafka cluster does only once its operator subscribed to them")
	fs.StringVar(&o.profile, "profile", "", "a directory to write the connector's CPU (3 s, from 1.5 s in) and allocation profiles to, KIND.cpu.pprof and KIND.allocs.pprof")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 || o.records < 1 || o.inFlight < 1 || (o.together && o.kind != "all") || (o.encoding != "confluent" && o.encoding != "single-object") || !slices.Contains(config.Compressions, o.compress) {
		fs.Usage()
		return fmt.Errorf("bad arguments: %q", args)
	}
	kinds := []string{o.kind}
	if o.kind == "all" {
		kinds = nil
		for _, r := range sim.All() {
			kinds = append(kinds, r.Kind)
		}
	} else if _, ok := sim.Lookup(o.kind); !ok {
		return fmt.Errorf("-kind %q: no simulator of that kind", o.kind)
	}
	if o.connector == "" {
		bin, cleanup, err := buildConnector(ctx)
		if err != nil {
			return err
		}
		defer cleanup()
		o.connector = bin
	}
	brokers := o.brokers
	if brokers == "" {
		addr, stopBroker, err := startBroker(ctx)
		if err != nil {
			return err
		}
		defer stopBroker()
		brokers = addr
	}
	fmt.Fprintf(stdout, "%d records per kind, %s, %s batches, broker %s\n", o.records, o.encoding, o.compress, brokers)
	fmt.Fprintf(stdout, "%-20s %9s %10s %11s %13s %11s %13s %12s\n", "kind", "wall", "records/s", "cpu-µs/rec", "peak-RSS-MiB", "allocs/rec", "vendor-B/rec", "topic-B/rec")
	runs := slices.Collect(slices.Chunk(kinds, 1))
	if o.together {
		runs = [][]string{kinds}
	}
	for _, run := range runs {
		name := run[0]
		if len(run) > 1 {
			name = "all"
		}
		r, err := measure(ctx, o, run, brokers, stderr)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		n := float64(o.records * len(run))
		fmt.Fprintf(stdout, "%-20s %8.2fs %10.0f %11.2f %13.1f %11.1f %13.0f %12.0f\n", name, r.wall.Seconds(), n/r.wall.Seconds(),
			float64(r.cpu.Microseconds())/n, float64(r.peakRSS)/(1<<20), float64(r.mallocs)/n, float64(r.vendorBytes)/n, float64(r.topicBytes)/n)
	}
	return nil
}
