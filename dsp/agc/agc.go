// Package agc brings speech in 16-bit mono PCM at 8, 16, 32 or 48 kHz to
// a target level in dBov, block by block of 10 ms, without boosting the
// pauses and the noise between words and without ever clipping.
//
// # Method
//
// Level: each 10 ms block goes through a voice activity detector
// (dsp/vad). A block counts as active speech when the detector is in a
// talkspurt, the block is at least 6 dB over the detector's noise floor,
// and it is no more than 16 dB under the current speech level estimate
// (the margin ITU-T P.56 uses for its active speech level, 15.9 dB), so
// the hangover after words, breaths and the noise in pauses are left out.
// The speech level is the mean power of the active blocks, smoothed with
// a time constant of 0.5 s of speech. Between talkspurts nothing is
// measured and the gain holds.
//
// Gain: the wanted gain is Target minus the speech level, within
// [-MaxGain, MaxGain]. The applied gain moves toward it no faster than
// AttackRate dB/s when it falls (the talker got louder) and ReleaseRate
// dB/s when it rises, and is interpolated sample by sample across each
// block, so it never steps.
//
// Limiter: after the gain, a look-ahead peak limiter keeps every sample
// within Ceiling (default -1 dBFS). For each sample it needs a gain of
// min(1, ceiling/|x|); the minimum of that over the next 2 ms, made to
// recover at no more than one 50 ms time constant, and then averaged
// over 2 ms, is applied 2 ms late. The average over a window no longer
// than the minimum's makes the applied gain meet every sample's need
// exactly while changing by at most 1/(2 ms of samples) per sample:
// loud bursts are brought under the ceiling with a 2 ms fade instead of
// being clipped. The output lags the input by those 2 ms (Delay).
//
// # Accuracy
//
// Measured by the tests (go test ./dsp/agc -v), at 8 and 16 kHz (and all
// four rates for the last two):
//   - TestConvergence: synthetic talk (vadtest.Talk, talkspurts from 1 s)
//     at -40, -28 and -10 dBov in white noise 30 dB under it, with the
//     default target of -18 dBov, and -30 → -25, -20 → -14 dBov, comes
//     out within 2 dB of the target (active level over the talkspurts,
//     per 4 s window) from the second window on: within 3 s of the first
//     word; measured -18.0 to -19.1 dBov. The speech level estimate
//     reads the input's active level within 0.5 dB.
//   - TestNoiseOnly: white and pink noise alone, -60 to -30 dBov, for
//     10 s: the gain never rises over 0 dB (the bound tested is 1 dB).
//   - TestBurst: a 1 s tone 10 to 30 dB over the talk the gain settled
//     on, up to full scale, comes out with no sample over the -1 dBFS
//     ceiling, and the total gain changes from one sample to the next by
//     at most 0.55 of the 2 ms fade's bound (a hard clip at the ceiling
//     measures 3 to 45 times the bound).
//
// BenchmarkProcess: 1.9 µs per 10 ms block at 8 kHz, 3.8 µs at 16 kHz
// (go test -bench . -benchmem ./dsp/agc, 0 allocs/op).
//
// A Controller is not safe for concurrent use. Process does not allocate.
package agc

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/voxgraph/voxgraph/dsp/level"
	"github.com/voxgraph/voxgraph/dsp/vad"
)

// BlockDuration is the length of the blocks the gain is set for.
const BlockDuration = 10 * time.Millisecond

// Defaults used by New for zero fields of Config.
const (
	DefaultTarget      = -18.0 // Config.Target, dBov
	DefaultMaxGain     = 30.0  // Config.MaxGain, dB
	DefaultAttackRate  = 20.0  // Config.AttackRate, dB per second
	DefaultReleaseRate = 6.0   // Config.ReleaseRate, dB per second
	DefaultCeiling     = -1.0  // Config.Ceiling, dBFS
)

// LimiterLookahead is how far ahead the limiter looks, and so how late
// the output is.
const LimiterLookahead = 2 * time.Millisecond

// ErrUnsupportedRate is returned (wrapped) by New for a sample rate other
// than 8000, 16000, 32000 or 48000 Hz.
var ErrUnsupportedRate = errors.New("unsupported sample rate")

// ErrBlockSize is returned (wrapped) by Process for a slice that is not a
// whole number of 10 ms blocks.
var ErrBlockSize = errors.New("not a whole number of 10 ms blocks")

const (
	levelTau     = 0.5   // s of speech: smoothing of the speech level
	overFloor    = 6.0   // dB over the VAD's noise floor for a block to count
	underLevel   = 16.0  // dB under the speech level for a block still to count
	limiterTau   = 0.050 // s: the limiter's recovery time constant
	fullScale    = 32768 // 0 dBFS
	maxTargetDB  = -3.0  // Config.Target must be under this
	minTargetDB  = -60.0 // … and over this
	maxMaxGain   = 60.0  // Config.MaxGain limit
	maxRateDBs   = 1000  // Config.AttackRate and ReleaseRate limit
	minCeilingDB = -20.0 // Config.Ceiling limits
)

// Config sets up a Controller. Zero fields take the defaults.
type Config struct {
	// Rate is the sample rate in Hz: 8000, 16000, 32000 or 48000.
	Rate int
	// Target is the speech level to reach in dBov, in (-60, -3); 0 means
	// DefaultTarget (-18 dBov).
	Target float64
	// MaxGain bounds the gain, both ways, in dB, in (0, 60]; 0 means
	// DefaultMaxGain (30 dB).
	MaxGain float64
	// AttackRate is how fast the gain may fall, in dB per second, in
	// (0, 1000]; 0 means DefaultAttackRate (20 dB/s).
	AttackRate float64
	// ReleaseRate is how fast the gain may rise, in dB per second, in
	// (0, 1000]; 0 means DefaultReleaseRate (6 dB/s).
	ReleaseRate float64
	// Ceiling is the limiter's ceiling in dBFS (0 dBFS is full scale), in
	// [-20, 0); 0 means DefaultCeiling (-1 dBFS).
	Ceiling float64
}

func (c Config) normalize() (Config, error) {
	switch c.Rate {
	case 8000, 16000, 32000, 48000:
	default:
		return c, fmt.Errorf("agc: %d Hz: %w (supported: 8000, 16000, 32000, 48000 Hz)", c.Rate, ErrUnsupportedRate)
	}
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.Target, DefaultTarget)
	def(&c.MaxGain, DefaultMaxGain)
	def(&c.AttackRate, DefaultAttackRate)
	def(&c.ReleaseRate, DefaultReleaseRate)
	def(&c.Ceiling, DefaultCeiling)
	// The comparisons are written so that NaN fails them.
	switch {
	case !(c.Target > minTargetDB && c.Target < maxTargetDB):
		return c, fmt.Errorf("agc: target %g dBov must be in (%g, %g)", c.Target, minTargetDB, maxTargetDB)
	case !(c.MaxGain > 0 && c.MaxGain <= maxMaxGain):
		return c, fmt.Errorf("agc: max gain %g dB must be in (0, %g]", c.MaxGain, maxMaxGain)
	case !(c.AttackRate > 0 && c.AttackRate <= maxRateDBs):
		return c, fmt.Errorf("agc: attack rate %g dB/s must be in (0, %d]", c.AttackRate, maxRateDBs)
	case !(c.ReleaseRate > 0 && c.ReleaseRate <= maxRateDBs):
		return c, fmt.Errorf("agc: release rate %g dB/s must be in (0, %d]", c.ReleaseRate, maxRateDBs)
	case !(c.Ceiling >= minCeilingDB && c.Ceiling < 0):
		return c, fmt.Errorf("agc: ceiling %g dBFS must be in [%g, 0)", c.Ceiling, minCeilingDB)
	}
	return c, nil
}

// Controller sets the gain of a stream of 10 ms blocks. Create it with
// New.
type Controller struct {
	cfg      Config
	n        int // samples per block
	det      *vad.Detector
	levelA   float64 // smoothing factor of the speech level per active block
	attack   float64 // largest fall of the gain per block, dB
	release  float64 // largest rise of the gain per block, dB
	ceiling  float64 // limiter ceiling in sample units
	recovery float64 // limiter recovery factor per sample

	speech float64 // speech level estimate, mean square; 0 before any speech
	gainDB float64 // gain at the end of the last block, dB
	gain   float64 // … linear

	// Look-ahead limiter: d = lookahead in samples; the last d+1 gained
	// samples (delay), needed gains (need) and their recovered running
	// minima (mins, summed in sum), as rings indexed by pos; a monotone
	// deque of need indices (dq, head, size) for the running minimum.
	d       int
	pos     int
	delay   []float64
	mins    []float64
	sum     float64
	dqIdx   []int
	dqVal   []float64
	head    int
	size    int
	t       int     // samples since start, the deque's clock
	lastMin float64 // recovered minimum of the previous sample
	limited bool    // the limiter reduced the last block
}

// New returns a Controller for cfg, or an error naming the field that is
// out of range (a wrapped ErrUnsupportedRate for the rate).
func New(cfg Config) (*Controller, error) {
	cfg, err := cfg.normalize()
	if err != nil {
		return nil, err
	}
	det, err := vad.New(vad.Config{Rate: cfg.Rate})
	if err != nil {
		return nil, fmt.Errorf("agc: %w", err)
	}
	blockS := BlockDuration.Seconds()
	d := int(LimiterLookahead.Seconds() * float64(cfg.Rate))
	c := &Controller{
		cfg:      cfg,
		n:        cfg.Rate / 100,
		det:      det,
		levelA:   1 - math.Exp(-blockS/levelTau),
		attack:   cfg.AttackRate * blockS,
		release:  cfg.ReleaseRate * blockS,
		ceiling:  fullScale * math.Pow(10, cfg.Ceiling/20),
		recovery: 1 - math.Exp(-1/(limiterTau*float64(cfg.Rate))),
		d:        d,
		delay:    make([]float64, d+1),
		mins:     make([]float64, d+1),
		dqIdx:    make([]int, d+1),
		dqVal:    make([]float64, d+1),
	}
	c.Reset()
	return c, nil
}

// Config returns the controller's configuration with the defaults filled
// in.
func (c *Controller) Config() Config { return c.cfg }

// BlockSize is the number of samples in one 10 ms block: Rate/100.
func (c *Controller) BlockSize() int { return c.n }

// Delay is how many samples the output lags the input: the limiter's
// look-ahead.
func (c *Controller) Delay() int { return c.d }

// Reset forgets the stream: the speech level, the gain (back to 0 dB),
// the voice activity detector and the limiter's look-ahead.
func (c *Controller) Reset() {
	c.det.Reset()
	c.speech, c.gainDB, c.gain = 0, 0, 1
	clear(c.delay)
	for i := range c.mins {
		c.mins[i] = 1
	}
	c.sum = float64(len(c.mins))
	c.pos, c.head, c.size, c.t = 0, 0, 0, 0
	c.lastMin, c.limited = 1, false
}

// Gain is the gain applied at the end of the last block, in dB, the
// limiter aside.
func (c *Controller) Gain() float64 { return c.gainDB }

// Level is the estimated speech level of the input in dBov, level.Floor
// before any speech.
func (c *Controller) Level() float64 {
	return level.DBov(math.Sqrt(c.speech))
}

// Limited reports whether the limiter reduced any sample of the last
// block.
func (c *Controller) Limited() bool { return c.limited }

// Speech reports whether the voice activity detector was in a talkspurt
// at the last block.
func (c *Controller) Speech() bool { return c.det.Active() }

// Process sets the gain of pcm, in place: pcm must be a whole number of
// 10 ms blocks (a multiple of BlockSize), else Process returns a wrapped
// ErrBlockSize and leaves pcm and the controller as they were. The output
// lags the input by Delay samples.
func (c *Controller) Process(pcm []int16) error {
	if len(pcm)%c.n != 0 {
		return fmt.Errorf("agc: %d samples: %w of %d samples", len(pcm), ErrBlockSize, c.n)
	}
	for ; len(pcm) > 0; pcm = pcm[c.n:] {
		c.block(pcm[:c.n])
	}
	return nil
}

// block processes one block of exactly c.n samples in place.
func (c *Controller) block(pcm []int16) {
	c.measure(pcm)
	want := c.gainDB
	if c.speech > 0 {
		want = c.cfg.Target - level.DBov(math.Sqrt(c.speech))
		want = max(min(want, c.cfg.MaxGain), -c.cfg.MaxGain)
	}
	next := max(min(want, c.gainDB+c.release), c.gainDB-c.attack)
	g0, g1 := c.gain, math.Pow(10, next/20)
	c.gainDB, c.gain = next, g1
	step := (g1 - g0) / float64(c.n)
	c.limited = false
	for i, s := range pcm {
		g := g0 + step*float64(i+1)
		pcm[i] = c.limit(float64(s) * g)
	}
}

// measure runs the voice activity detector on the block and updates the
// speech level with it if it is active speech.
func (c *Controller) measure(pcm []int16) {
	active := c.det.Process(pcm)
	var sum int64
	for _, s := range pcm {
		sum += int64(s) * int64(s)
	}
	p := float64(sum) / float64(len(pcm))
	if !active || p <= 0 {
		return
	}
	db := level.DBov(math.Sqrt(p))
	if db < c.det.NoiseFloor()+overFloor {
		return
	}
	if c.speech == 0 {
		c.speech = p
		return
	}
	if db < level.DBov(math.Sqrt(c.speech))-underLevel {
		return
	}
	c.speech += c.levelA * (p - c.speech)
}

// limit takes the next gained sample v and returns the sample d samples
// before it, limited, as 16-bit PCM.
func (c *Controller) limit(v float64) int16 {
	need := 1.0
	if a := math.Abs(v); a > c.ceiling {
		need = c.ceiling / a
	}
	// Running minimum of need over the last d+1 samples: drop from the
	// back what the new value undercuts, from the front what is too old.
	k := len(c.dqIdx)
	for c.size > 0 && c.dqVal[(c.head+c.size-1)%k] >= need {
		c.size--
	}
	c.dqIdx[(c.head+c.size)%k], c.dqVal[(c.head+c.size)%k] = c.t, need
	c.size++
	if c.dqIdx[c.head] <= c.t-k {
		c.head = (c.head + 1) % k
		c.size--
	}
	m := c.dqVal[c.head]
	c.t++
	// Recover slowly: the minimum may rise by only a fraction of its
	// distance to one per sample.
	m = min(m, c.lastMin+(1-c.lastMin)*c.recovery)
	c.lastMin = m
	// Average the minima over the last d+1 samples; apply the result to
	// the sample d back.
	c.sum += m - c.mins[c.pos]
	c.mins[c.pos] = m
	out := c.delay[(c.pos+1)%k] // the oldest: d samples back
	c.delay[c.pos] = v
	c.pos = (c.pos + 1) % k
	g := min(c.sum/float64(k), 1)
	if g < 0.9999 {
		c.limited = true
	}
	y := out * g
	// The average meets every need, up to rounding; the clamp is only
	// against that rounding.
	y = max(min(y, c.ceiling), -c.ceiling)
	return int16(math.Round(y))
}
