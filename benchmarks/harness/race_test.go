//go:build race

package harness

// raceEnabled: the race detector allocates on its own; allocation counts mean nothing.
const raceEnabled = true
