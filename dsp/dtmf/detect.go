package dtmf

import (
	"errors"
	"fmt"
	"math"
	"math/cmplx"
	"time"

	"github.com/voxgraph/voxgraph/dsp/level"
)

// Defaults used by New for zero fields of Config.
const (
	DefaultMinLevel        = -42.0 // dBov per tone, about -36 dBm0
	DefaultMaxTwist        = 8.0   // dB, high group weaker (normal twist), accepted; refused beyond 10
	DefaultMaxReverseTwist = 4.0   // dB, low group weaker (reverse twist), accepted; refused beyond 6
	DefaultFreqTolerance   = 0.025 // relative; Q.24: accept 1.5 %, reject 3.5 %
	DefaultMinDuration     = 32 * time.Millisecond
	DefaultMaxDropout      = 20 * time.Millisecond
)

// Fixed thresholds of the signal checks (see the package doc).
const (
	// blockTime is the analysis block: 106 samples at 8 kHz, a row
	// spacing of the DTMF grid per DFT bin (75.5 Hz), so each row tone
	// falls near the nulls of its neighbours.
	blockTime = 13250 * time.Microsecond
	// relativePeak is how far (dB) the other frequencies of a group must
	// stay under the group's strongest.
	relativePeak = 8.0
	// dominance is the share of the block's energy the two tones must
	// hold (uncorrected for frequency offset, so it also bounds the
	// offset to about half a bin, the range where the phase estimate of
	// the frequency is unambiguous).
	dominance = 0.6
	// twistMargin (dB) widens the twist limits for the check: a digit
	// at exactly the limit twist is valid, and the twist measured on a
	// block (mostly on the blocks a tone only partly fills, or in noise)
	// may stray a few tenths of a dB beyond the true one. Twist is refused
	// only beyond MaxTwist+twistMargin and MaxReverseTwist+twistMargin.
	twistMargin = 2.0
	// harmonicRatio is how far (dB) the second harmonic of each tone must
	// stay under the tone: speech and music have harmonics, DTMF has none.
	harmonicRatio = 12.0
	// coarseTolerance is the looser frequency check of a block's first
	// estimate (from its two halves), made before a finer one exists.
	coarseTolerance = 0.045
	// maxEdge: a block next to a digit, not found to hold it, counts in
	// its duration only if the digit's tones filled less than this part
	// of it: as much as the energy check refuses (dominance), with margin.
	maxEdge = 0.7
)

// Frequencies of the DTMF grid (ITU-T Q.23): rows (low group) then
// columns (high group).
var grid = [8]float64{697, 770, 852, 941, 1209, 1336, 1477, 1633}

// keys maps row*4+column to its digit.
const keys = "123A456B789C*0#D"

// Event is a digit found by a Detector: its start and, with End, its
// duration. A digit is reported twice: when it has lasted MinDuration
// (End false, Duration so far; useful to start an RFC 4733 event while
// the key is held) and when it has ended (End true, whole Duration).
type Event struct {
	Digit    rune          // '0'-'9', '*', '#', 'A'-'D'
	Start    time.Duration // from the first sample given to the Detector
	Duration time.Duration
	End      bool
	// Level is the dBov of the two tones together, in the digit's
	// loudest block (an RFC 4733 volume is about -(Level+6.15) dBm0).
	Level float64
}

func (e Event) String() string {
	return fmt.Sprintf("%c@%s+%s", e.Digit, e.Start, e.Duration)
}

// Config sets up a Detector. Zero fields take the defaults.
type Config struct {
	Rate     int     // sample rate, 8000 to 48000 Hz
	MinLevel float64 // dBov each tone must reach (-42: about -36 dBm0)
	// MaxTwist and MaxReverseTwist are the twists (dB the high group may
	// be under the low group, and the low group under the high group)
	// that are accepted: Q.24's limits, 8 and 4 dB. A digit exactly at
	// them is valid, so the check refuses only twists 2 dB beyond them
	// (twistMargin), leaving room for the error of a block's estimate.
	MaxTwist        float64
	MaxReverseTwist float64
	FreqTolerance   float64       // largest relative frequency error accepted (0.025)
	MinDuration     time.Duration // shortest digit reported (32 ms: 40 ms pass, 23 ms do not)
	MaxDropout      time.Duration // shorter interruptions do not split a digit (20 ms; 40 ms pauses do)
}

// ErrRate is returned by New for an unsupported sample rate.
var ErrRate = errors.New("dtmf: sample rate out of range 8000..48000 Hz")

// goertzel holds one frequency's constants and running state over the
// two halves of a block.
type goertzel struct {
	w         float64    // radians per sample
	coef      float64    // 2cos(w)
	turn      complex128 // e^{-iw}
	endHalf   complex128 // e^{-iw(h-1)}: DFT phase at the end of a half
	shiftHalf complex128 // e^{-iwh}: moves the second half to the block's start
	shiftFull complex128 // e^{-iwN}: the expected turn from one block to the next
	s1, s2    float64
	first     complex128 // DFT of the first half
}

// blockResult is what one block says about the 8 frequencies.
type blockResult struct {
	x      [8]complex128 // DFT of the block at each frequency
	p      [8]float64    // power (tone.Power scale: A²/2 for a sine on the bin)
	coarse [8]float64    // frequency offset from the halves, rad/sample
	h1, h2 [8]complex128 // DFTs of the first and second half (both from the block's start)
	ca, cb complex128    // complex amplitudes of the digit's tones, if any
	mean   float64       // mean energy per sample
	digit  int           // row*4+col the block holds, or -1
}

// Detector finds DTMF digits in a stream of 16-bit mono PCM. Create it
// with New; feed it with Process in chunks of any length.
//
// A Detector is not safe for concurrent use. Its methods do not allocate.
type Detector struct {
	cfg       Config
	n, half   int     // block and half-block lengths
	minPower  float64 // MinLevel as tone.Power
	twistLo   float64 // smallest high/low power ratio
	twistHi   float64 // largest high/low power ratio
	minDur    int64   // samples
	maxGap    float64 // samples
	relPeak   float64 // power ratio
	harmonic  float64 // power ratio
	g         [8]goertzel
	buf       []int16 // the block being filled
	fill      int
	energy    float64 // sum of squares of the block so far
	pos       int64   // sample index of the block's start
	cur, prev blockResult

	// the digit being followed
	digit      int     // -1: none
	firstBlock int64   // start sample of its first block
	pFirst     float64 // its first block's power at the digit's tones
	pBefore    float64 // the block before it (0 unless that held no digit)
	mBefore    float64 // and its mean energy per sample
	lastEnd    int64   // end sample of its last block
	pLast      float64
	pAfter     float64 // first block after it, 0 if none or a digit
	mAfter     float64 // and its mean energy per sample
	ref        float64 // largest block power at its tones (a whole block of tone)
	gap        float64 // samples of silence since its last block (estimated)
	afterSet   bool
	begun      bool // Event without End already reported
}

// New returns a Detector for cfg.
func New(cfg Config) (*Detector, error) {
	if cfg.Rate < 8000 || cfg.Rate > 48000 {
		return nil, fmt.Errorf("%w: %d", ErrRate, cfg.Rate)
	}
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	def(&cfg.MinLevel, DefaultMinLevel)
	def(&cfg.MaxTwist, DefaultMaxTwist)
	def(&cfg.MaxReverseTwist, DefaultMaxReverseTwist)
	def(&cfg.FreqTolerance, DefaultFreqTolerance)
	if cfg.MinDuration == 0 {
		cfg.MinDuration = DefaultMinDuration
	}
	if cfg.MaxDropout == 0 {
		cfg.MaxDropout = DefaultMaxDropout
	}
	switch {
	case !(cfg.MinLevel < 0) || math.IsInf(cfg.MinLevel, 0):
		return nil, fmt.Errorf("dtmf: min level %g dBov must be below 0", cfg.MinLevel)
	case !(cfg.MaxTwist > 0 && cfg.MaxTwist <= 20), !(cfg.MaxReverseTwist > 0 && cfg.MaxReverseTwist <= 20):
		return nil, fmt.Errorf("dtmf: twist limits %g/%g dB out of range (0, 20]", cfg.MaxTwist, cfg.MaxReverseTwist)
	case !(cfg.FreqTolerance > 0 && cfg.FreqTolerance <= 0.04):
		return nil, fmt.Errorf("dtmf: frequency tolerance %g out of range (0, 0.04]", cfg.FreqTolerance)
	case cfg.MinDuration < 0 || cfg.MaxDropout < 0:
		return nil, fmt.Errorf("dtmf: negative duration (min %s, dropout %s)", cfg.MinDuration, cfg.MaxDropout)
	}
	n := int(math.Round(float64(cfg.Rate)*blockTime.Seconds()/2)) * 2
	d := &Detector{cfg: cfg, n: n, half: n / 2, buf: make([]int16, n), digit: -1}
	amp := level.SineAmplitude(cfg.MinLevel)
	d.minPower = amp * amp / 2
	d.twistLo = math.Pow(10, -(cfg.MaxTwist+twistMargin)/10)
	d.twistHi = math.Pow(10, (cfg.MaxReverseTwist+twistMargin)/10)
	d.minDur = int64(cfg.MinDuration.Seconds()*float64(cfg.Rate) + 0.5)
	d.maxGap = cfg.MaxDropout.Seconds() * float64(cfg.Rate)
	d.relPeak = math.Pow(10, -relativePeak/10)
	d.harmonic = math.Pow(10, -harmonicRatio/10)
	for i, f := range grid {
		w := 2 * math.Pi * f / float64(cfg.Rate)
		d.g[i] = goertzel{w: w, coef: 2 * math.Cos(w), turn: cmplx.Rect(1, -w),
			endHalf: cmplx.Rect(1, -w*float64(d.half-1)), shiftHalf: cmplx.Rect(1, -w*float64(d.half)),
			shiftFull: cmplx.Rect(1, -w*float64(n))}
	}
	d.prev.digit, d.cur.digit = -1, -1
	return d, nil
}

// BlockSize is the number of samples the Detector analyses at a time
// (106 at 8 kHz, 212 at 16 kHz: 13.25 ms).
func (d *Detector) BlockSize() int { return d.n }

// Reset forgets the stream: the next sample is time 0.
func (d *Detector) Reset() {
	*d = Detector{cfg: d.cfg, n: d.n, half: d.half, minPower: d.minPower, twistLo: d.twistLo, twistHi: d.twistHi,
		minDur: d.minDur, maxGap: d.maxGap, relPeak: d.relPeak, harmonic: d.harmonic, g: d.g, buf: d.buf, digit: -1}
	for i := range d.g {
		d.g[i].s1, d.g[i].s2 = 0, 0
	}
	d.prev.digit, d.cur.digit = -1, -1
}

// Tone reports the digit whose tones the last block held ('0'-'9', '*',
// '#', 'A'-'D'), whether or not it has lasted long enough to be a digit
// yet, or 0. An element muting the tones in its output asks it.
func (d *Detector) Tone() rune {
	if d.digit < 0 || d.gap > 0 {
		return 0
	}
	return rune(keys[d.digit])
}

// Process analyses pcm, which continues the stream, and appends to events
// the events that became known; it returns the extended slice. With
// enough capacity in events it does not allocate.
func (d *Detector) Process(pcm []int16, events []Event) []Event {
	for len(pcm) > 0 {
		k := min(len(pcm), d.n-d.fill)
		for i, x := range pcm[:k] {
			d.buf[d.fill+i] = x
			v := float64(x)
			d.energy += v * v
		}
		// Goertzel over the half (or part of it) these samples fall in.
		for off := 0; off < k; {
			j := d.fill + off
			end := k
			if j < d.half {
				end = min(k, d.half-d.fill)
			}
			seg := pcm[off:end]
			for i := range d.g {
				g := &d.g[i]
				c, s1, s2 := g.coef, g.s1, g.s2
				for _, x := range seg {
					s1, s2 = float64(x)+c*s1-s2, s1
				}
				g.s1, g.s2 = s1, s2
			}
			off = end
			if d.fill+off == d.half {
				for i := range d.g {
					g := &d.g[i]
					g.first = g.endHalf * (complex(g.s1, 0) - g.turn*complex(g.s2, 0))
					g.s1, g.s2 = 0, 0
				}
			}
		}
		d.fill += k
		pcm = pcm[k:]
		if d.fill == d.n {
			events = d.block(events)
		}
	}
	return events
}

// Flush ends the stream: it reports the digit still going, if it is long
// enough, and resets the Detector.
func (d *Detector) Flush(events []Event) []Event {
	if d.digit >= 0 {
		events = d.finish(events)
	}
	d.Reset()
	return events
}

// block analyses a full block.
func (d *Detector) block(events []Event) []Event {
	d.prev, d.cur = d.cur, d.prev
	r := &d.cur
	nn := float64(d.n)
	for i := range d.g {
		g := &d.g[i]
		second := g.endHalf * (complex(g.s1, 0) - g.turn*complex(g.s2, 0))
		g.s1, g.s2 = 0, 0
		second *= g.shiftHalf
		r.x[i] = g.first + second
		r.h1[i], r.h2[i] = g.first, second
		r.p[i] = 2 * sq(r.x[i]) / (nn * nn)
		r.coarse[i] = cmplx.Phase(second*cmplx.Conj(g.first)) / float64(d.half)
	}
	mean := d.energy / nn
	d.energy, d.fill = 0, 0
	r.mean = mean
	r.digit = d.classify(mean)
	events = d.track(events)
	d.pos += int64(d.n)
	return events
}

// classify returns the digit (row*4+col) the current block holds, or -1.
func (d *Detector) classify(mean float64) int {
	r := &d.cur
	row, col := peak(r.p[:4]), 4+peak(r.p[4:])
	pr, pc := r.p[row], r.p[col]
	if !(mean > 0) || pr+pc < dominance*mean {
		return -1
	}
	wa, wb := d.g[row].w, d.g[col].w
	if math.Abs(r.coarse[row]) > coarseTolerance*wa || math.Abs(r.coarse[col]) > coarseTolerance*wb {
		return -1
	}
	digit := row*4 + col - 4
	// Frequencies from the turn of each tone between the block's halves,
	// refined twice with the leakage of the other tone taken out.
	wr, wc := wa+r.coarse[row], wb+r.coarse[col]
	for range 2 {
		a1, b1, ok1 := d.fit(r.h1[row], r.h1[col], wa, wb, wr, wc, 0, d.half)
		a2, b2, ok2 := d.fit(r.h2[row], r.h2[col], wa, wb, wr, wc, d.half, d.half)
		if !ok1 || !ok2 {
			return -1
		}
		wr += cmplx.Phase(a2*cmplx.Conj(a1)) / float64(d.half)
		wc += cmplx.Phase(b2*cmplx.Conj(b1)) / float64(d.half)
	}
	var ok bool
	if r.ca, r.cb, ok = d.fit(r.x[row], r.x[col], wa, wb, wr, wc, 0, d.n); !ok {
		return -1
	}
	// With the same tones in the last block, the finer estimate from
	// their turn since then.
	// Both blocks are fitted at the same frequencies, so that the phase
	// of the fit's response does not add to the turn.
	if d.prev.digit == digit {
		pa, pb, ok := d.fit(d.prev.x[row], d.prev.x[col], wa, wb, wr, wc, 0, d.n)
		if !ok {
			return -1
		}
		wr = wa + d.turn(r.ca, pa, wa, wr)
		wc = wb + d.turn(r.cb, pb, wb, wc)
		if r.ca, r.cb, ok = d.fit(r.x[row], r.x[col], wa, wb, wr, wc, 0, d.n); !ok {
			return -1
		}
	}
	if tol := d.cfg.FreqTolerance; math.Abs(wr-wa) > tol*wa || math.Abs(wc-wb) > tol*wb {
		return -1
	}
	cr, cc := 2*sq(r.ca), 2*sq(r.cb) // the tones' powers, for level and twist
	if cr < d.minPower || cc < d.minPower {
		return -1
	}
	// Relative peaks: what the two tones do not explain at the other
	// frequencies of each group must stay well under the group's tone.
	nn := float64(d.n)
	for i := range d.g {
		if i == row || i == col {
			continue
		}
		p, ref := 2*sq(r.x[i]-d.model(wr, wc, d.g[i].w))/(nn*nn), cr
		if i >= 4 {
			ref = cc
		}
		if p > d.relPeak*ref {
			return -1
		}
	}
	if t := cc / cr; t < d.twistLo || t > d.twistHi {
		return -1
	}
	// Second harmonics, likewise beyond what the tones explain there. A
	// harmonic within 1.5 bins of the other tone (2×697 Hz by 1336 Hz,
	// 2×770 by 1477, 2×852 by 1633) is not measured: a tone that fills
	// only part of the block leaks there more than the model says.
	near := 3 * math.Pi / nn
	for _, h := range [2]struct{ w, p, other float64 }{{wr, cr, wc}, {wc, cc, wr}} {
		w2 := 2 * h.w
		if w2 >= math.Pi || math.Abs(w2-h.other) < near {
			continue
		}
		if 2*sq(dft(d.buf, w2)-d.model(wr, wc, w2))/(nn*nn) > d.harmonic*h.p {
			return -1
		}
	}
	return digit
}

// turn returns a tone's frequency offset from its bin w (rad/sample):
// the turn of its complex amplitude c since the last block's, prev,
// unwrapped to the nearest of the estimate est.
func (d *Detector) turn(c, prev complex128, w, est float64) float64 {
	nn := float64(d.n)
	phi := cmplx.Phase(c * cmplx.Conj(prev) * cmplx.Rect(1, -w*nn))
	k := math.Round(((est-w)*nn - phi) / (2 * math.Pi))
	return (phi + 2*math.Pi*k) / nn
}

// fit returns the complex amplitudes of two tones at wr and wc
// (rad/sample) that best explain the DFT values xa and xb, at the bins wa
// and wb, of the length samples from start (amplitudes referred to the
// block's start: a tone is c·e^{iwn} + conj(c)·e^{-iwn}). Each DFT value
// holds its tone's response off the bin plus the leakage of the other
// tone and of both negative-frequency images (rectangular window
// sidelobes: up to ±1.5 dB on a tone 8 dB under the other), which a few
// Gauss-Seidel sweeps take out. ok is false when a tone is so far off its
// bin that the bin barely sees it.
func (d *Detector) fit(xa, xb complex128, wa, wb, wr, wc float64, start, length int) (ca, cb complex128, ok bool) {
	k := func(dw float64) complex128 { return kernel(dw, start, length) }
	kaa, kaa_, kba, kba_ := k(wr-wa), k(-wr-wa), k(wc-wa), k(-wc-wa)
	kbb, kbb_, kab, kab_ := k(wc-wb), k(-wc-wb), k(wr-wb), k(-wr-wb)
	if lim := 0.3 * float64(length); cmplx.Abs(kaa) < lim || cmplx.Abs(kbb) < lim {
		return 0, 0, false
	}
	for range 4 {
		ca = (xa - cmplx.Conj(ca)*kaa_ - cb*kba - cmplx.Conj(cb)*kba_) / kaa
		cb = (xb - cmplx.Conj(cb)*kbb_ - ca*kab - cmplx.Conj(ca)*kab_) / kbb
	}
	return ca, cb, true
}

// kernel is Σ e^{i·dw·n} over start <= n < start+length: the DFT of
// e^{i·w·n} at a bin dw under w.
func kernel(dw float64, start, length int) complex128 {
	nn := float64(length)
	s := math.Sin(dw / 2)
	if math.Abs(s) < 1e-12 {
		return complex(nn, 0)
	}
	return cmplx.Rect(math.Sin(dw*nn/2)/s, dw*(float64(start)+(nn-1)/2))
}

// model is the DFT at w (rad/sample) of the current block's two fitted
// tones, at wr and wc.
func (d *Detector) model(wr, wc, w float64) complex128 {
	ca, cb := d.cur.ca, d.cur.cb
	return ca*kernel(wr-w, 0, d.n) + cmplx.Conj(ca)*kernel(-wr-w, 0, d.n) +
		cb*kernel(wc-w, 0, d.n) + cmplx.Conj(cb)*kernel(-wc-w, 0, d.n)
}

// dft is the DFT of x at w (rad/sample), by the Goertzel algorithm; unlike
// tone.Power it keeps the phase, which the model subtraction needs.
func dft(x []int16, w float64) complex128 {
	c := 2 * math.Cos(w)
	var s1, s2 float64
	for _, v := range x {
		s1, s2 = float64(v)+c*s1-s2, s1
	}
	return cmplx.Rect(1, -w*float64(len(x)-1)) * (complex(s1, 0) - cmplx.Rect(1, -w)*complex(s2, 0))
}

// power is the current block's power at digit's two tones.
func (d *Detector) power(r *blockResult, digit int) float64 {
	return r.p[digit/4] + r.p[4+digit%4]
}

// fraction estimates how much of a block a tone of power p filled, from
// the power of a whole block of it: the DFT grows with the samples, the
// power with their square.
func (d *Detector) fraction(p float64) float64 {
	if !(d.ref > 0) {
		return 0
	}
	return min(1, math.Sqrt(p/d.ref))
}

// edge is fraction for a block next to the digit that was not found to
// hold it, of power p at the digit's tones and mean energy mean: the part
// of it the digit filled, if it looks like the digit's start or end. That
// is a block mostly silent (the digit filled less than maxEdge of it), or
// one whose energy is mostly the digit's tones: they hold at least
// dominance of the energy they would bring if they filled that part of
// it (a tone filling a part f of a block has f² of a whole block's DFT
// power but f of its energy). Such a block may fail the finer checks
// only because the tones fill part of it (a tone cut off inside the block
// leaks more than the fit models, and moves the twist and level it
// measures); counting it keeps a 40 ms digit 40 ms long. A block mostly
// filled with something else (speech going on, another signal) is no part
// of the digit.
func (d *Detector) edge(p, mean float64) float64 {
	f := d.fraction(p)
	if f < maxEdge || p >= dominance*f*mean {
		return f
	}
	return 0
}

// track follows digits from block to block and reports them.
func (d *Detector) track(events []Event) []Event {
	r := &d.cur
	nn := int64(d.n)
	if d.digit >= 0 && r.digit == d.digit {
		p := d.power(r, d.digit)
		d.gap, d.afterSet, d.pAfter = 0, false, 0
		d.ref = max(d.ref, p)
		d.lastEnd, d.pLast = d.pos+nn, p
		if !d.begun {
			if start, dur := d.span(); dur >= d.minDur && d.lastEnd-d.firstBlock > nn {
				d.begun = true
				events = append(events, d.event(start, dur, false))
			}
		}
		return events
	}
	if d.digit >= 0 {
		if r.digit >= 0 {
			events = d.finish(events) // another digit right after
		} else {
			p := d.power(r, d.digit)
			if !d.afterSet {
				d.pAfter, d.mAfter, d.afterSet = p, r.mean, true
			}
			d.gap += float64(d.n) * (1 - d.fraction(p))
			if d.gap >= d.maxGap {
				events = d.finish(events)
			}
		}
	}
	if r.digit >= 0 && d.digit < 0 {
		d.digit, d.firstBlock, d.lastEnd = r.digit, d.pos, d.pos+nn
		d.pFirst = d.power(r, r.digit)
		d.pLast, d.ref, d.gap, d.afterSet, d.begun, d.pAfter = d.pFirst, d.pFirst, 0, false, false, 0
		d.pBefore, d.mBefore = 0, 0
		if d.prev.digit < 0 {
			d.pBefore, d.mBefore = d.power(&d.prev, r.digit), d.prev.mean
		}
	}
	return events
}

// span estimates the start and length (samples) of the digit followed,
// counting the parts of its edge blocks and their neighbours it filled.
func (d *Detector) span() (start, dur int64) {
	nn := float64(d.n)
	s := float64(d.firstBlock) + nn*(1-d.fraction(d.pFirst)) - nn*d.edge(d.pBefore, d.mBefore)
	e := float64(d.lastEnd) - nn*(1-d.fraction(d.pLast))
	if d.afterSet {
		e += nn * d.edge(d.pAfter, d.mAfter)
	}
	s = max(s, 0)
	return int64(s + 0.5), max(int64(e+0.5)-int64(s+0.5), 0)
}

// finish ends the digit followed, reporting it if it was long enough.
func (d *Detector) finish(events []Event) []Event {
	start, dur := d.span()
	if d.begun || dur >= d.minDur && d.lastEnd-d.firstBlock > int64(d.n) {
		events = append(events, d.event(start, dur, true))
	}
	d.digit, d.gap, d.afterSet, d.begun = -1, 0, false, false
	return events
}

func (d *Detector) event(start, dur int64, end bool) Event {
	rate := int64(d.cfg.Rate)
	return Event{Digit: rune(keys[d.digit]), Start: samplesTime(start, rate), Duration: samplesTime(dur, rate), End: end,
		Level: level.DBov(math.Sqrt(d.ref))}
}

func samplesTime(n, rate int64) time.Duration {
	return time.Duration(n) * time.Second / time.Duration(rate)
}

// peak returns the index of the largest value.
func peak(p []float64) int {
	k := 0
	for i := range p {
		if p[i] > p[k] {
			k = i
		}
	}
	return k
}

func sq(z complex128) float64 { return real(z)*real(z) + imag(z)*imag(z) }
