// Package sim is what the in-process vendor simulators share, besides
// their fault injection (package sim/fault): the helpers of their JSON
// answers. Each simulator is a sub-package named after its provider
// (tikisim in sim/tiki, znssim in sim/zns, nxlinksim in sim/nxlink,
// nhanhsim in sim/nhanh), used by the connector's tests and by
// `connector dev`.
package sim
