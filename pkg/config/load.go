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
// can never change the document's structure. ${VAR:-default} gives default
// when VAR is unset or empty. Secret fields must be a reference to a set
// variable or come from their *_file setting: a secret written in plain
// text in the file, default included, is refused.
func Parse(b []byte, lookup func(string) (string, bool)) (*Config, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 {
		return nil, Problems{{Msg: "the file is empty"}}
	}
	e := expansion{lookup: lookup, external: map[string]bool{}, empty: map[string]string{}}
	cfg, err := e.parse(doc.Content[0])
	var probs Problems
	if errors.As(err, &probs) {
		for i, p := range probs {
			if name, ok := e.empty[p.Path]; ok {
				probs[i].Msg += fmt.Sprintf(" (environment variable %s is set but empty)", name)
			}
		}
	}
	return cfg, err
}

// expansion is the ${VAR} expansion of one file.
type expansion struct {
	lookup func(string) (string, bool)
	// external holds the paths of the scalars whose value came from the
	// environment; empty maps a scalar's path to a variable of it that
	// is set but empty.
	external map[string]bool
	empty    map[string]string
	probs    Problems
}

func (e *expansion) parse(root *yaml.Node) (*Config, error) {
	e.expand(root, "")
	checkKnown(root, reflect.TypeFor[Config](), "", &e.probs)
	if len(e.probs) > 0 {
		return nil, e.probs
	}
	cfg := newConfig()
	if err := root.Decode(&cfg); err != nil {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return nil, err
		}
		for _, msg := range te.Errors {
			e.probs.add("", msg)
		}
		return nil, e.probs
	}
	cfg.readSecretFiles(e.external, &e.probs)
	cfg.applyDefaults()
	cfg.validate(e.external, &e.probs)
	if len(e.probs) > 0 {
		return nil, e.probs
	}
	return &cfg, nil
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}`)

// expand replaces ${VAR} and ${VAR:-default} in every scalar below n.
func (e *expansion) expand(n *yaml.Node, path string) {
	switch n.Kind {
	case yaml.ScalarNode:
		if !strings.Contains(n.Value, "${") {
			return
		}
		n.Value = envRef.ReplaceAllStringFunc(n.Value, func(ref string) string {
			m := envRef.FindStringSubmatch(ref)
			name, def, hasDefault := m[1], strings.TrimPrefix(m[2], ":-"), m[2] != ""
			v, ok := e.lookup(name)
			switch {
			case (!ok || v == "") && hasDefault:
				return def
			case !ok:
				e.probs.add(path, fmt.Sprintf("environment variable %s is not set (line %d)", name, n.Line))
			case v == "":
				e.empty[path] = name
			}
			e.external[path] = true
			return v
		})
		if n.Style == 0 {
			// Let the decoder type the expanded value (a count, a flag).
			n.Tag = ""
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			e.expand(n.Content[i+1], join(path, n.Content[i].Value))
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			e.expand(c, path+"["+strconv.Itoa(i)+"]")
		}
	}
}

// checkKnown reports mapping keys that have no field in t, and values
// that do not decode into their field's type, with their path (the YAML
// decoder's own message would not say where).
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
	case t == reflect.TypeFor[time.Duration]():
		if _, err := time.ParseDuration(n.Value); n.Kind != yaml.ScalarNode || err != nil {
			probs.add(path, fmt.Sprintf("%q is not a duration: want a number with a unit, e.g. 500ms, 30s, 5m, 1h (line %d)", n.Value, n.Line))
		}
	case n.Kind == yaml.ScalarNode && t.Kind() != reflect.Struct && t.Kind() != reflect.Slice && t.Kind() != reflect.Map:
		if err := n.Decode(reflect.New(t).Interface()); err != nil {
			probs.add(path, fmt.Sprintf("%q is not %s (line %d)", n.Value, kindName(t), n.Line))
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

// kindName says what a scalar of type t must be, for an error.
func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return fmt.Sprintf("an integer that fits %d bits", t.Bits())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return fmt.Sprintf("a non-negative integer that fits %d bits", t.Bits())
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	}
	return "a " + t.Kind().String()
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
	read := func(path string, dst *Secret, file string) {
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
	read("kafka.sasl.password", &c.Kafka.SASL.Password, c.Kafka.SASL.PasswordFile)
	read("schema_registry.password", &c.SchemaRegistry.Password, c.SchemaRegistry.PasswordFile)
	for i, s := range c.Sources {
		for _, sec := range s.sections {
			eachSecret(reflect.ValueOf(sec.settings), fmt.Sprintf("sources[%d].%s.", i, sec.kind.Section), read)
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

// UnmarshalYAML decodes a source onto the defaults, and the provider
// sections it has onto their kinds' default settings.
func (s *Source) UnmarshalYAML(n *yaml.Node) error {
	type plain Source
	*s = newSource()
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
