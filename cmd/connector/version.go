package main

import (
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
)

// version is set at build time with -ldflags "-X main.version=...";
// otherwise it is the module version the binary was built at (go install
// module@version), or "dev".
var version = "dev"

// buildVersion is the connector's version: version when set at build
// time, the module's version otherwise.
func buildVersion() string {
	if version != "dev" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return version
}

// versionLine is what `connector version` prints: the version, the VCS
// revision and time the build was stamped with (a build outside a
// repository, or by go run, has none), and the Go version.
func versionLine() string {
	line := "connector " + buildVersion()
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return line
	}
	var vcs []string
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	if rev := settings["vcs.revision"]; rev != "" {
		vcs = append(vcs, "revision "+rev)
	}
	if at := settings["vcs.time"]; at != "" {
		vcs = append(vcs, at)
	}
	if settings["vcs.modified"] == "true" {
		vcs = append(vcs, "modified")
	}
	if len(vcs) > 0 {
		line += " (" + strings.Join(vcs, ", ") + ")"
	}
	return fmt.Sprintf("%s %s", line, bi.GoVersion)
}

// logOptions are the JSON log's options: durations print as Go writes
// them ("4.515s"), not as nanoseconds.
var logOptions = &slog.HandlerOptions{
	ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Value.Kind() == slog.KindDuration {
			return slog.String(a.Key, a.Value.Duration().String())
		}
		return a
	},
}
