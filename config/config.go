// Package config holds the example configurations: dev.yaml, which
// `connector dev` runs by default, is embedded in the binary so that dev
// works from any directory and from the container image.
package config

import _ "embed"

// Dev is config/dev.yaml: the configuration `connector dev` runs unless
// -c names another file.
//
//go:embed dev.yaml
var Dev []byte
