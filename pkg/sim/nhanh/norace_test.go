//go:build !race

package nhanhsim_test

// raceEnabled shrinks the largest tests under the race detector, which
// slows them down tenfold and more.
const raceEnabled = false
