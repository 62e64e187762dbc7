// Package vadtest makes test signals whose answer is known for voice
// activity detectors: speech-like talkspurts separated by pauses, with the
// truth per 10 ms block, and white and pink noise to bury them in.
//
// Signals are float64 at unit RMS; Add scales one to a level in dBov into
// a sum, and Quantize turns the sum into 16-bit PCM. Everything is
// deterministic for a given seed.
package vadtest

import (
	"math"
	"math/rand/v2"
	"time"
)

// Block is the length of the blocks Talk's truth is given for.
const Block = 10 * time.Millisecond

// Lead is the pause Talk starts with, so a detector can learn the noise.
const Lead = time.Second

// vowels are (F1, F2) formant pairs in Hz of five vowels (a, e, i, o, u).
var vowels = [...][2]float64{{730, 1090}, {530, 1840}, {270, 2290}, {570, 840}, {300, 870}}

// Talk returns d of a speech-like signal at rate Hz and, per 10 ms block,
// whether it is inside a talkspurt. After a pause of Lead, talkspurts of
// 0.6 to 2 s alternate with pauses of 0.4 to 1.2 s. A talkspurt is a run
// of syllables of 120 to 300 ms, each a vowel: a glottal pulse train at
// 80 to 180 Hz (falling a tenth over the syllable) through two formant
// resonators (bandwidths 80 and 120 Hz), under a half-sine envelope that
// is zero at the syllable's edges, at a level varying over 6 dB from one
// syllable to the next. The signal has unit RMS over the talkspurts and is
// exactly zero in the pauses; talkspurts start and end on block
// boundaries.
func Talk(rate int, d time.Duration, seed uint64) (x []float64, speech []bool) {
	rng := rand.New(rand.NewPCG(seed, 0x7a1c))
	bs := rate / 100
	nb := int(d / Block)
	x = make([]float64, nb*bs)
	speech = make([]bool, nb)
	between := func(lo, hi int) int { return lo + rng.IntN(hi-lo+1) }
	for b := int(Lead / Block); b < nb; {
		end := min(b+between(60, 200), nb)
		for i := b; i < end; i++ {
			speech[i] = true
		}
		var f1, f2 resonator
		f0 := 90 + 70*rng.Float64()
		phase := 1.0 // a pulse on the first sample
		for s := b; s < end; {
			syl := min(between(12, 30), end-s)
			v := vowels[rng.IntN(len(vowels))]
			f1.tune(v[0], 80, float64(rate))
			f2.tune(v[1], 120, float64(rate))
			gain := math.Pow(10, -6*rng.Float64()/20)
			pitch := f0 * (0.9 + 0.2*rng.Float64())
			seg := x[s*bs : (s+syl)*bs]
			for i := range seg {
				t := float64(i) / float64(len(seg))
				var pulse float64
				if phase >= 1 {
					phase--
					pulse = 1
				}
				phase += pitch * (1 - 0.1*t) / float64(rate)
				seg[i] = math.Sin(math.Pi*t) * f2.step(f1.step(pulse))
			}
			scale(unitRMS(seg), gain) // the vowels' own levels differ by 15 dB
			s += syl
		}
		b = end + between(40, 120)
	}
	var sum float64
	var n int
	for i, on := range speech {
		if on {
			for _, v := range x[i*bs : (i+1)*bs] {
				sum += v * v
			}
			n += bs
		}
	}
	if sum > 0 {
		scale(x, 1/math.Sqrt(sum/float64(n)))
	}
	return x, speech
}

// resonator is a two-pole resonator with unit gain at 0 Hz.
type resonator struct{ g, a1, a2, y1, y2 float64 }

// tune sets the centre frequency f and bandwidth bw (Hz) at rate fs,
// keeping the state so the sound stays continuous.
func (r *resonator) tune(f, bw, fs float64) {
	rad := math.Exp(-math.Pi * bw / fs)
	r.a1 = 2 * rad * math.Cos(2*math.Pi*f/fs)
	r.a2 = -rad * rad
	r.g = 1 - r.a1 - r.a2
}

func (r *resonator) step(x float64) float64 {
	y := r.g*x + r.a1*r.y1 + r.a2*r.y2
	r.y1, r.y2 = y, r.y1
	return y
}

// White returns n samples of Gaussian white noise at unit RMS.
func White(n int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 0x3417e))
	x := make([]float64, n)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	return unitRMS(x)
}

// Pink returns n samples of pink noise (-3 dB per octave: Gaussian white
// noise through Paul Kellet's filter, whose range of -3 dB per octave
// scales with the rate: 9 Hz to 20 kHz at 44.1 kHz) at unit RMS.
func Pink(n int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 0x914c))
	x := make([]float64, n)
	var b0, b1, b2, b3, b4, b5, b6 float64
	for i := range x {
		w := rng.NormFloat64()
		b0 = 0.99886*b0 + w*0.0555179
		b1 = 0.99332*b1 + w*0.0750759
		b2 = 0.96900*b2 + w*0.1538520
		b3 = 0.86650*b3 + w*0.3104856
		b4 = 0.55000*b4 + w*0.5329522
		b5 = -0.7616*b5 - w*0.0168980
		x[i] = b0 + b1 + b2 + b3 + b4 + b5 + b6 + w*0.5362
		b6 = w * 0.115926
	}
	return unitRMS(x)
}

// Add adds x, a signal at unit RMS, into dst at dbov dBov (0 dBov is an
// RMS of 32768, so a full-scale sine is -3 dBov). dst must be at least as
// long as x.
func Add(dst, x []float64, dbov float64) {
	g := 32768 * math.Pow(10, dbov/20)
	for i, v := range x {
		dst[i] += g * v
	}
}

// Quantize rounds x to 16-bit PCM, saturating at full scale.
func Quantize(x []float64) []int16 {
	out := make([]int16, len(x))
	for i, v := range x {
		out[i] = int16(math.Round(max(min(v, 32767), -32768)))
	}
	return out
}

func unitRMS(x []float64) []float64 {
	var sum float64
	for _, v := range x {
		sum += v * v
	}
	if sum > 0 {
		scale(x, 1/math.Sqrt(sum/float64(len(x))))
	}
	return x
}

func scale(x []float64, g float64) {
	for i := range x {
		x[i] *= g
	}
}
