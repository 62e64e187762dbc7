package resample

import "math"

// spec is the design target of one quality level, as fractions of the
// lower of the two rates (fmin). The stopband always starts at fmin/2, the
// Nyquist frequency of the lower rate, so nothing above it aliases into the
// output (downsampling) and no image below the higher rate's Nyquist is left
// (upsampling).
type spec struct {
	pass   float64 // passband edge / fmin
	atten  float64 // Kaiser design attenuation in dB (the documented figure has margin below it)
	ripple float64 // documented passband ripple, ±dB (tested)
	stop   float64 // documented stopband attenuation, dB (tested)
}

// specs are indexed by Quality. The design attenuation sits above the
// documented one because Kaiser's length formula is an estimate; the tests
// check the documented numbers on the designed, float32-rounded filters and
// on real signals.
var specs = [...]spec{
	Medium: {pass: 0.425, atten: 75, ripple: 0.01, stop: 70},
	Low:    {pass: 0.35, atten: 55, ripple: 0.05, stop: 50},
	High:   {pass: 0.45, atten: 96, ripple: 0.001, stop: 90},
}

// stopEdge is the stopband edge as a fraction of fmin.
const stopEdge = 0.5

// design returns the prototype low-pass filter for upsampling by l and
// downsampling by m (coprime) from inRate, and its centre tap c. The filter
// runs at the upsampled rate l·inRate, has 2c+1 taps symmetric about c and a
// DC gain of l (zero stuffing divides it by l). c is a multiple of l·m, so
// the group delay is a whole number of input and of output samples.
func design(inRate, l, m int, s spec, fmin float64) (h []float64, c int) {
	fu := float64(inRate * l) // rate the prototype runs at
	fp := s.pass * fmin
	fs := stopEdge * fmin
	fc := (fp + fs) / 2 / fu // cutoff, cycles per upsampled sample
	dw := 2 * math.Pi * (fs - fp) / fu
	order := (s.atten - 7.95) / (2.285 * dw) // Kaiser's estimate of the filter order
	step := l * m
	c = int(math.Ceil(order/2/float64(step))) * step
	beta := kaiserBeta(s.atten)
	h = make([]float64, 2*c+1)
	i0b := bessI0(beta)
	for j := 0; j <= c; j++ {
		x := float64(j) / float64(c)
		w := bessI0(beta*math.Sqrt(1-x*x)) / i0b
		v := 2 * fc * w
		if j > 0 {
			t := 2 * math.Pi * fc * float64(j)
			v *= math.Sin(t) / t
		}
		h[c+j], h[c-j] = v, v // exactly symmetric: linear phase
	}
	var sum float64
	for _, v := range h {
		sum += v
	}
	g := float64(l) / sum
	for i := range h {
		h[i] *= g
	}
	return h, c
}

// kaiserBeta is Kaiser's window parameter for a stopband attenuation in dB.
func kaiserBeta(a float64) float64 {
	switch {
	case a > 50:
		return 0.1102 * (a - 8.7)
	case a >= 21:
		return 0.5842*math.Pow(a-21, 0.4) + 0.07886*(a-21)
	default:
		return 0
	}
}

// bessI0 is the modified Bessel function of the first kind, order 0, by its
// power series (converges quickly for the β < 15 used here).
func bessI0(x float64) float64 {
	sum, term := 1.0, 1.0
	q := x * x / 4
	for k := 1; k < 200; k++ {
		term *= q / float64(k*k)
		sum += term
		if term < sum*1e-17 {
			break
		}
	}
	return sum
}
