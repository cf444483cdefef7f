package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/vnstream/connector/pkg/config"
	"github.com/vnstream/connector/pkg/connector"
	"github.com/vnstream/connector/pkg/kafka"
)

const offsetsUsage = `usage:
  connector offsets list  -c FILE                     every source's committed offset, task and owner
  connector offsets reset -c FILE [-force] SOURCE     forget SOURCE's offset (a tombstone):
                                                      it starts again from its start_time
  connector offsets set   -c FILE [-force] SOURCE JSON
                                                      make JSON SOURCE's committed offset

reset and set refuse while the connector is running; -force writes anyway,
fencing the task on the replica that runs it: its next commit fails, and
every source of the task re-reads its offset and goes on from it.
`

// offsetsCmd runs `connector offsets ...`.
func offsetsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if done, err := usageOrHelp(args, offsetsUsage, stdout, stderr); done {
		return err
	}
	fs := flag.NewFlagSet("offsets "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("c", "", "configuration file (YAML)")
	force := fs.Bool("force", false, "write even while the connector is running (fences its task)")
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return err
	}
	want := map[string][]string{"list": nil, "reset": {"SOURCE"}, "set": {"SOURCE", "JSON"}}
	names, known := want[args[0]]
	switch {
	case !known:
		fmt.Fprintf(stderr, "connector offsets: unknown command %q\n\n%s", args[0], offsetsUsage)
		return errUsage
	case *file == "":
		fmt.Fprintf(stderr, "connector offsets %s: -c FILE is required\n\n%s", args[0], offsetsUsage)
		return errUsage
	case len(pos) != len(names):
		fmt.Fprintf(stderr, "connector offsets %s: want %d argument(s) (%s), got %d: %q\n\n%s",
			args[0], len(names), strings.Join(names, " "), len(pos), pos, offsetsUsage)
		return errUsage
	}
	cfg, err := config.Load(*file)
	if err != nil {
		return err
	}
	t, err := newOffsetsTool(ctx, cfg)
	if err != nil {
		return err
	}
	defer t.cl.Close()
	switch args[0] {
	case "list":
		return t.list(ctx, stdout)
	case "reset":
		return t.write(ctx, pos[0], nil, *force, stdout)
	default:
		return t.write(ctx, pos[0], []byte(pos[1]), *force, stdout)
	}
}

// parseInterleaved parses args with fs, as parseFlags does, flags before,
// between or after the positional arguments, which it returns.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// offsetsTool reads and writes one connector's offsets.
type offsetsTool struct {
	cfg        *config.Config
	kopts      []kgo.Opt
	cl         *kgo.Client
	adm        *kadm.Client
	partitions int
}

func newOffsetsTool(ctx context.Context, cfg *config.Config) (*offsetsTool, error) {
	kopts, err := kafka.Options(cfg.Kafka)
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(kopts...)
	if err != nil {
		return nil, err
	}
	adm := kadm.NewClient(cl)
	n, err := kafka.Partitions(ctx, adm, cfg.Kafka.OffsetsTopic)
	if err != nil {
		cl.Close()
		return nil, fmt.Errorf("%w (has the connector run yet?)", err)
	}
	return &offsetsTool{cfg: cfg, kopts: kopts, cl: cl, adm: adm, partitions: n}, nil
}

func (t *offsetsTool) list(ctx context.Context, stdout io.Writer) error {
	offsets, err := kafka.ReadOffsets(ctx, t.kopts, t.cfg.Kafka.OffsetsTopic, nil, t.cfg.Name)
	if err != nil {
		return err
	}
	kinds := map[string]string{}
	names := make([]string, 0, len(offsets))
	for _, s := range t.cfg.Sources {
		kinds[s.Name] = s.Kind
		names = append(names, s.Name)
	}
	for name := range offsets {
		if _, ok := kinds[name]; !ok {
			kinds[name] = "(not configured)"
			names = append(names, name)
		}
	}
	slices.Sort(names)
	members, err := kafka.Members(ctx, t.adm, t.cfg.Name, t.cfg.Kafka.OffsetsTopic)
	if err != nil {
		return err
	}
	owners := map[int32]string{}
	for _, m := range members {
		for _, task := range m.Tasks {
			owners[task] = m.Instance + " (" + m.Host + ")"
		}
	}
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "SOURCE\tKIND\tTASK\tOWNER\tOFFSET")
	for _, name := range names {
		off := string(offsets[name])
		if off == "" {
			off = "(none: starts from its start_time)"
		}
		task := kafka.Task(kafka.OffsetKey(t.cfg.Name, name), t.partitions)
		owner := owners[task]
		if owner == "" {
			owner = "-"
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\n", name, kinds[name], task, owner, off)
	}
	return w.Flush()
}

// write commits value (nil: a tombstone) as the offset of source, in a
// transaction of the source's task.
func (t *offsetsTool) write(ctx context.Context, name string, value []byte, force bool, stdout io.Writer) error {
	kind := ""
	for _, s := range t.cfg.Sources {
		if s.Name == name {
			kind = s.Kind
		}
	}
	if value != nil {
		if !json.Valid(value) {
			return fmt.Errorf("offset for %s is not JSON: %s", name, value)
		}
		if kind == "" {
			return fmt.Errorf("source %q is not in the configuration: its offset cannot be checked", name)
		}
		if err := connector.CheckOffset(kind, value); err != nil {
			return fmt.Errorf("offset for %s (%s): %w", name, kind, err)
		}
	} else if kind == "" {
		offsets, err := kafka.ReadOffsets(ctx, t.kopts, t.cfg.Kafka.OffsetsTopic, nil, t.cfg.Name)
		if err != nil {
			return err
		}
		if _, ok := offsets[name]; !ok {
			return fmt.Errorf("source %q is neither configured nor in %s", name, t.cfg.Kafka.OffsetsTopic)
		}
	}
	members, err := kafka.Members(ctx, t.adm, t.cfg.Name, t.cfg.Kafka.OffsetsTopic)
	if err != nil {
		return err
	}
	var hosts []string
	for _, m := range members {
		hosts = append(hosts, m.Instance+" ("+m.Host+")")
	}
	if len(hosts) > 0 && !force {
		return fmt.Errorf("connector %s is running (on %s): stop it first, or pass -force to fence its task", t.cfg.Name, strings.Join(hosts, ", "))
	}
	key := kafka.OffsetKey(t.cfg.Name, name)
	task := kafka.Task(key, t.partitions)
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	p, err := kafka.OpenProducer(cctx, t.kopts, kafka.TransactionalID(t.cfg.Name, task), t.cfg.Kafka.OffsetsTopic, t.cfg.Kafka.TransactionTimeout, nil)
	if err != nil {
		return err
	}
	defer p.Close()
	if err := p.Commit(cctx, []*kgo.Record{{Topic: t.cfg.Kafka.OffsetsTopic, Partition: task, Key: key, Value: value}}); err != nil {
		return err
	}
	what := "reset: it starts from its start_time"
	if value != nil {
		what = "set to " + string(value)
	}
	fmt.Fprintf(stdout, "source %s (task %d) %s\n", name, task, what)
	if len(hosts) > 0 {
		fmt.Fprintf(stdout, "the running connector's task %d was fenced: all its sources re-read their offsets and go on from them\n", task)
	}
	return nil
}
