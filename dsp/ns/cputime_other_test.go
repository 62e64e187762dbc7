//go:build !unix

package ns_test

// cpuTime is not measured here: BenchmarkProcess reports no CPU figure.
func cpuTime() float64 { return 0 }
