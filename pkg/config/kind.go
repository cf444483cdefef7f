package config

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Kind is what the configuration knows of a provider: the name sources
// give in `kind:`, the YAML section that holds its settings, its default
// topic and its settings. Provider packages register theirs through
// pkg/provider; the configuration imports none of them.
type Kind struct {
	// Name is the kind, e.g. tiki_lead.
	Name string
	// Section is the key of the settings in a source, e.g. tiki.
	Section string
	// Topic is the default topic of the kind's sources.
	Topic string
	// Settings returns new settings, a pointer to a struct holding their
	// defaults: the YAML section is decoded onto it. Its Secret fields
	// must come from the environment or from their `<name>_file` setting,
	// which the struct declares beside them (a string field).
	Settings func() Settings
}

// Settings are a provider's settings (see Kind).
type Settings interface {
	// Check reports what is wrong with the settings to add, by setting
	// name (below the section: "page_size"); secrets that are set are
	// checked by the loader.
	Check(add func(setting, problem string))
}

var kinds struct {
	sync.RWMutex
	list []Kind
}

// RegisterKind adds k to the kinds this build knows. It panics when the
// name or the section is already taken: both are part of the file format.
func RegisterKind(k Kind) {
	kinds.Lock()
	defer kinds.Unlock()
	for _, o := range kinds.list {
		if o.Name == k.Name || o.Section == k.Section {
			panic(fmt.Sprintf("config: kind %s (section %s) registered twice", k.Name, k.Section))
		}
	}
	kinds.list = append(kinds.list, k)
	slices.SortFunc(kinds.list, func(a, b Kind) int { return strings.Compare(a.Name, b.Name) })
}

// Kinds returns the registered kinds, by name.
func Kinds() []Kind {
	kinds.RLock()
	defer kinds.RUnlock()
	return slices.Clone(kinds.list)
}

// KindNamed returns the kind called name.
func KindNamed(name string) (Kind, bool) {
	for _, k := range Kinds() {
		if k.Name == name {
			return k, true
		}
	}
	return Kind{}, false
}

func kindNames() string {
	var names []string
	for _, k := range Kinds() {
		names = append(names, k.Name)
	}
	return strings.Join(names, ", ")
}
