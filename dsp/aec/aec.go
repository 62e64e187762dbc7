// Package aec cancels acoustic echo: it removes from a microphone signal
// the far end's audio that the loudspeaker played and the microphone picked
// up again, so the far end does not hear itself. It works on 16-bit mono
// PCM at 8 or 16 kHz in 10 ms blocks.
//
// # Method
//
// Linear echo canceller. A partitioned-block frequency-domain adaptive
// filter (PBFDAF: the multidelay block filter "MDF" of Soo and Pang, as in
// Speex) with a block of N = 10 ms, real FFTs of 2N (dsp/fft) and
// overlap-save. The tail (Config.Tail, up to 500 ms, default 250 ms) is M =
// Tail/10ms partitions: partition j multiplies the far end's spectrum of j
// blocks back by its own weights. The weights follow the normalised
// gradient per bin: the step is divided by the smoothed far-end power in
// the bin, and shared among the partitions in proportion to their weights'
// norms (proportionate adaptation: the head of a room response converges
// first). The gradient
// constraint (zeroing the second half of a partition's impulse response)
// runs on one partition per block in turn, partition 0 every other block,
// which saves two FFTs per partition and block.
//
// Step size and double talk. The step is Valin's optimal step: residual
// echo power over error power, with the residual estimated per bin as the
// "leak" (the regression, tracked over time, of the error's power on the
// echo estimate's) times the echo estimate's power. Near-end speech raises
// the error without raising the echo estimate, so adaptation slows at once:
// double talk neither distorts the near end nor drives the filter away.
// Until the filter has adapted a little the step is 0.8 of the normalised
// gradient (Speex: 0.25), which converges about three times faster. Two
// filters run side by side (Speex's two-path scheme): a background filter
// that always adapts, and a foreground filter that makes the output and
// takes the background's weights only when they have cancelled better over
// recent blocks; a background doing clearly worse is reset to the
// foreground (backtracking after a burst of double talk). An output louder
// than the microphone is replaced by the microphone, and after 0.5 s of
// that both filters restart (a divergence).
//
// Bulk delay. The far end reaches the filter through a delay line, so the
// partitions model the room and not the buffering of sound cards and
// networks. The delay is estimated all the time (up to Config.MaxDelay,
// default 500 ms) by matching binary spectra of the far end and the
// microphone, WebRTC's cheap method (delay.go: 32 bands a block, one XOR
// and popcount per candidate delay). The filter starts 20 ms before the
// estimated echo and moves when the echo would start before it or leave a
// quarter of it unused; the weights shift by whole partitions with it, so a
// converged filter survives the move (a filter that cancels less than 3 dB
// starts again instead).
//
// Echo path change. The foreground's echo estimate y should fit the
// microphone d: Σd·y/Σy·y, smoothed over a few blocks, stays near 1 with
// or without near-end speech (which is not correlated with y) and falls
// towards 0 when the echo path changes (y models an echo that is no
// longer there). Under 0.5, or with no estimate at all while the far end
// talks and the filter starts blocks behind it (an echo that now arrives
// earlier than the filter), the suppressor checks whether the far end's
// most power over every delay up to MaxDelay, through the learnt echo
// path gain, explains the microphone (above its noise floor). If so, the
// path has changed: the echo model spans every delay, the linear filter is
// taken to cancel nothing, double talk is not believed and the gain is
// not trained, until the filter and the delay estimate follow; if not,
// the microphone holds near-end speech and double talk proceeds as
// below. Meanwhile the echo model uses the far end at the delay
// estimator's best candidate even outside the filter's span.
//
// Residual echo suppression (suppress.go) removes what the linear filter
// leaves: misadjustment, reverberation past the tail, and all of the echo
// before the filter converges or after the echo path changes. Its residual
// estimate per bin is the larger of the leak times the removed echo's power
// and an echo power model: the far end's power at the estimated delay,
// smeared by a 3 dB-per-block reverberation, times a per-bin echo path
// gain fitted by least squares while the far end talks alone, times the
// share of echo the linear filter lets through (from its measured ERLE).
// The gain per bin is a Wiener gain from a decision-directed
// signal-to-residual ratio with the residual overestimated 20 times,
// floored at -Config.Suppression dB (default 40). In double talk, when the
// filter's error is well above its predicted residual, the microphone is
// twice the echo model's prediction and the filter has converged, the
// overestimation drops to 1 for 200 ms so the near end is kept. Bins the
// gain attenuates are filled with comfort noise at the near end's noise
// floor (minimum tracking, rising only where echo does not dominate). The
// suppressor costs one block (10 ms) of latency: Latency reports it; with
// NoSuppression there is none.
//
// # Accuracy
//
// Unit tests (deterministic synthetic signals: vadtest.Talk far end at
// -20 dBov, echo through exponentially decaying noise rooms of RT60 100,
// 250 and 400 ms, bulk delay 10, 80 and 150 ms, echo return loss 6, 12 and
// 20 dB, -70 dBov noise; 8 and 16 kHz), measured with
//
//	go test ./dsp/aec -run 'FarEndOnly|DoubleTalk|PathChange|DelayBeyondTail' -v
//
// gave:
//
//   - Far end only: ERLE 36.9-41.5 dB in the first 2 s (talk starts at
//     1 s), 30.8-45.7 dB from 4 to 12 s; the linear filter alone 14.4-20.5
//     dB from 4 to 12 s. The tests require 30, 25 and 12 dB.
//   - Double talk (near-end talk at -26 dBov from 5 s): near-end segmental
//     SNR 17.5-20.4 dB against the clean near end (the microphone itself:
//     18.5-25.3 dB), ERLE 34.0-41.2 dB where the far end talks alone, no
//     divergence. The tests require 17 and 20 dB.
//   - Echo path change at 8.6 s, while the far end talks, to a room with
//     another response and a later (80 to 150 ms) or earlier (150 to
//     10 ms) bulk delay: ERLE 29.5-34.5 dB in the first 2 s after it,
//     34.4-43.2 dB from 2 to 4 s, 38.8-41.7 dB from 6 to 8 s. The tests
//     require 20 dB in the first 2 s, 18 dB from 2 to 4 s and 25 dB from 6
//     to 8 s. Weak: a change during a far-end pause to an earlier echo
//     (the same rooms, change at 7.5 or 8 s) leaves the start of the next
//     far-end talk spurt unsuppressed until the fit can be measured: 5 to
//     9 dB in the first 2 s at 16 kHz, 39 dB at 8 kHz.
//   - An echo 400 ms behind the far end, beyond the 250 ms tail: linear
//     ERLE 14.6 dB from 6 to 12 s with the delay estimate, 0.1 dB without.
//
// Against speexdsp (speex_echo_cancellation, 400 ms filter, then its
// preprocessor's residual echo suppression) and WebRTC (the
// webrtc-audio-processing 0.3 AEC, extended filter, delay agnostic) on the
// DSP benchmark's corpus (benchmarks/dsp: espeak-ng talkers, 20 s, six
// rooms per family of RT60 100-400 ms, bulk delay 10-150 ms, echo return
// loss 6-20 dB, at 8 and 16 kHz), means over the scenarios, from
// benchmarks/dsp/run.sh (benchmarks/dsp/README.md has the table):
//
//	                                    voxgraph   speexdsp   WebRTC
//	far end only, ERLE from 5 s on         32.1       23.9      30.8  dB
//	far end only, ERLE first 2 s           29.9        4.7      21.8  dB
//	double talk, near-end seg. SNR         13.6        6.6      13.0  dB
//	double talk, ERLE first 2 s            30.1        4.5      22.0  dB
//	path change, ERLE before it            33.3       22.6      32.1  dB
//	path change, ERLE 2 s after it         28.5        1.4      23.6  dB
//
// (segmental SNR at each output's best lag within 40 ms: WebRTC's output
// lags 14 ms, Speex's 10 ms.) Before the echo path change handling above,
// 2 s after a change gave 8.6 dB and the near end's segmental SNR
// 15.4 dB: the handling costs double talk 1.8 dB, as the all-delay model
// sometimes explains the microphone during near-end speech too. On
// an earlier, smaller corpus (four rooms), 8 kHz far-end-only ERLE after
// convergence was also 1.3 dB under WebRTC's; WebRTC takes off part of the
// near end's noise too, where the comfort noise here keeps it (without
// it, 0.7 to 2 dB more ERLE).
//
// CPU, per 10 ms block with delay estimation and suppression, 2-core Xeon
// shared with other work (go test ./dsp/aec -run XXX -bench Process
// -benchtime 2000x -count 2, best of two): 17.6 µs at 8 kHz and 33.0 µs at
// 16 kHz with the 250 ms tail, 23.7 and 44.7 µs with 500 ms; 0
// allocations (one FFT of 2N per block more than before the echo path
// change handling, and a pass over the far end's power spectra of every
// delay while a change is suspected). The aec element, one 20 ms frame of mic and ref at 16 kHz
// in a graph (go test ./elements -run XXX -bench BenchmarkAEC): 70 µs, 0
// allocations.
// Against speexdsp on the same 12 s files (synthetic talk through a
// 300 ms room), best of seven interleaved runs of voxgraph dsp aec --tail T
// and testdata/speexref.c with the same tail: with 250 ms,
// 1.64 ms of CPU per audio second at 8 kHz (Speex's canceller alone 1.59,
// with its preprocessor's echo suppression, denoiser off, 2.46) and 3.23 ms
// at 16 kHz (3.12 and 4.47); with 500 ms, 2.35 and 4.62 ms (Speex alone 2.57
// and 4.98) (measured before the echo path change handling). Over the
// whole corpus (benchmarks/dsp/run.sh), process start-up included,
// voxgraph 2.90 ms per audio second (2.57 net of process start), WebRTC
// 2.93, speexdsp (400 ms, preprocessor with denoiser) 4.60 (4.53).
//
// A Canceller is not safe for concurrent use. Its methods do not allocate.
package aec

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/voxgraph/voxgraph/dsp/fft"
	"github.com/voxgraph/voxgraph/dsp/gain"
)

// BlockDuration is the length of the blocks a Canceller processes.
const BlockDuration = 10 * time.Millisecond

// Defaults used by New for zero fields of Config.
const (
	DefaultTail        = 250 * time.Millisecond // Config.Tail
	DefaultMaxDelay    = 500 * time.Millisecond // Config.MaxDelay
	DefaultSuppression = 40.0                   // Config.Suppression, dB
)

// Limits of Config's fields.
const (
	MaxTail        = 500 * time.Millisecond // Config.Tail
	MaxMaxDelay    = time.Second            // Config.MaxDelay and Config.Delay
	MaxSuppression = 80.0                   // Config.Suppression, dB
)

// NoDelayEstimation as Config.MaxDelay keeps the bulk delay at
// Config.Delay; NoSuppression as Config.Suppression turns the residual
// echo suppressor (and its latency) off.
const (
	NoDelayEstimation time.Duration = -1
	NoSuppression                   = -1.0
)

// delayMargin is how many blocks before the estimated echo delay the
// filter starts, for the direct path's onset and the estimate's error.
const delayMargin = 2

// The echo estimate's fit to the microphone (see Canceller.fitDY):
// smoothing per block, and the ratio under which the echo path may have
// changed (the suppressor decides, see suppressor.process).
const (
	fitRate     = 0.5
	misfitRatio = 0.5
)

// Errors returned (wrapped) by New and Process.
var (
	ErrUnsupportedRate = errors.New("unsupported sample rate")
	ErrBlockSize       = errors.New("block is not 10 ms")
)

// Config sets up a Canceller. Zero fields take the defaults.
type Config struct {
	// Rate is the sample rate in Hz: 8000 or 16000.
	Rate int
	// Tail is the length of echo path the adaptive filter models after
	// the bulk delay, rounded up to 10 ms; 0 means DefaultTail (250 ms).
	Tail time.Duration
	// MaxDelay is the largest bulk delay of the echo behind the far end
	// that the delay estimator looks for; 0 means DefaultMaxDelay
	// (500 ms), NoDelayEstimation turns the estimator off.
	MaxDelay time.Duration
	// Delay is the bulk delay to start with (rounded down to 10 ms); with
	// NoDelayEstimation it stays.
	Delay time.Duration
	// Suppression is the most, in dB, that residual echo suppression
	// takes off a frequency bin; 0 means DefaultSuppression (40 dB),
	// NoSuppression turns it off.
	Suppression float64
	// NoComfortNoise leaves the bins that suppression attenuated quieter
	// than the near end's noise instead of filling them.
	NoComfortNoise bool
}

func (c Config) normalize() (Config, error) {
	switch c.Rate {
	case 8000, 16000:
	default:
		return c, fmt.Errorf("aec: %d Hz: %w (supported: 8000, 16000 Hz)", c.Rate, ErrUnsupportedRate)
	}
	if c.Tail == 0 {
		c.Tail = DefaultTail
	}
	if c.Tail < 0 || c.Tail > MaxTail {
		return c, fmt.Errorf("aec: tail %s must be between 10ms and %s", c.Tail, MaxTail)
	}
	switch {
	case c.MaxDelay == 0:
		c.MaxDelay = DefaultMaxDelay
	case c.MaxDelay < 0:
		c.MaxDelay = NoDelayEstimation
	case c.MaxDelay > MaxMaxDelay:
		return c, fmt.Errorf("aec: max delay %s is over %s", c.MaxDelay, MaxMaxDelay)
	}
	if c.Delay < 0 || c.Delay > MaxMaxDelay {
		return c, fmt.Errorf("aec: delay %s must be between 0 and %s", c.Delay, MaxMaxDelay)
	}
	if c.MaxDelay > 0 && c.Delay > c.MaxDelay {
		return c, fmt.Errorf("aec: delay %s is over the max delay %s", c.Delay, c.MaxDelay)
	}
	switch {
	case c.Suppression == 0:
		c.Suppression = DefaultSuppression
	case c.Suppression == NoSuppression:
	case !(c.Suppression > 0 && c.Suppression <= MaxSuppression): // also NaN
		return c, fmt.Errorf("aec: suppression %g dB must be in (0, %g] (or %g: off)", c.Suppression, MaxSuppression, NoSuppression)
	}
	return c, nil
}

// Stats describes the canceller's state after the last block.
type Stats struct {
	// ERLE is the echo return loss enhancement in dB: the microphone's
	// power over the output's, smoothed over about a second of blocks
	// where the far end is active and the near end is not. 0 until then.
	ERLE float64
	// EchoDelay is the estimated delay of the echo behind the far end
	// (10 ms resolution), valid when DelayFound.
	EchoDelay time.Duration
	// DelayFound reports whether the estimator has found the echo delay.
	DelayFound bool
	// Delay is the bulk delay in use: the far end reaches the filter this
	// late. It follows EchoDelay less a 20 ms margin, moving only when the
	// echo would start before the filter or leave a quarter of it unused.
	Delay time.Duration
	// DoubleTalk reports whether the last block was judged double talk:
	// far end active, the filter's error well above the residual echo it
	// predicts, and (with suppression) the microphone well above the
	// echo model's prediction while the filter works.
	DoubleTalk bool
	// DoubleTalkBlocks counts such blocks.
	DoubleTalkBlocks uint64
	// Leak is the fraction of the echo estimate's power still in the
	// error (1: not converged, 0.005: the best it reports).
	Leak float64
	// Divergences counts resets after the output got louder than the
	// microphone; Resets all filter resets (divergences, numerical).
	Divergences, Resets uint64
	// DelayChanges counts moves of the bulk delay.
	DelayChanges uint64
}

// Canceller removes the echo of a far-end signal from a microphone
// signal, block by block. Create it with New.
type Canceller struct {
	cfg            Config
	n, l, nb, m    int
	fft            *fft.Real
	maxDelayBlocks int

	ring    []float64 // raw far end, by absolute sample index modulo len
	written int64     // far-end samples written
	delay   int       // bulk delay in blocks

	x      [][]complex128 // far-end spectra, x[xHead] newest
	xm     []complex128   // far-end spectrum at the echo delay candidate, when outside the filter
	xpow   [][]float64    // far-end power spectra of the last blocks (delay 0 to MaxDelay), xpow[xpHead] newest
	xpHead int
	xpMax  []float64 // their maximum per bin, while the echo path is uncertain
	xHead  int
	wf, wb [][]complex128 // foreground and background weights per partition
	prop   []float64      // proportionate step per partition
	norm   []float64      // squared norm of each background partition

	tbuf        []float64
	cbuf, cbuf2 []complex128
	eSpec       []complex128
	ySpec       []complex128
	d           []float64
	xr          []float64
	yf, yb      []float64
	ef, eb, out []float64
	power       []float64 // smoothed far-end power per bin
	step        []float64 // per-bin step
	eh, yh      []float64 // smoothed error and echo estimate powers, for the leak
	pey, pyy    float64
	leak        float64
	lastSyy     float64 // echo estimate energy of the last block
	adapted     bool
	sumAdapt    float64
	count       int // blocks, for the rotating constraint

	davg1, davg2, dvar1, dvar2 float64
	worse                      int // consecutive blocks with the output over the microphone

	// Fit of the foreground's echo estimate y to the microphone d:
	// smoothed Σd·y and Σy·y. Near-end speech leaves their ratio near 1
	// (it is not correlated with y), an echo path change drops it towards
	// 0 (y models an echo that is no longer there).
	fitDY, fitYY float64
	misfit       bool    // the fit is poor: the echo path has changed
	farRecent    float64 // far-end energy of the newest blocks (decaying peak)

	de  *delayEstimator
	sup *suppressor

	// ERLE smoothing
	micPow, outPow float64
	linMic, linOut float64 // smoothed microphone and linear output energies
	prevMic        float64 // microphone energy of the last block (the suppressor's output lags one)
	stats          Stats
}

// New returns a Canceller for cfg, or an error naming the field that is
// out of range (a wrapped ErrUnsupportedRate for the rate).
func New(cfg Config) (*Canceller, error) {
	cfg, err := cfg.normalize()
	if err != nil {
		return nil, err
	}
	n := cfg.Rate / 100
	m := int((cfg.Tail + BlockDuration - 1) / BlockDuration)
	if m < 1 {
		m = 1
	}
	l, nb := 2*n, n+1
	tr, err := fft.NewReal(l)
	if err != nil {
		return nil, fmt.Errorf("aec: %w", err)
	}
	c := &Canceller{cfg: cfg, n: n, l: l, nb: nb, m: m, fft: tr}
	if cfg.MaxDelay > 0 {
		c.maxDelayBlocks = int(cfg.MaxDelay / BlockDuration)
		if c.de, err = newDelayEstimator(n, cfg.Rate, c.maxDelayBlocks); err != nil {
			return nil, err
		}
	}
	c.delay = int(cfg.Delay / BlockDuration)
	ringBlocks := max(c.maxDelayBlocks, c.delay) + m + 3
	c.ring = make([]float64, ringBlocks*n)
	c.x = make([][]complex128, m)
	c.wf = make([][]complex128, m)
	c.wb = make([][]complex128, m)
	for j := range m {
		c.x[j] = make([]complex128, nb)
		c.wf[j] = make([]complex128, nb)
		c.wb[j] = make([]complex128, nb)
	}
	c.prop = make([]float64, m)
	c.norm = make([]float64, m)
	c.tbuf = make([]float64, l)
	c.cbuf, c.cbuf2 = make([]complex128, nb), make([]complex128, nb)
	c.eSpec = make([]complex128, nb)
	c.ySpec = make([]complex128, nb)
	c.xm = make([]complex128, nb)
	if c.de != nil && cfg.Suppression > 0 {
		c.xpow = make([][]float64, c.maxDelayBlocks+delayMargin+2)
		for j := range c.xpow {
			c.xpow[j] = make([]float64, nb)
		}
		c.xpMax = make([]float64, nb)
	}
	c.d = make([]float64, n)
	c.xr = make([]float64, n)
	c.yf, c.yb = make([]float64, n), make([]float64, n)
	c.ef, c.eb, c.out = make([]float64, n), make([]float64, n), make([]float64, n)
	c.power = make([]float64, nb)
	c.step = make([]float64, nb)
	c.eh, c.yh = make([]float64, nb), make([]float64, nb)
	if cfg.Suppression > 0 {
		c.sup = newSuppressor(n, c.fft, cfg.Suppression, !cfg.NoComfortNoise)
	}
	c.Reset()
	return c, nil
}

// Config returns the configuration with the defaults filled in.
func (c *Canceller) Config() Config { return c.cfg }

// BlockSize is the number of samples in one 10 ms block: Rate/100.
func (c *Canceller) BlockSize() int { return c.n }

// Latency is how many samples the output lags the microphone: one block
// with residual echo suppression, none without.
func (c *Canceller) Latency() int {
	if c.sup != nil {
		return c.n
	}
	return 0
}

// Stats returns the canceller's measurements after the last block.
func (c *Canceller) Stats() Stats { return c.stats }

// Reset forgets everything: the far end, the filters, the delay estimate,
// the suppressor's state, as New left them (the statistics' counters
// too).
func (c *Canceller) Reset() {
	clear(c.ring)
	c.written = 0
	c.delay = int(c.cfg.Delay / BlockDuration)
	for j := range c.x {
		clear(c.x[j])
	}
	c.xHead = 0
	for j := range c.xpow {
		clear(c.xpow[j])
	}
	c.xpHead = 0
	c.resetFilters()
	if c.de != nil {
		c.de.reset()
	}
	if c.sup != nil {
		c.sup.reset()
	}
	c.micPow, c.outPow, c.prevMic, c.linMic, c.linOut = 0, 0, 0, 0, 0
	c.stats = Stats{Delay: time.Duration(c.delay) * BlockDuration, Leak: 1}
}

// resetFilters restarts adaptation from zero weights.
func (c *Canceller) resetFilters() {
	for j := range c.wf {
		clear(c.wf[j])
		clear(c.wb[j])
	}
	clear(c.power)
	clear(c.step)
	clear(c.norm)
	clear(c.eh)
	clear(c.yh)
	c.pey, c.pyy, c.leak = 1, 1, 1
	c.adapted, c.sumAdapt = false, 0
	c.davg1, c.davg2, c.dvar1, c.dvar2 = 0, 0, 0, 0
	c.worse = 0
	c.fitDY, c.fitYY, c.misfit, c.farRecent = 0, 0, false, 0
	// Initial proportionate steps decay along the tail, as a room's
	// response does.
	decay := math.Exp(-2.4 / float64(c.m))
	p, sum := 0.7, 0.0
	for j := range c.prop {
		c.prop[j] = p
		sum += p
		p *= decay
	}
	for j := range c.prop {
		c.prop[j] *= 0.8 / sum
	}
}

// Process cancels the echo of ref, the far end's block that the
// loudspeaker played, from mic, the microphone's block recorded at the
// same time, and writes the result to out. All three hold BlockSize
// samples, except ref, which may be empty for silence; out may be mic.
// With suppression, out lags mic by Latency samples.
func (c *Canceller) Process(mic, ref, out []int16) error {
	n := c.n
	if len(mic) != n || len(out) != n || (len(ref) != n && len(ref) != 0) {
		return fmt.Errorf("aec: mic %d, ref %d, out %d samples, want %d at %d Hz: %w", len(mic), len(ref), len(out), n, c.cfg.Rate, ErrBlockSize)
	}
	for i, v := range mic {
		c.d[i] = float64(v)
	}
	if len(ref) == 0 {
		clear(c.xr)
	} else {
		for i, v := range ref {
			c.xr[i] = float64(v)
		}
	}
	c.block()
	for i, v := range c.out {
		out[i] = gain.Saturate(v)
	}
	return nil
}

// block runs one block: c.d and c.xr in, c.out out.
func (c *Canceller) block() {
	n, m := c.n, c.m
	// Far end into the ring, and the delay estimate.
	base := int(c.written % int64(len(c.ring)))
	k := copy(c.ring[base:], c.xr)
	copy(c.ring, c.xr[k:])
	c.written += int64(n)
	if c.de != nil {
		if est := c.de.update(c.xr, c.d); est >= 0 {
			c.stats.DelayFound = true
			c.stats.EchoDelay = time.Duration(est) * BlockDuration
			// Move only when the echo starts before the filter does, or
			// so late that a quarter of the partitions model nothing.
			target := min(max(est-delayMargin, 0), c.maxDelayBlocks)
			if target < c.delay || target > c.delay+c.m/4 {
				c.setDelay(target)
			}
		}
	}

	// The newest far-end spectrum.
	c.xHead++
	if c.xHead == m {
		c.xHead = 0
	}
	sxx := c.farSpectrum(c.x[c.xHead], 0)

	var sdd float64
	for _, v := range c.d {
		sdd += v * v
	}
	// Foreground and background outputs and errors.
	sff, see := c.filter()
	var dbf, syy, sey float64
	for i := range n {
		dy := c.yf[i] - c.yb[i]
		dbf += dy * dy
		syy += c.yb[i] * c.yb[i]
		sey += c.eb[i] * c.yb[i]
	}
	dbf += 10

	if !(sff < float64(n)*1e10 && see < float64(n)*1e10 && syy < float64(n)*1e10) { // also NaN
		c.stats.Resets++
		c.resetFilters()
		copy(c.out, c.d)
		c.finish(sdd, sxx, 0, sdd)
		return
	}

	// Foreground/background: take the background when it has done
	// better, go back to the foreground when it has done much worse.
	diff := sff - see
	c.davg1 = 0.6*c.davg1 + 0.4*diff
	c.dvar1 = 0.36*c.dvar1 + 0.16*sff*dbf
	c.davg2 = 0.85*c.davg2 + 0.15*diff
	c.dvar2 = 0.7225*c.dvar2 + 0.0225*sff*dbf
	copy(c.out, c.ef)
	if diff*math.Abs(diff) > sff*dbf || c.davg1*math.Abs(c.davg1) > 0.5*c.dvar1 || c.davg2*math.Abs(c.davg2) > 0.25*c.dvar2 {
		c.davg1, c.davg2, c.dvar1, c.dvar2 = 0, 0, 0, 0
		for j := range c.wf {
			copy(c.wf[j], c.wb[j])
		}
		// Cross-fade from the foreground's error to the background's.
		for i := range n {
			w := 0.5 - 0.5*math.Cos(math.Pi*(float64(i)+0.5)/float64(n))
			c.out[i] = (1-w)*c.ef[i] + w*c.eb[i]
			c.yf[i] = (1-w)*c.yf[i] + w*c.yb[i]
		}
		sff = see
	} else if -diff*math.Abs(diff) > 4*sff*dbf || -c.davg1*math.Abs(c.davg1) > 4*c.dvar1 || -c.davg2*math.Abs(c.davg2) > 4*c.dvar2 {
		for j := range c.wb {
			copy(c.wb[j], c.wf[j])
		}
		copy(c.eb, c.ef)
		copy(c.yb, c.yf)
		see = sff
		syy, sey = 0, 0
		for i := range n {
			syy += c.yb[i] * c.yb[i]
			sey += c.eb[i] * c.yb[i]
		}
		c.davg1, c.davg2, c.dvar1, c.dvar2 = 0, 0, 0, 0
	}

	// The echo estimate's fit to the microphone.
	var sdy, syf float64
	for i := range n {
		sdy += c.d[i] * c.yf[i]
		syf += c.yf[i] * c.yf[i]
	}
	c.fitDY += fitRate * (sdy - c.fitDY)
	c.fitYY += fitRate * (syf - c.fitYY)
	c.misfit = c.fitYY > float64(n)*1000 && c.fitDY < misfitRatio*c.fitYY
	// The far end talks but nothing of it has reached the filter yet
	// (it starts c.delay blocks back): an echo that now comes earlier is
	// modelled by nobody. The suppressor decides from the microphone.
	var sxr float64
	for _, v := range c.xr {
		sxr += v * v
	}
	c.farRecent = max(0.7*c.farRecent, sxr)
	if c.delay > 0 && c.farRecent > float64(n)*1000 && syf < 0.01*sdd {
		c.misfit = true
	}

	// Divergence: the output louder than the microphone.
	if sff > sdd+float64(n)*10000 {
		c.worse++
		copy(c.out, c.d) // never make it worse than doing nothing
		if c.worse >= 50 {
			c.stats.Divergences++
			c.stats.Resets++
			c.resetFilters()
		}
	} else {
		c.worse = 0
	}

	c.lastSyy = syy
	c.adapt(sxx, see, syy, sey)
	c.finish(sdd, sxx, see, sff)
}

// farSpectrum computes into dst the spectrum (scaled by 1/2N) of the two
// delayed far-end blocks ending `back` blocks before the newest one, and
// returns the energy of the newest of the two.
func (c *Canceller) farSpectrum(dst []complex128, back int) float64 {
	return c.farSpectrumAt(dst, c.delay+back)
}

// farSpectrumAt is farSpectrum for the two far-end blocks ending `delay`
// blocks before the newest one written.
func (c *Canceller) farSpectrumAt(dst []complex128, delay int) float64 {
	n := c.n
	start := c.written - int64((delay+2)*n)
	buf := c.tbuf[:2*n]
	if start < 0 { // before the first far-end sample: silence
		z := int(min(-start, int64(len(buf))))
		clear(buf[:z])
		buf, start = buf[z:], 0
	}
	if len(buf) > 0 {
		i := int(start % int64(len(c.ring)))
		k := copy(buf, c.ring[i:])
		copy(buf[k:], c.ring)
	}
	var e float64
	for _, v := range c.tbuf[n : 2*n] {
		e += v * v
	}
	c.fft.Coefficients(dst, c.tbuf)
	scale := 1 / float64(c.l)
	for k, v := range dst {
		dst[k] = complex(real(v)*scale, imag(v)*scale)
	}
	return e
}

// filter computes the echo estimates of the foreground and background
// weights over the far-end history (one pass over both), and the errors
// mic - y; it returns the errors' energies.
func (c *Canceller) filter() (sff, see float64) {
	nb := c.nb
	accF, accB := c.cbuf[:nb], c.cbuf2[:nb]
	clear(accF)
	clear(accB)
	for j := range c.m {
		i := c.xHead - j
		if i < 0 {
			i += c.m
		}
		x := c.x[i][:nb]
		wf, wb := c.wf[j][:nb], c.wb[j][:nb]
		for k, xv := range x {
			xr, xi := real(xv), imag(xv)
			f, b := wf[k], wb[k]
			accF[k] += complex(xr*real(f)-xi*imag(f), xr*imag(f)+xi*real(f))
			accB[k] += complex(xr*real(b)-xi*imag(b), xr*imag(b)+xi*real(b))
		}
	}
	sff = c.output(accF, c.yf, c.ef)
	see = c.output(accB, c.yb, c.eb)
	return sff, see
}

// output turns an echo estimate spectrum into the time-domain estimate y
// and error e; it returns the error's energy.
func (c *Canceller) output(acc []complex128, y, e []float64) float64 {
	c.fft.Sequence(c.tbuf, acc)
	var see float64
	d := c.d[:len(y)]
	t := c.tbuf[c.n : c.n+len(y)]
	for i := range y {
		y[i] = t[i]
		e[i] = d[i] - t[i]
		see += e[i] * e[i]
	}
	return see
}

// adapt updates the background weights from the background error, with
// the step from the leak estimate.
func (c *Canceller) adapt(sxx, see, syy, sey float64) {
	n, nb := c.n, c.nb
	// Error and echo estimate spectra (first half zero).
	clear(c.tbuf[:n])
	copy(c.tbuf[n:], c.eb)
	c.fft.Coefficients(c.eSpec, c.tbuf)
	copy(c.tbuf[n:], c.yb)
	c.fft.Coefficients(c.ySpec, c.tbuf)
	scale := 1 / float64(c.l)
	ss := 0.35 / float64(c.m)
	x := c.x[c.xHead][:nb]
	var pey, pyy float64
	for k := range nb {
		xf := real(x[k])*real(x[k]) + imag(x[k])*imag(x[k])
		c.power[k] = (1-ss)*c.power[k] + 1 + ss*xf
		e := complex(real(c.eSpec[k])*scale, imag(c.eSpec[k])*scale)
		c.eSpec[k] = e
		yv := complex(real(c.ySpec[k])*scale, imag(c.ySpec[k])*scale)
		rf := real(e)*real(e) + imag(e)*imag(e)
		yf := real(yv)*real(yv) + imag(yv)*imag(yv)
		c.ySpec[k] = complex(rf, yf) // stash the powers for the step below
		eh, yh := rf-c.eh[k], yf-c.yh[k]
		pey += eh * yh
		pyy += yh * yh
		c.eh[k] = 0.99*c.eh[k] + 0.01*rf
		c.yh[k] = 0.99*c.yh[k] + 0.01*yf
	}
	if see < 1 {
		see = 1
	}
	pyy = math.Sqrt(pyy)
	if pyy > 0 {
		pey /= pyy
	}
	alpha := min(0.02*syy, 0.005*see) / see
	c.pey = (1-alpha)*c.pey + alpha*pey
	c.pyy = (1-alpha)*c.pyy + alpha*pyy
	c.pyy = max(c.pyy, 1)
	c.pey = min(max(c.pey, 0.005*c.pyy), c.pyy)
	c.leak = c.pey / c.pyy

	rer := (0.0001*sxx + 3*c.leak*syy) / see
	if lb := sey * sey / (1 + see*syy); rer < lb {
		rer = lb
	}
	rer = min(rer, 0.5)
	if !c.adapted && c.sumAdapt > float64(c.m) && c.leak > 0.03 {
		c.adapted = true
	}
	if c.adapted {
		for k := range nb {
			p := c.ySpec[k]
			r := c.leak * imag(p)
			e := real(p) + 1
			r = min(r, 0.5*e)
			r = 0.7*r + 0.3*rer*e
			c.step[k] = r / (e * (c.power[k] + 10))
		}
	} else {
		rate := 0.0
		if sxx > float64(2*n)*1000 {
			rate = min(0.8*sxx, 0.8*see) / see
		}
		for k := range nb {
			c.step[k] = rate / (c.power[k] + 10)
		}
		c.sumAdapt += rate
	}

	// Proportionate steps from the background weights' norms (summed
	// by the last block's gradient step).
	var maxNorm, sum float64
	for j := range c.prop {
		c.prop[j] = math.Sqrt(c.norm[j] + 1)
		maxNorm = max(maxNorm, c.prop[j])
	}
	for j := range c.prop {
		c.prop[j] += 0.1 * maxNorm
		sum += c.prop[j]
	}
	for j := range c.prop {
		c.prop[j] *= 0.99 / sum
	}

	// Gradient step on every partition, the constraint on one in turn
	// (partition 0 every other block): the unconstrained steps between
	// leave a little circular wrap that the next constraint removes.
	c.count++
	constrained := c.count % c.m
	if c.count%2 == 0 {
		constrained = 0
	}
	measure := c.count%4 == 0 // the partitions' norms, for the proportionate steps, every 40 ms
	ge := c.eSpec[:nb]
	step := c.step[:nb]
	for k := range ge {
		ge[k] = complex(real(ge[k])*step[k], imag(ge[k])*step[k])
	}
	for j := range c.m {
		i := c.xHead - j
		if i < 0 {
			i += c.m
		}
		xj := c.x[i][:nb]
		w := c.wb[j][:nb]
		p := c.prop[j]
		if j == constrained || !measure {
			for k, g := range ge {
				x := xj[k]
				// w += p·conj(x)·g
				w[k] = complex(real(w[k])+p*(real(x)*real(g)+imag(x)*imag(g)), imag(w[k])+p*(real(x)*imag(g)-imag(x)*real(g)))
			}
			if j == constrained {
				c.norm[j] = c.constrain(w)
			}
			continue
		}
		var norm float64
		for k, g := range ge {
			x := xj[k]
			wr := real(w[k]) + p*(real(x)*real(g)+imag(x)*imag(g))
			wi := imag(w[k]) + p*(real(x)*imag(g)-imag(x)*real(g))
			w[k] = complex(wr, wi)
			norm += wr*wr + wi*wi
		}
		c.norm[j] = norm
	}
}

// constrain zeroes the second half of w's impulse response, so the block
// convolution stays linear, and returns w's squared norm.
func (c *Canceller) constrain(w []complex128) float64 {
	c.fft.Sequence(c.tbuf, w)
	scale := 1 / float64(c.l)
	for i := range c.n {
		c.tbuf[i] *= scale
	}
	clear(c.tbuf[c.n:])
	c.fft.Coefficients(w, c.tbuf)
	var norm float64
	for _, v := range w {
		norm += real(v)*real(v) + imag(v)*imag(v)
	}
	return norm
}

// setDelay moves the bulk delay to `to` blocks, shifting the weights by
// the same number of partitions and recomputing the far-end history.
func (c *Canceller) setDelay(to int) {
	k := to - c.delay
	c.delay = to
	if c.linOut > 0.5*c.linMic {
		// The filter takes less than 3 dB off: it has found nothing
		// worth keeping, so it starts again with the fast initial step.
		c.resetFilters()
	}
	c.stats.DelayChanges++
	c.stats.Delay = time.Duration(to) * BlockDuration
	for _, w := range [][][]complex128{c.wf, c.wb} {
		shiftPartitions(w, k)
	}
	for j := range c.m {
		i := c.xHead - j
		if i < 0 {
			i += c.m
		}
		c.farSpectrum(c.x[i], j+1) // x[xHead] is the block before the newest one written
	}
}

// shiftPartitions moves w[j+k] to w[j], zeroing what comes from outside.
func shiftPartitions(w [][]complex128, k int) {
	m := len(w)
	if k > 0 {
		for j := range m {
			if j+k < m {
				w[j], w[j+k] = w[j+k], w[j]
			} else {
				clear(w[j])
			}
		}
	} else if k < 0 {
		for j := m - 1; j >= 0; j-- {
			if j+k >= 0 {
				w[j], w[j+k] = w[j+k], w[j]
			} else {
				clear(w[j])
			}
		}
	}
}

// finish runs the suppressor on c.out and updates the statistics.
func (c *Canceller) finish(sdd, sxx, see, sff float64) {
	n := float64(c.n)
	farOn := sxx > n*1000
	// Suspected double talk: the error well above the residual echo the
	// leak predicts. The suppressor confirms it against its echo model.
	dt := farOn && c.adapted && see > 4*c.leak*c.lastSyy+n*1000
	// The linear filter's residual share, from its ERLE over far-end
	// blocks without double talk (as confirmed by the suppressor up to
	// the last block): quick to rise after a path change.
	confirmed := dt
	if c.sup != nil {
		confirmed = c.sup.dtHold > 0
	}
	if farOn && !confirmed {
		c.linMic += 0.1 * (sdd - c.linMic)
		c.linOut += 0.1 * (sff - c.linOut)
	}
	if c.worse > 0 { // the filter makes it worse: it cancels nothing
		c.linOut = max(c.linOut, c.linMic)
	}
	if c.sup != nil {
		// The far end's spectrum where the echo is strongest: the
		// delay estimator's best candidate within the filter.
		j, aligned := min(delayMargin, c.m-1), c.de == nil
		if c.de != nil && c.de.cand >= 0 {
			j, aligned = c.de.cand-c.delay, true
		}
		var x []complex128
		if j >= 0 && j < c.m {
			i := c.xHead - j
			if i < 0 {
				i += c.m
			}
			x = c.x[i]
		} else {
			// Outside the filter (the echo path changed): one more
			// spectrum, at the candidate's delay.
			c.farSpectrum(c.xm, j)
			x = c.xm
		}
		var xmax []float64
		if c.xpow != nil {
			// The far end's power spectra over every delay the echo may
			// have: the echo model while the echo path is uncertain.
			c.xpHead++
			if c.xpHead == len(c.xpow) {
				c.xpHead = 0
			}
			c.farSpectrumAt(c.cbuf, 0)
			xp := c.xpow[c.xpHead][:c.nb]
			for k, v := range c.cbuf[:c.nb] {
				xp[k] = real(v)*real(v) + imag(v)*imag(v)
			}
			if c.misfit {
				xmax = c.xpMax[:c.nb]
				copy(xmax, xp)
				for _, p := range c.xpow {
					for k, v := range p[:c.nb] {
						xmax[k] = max(xmax[k], v)
					}
				}
			}
		}
		rho := min(max((c.linOut+1)/(c.linMic+1), 0.001), 1)
		var uncertain bool
		dt, uncertain = c.sup.process(c.d, c.out, x, xmax, c.leak, rho, dt, aligned && farOn && !dt, c.out)
		if uncertain { // the echo path has changed: the filter cancels nothing
			c.linOut = max(c.linOut, c.linMic)
		}
	}
	c.stats.DoubleTalk = dt
	if dt {
		c.stats.DoubleTalkBlocks++
	}
	var so float64
	for _, v := range c.out {
		so += v * v
	}
	mic := sdd
	if c.sup != nil {
		mic, c.prevMic = c.prevMic, sdd
	}
	if farOn && !c.stats.DoubleTalk {
		c.micPow = 0.99*c.micPow + 0.01*mic
		c.outPow = 0.99*c.outPow + 0.01*so
		c.stats.ERLE = 10 * math.Log10((c.micPow+1)/(c.outPow+1))
	}
	c.stats.Leak = c.leak
}
