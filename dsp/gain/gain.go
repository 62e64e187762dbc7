// Package gain scales 16-bit PCM in place.
package gain

import "math"

// fracBits is the number of fractional bits of the fixed-point gain.
const fracBits = 32

// MaxGain is the largest gain magnitude Apply honours; larger gains are
// clamped to it. At MaxGain every non-zero sample already saturates.
const MaxGain = 32768

// FromDB converts a gain in decibels to a linear factor: 10^(db/20).
// FromDB(0) == 1, FromDB(-6.0206) ≈ 0.5, FromDB(20) == 10.
func FromDB(db float64) float64 {
	return math.Pow(10, db/20)
}

// Apply multiplies every sample of pcm by g in place, rounding to nearest
// (halves toward +Inf) and saturating to [-32768, 32767]. It does not
// allocate.
//
// The gain is converted once per call to fixed point with 32 fractional
// bits (Q32 in an int64, products stay below 2^63), so it is exact to
// 2^-32 ≈ 2.3e-10: the result equals round(x·g) except when x·g lies
// within 32768·2^-33 of a rounding boundary. g == 1 is the identity and
// negative gains invert the polarity. |g| is clamped to MaxGain; NaN
// gives silence.
func Apply(pcm []int16, g float64) {
	q := fixed(g)
	if q == 1<<fracBits {
		return // 0 dB: identity
	}
	const half = 1 << (fracBits - 1)
	for i, s := range pcm {
		v := (int64(s)*q + half) >> fracBits
		if v > math.MaxInt16 {
			v = math.MaxInt16
		} else if v < math.MinInt16 {
			v = math.MinInt16
		}
		pcm[i] = int16(v)
	}
}

// fixed converts g to Q32, clamped to ±MaxGain.
func fixed(g float64) int64 {
	switch {
	case g != g: // NaN
		return 0
	case g > MaxGain:
		g = MaxGain
	case g < -MaxGain:
		g = -MaxGain
	}
	return int64(math.Round(math.Ldexp(g, fracBits)))
}

// Saturate rounds v to the nearest 16-bit sample (halves away from zero),
// clamping values beyond full scale; NaN gives 0. It is how the
// algorithms of package dsp turn their float results back into PCM.
func Saturate(v float64) int16 {
	switch {
	case v >= math.MaxInt16:
		return math.MaxInt16
	case v <= math.MinInt16:
		return math.MinInt16
	case v >= 0:
		return int16(v + 0.5)
	case v < 0:
		return int16(v - 0.5)
	}
	return 0
}
