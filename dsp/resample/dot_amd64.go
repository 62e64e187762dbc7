//go:build amd64 && !purego

package resample

// dot4 is dot4Generic in SSE2 assembly (part of every amd64 CPU, so there
// is no feature check): the four slots run as four independent vector
// accumulators, a transpose adds their lanes, and CVTPS2DQ + PACKSSDW round
// and saturate. The caller guarantees off[i]+k ≤ len(coef) and
// off[4+i]+k ≤ len(buf); the assembly does not check.
//
//go:noescape
func dot4(out *[4]int16, coef, buf []float32, off *[8]int, k int)
