// Command connector polls vendor APIs and writes their records as Avro
// change events to Kafka, exactly once.
//
//	connector run -c FILE       run in production
//	connector dev               run on the embedded default: in-process Kafka and simulators
//	connector validate -c FILE  check a configuration file and exit
//	connector offsets ...       list, reset or set the sources' committed offsets
//	connector schemas ...       print the embedded schemas, check them against the registry, print Flink tables
//	connector read ... TOPIC    print a topic's events as JSON, one per line
//	connector version           print the version, VCS revision and Go version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	// The zone database is embedded so time zones such as nxlink's
	// time_zone resolve on images without /usr/share/zoneinfo.
	_ "time/tzdata"

	"github.com/vnstream/connector/pkg/config"
	"github.com/vnstream/connector/pkg/connector"
	_ "github.com/vnstream/connector/pkg/provider/all"
)

const usage = `connector: Vietnamese marketing and customer-care APIs as Kafka change events

Usage:
  connector run -c FILE        run with the configuration in FILE
  connector dev [flags]        run on the embedded default: in-process Kafka,
                               vendor simulators, config/dev.yaml
  connector validate -c FILE   check FILE, report every problem, and exit
  connector offsets list|reset|set -c FILE ...
                               read or change the sources' committed offsets
  connector schemas print|check|flink
                               the embedded Avro schemas; their compatibility
                               with the schema registry; Flink SQL tables
  connector read (-c FILE | -b BROKERS) [-registry URL] [-f] [-n COUNT] TOPIC
                               print TOPIC's committed events as JSON, one per line
  connector version            print the version, VCS revision and Go version

Run "connector COMMAND -h" for a command's flags.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the command in args and returns the exit code: 0 success,
// 1 failure, 2 usage error.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch args[0] {
	case "run":
		err = runCmd(ctx, args[1:], stderr)
	case "dev":
		err = devCmd(ctx, args[1:], stdout, stderr)
	case "validate":
		err = validateCmd(args[1:], stdout, stderr)
	case "offsets":
		err = offsetsCmd(ctx, args[1:], stdout, stderr)
	case "schemas":
		err = schemasCmd(ctx, args[1:], stdout, stderr)
	case "read":
		err = readCmd(ctx, args[1:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, versionLine())
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "connector: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	default:
		fmt.Fprintf(stderr, "connector %s: %v\n", args[0], err)
		return 1
	}
}

var errUsage = errors.New("usage")

// usageOrHelp handles a command that takes a sub-command: without one it
// prints usage to stderr (a usage error), with help it prints it to stdout.
func usageOrHelp(args []string, usage string, stdout, stderr io.Writer) (done bool, err error) {
	switch {
	case len(args) == 0:
		fmt.Fprint(stderr, usage)
		return true, errUsage
	case args[0] == "-h" || args[0] == "--help" || args[0] == "help":
		fmt.Fprint(stdout, usage)
		return true, nil
	}
	return false, nil
}

// configFlag parses the -c flag of run, validate and schemas flink|check,
// whose -h says what the command does (about), and loads the file it names.
func configFlag(name, about string, args []string, stderr io.Writer) (string, *config.Config, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("c", "", "configuration file (YAML)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: connector %s -c FILE\n\n%s\n\nFlags:\n", name, about)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return "", nil, err
	}
	if *file == "" || fs.NArg() > 0 {
		fmt.Fprintf(stderr, "usage: connector %s -c FILE\n", name)
		return "", nil, errUsage
	}
	cfg, err := config.Load(*file)
	return *file, cfg, err
}

// parseFlags parses args with fs: its error is flag.ErrHelp after -h,
// else errUsage (fs printed what is wrong).
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return err
	}
	return errUsage
}

func validateCmd(args []string, stdout, stderr io.Writer) error {
	file, cfg, err := configFlag("validate", `Reads FILE as "run" would (environment variables, secret files, defaults),
reports every problem with its path and line, and exits: 0 when FILE is
valid, 1 otherwise. It connects to nothing.`, args, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: valid, %d source(s)\n", file, len(cfg.Sources))
	return nil
}

func runCmd(ctx context.Context, args []string, stderr io.Writer) error {
	_, cfg, err := configFlag("run", `Runs the connector with the configuration in FILE until SIGTERM or SIGINT:
joins the replicas' group on the offsets topic, and for each task it is given
fences the task's transactional producer, reads its sources' committed
offsets, and polls each source, writing its events and next offset in one
Kafka transaction. Logs are JSON on stderr; /metrics, /healthz, /readyz and
/status are served on http.listen.`, args, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(stderr, logOptions))
	c, err := connector.New(cfg, connector.WithLogger(log), connector.WithVersion(buildVersion()))
	if err != nil {
		return err
	}
	return c.Run(ctx)
}
