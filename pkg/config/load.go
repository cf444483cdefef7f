package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Load reads, expands, defaults and validates the configuration file at
// path. The error lists every problem found, one per line, each with its
// path in the file.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cfg, err := Parse(b, os.LookupEnv)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, nil
}

// Parse is Load on the bytes of a file, with lookup resolving ${VAR}
// references (os.LookupEnv in production).
//
// References are expanded inside scalar values only, so a variable's value
// can never change the document's structure. Secret fields must be a
// reference or come from their *_file setting: a secret written in plain
// text in the file is refused.
func Parse(b []byte, lookup func(string) (string, bool)) (*Config, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	var probs Problems
	if len(doc.Content) == 0 {
		probs.add("", "the file is empty")
		return nil, probs.err()
	}
	root := doc.Content[0]
	external := map[string]bool{}
	expand(root, "", lookup, external, &probs)
	checkKnown(root, reflect.TypeFor[Config](), "", &probs)
	var cfg Config
	if err := root.Decode(&cfg); err != nil {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			if len(probs) > 0 {
				return nil, probs.err()
			}
			return nil, err
		}
		for _, e := range te.Errors {
			probs.add("", e)
		}
	}
	if len(probs) > 0 {
		return nil, probs.err()
	}
	cfg.readSecretFiles(external, &probs)
	cfg.applyDefaults()
	cfg.validate(external, &probs)
	if len(probs) > 0 {
		return nil, probs.err()
	}
	return &cfg, nil
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expand replaces ${VAR} in every scalar below n and records in external
// the paths of the scalars whose value came from the environment.
func expand(n *yaml.Node, path string, lookup func(string) (string, bool), external map[string]bool, probs *Problems) {
	switch n.Kind {
	case yaml.ScalarNode:
		if !strings.Contains(n.Value, "${") {
			return
		}
		external[path] = true
		n.Value = envRef.ReplaceAllStringFunc(n.Value, func(ref string) string {
			name := envRef.FindStringSubmatch(ref)[1]
			v, ok := lookup(name)
			if !ok {
				probs.add(path, fmt.Sprintf("environment variable %s is not set (line %d)", name, n.Line))
			}
			return v
		})
		if n.Style == 0 {
			// Let the decoder type the expanded value (a count, a flag).
			n.Tag = ""
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			expand(n.Content[i+1], join(path, n.Content[i].Value), lookup, external, probs)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			expand(c, path+"["+strconv.Itoa(i)+"]", lookup, external, probs)
		}
	}
}

// checkKnown reports mapping keys that have no field in t, and times that
// do not parse (the YAML decoder's own message would not say where).
func checkKnown(n *yaml.Node, t reflect.Type, path string, probs *Problems) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == reflect.TypeFor[time.Time]():
		var v time.Time
		if n.Kind != yaml.ScalarNode || n.Decode(&v) != nil {
			probs.add(path, fmt.Sprintf("%q is not a time: want RFC 3339, e.g. 2026-01-01T00:00:00Z (line %d)", n.Value, n.Line))
		}
	case n.Kind == yaml.MappingNode && t.Kind() == reflect.Struct:
		fields := map[string]reflect.Type{}
		addFields(fields, t)
		if t == reflect.TypeFor[Source]() {
			for _, k := range Kinds() {
				fields[k.Section] = reflect.TypeOf(k.Settings())
			}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			ft, ok := fields[k.Value]
			if !ok {
				probs.add(join(path, k.Value), fmt.Sprintf("unknown setting (line %d)", k.Line))
				continue
			}
			checkKnown(n.Content[i+1], ft, join(path, k.Value), probs)
		}
	case n.Kind == yaml.SequenceNode && t.Kind() == reflect.Slice:
		for i, c := range n.Content {
			checkKnown(c, t.Elem(), path+"["+strconv.Itoa(i)+"]", probs)
		}
	}
}

// addFields maps the YAML names of t's fields to their types, flattening
// inline structs.
func addFields(fields map[string]reflect.Type, t reflect.Type) {
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch {
		case opts == "inline":
			addFields(fields, f.Type)
		case name != "-" && f.IsExported():
			fields[name] = f.Type
		}
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// readSecretFiles loads every *_file setting into its secret and records
// the secret's path in external.
func (c *Config) readSecretFiles(external map[string]bool, probs *Problems) {
	read := func(path, file string, dst *Secret) {
		if file == "" {
			return
		}
		if *dst != "" {
			probs.add(path, "set either the secret or its _file, not both")
			return
		}
		b, err := os.ReadFile(file)
		if err != nil {
			probs.add(path+"_file", err.Error())
			return
		}
		*dst = Secret(bytes.TrimRight(b, "\r\n"))
		external[path] = true
	}
	read("kafka.sasl.password", c.Kafka.SASL.PasswordFile, &c.Kafka.SASL.Password)
	read("schema_registry.password", c.SchemaRegistry.PasswordFile, &c.SchemaRegistry.Password)
	for i, s := range c.Sources {
		for _, sec := range s.sections {
			eachSecret(reflect.ValueOf(sec.settings), fmt.Sprintf("sources[%d].%s.", i, sec.kind.Section), func(path string, secret *Secret, file string) {
				read(path, file, secret)
			})
		}
	}
}

// eachSecret calls fn with every Secret field of the struct v points to
// (inline structs included), its path (prefix and its YAML name) and the
// value of the string field named like it with _file, if any.
func eachSecret(v reflect.Value, prefix string, fn func(path string, secret *Secret, file string)) {
	v = reflect.Indirect(v)
	if v.Kind() != reflect.Struct {
		return
	}
	files := map[string]string{}
	for i := range v.NumField() {
		name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("yaml"), ",")
		if f := v.Field(i); f.Kind() == reflect.String && strings.HasSuffix(name, "_file") {
			files[strings.TrimSuffix(name, "_file")] = f.String()
		}
	}
	for i := range v.NumField() {
		sf, f := v.Type().Field(i), v.Field(i)
		name, opts, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		switch {
		case !sf.IsExported():
		case sf.Type == reflect.TypeFor[Secret]():
			fn(prefix+name, f.Addr().Interface().(*Secret), files[name])
		case opts == "inline":
			eachSecret(f.Addr(), prefix, fn)
		}
	}
}

// UnmarshalYAML decodes a source and the provider sections it has onto
// their kinds' default settings.
func (s *Source) UnmarshalYAML(n *yaml.Node) error {
	type plain Source
	var terrs []string
	collect := func(err error) error {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			terrs = append(terrs, te.Errors...)
			return nil
		}
		return err
	}
	if err := collect(n.Decode((*plain)(s))); err != nil {
		return err
	}
	s.sections = nil
	for i := 0; i+1 < len(n.Content); i += 2 {
		for _, k := range Kinds() {
			if k.Section != n.Content[i].Value {
				continue
			}
			st := k.Settings()
			if err := collect(n.Content[i+1].Decode(st)); err != nil {
				return err
			}
			s.sections = append(s.sections, section{kind: k, settings: st})
			if k.Name == s.Kind {
				s.Settings = st
			}
		}
	}
	if len(terrs) > 0 {
		return &yaml.TypeError{Errors: terrs}
	}
	return nil
}
