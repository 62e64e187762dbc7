package resample

import "math"

// dot4Generic computes four outputs of the filter: for slot i, the dot
// product of the k coefficients at coef[off[i]:] with the k samples at
// buf[off[4+i]:], rounded to nearest (ties to even) and saturated to int16.
// k is a multiple of 4. Each slot sums in four lanes, lane j taking the
// products j, j+4, j+8, …, then adds them as (l0+l2)+(l1+l3): exactly the
// order of the SSE version, and the explicit float32 conversion stops the
// compiler from fusing multiply and add, so every architecture computes the
// same samples.
func dot4Generic(out *[4]int16, coef, buf []float32, off *[8]int, k int) {
	for i := range 4 {
		h := coef[off[i] : off[i]+k]
		x := buf[off[4+i] : off[4+i]+k]
		var l0, l1, l2, l3 float32
		for j := 0; j+4 <= len(h); j += 4 {
			hh, xx := h[j:j+4:j+4], x[j:j+4:j+4]
			l0 += float32(hh[0] * xx[0])
			l1 += float32(hh[1] * xx[1])
			l2 += float32(hh[2] * xx[2])
			l3 += float32(hh[3] * xx[3])
		}
		out[i] = toInt16((l0 + l2) + (l1 + l3))
	}
}

// toInt16 rounds to nearest, ties to even (as CVTPS2DQ does), and saturates.
func toInt16(v float32) int16 {
	switch {
	case v >= math.MaxInt16:
		return math.MaxInt16
	case v <= math.MinInt16:
		return math.MinInt16
	}
	return int16(math.RoundToEven(float64(v)))
}
