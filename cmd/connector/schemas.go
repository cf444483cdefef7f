package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/vnstream/connector/pkg/config"
	"github.com/vnstream/connector/pkg/connector"
	"github.com/vnstream/connector/pkg/schema"
	"github.com/vnstream/connector/schemas"
)

const schemasUsage = `usage:
  connector schemas print [ENTITY [key|value]]
                                     the embedded key and value (envelope) schemas,
                                     self-contained, as they are registered: one
                                     .avsc for ENTITY key or value, else one JSON
                                     object {"ENTITY": {"key": ..., "value": ...}}
  connector schemas check -c FILE    check the embedded schemas of every configured
                                     source against the registry's latest versions,
                                     as the connector does (schema_registry.compatibility)
                                     and as the registry does (the subject's level, or
                                     the global one), registering nothing
  connector schemas flink -c FILE    a Flink SQL CREATE TABLE per configured source:
                                     its topic as an upsert-kafka table, avro-confluent
                                     through the registry, in the source's value_format
`

// schemasCmd runs `connector schemas ...`.
func schemasCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if done, err := usageOrHelp(args, schemasUsage, stdout, stderr); done {
		return err
	}
	set, err := schema.Load(schemas.FS)
	if err != nil {
		return err
	}
	switch args[0] {
	case "print":
		if len(args) == 2 && (args[1] == "-h" || args[1] == "--help") {
			fmt.Fprint(stdout, schemasUsage)
			return nil
		}
		if len(args) > 3 || (len(args) == 3 && args[2] != "key" && args[2] != "value") {
			fmt.Fprint(stderr, schemasUsage)
			return errUsage
		}
		return printSchemas(set, args[1:], stdout)
	case "flink":
		_, cfg, err := configFlag("schemas flink", `Prints, for each configured source, the Flink SQL CREATE TABLE statement that
reads its topic as an upsert-kafka table keyed by the record's id, in the
avro-confluent format through the configuration's schema registry, for the
source's value_format (envelope: before, after, source, op, ts_ms; flat: the
entity's fields). Tested with Flink 2.2.0.`, args[1:], stderr)
		if err != nil {
			return err
		}
		return flinkTables(cfg, set, stdout)
	case "check":
		_, cfg, err := configFlag("schemas check", `Checks each embedded key and value schema against the latest version
registered for its topic in the configuration's schema registry twice: as
the connector checks before registering (schema_registry.compatibility),
and by asking the registry, which applies the subject's own level or else
its global one. Prints both verdicts and the level; registers nothing;
exits 1 when either finds a schema incompatible.`, args[1:], stderr)
		if err != nil {
			return err
		}
		return checkSchemas(ctx, cfg, set, stdout)
	}
	fmt.Fprint(stderr, schemasUsage)
	return errUsage
}

// printSchemas writes, indented, the schema args names (ENTITY and key or
// value), or an object of the key and value schemas of ENTITY, or of every
// entity when args is empty.
func printSchemas(set *schema.Set, args []string, stdout io.Writer) error {
	names := set.Names()
	if len(args) > 0 {
		names = args[:1]
	}
	all := map[string]map[string]json.RawMessage{}
	for _, name := range names {
		e, err := set.Entity(name)
		if err != nil {
			return err
		}
		all[name] = map[string]json.RawMessage{"key": json.RawMessage(e.KeyText), "value": json.RawMessage(e.ValueText)}
	}
	var doc any = all
	switch {
	case len(args) == 2:
		doc = all[args[0]][args[1]]
	case len(args) == 1:
		doc = all[args[0]]
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%s\n", b)
	return err
}

// errIncompatible makes `schemas check` exit 1 after it printed each result.
var errIncompatible = errors.New("incompatible schemas found")

func checkSchemas(ctx context.Context, cfg *config.Config, set *schema.Set, stdout io.Writer) error {
	cl, err := connector.RegistryClient(cfg.SchemaRegistry)
	switch {
	case err != nil:
		return err
	case cl == nil:
		fmt.Fprintln(stdout, "no schema_registry.url: events use Avro single-object encoding, with the embedded schemas; nothing to check")
		return nil
	}
	compat, err := schema.ParseCompatibility(cfg.SchemaRegistry.Compatibility)
	if err != nil {
		return err
	}
	failed := false
	var topics []string
	for _, s := range cfg.Sources {
		if slices.Contains(topics, s.Topic) {
			continue
		}
		topics = append(topics, s.Topic)
		e, err := connector.SourceEntity(set, s)
		if err != nil {
			return err
		}
		if err := schema.CheckRegistry(ctx, cl, s.Topic, e, compat); err != nil {
			if !errors.Is(err, schema.ErrIncompatible) {
				return err
			}
			failed = true
			fmt.Fprintf(stdout, "%s (%s): INCOMPATIBLE (connector's %s check)\n  %v\n", s.Topic, e.Name, compat, err)
		} else {
			fmt.Fprintf(stdout, "%s (%s): %s compatible with the latest registered versions (connector's check)\n", s.Topic, e.Name, compat)
		}
		for _, sub := range []struct{ subject, text string }{{s.Topic + "-key", e.KeyText}, {s.Topic + "-value", e.ValueText}} {
			v, err := schema.AskRegistry(ctx, cl, sub.subject, sub.text)
			if err != nil {
				return err
			}
			failed = failed || !v.Compatible
			fmt.Fprintf(stdout, "  registry, %s: %s\n", sub.subject, verdictLine(v))
		}
	}
	if failed {
		return errIncompatible
	}
	return nil
}

// verdictLine says a registry's verdict and the level it applied.
func verdictLine(v schema.Verdict) string {
	whose := "the subject's own level"
	if v.Global {
		whose = "the global level, the subject has none of its own"
	}
	switch {
	case v.First:
		return fmt.Sprintf("compatible (no versions yet) at %s (%s)", v.Level, whose)
	case v.Compatible:
		return fmt.Sprintf("compatible at %s (%s)", v.Level, whose)
	}
	return fmt.Sprintf("INCOMPATIBLE at %s (%s): %s", v.Level, whose, strings.Join(v.Messages, "; "))
}

// flinkTables prints a Flink SQL CREATE TABLE per source of cfg.
func flinkTables(cfg *config.Config, set *schema.Set, stdout io.Writer) error {
	if cfg.SchemaRegistry.URL == "" {
		return errors.New("no schema_registry.url: Flink's avro-confluent format reads the Confluent wire format, which needs a registry")
	}
	for _, s := range cfg.Sources {
		e, err := connector.SourceEntity(set, s)
		if err != nil {
			return err
		}
		ddl, _ := schema.FlinkTable(s.Name, e, s.Topic, strings.Join(cfg.Kafka.Brokers, ","), cfg.SchemaRegistry.URL)
		fmt.Fprintf(stdout, "-- %s: %s, %s values\n%s;\n\n", s.Name, s.Kind, s.ValueFormat, ddl)
	}
	return nil
}
