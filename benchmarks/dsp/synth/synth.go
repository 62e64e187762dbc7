// Package synth builds the DSP benchmark's corpus from plain sample slices:
// synthetic room impulse responses, echo paths, noise (white, pink), mixing at
// a given signal-to-noise ratio, DTMF tone bursts and per-10-ms voice activity
// ground truth taken from the clean speech.
//
// Everything is deterministic: random parts take a seeded *rand.Rand
// (math/rand/v2 PCG), so the corpus is the same bytes on every run. Samples
// are float64 in 16-bit units (full scale 32768) until they are written.
//
// The room impulse response is exponentially decaying Gaussian noise whose
// energy falls 60 dB in the requested RT60; TestRIRRT60 measures it back by
// Schroeder backward integration (T20 fit, −5 to −25 dB) within 10 % of the
// request for 100–400 ms at 8 and 16 kHz.
package synth

import (
	"math"
	"math/rand/v2"
)

// FullScale is the amplitude of a full-scale 16-bit sample.
const FullScale = 32768.0

// NewRand returns the deterministic generator used for one corpus item.
func NewRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// RIR returns a synthetic room impulse response at rate Hz: Gaussian noise
// under an exponential envelope whose energy decays 60 dB in rt60 seconds,
// 1.2·rt60 long, scaled to unit energy (sum of squares 1) so that the echo
// return loss is set by the caller alone. A short linear onset (1 ms) stands
// for the direct path arriving through the loudspeaker and microphone.
func RIR(r *rand.Rand, rate int, rt60 float64) []float64 {
	n := int(1.2 * rt60 * float64(rate))
	if n < 1 {
		n = 1
	}
	h := make([]float64, n)
	// Energy 60 dB down after rt60: amplitude exp(-3·ln10·t/rt60).
	decay := 3 * math.Ln10 / (rt60 * float64(rate))
	onset := float64(rate) / 1000
	var e float64
	for i := range h {
		a := math.Exp(-decay * float64(i))
		if float64(i) < onset {
			a *= (float64(i) + 1) / onset
		}
		h[i] = a * r.NormFloat64()
		e += h[i] * h[i]
	}
	g := 1 / math.Sqrt(e)
	for i := range h {
		h[i] *= g
	}
	return h
}

// Delay returns h preceded by d zero samples: the bulk delay of the echo
// path (audio device buffering plus acoustic travel).
func Delay(h []float64, d int) []float64 {
	out := make([]float64, d+len(h))
	copy(out[d:], h)
	return out
}

// Convolve returns the first len(x) samples of x convolved with h, by FFT.
func Convolve(x, h []float64) []float64 {
	if len(x) == 0 || len(h) == 0 {
		return make([]float64, len(x))
	}
	n := 1
	for n < len(x)+len(h)-1 {
		n <<= 1
	}
	xr, xi := make([]float64, n), make([]float64, n)
	hr, hi := make([]float64, n), make([]float64, n)
	copy(xr, x)
	copy(hr, h)
	fft(xr, xi, false)
	fft(hr, hi, false)
	for k := 0; k < n; k++ {
		xr[k], xi[k] = xr[k]*hr[k]-xi[k]*hi[k], xr[k]*hi[k]+xi[k]*hr[k]
	}
	fft(xr, xi, true)
	out := make([]float64, len(x))
	for i := range out {
		out[i] = xr[i] / float64(n)
	}
	return out
}

// fft is an in-place iterative radix-2 FFT (len(re) a power of two); inverse
// leaves the 1/n scaling to the caller.
func fft(re, im []float64, inverse bool) {
	n := len(re)
	for i, j := 1, 0; i < n; i++ {
		bit := n >> 1
		for ; j&bit != 0; bit >>= 1 {
			j ^= bit
		}
		j ^= bit
		if i < j {
			re[i], re[j] = re[j], re[i]
			im[i], im[j] = im[j], im[i]
		}
	}
	sign := -1.0
	if inverse {
		sign = 1
	}
	for size := 2; size <= n; size <<= 1 {
		ang := sign * 2 * math.Pi / float64(size)
		wr, wi := math.Cos(ang), math.Sin(ang)
		half := size / 2
		for start := 0; start < n; start += size {
			cr, ci := 1.0, 0.0
			for k := 0; k < half; k++ {
				a, b := start+k, start+k+half
				tr := re[b]*cr - im[b]*ci
				ti := re[b]*ci + im[b]*cr
				re[b], im[b] = re[a]-tr, im[a]-ti
				re[a] += tr
				im[a] += ti
				cr, ci = cr*wr-ci*wi, cr*wi+ci*wr
			}
		}
	}
}

// White returns n samples of Gaussian white noise with unit variance.
func White(r *rand.Rand, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = r.NormFloat64()
	}
	return out
}

// Pink returns n samples of pink (1/f) noise with unit variance: white noise
// through Paul Kellet's refined 7-pole filter (within ±0.05 dB of −3 dB/octave
// above rate/1000 Hz).
func Pink(r *rand.Rand, n int) []float64 {
	out := make([]float64, n)
	var b0, b1, b2, b3, b4, b5, b6 float64
	for i := range out {
		w := r.NormFloat64()
		b0 = 0.99886*b0 + w*0.0555179
		b1 = 0.99332*b1 + w*0.0750759
		b2 = 0.96900*b2 + w*0.1538520
		b3 = 0.86650*b3 + w*0.3104856
		b4 = 0.55000*b4 + w*0.5329522
		b5 = -0.7616*b5 - w*0.0168980
		out[i] = b0 + b1 + b2 + b3 + b4 + b5 + b6 + w*0.5362
		b6 = w * 0.115926
	}
	Scale(out, 1/math.Sqrt(Power(out)))
	return out
}

// Power returns the mean square of x (0 for an empty slice).
func Power(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	var s float64
	for _, v := range x {
		s += v * v
	}
	return s / float64(len(x))
}

// Scale multiplies x by g in place.
func Scale(x []float64, g float64) {
	for i := range x {
		x[i] *= g
	}
}

// Add adds y·g to x in place over their common length.
func Add(x, y []float64, g float64) {
	for i := range min(len(x), len(y)) {
		x[i] += g * y[i]
	}
}

// DB converts a power ratio to decibels, with 1e-20 as the floor so that
// silence gives a large negative number, not −Inf.
func DB(p float64) float64 { return 10 * math.Log10(math.Max(p, 1e-20)) }

// DBov is the level of mean-square power p (in 16-bit units) relative to a
// full-scale square wave (0 dBov), the convention of ITU-T P.56 for 16-bit
// audio.
func DBov(p float64) float64 { return DB(p / (FullScale * FullScale)) }

// BlockPowers returns the mean-square power of each block of n samples; a
// last partial block counts as padded with zeros.
func BlockPowers(x []float64, n int) []float64 {
	nb := (len(x) + n - 1) / n
	out := make([]float64, nb)
	for b := range out {
		var s float64
		for _, v := range x[b*n : min(len(x), (b+1)*n)] {
			s += v * v
		}
		out[b] = s / float64(n)
	}
	return out
}

// ActiveRange is how far below the loudest 10-ms block a block still counts
// towards the active level.
const ActiveRange = 40.0

// ActiveLevel returns the mean-square power of x over its active 10-ms blocks
// (those within ActiveRange dB of the loudest), a simplified ITU-T P.56
// active speech level: pauses do not dilute it, so noise mixed at a given SNR
// relative to it has the same audibility whatever the talker's pause ratio.
// It returns 0 for silence.
func ActiveLevel(x []float64, rate int) float64 {
	p := BlockPowers(x, rate/100)
	var peak float64
	for _, v := range p {
		peak = math.Max(peak, v)
	}
	if peak == 0 {
		return 0
	}
	floor := peak * math.Pow(10, -ActiveRange/10)
	var s float64
	var n int
	for _, v := range p {
		if v >= floor {
			s += v
			n++
		}
	}
	return s / float64(n)
}

// SetActiveLevel scales x in place so that its active level is dbov.
func SetActiveLevel(x []float64, rate int, dbov float64) {
	p := ActiveLevel(x, rate)
	if p == 0 {
		return
	}
	target := FullScale * FullScale * math.Pow(10, dbov/10)
	Scale(x, math.Sqrt(target/p))
}

// MixSNR returns speech + noise with the noise scaled so that the speech's
// active level is snr dB above the noise's mean power. noise must be at least
// as long as speech.
func MixSNR(speech, noise []float64, rate int, snr float64) []float64 {
	out := make([]float64, len(speech))
	copy(out, speech)
	ps, pn := ActiveLevel(speech, rate), Power(noise[:len(speech)])
	if ps == 0 || pn == 0 {
		return out
	}
	Add(out, noise, math.Sqrt(ps/pn*math.Pow(10, -snr/10)))
	return out
}

// GroundTruth labels each 10-ms block of clean speech x: 1 where the block's
// power is within threshold dB of the clean file's active level, with gaps
// of up to bridge blocks between speech blocks filled (stop-consonant
// closures and short inter-word gaps are part of the talkspurt). It looks at
// the clean signal only, never at a detector under test.
func GroundTruth(x []float64, rate int, threshold float64, bridge int) []byte {
	p := BlockPowers(x, rate/100)
	act := ActiveLevel(x, rate)
	labels := make([]byte, len(p))
	if act == 0 {
		return labels
	}
	floor := act * math.Pow(10, -threshold/10)
	last := -1
	for i, v := range p {
		if v < floor {
			continue
		}
		labels[i] = 1
		if last >= 0 && i-last-1 <= bridge {
			for j := last + 1; j < i; j++ {
				labels[j] = 1
			}
		}
		last = i
	}
	return labels
}

// DTMF row (low group) and column (high group) frequencies in Hz, ITU-T Q.23.
var (
	dtmfLow  = [4]float64{697, 770, 852, 941}
	dtmfHigh = [4]float64{1209, 1336, 1477, 1633}
	dtmfKeys = [4]string{"123A", "456B", "789C", "*0#D"}
)

// DTMFDigits are the sixteen DTMF digits in keypad order.
const DTMFDigits = "123A456B789C*0#D"

// DTMFFreqs returns the low- and high-group frequencies of digit, and false
// for a character that is not a DTMF digit.
func DTMFFreqs(digit byte) (low, high float64, ok bool) {
	for r, row := range dtmfKeys {
		for c := 0; c < 4; c++ {
			if row[c] == digit {
				return dtmfLow[r], dtmfHigh[c], true
			}
		}
	}
	return 0, 0, false
}

// DBm0Amplitude is the peak amplitude (16-bit units) of a sine at level dBm0:
// a full-scale sine is +3.14 dBm0 (ITU-T G.711 A-law convention, 3.17 for µ-law).
func DBm0Amplitude(dbm0 float64) float64 {
	return FullScale * math.Pow(10, (dbm0-3.14)/20)
}

// AddDTMF adds the tone pair of digit to x from sample start for n samples:
// the low-group tone at lowDBm0, the high-group tone twist dB above it, both
// frequencies scaled by (1+dev), with 2-ms raised-cosine edges against
// clicks. It reports false for a character that is not a DTMF digit.
func AddDTMF(x []float64, rate, start, n int, digit byte, lowDBm0, twist, dev float64) bool {
	fl, fh, ok := DTMFFreqs(digit)
	if !ok {
		return false
	}
	al, ah := DBm0Amplitude(lowDBm0), DBm0Amplitude(lowDBm0+twist)
	ramp := rate / 500
	for i := 0; i < n && start+i < len(x); i++ {
		t := float64(i) / float64(rate)
		env := 1.0
		if i < ramp {
			env = 0.5 - 0.5*math.Cos(math.Pi*float64(i)/float64(ramp))
		} else if n-1-i < ramp {
			env = 0.5 - 0.5*math.Cos(math.Pi*float64(n-1-i)/float64(ramp))
		}
		x[start+i] += env * (al*math.Sin(2*math.Pi*fl*(1+dev)*t) + ah*math.Sin(2*math.Pi*fh*(1+dev)*t))
	}
	return true
}

// ToInt16 rounds x to 16-bit samples, saturating, and reports how many
// samples clipped.
func ToInt16(x []float64) ([]int16, int) {
	out := make([]int16, len(x))
	clipped := 0
	for i, v := range x {
		v = math.Round(v)
		switch {
		case v > math.MaxInt16:
			v = math.MaxInt16
			clipped++
		case v < math.MinInt16:
			v = math.MinInt16
			clipped++
		}
		out[i] = int16(v)
	}
	return out, clipped
}

// FromInt16 converts 16-bit samples to float64.
func FromInt16(x []int16) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}
