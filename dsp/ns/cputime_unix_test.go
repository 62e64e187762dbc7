//go:build unix

package ns_test

import "syscall"

// cpuTime is the process's user and system CPU time in seconds, for a
// benchmark figure that other processes on a loaded machine do not
// inflate as they do the wall-clock ns/op.
func cpuTime() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) * 1e-9
}
