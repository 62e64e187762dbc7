// Package tone generates sums of sine waves (test tones, DTMF, ringback)
// as 16-bit PCM with continuous phase across calls, and measures the
// power of a single frequency in 16-bit PCM (Power).
package tone

import (
	"math"

	"github.com/voxgraph/voxgraph/dsp/gain"
)

// block is the number of samples a rotator runs before it is re-seeded
// from the exact phase accumulator.
const block = 64

// Generator produces the sum of one or more sines at a fixed amplitude.
// Each sine keeps an exact 64-bit phase accumulator (one cycle = 2^64), so
// the phase never drifts however long it runs; within a call a complex
// rotator advances the sine sample by sample and is re-seeded from the
// accumulator at every call and every 64 samples, which keeps its
// amplitude and phase error near float64 precision. Output is therefore
// continuous across calls of any size.
//
// A Generator is not safe for concurrent use.
type Generator struct {
	amp   float64
	tones []osc
}

type osc struct {
	phase  uint64  // current phase, in 2^-64 cycles
	inc    uint64  // phase increment per sample
	wr, wi float64 // per-sample rotation: cos and sin of 2π·inc/2^64
}

// NewGenerator returns a generator of the sum of sines at the frequencies
// freqs (Hz), each with peak amplitude amplitude in sample units (for a
// level in dBov use level.SineAmplitude), sampled at rate Hz. All sines
// start at phase 0. Frequencies above rate/2 alias; non-finite frequencies
// give silence. The sum is saturated to the int16 range. It panics if rate
// is not positive.
func NewGenerator(rate int, freqs []float64, amplitude float64) *Generator {
	if rate <= 0 {
		panic("tone: NewGenerator with non-positive sample rate")
	}
	g := &Generator{amp: amplitude, tones: make([]osc, len(freqs))}
	for i, f := range freqs {
		inc := increment(f, float64(rate))
		s, c := math.Sincos(angle(inc))
		g.tones[i] = osc{inc: inc, wr: c, wi: s}
	}
	return g
}

// increment converts a frequency to a phase increment per sample.
func increment(freq, rate float64) uint64 {
	c := freq / rate
	if math.IsNaN(c) || math.IsInf(c, 0) {
		return 0
	}
	c -= math.Floor(c) // cycles per sample in [0, 1)
	x := math.Ldexp(c, 64)
	if x >= math.Ldexp(1, 64) {
		return 0
	}
	return uint64(x)
}

// angle converts a phase in 2^-64 cycles to radians in [0, 2π).
func angle(phase uint64) float64 {
	return float64(phase>>11) * (2 * math.Pi / (1 << 53))
}

// Fill writes the next len(dst) samples. It does not allocate.
func (g *Generator) Fill(dst []int16) {
	var acc [block]float64
	for len(dst) > 0 {
		part := dst[:min(len(dst), block)]
		dst = dst[len(part):]
		sum := acc[:len(part)]
		clear(sum)
		for k := range g.tones {
			o := &g.tones[k]
			zi, zr := math.Sincos(angle(o.phase)) // re-seed from the exact phase
			wr, wi := o.wr, o.wi
			for i := range sum {
				sum[i] += zi
				zr, zi = zr*wr-zi*wi, zr*wi+zi*wr
			}
			o.phase += o.inc * uint64(len(part))
		}
		for i, v := range sum {
			part[i] = gain.Saturate(g.amp * v)
		}
	}
}

// Reset restarts every sine at phase 0.
func (g *Generator) Reset() {
	for k := range g.tones {
		g.tones[k].phase = 0
	}
}
