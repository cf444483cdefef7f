// Package all imports every provider of this repository, so that they
// register (see package provider). The connector's binary imports it.
package all

import (
	_ "github.com/vnstream/connector/pkg/source/etelecom"
	_ "github.com/vnstream/connector/pkg/source/interits"
	_ "github.com/vnstream/connector/pkg/source/nhanh"
	_ "github.com/vnstream/connector/pkg/source/nxlink"
	_ "github.com/vnstream/connector/pkg/source/tiki"
)
