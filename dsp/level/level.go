// Package level measures signal levels of 16-bit PCM.
//
// Levels in dBov follow ITU-T G.100.1: 0 dBov is the RMS of a full-scale
// square wave (32768), so a full-scale sine measures -3.01 dBov and a
// sine at d dBov has peak SineAmplitude(d).
package level

import "math"

// FullScale is the RMS of a full-scale square wave, the 0 dBov reference.
const FullScale = 32768

// Floor is the level DBov reports for silence and anything quieter, in
// dBov, instead of -Inf.
const Floor = -120

// RMS returns the root mean square of pcm in sample units, 0 for an empty
// slice. The sum of squares is exact (int64) up to 2^33 samples.
func RMS(pcm []int16) float64 {
	if len(pcm) == 0 {
		return 0
	}
	var sum int64
	for _, s := range pcm {
		sum += int64(s) * int64(s)
	}
	return math.Sqrt(float64(sum) / float64(len(pcm)))
}

// Peak returns the largest absolute sample value in pcm, 0 if empty;
// -32768 gives 32768.
func Peak(pcm []int16) int {
	lo, hi := int16(0), int16(0)
	for _, s := range pcm {
		lo, hi = min(lo, s), max(hi, s)
	}
	return max(-int(lo), int(hi))
}

// DBov converts an RMS value in sample units to dBov:
// 20·log10(rms/32768), clamped below at Floor (so silence, 0, gives Floor).
func DBov(rms float64) float64 {
	if !(rms > 0) { // also NaN
		return Floor
	}
	return max(20*math.Log10(rms/FullScale), Floor)
}

// SineAmplitude returns the peak, in sample units, of a sine whose level is
// dbov: 32768·√2·10^(dbov/20). SineAmplitude(-3.0103) ≈ 32768 (full scale).
func SineAmplitude(dbov float64) float64 {
	return FullScale * math.Sqrt2 * math.Pow(10, dbov/20)
}
