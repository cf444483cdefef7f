//go:build !race

package znssim_test

// raceEnabled is whether the race detector is on: large tests shrink.
const raceEnabled = false
