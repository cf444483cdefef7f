// Package provider is the registry of source kinds. Each provider package
// describes itself once, in its own register.go, and registers from init:
// the configuration learns its kind, section, default topic and settings
// (config.RegisterKind), and the runtime, the tools and the docs find its
// schema entity and constructor here. A build includes the providers it
// imports; package provider/all imports every one of this repository.
package provider

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/vnstream/connector/pkg/config"
	"github.com/vnstream/connector/pkg/fetch"
	"github.com/vnstream/connector/pkg/poll"
	"github.com/vnstream/connector/pkg/source"
)

// Provider describes one source kind.
type Provider struct {
	// Kind is the name sources give in `kind:`, e.g. tiki_lead.
	Kind string
	// Section is the key of the kind's settings in a source, e.g. tiki.
	Section string
	// Topic is the default topic of the kind's sources.
	Topic string
	// Entity names the schema folder in schemas/, e.g. tiki/form_response.
	Entity string
	// Value is a pointer to the Go type of the entity the sources emit.
	Value any
	// Settings returns new settings holding their defaults (see
	// config.Kind.Settings). Register sets it.
	Settings func() config.Settings
	// New builds the source named name from its settings (a value
	// Settings returned, decoded and checked), sending its requests
	// through client. Register sets it.
	New func(name string, settings config.Settings, client *fetch.Client) source.Source
}

var registry struct {
	sync.RWMutex
	byKind map[string]Provider
}

// Register adds p, its Settings and New made from the provider's own
// typed functions: settings returns new settings holding their defaults,
// newSource builds a source from a copy of them once decoded and checked.
// It panics on a kind or section registered twice.
func Register[S any, PS interface {
	*S
	config.Settings
}, Src source.Source](p Provider, settings func() PS, newSource func(string, S, *fetch.Client, ...poll.Option) Src) {
	p.Settings = func() config.Settings { return settings() }
	p.New = func(name string, s config.Settings, client *fetch.Client) source.Source {
		return newSource(name, *s.(PS), client)
	}
	if p.Kind == "" || p.Section == "" || p.Topic == "" || p.Entity == "" || p.Value == nil || settings == nil || newSource == nil {
		panic(fmt.Sprintf("provider: %s is not fully described", p.Kind))
	}
	config.RegisterKind(config.Kind{Name: p.Kind, Section: p.Section, Topic: p.Topic, Settings: p.Settings})
	registry.Lock()
	defer registry.Unlock()
	if registry.byKind == nil {
		registry.byKind = map[string]Provider{}
	}
	registry.byKind[p.Kind] = p
}

// Lookup returns the provider of kind.
func Lookup(kind string) (Provider, bool) {
	registry.RLock()
	defer registry.RUnlock()
	p, ok := registry.byKind[kind]
	return p, ok
}

// All returns every registered provider, by kind.
func All() []Provider {
	registry.RLock()
	defer registry.RUnlock()
	out := make([]Provider, 0, len(registry.byKind))
	for _, p := range registry.byKind {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Provider) int { return strings.Compare(a.Kind, b.Kind) })
	return out
}
