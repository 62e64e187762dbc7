package dtmf

import (
	"fmt"
	"math"
	"time"

	"github.com/voxgraph/voxgraph/dsp/level"
	"github.com/voxgraph/voxgraph/dsp/tone"
)

// Generator plays DTMF digits as 16-bit PCM: a digit's two tones
// (tone.Generator, continuous phase) from Start until Stop, silence
// otherwise. The digit's level is that of its two tones together; twist
// sets the high group against the low group.
//
// A Generator is not safe for concurrent use. Fill does not allocate.
type Generator struct {
	low, high [16]*tone.Generator // per digit, rows*4+col order of keys
	cur       int                 // digit playing, -1: none
	scratch   [128]int16
	mix       [128]int16 // Add's buffer (Fill uses scratch)
}

// NewGenerator returns a Generator at rate Hz. level is the dBov of a
// digit (both tones together: each tone is 3 dB under it without twist);
// twist is the high group's level minus the low group's, in dB (negative:
// normal twist; Q.24 receivers accept -8 to +4).
func NewGenerator(rate int, level, twist float64) (*Generator, error) {
	if rate < 8000 || rate > 48000 {
		return nil, fmt.Errorf("%w: %d", ErrRate, rate)
	}
	if math.IsNaN(level) || math.IsInf(level, 0) || level > 6 || math.IsNaN(twist) || math.Abs(twist) > 40 {
		return nil, fmt.Errorf("dtmf: generator level %g dBov, twist %g dB out of range", level, twist)
	}
	lo, hi := amplitudes(level, twist)
	g := &Generator{cur: -1}
	for k := range keys {
		g.low[k] = tone.NewGenerator(rate, grid[k/4:k/4+1], lo)
		g.high[k] = tone.NewGenerator(rate, grid[4+k%4:5+k%4], hi)
	}
	return g, nil
}

// amplitudes returns the peak amplitudes of the low and high tones of a
// digit at level dBov with twist dB.
func amplitudes(dbov, twist float64) (lo, hi float64) {
	total := math.Pow(10, dbov/10)
	r := math.Pow(10, twist/10)
	pLo := total / (1 + r)
	lo = level.SineAmplitude(10 * math.Log10(pLo))
	hi = level.SineAmplitude(10 * math.Log10(pLo*r))
	return lo, hi
}

// Index returns the position of a DTMF digit (0-9, *, #, A-D, a-d) in the
// 4×4 keypad, row*4+column, or -1.
func Index(digit rune) int {
	if digit >= 'a' && digit <= 'd' {
		digit -= 'a' - 'A'
	}
	for i, k := range keys {
		if k == digit {
			return i
		}
	}
	return -1
}

// Start plays digit from the next sample on, its tones starting at phase 0.
func (g *Generator) Start(digit rune) error {
	k := Index(digit)
	if k < 0 {
		return fmt.Errorf("dtmf: %q is not a DTMF digit (0-9 * # A-D)", digit)
	}
	g.cur = k
	g.low[k].Reset()
	g.high[k].Reset()
	return nil
}

// Stop ends the digit playing: Fill writes silence.
func (g *Generator) Stop() { g.cur = -1 }

// Playing returns the digit playing, or 0.
func (g *Generator) Playing() rune {
	if g.cur < 0 {
		return 0
	}
	return rune(keys[g.cur])
}

// Fill writes the next len(dst) samples: the digit playing, or silence.
func (g *Generator) Fill(dst []int16) {
	if g.cur < 0 {
		clear(dst)
		return
	}
	g.low[g.cur].Fill(dst)
	for len(dst) > 0 {
		part := dst[:min(len(dst), len(g.scratch))]
		hi := g.scratch[:len(part)]
		g.high[g.cur].Fill(hi)
		for i, v := range hi {
			part[i] = int16(max(math.MinInt16, min(math.MaxInt16, int32(part[i])+int32(v))))
		}
		dst = dst[len(part):]
	}
}

// Add mixes the next len(dst) samples of the digit playing into dst
// (saturating), leaving dst as it is when none plays.
func (g *Generator) Add(dst []int16) {
	if g.cur < 0 {
		return
	}
	for len(dst) > 0 {
		part := dst[:min(len(dst), len(g.mix))]
		t := g.mix[:len(part)]
		g.Fill(t)
		for i, v := range t {
			part[i] = int16(max(math.MinInt16, min(math.MaxInt16, int32(part[i])+int32(v))))
		}
		dst = dst[len(part):]
	}
}

// Sequence appends to dst the digits played one after the other at rate
// Hz: each for on, followed by off of silence; ',' is a pause of on+off.
// level and twist are as for NewGenerator.
func Sequence(dst []int16, rate int, digits string, on, off time.Duration, level, twist float64) ([]int16, error) {
	if on <= 0 || off < 0 {
		return dst, fmt.Errorf("dtmf: sequence on %s must be > 0 and off %s >= 0", on, off)
	}
	g, err := NewGenerator(rate, level, twist)
	if err != nil {
		return dst, err
	}
	nOn, nOff := samples(on, rate), samples(off, rate)
	for _, d := range digits {
		at := len(dst)
		dst = append(dst, make([]int16, nOn+nOff)...)
		if d == ',' {
			continue
		}
		if err := g.Start(d); err != nil {
			return dst[:at], err
		}
		g.Fill(dst[at : at+nOn])
	}
	return dst, nil
}

func samples(d time.Duration, rate int) int {
	return int(d.Seconds()*float64(rate) + 0.5)
}
