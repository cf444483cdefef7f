// Package all imports every simulator of this repository, so that they
// register (see package sim). `connector dev` imports it.
package all

import (
	_ "github.com/vnstream/connector/pkg/sim/nhanh"
	_ "github.com/vnstream/connector/pkg/sim/nxlink"
	_ "github.com/vnstream/connector/pkg/sim/tiki"
	_ "github.com/vnstream/connector/pkg/sim/zns"
)
