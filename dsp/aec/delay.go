package aec

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/voxgraph/voxgraph/dsp/fft"
)

// Delay estimation by binary spectra (as WebRTC's delay estimator): each
// 10 ms block of the far end and of the microphone is reduced to 32 bits,
// one per band between 250 Hz and 3.75 kHz, set when the band's log power
// is above its own running mean. The cost of a candidate delay d is the
// smoothed Hamming distance between the microphone's bits and the far
// end's d blocks earlier; the estimate is the delay of least cost, once it
// is clearly below chance and has held for a while. A block costs two
// FFTs of 10 ms and one XOR and popcount per candidate.
const (
	delayBands   = 32
	delayLoHz    = 250
	delayHiHz    = 3750
	threshRate   = 1.0 / 64 // running mean of the band log powers
	costRate     = 1.0 / 24 // smoothing of the per-delay cost
	holdBlocks   = 25       // blocks a new minimum must hold before it is taken
	chanceMargin = 3.0      // bits under the mean cost the minimum must be
)

// delayEstimator tracks the delay, in blocks, of the echo in the
// microphone signal behind the far end.
type delayEstimator struct {
	n        int
	fft      *fft.Real
	win, buf []float64
	spec     []complex128
	edges    [delayBands + 1]int
	farThr   [delayBands]float64
	nearThr  [delayBands]float64
	pow      [delayBands]float64

	far    []uint32 // far-end bits by block, ring
	farOn  []bool   // whether that far-end block was loud enough to count
	head   int      // index of the newest far-end block
	cost   []float64
	cand   int // delay of least cost seen in the last blocks
	held   int // updates cand has held
	est    int // current estimate, -1 before the first
	minPow float64
}

func newDelayEstimator(n, rate, maxBlocks int) (*delayEstimator, error) {
	tr, err := fft.NewReal(n)
	if err != nil {
		return nil, fmt.Errorf("aec: delay estimator: %w", err)
	}
	d := &delayEstimator{
		n:      n,
		fft:    tr,
		win:    make([]float64, n),
		buf:    make([]float64, n),
		spec:   make([]complex128, n/2+1),
		far:    make([]uint32, maxBlocks+1),
		farOn:  make([]bool, maxBlocks+1),
		cost:   make([]float64, maxBlocks+1),
		minPow: float64(n) * 1e-5 * 32768 * 32768, // -50 dBov
	}
	for i := range d.win {
		d.win[i] = 0.5 - 0.5*math.Cos(2*math.Pi*(float64(i)+0.5)/float64(n))
	}
	binHz := float64(rate) / float64(n)
	lo, hi := int(delayLoHz/binHz), int(delayHiHz/binHz)
	for b := range d.edges {
		d.edges[b] = lo + b*(hi-lo)/delayBands
	}
	d.reset()
	return d, nil
}

func (d *delayEstimator) reset() {
	clear(d.far)
	clear(d.farOn)
	for i := range d.cost {
		d.cost[i] = delayBands / 2
	}
	for b := range d.farThr {
		d.farThr[b], d.nearThr[b] = 0, 0
	}
	d.head, d.cand, d.held, d.est = 0, -1, 0, -1
}

// bits reduces one block to its binary spectrum, updating the thresholds
// thr when the block is loud; it reports whether it was.
func (d *delayEstimator) bits(x []float64, thr *[delayBands]float64) (uint32, bool) {
	var e float64
	for i, v := range x {
		e += v * v
		d.buf[i] = v * d.win[i]
	}
	if e < d.minPow {
		return 0, false
	}
	d.fft.Coefficients(d.spec, d.buf)
	var out uint32
	for b := range delayBands {
		var p float64
		for _, c := range d.spec[d.edges[b]:d.edges[b+1]] {
			p += real(c)*real(c) + imag(c)*imag(c)
		}
		lp := log2(p + 1)
		if thr[b] == 0 {
			thr[b] = lp
		}
		thr[b] += threshRate * (lp - thr[b])
		if lp > thr[b] {
			out |= 1 << b
		}
	}
	return out, true
}

// update takes the newest far-end and microphone blocks and returns the
// estimated echo delay in blocks, or -1 while there is none.
func (d *delayEstimator) update(far, mic []float64) int {
	fb, fon := d.bits(far, &d.farThr)
	d.head++
	if d.head == len(d.far) {
		d.head = 0
	}
	d.far[d.head], d.farOn[d.head] = fb, fon
	nb, non := d.bits(mic, &d.nearThr)
	if !non {
		return d.est
	}
	best, bestCost, sum, cnt := -1, math.Inf(1), 0.0, 0
	for k := range d.cost {
		i := d.head - k
		if i < 0 {
			i += len(d.far)
		}
		if d.farOn[i] {
			c := float64(bits.OnesCount32(nb ^ d.far[i]))
			d.cost[k] += costRate * (c - d.cost[k])
		}
		sum += d.cost[k]
		cnt++
		if d.cost[k] < bestCost {
			best, bestCost = k, d.cost[k]
		}
	}
	if bestCost > sum/float64(cnt)-chanceMargin {
		d.held = 0
		return d.est
	}
	if d.cand >= 0 && abs(best-d.cand) <= 1 {
		d.held++
	} else {
		d.cand, d.held = best, 0
	}
	if d.held >= holdBlocks {
		d.est = best
	}
	return d.est
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// log2 approximates log₂ x for x ≥ 1 within 0.09: the exponent plus the
// mantissa less one, plenty to compare a band with its running mean.
func log2(x float64) float64 {
	b := math.Float64bits(x)
	exp := float64(int(b>>52&0x7ff) - 1023)
	mant := math.Float64frombits(b&^(0x7ff<<52) | 1023<<52) // in [1, 2)
	return exp + mant - 1
}
