package tone

import "math"

// Power returns the power of the frequency freq (Hz) in pcm, sampled at
// rate Hz, computed with the Goertzel algorithm: 2·|X(freq)|²/N², where X
// is the discrete-time Fourier transform of the N samples.
//
// The normalisation makes a sine of peak amplitude A read A²/2, its mean
// power in squared sample units, when pcm holds a whole number of its
// cycles (freq a multiple of rate/N, the bin spacing); then √Power is the
// sine's RMS (level.DBov(math.Sqrt(p)) its level in dBov) and √(2·Power)
// its amplitude, and another frequency on a bin reads 0. A sine between
// bins reads less (spectral leakage: about 0.405·A²/2 half a bin away),
// so choose N for the frequencies measured. At 0 Hz and at rate/2 the
// reading is twice the mean power of the component.
//
// Power returns 0 for an empty pcm and does not allocate. It panics if
// rate is not positive.
func Power(pcm []int16, rate int, freq float64) float64 {
	if rate <= 0 {
		panic("tone: Power with non-positive sample rate")
	}
	if len(pcm) == 0 {
		return 0
	}
	sin, cos := math.Sincos(2 * math.Pi * freq / float64(rate))
	c := 2 * cos
	var s1, s2 float64
	for _, x := range pcm {
		s1, s2 = float64(x)+c*s1-s2, s1
	}
	// X = s1 - e^(-iw)·s2, up to a phase; summing the squares of its real
	// and imaginary parts avoids the cancellation of s1²+s2²-c·s1·s2.
	re, im := s1-s2*cos, s2*sin
	n := float64(len(pcm))
	return 2 * (re*re + im*im) / (n * n)
}
