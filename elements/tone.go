package elements

import (
	"fmt"
	"strings"
	"time"

	"github.com/voxgraph/voxgraph/dsp/level"
	"github.com/voxgraph/voxgraph/dsp/tone"
	"github.com/voxgraph/voxgraph/pipeline"
)

// Tone generates sine tones — one or more frequencies summed — or a DTMF
// digit sequence, as PCM.
type Tone struct {
	pipeline.NoInput

	Freqs    []float64     `prop:"freqs" default:"1000" doc:"frequencies in Hz, summed (e.g. 350,440 for a dial tone); ignored when digits is set"`
	Level    float64       `prop:"level" default:"-10" doc:"level of each frequency in dBov (0 dBov = full-scale square wave; a full-scale sine is -3 dBov)"`
	Duration time.Duration `prop:"duration" default:"0s" doc:"how long to play; 0 plays forever (or, with digits, until the digits end)"`
	Rate     int           `prop:"rate" default:"8000" doc:"sample rate in Hz"`
	Digits   string        `prop:"digits" doc:"DTMF digits to play (0-9 * # A-D; ',' is a pause of one digit slot)"`
	DigitOn  time.Duration `prop:"digit-on" default:"100ms" doc:"duration of each DTMF digit"`
	DigitOff time.Duration `prop:"digit-off" default:"100ms" doc:"silence after each DTMF digit"`
	Paced    bool          `prop:"realtime" default:"false" doc:"pace output at wall-clock speed"`

	f        pipeline.Format
	gen      *tone.Generator
	digits   []*tone.Generator // per digit; nil for a pause
	total    int64             // samples to produce; -1 = forever
	produced int64
	onLen    int64
	slotLen  int64
}

func init() {
	pipeline.Register(pipeline.ElementInfo{
		Name:    "tone",
		Summary: "generates sine tones or DTMF digits",
		Doc: "Produces PCM mono at `rate`: the sum of `freqs` at `level` dBov each, or the DTMF sequence in `digits` " +
			"(ITU-T Q.23 frequency pairs, each tone at `level`). Phase is continuous across frames. Ends after `duration`.",
		Outputs: []pipeline.PortInfo{{Name: "out", Doc: "PCM mono"}},
		New:     func() pipeline.Element { return &Tone{} },
	})
}

// Negotiate validates the settings and prepares the generators.
func (e *Tone) Negotiate(n *pipeline.Negotiation) error {
	if e.Rate < 8000 || e.Rate > 192000 {
		return fmt.Errorf("rate %d out of range 8000..192000", e.Rate)
	}
	if e.Level > 3.01 {
		return fmt.Errorf("level %.1f dBov clips (at most +3 dBov, a full-scale sine is -3 dBov)", e.Level)
	}
	if e.Duration < 0 {
		return fmt.Errorf("duration %s is negative", e.Duration)
	}
	amp := level.SineAmplitude(e.Level)
	e.f = pipeline.PCM(e.Rate, 1, n.PTime)
	e.total = -1
	if e.Duration > 0 {
		e.total = int64(e.Duration) * int64(e.Rate) / int64(time.Second)
	}
	e.produced = 0
	if e.Digits != "" {
		if e.DigitOn <= 0 || e.DigitOff < 0 {
			return fmt.Errorf("digit-on must be > 0 and digit-off >= 0")
		}
		e.digits = e.digits[:0]
		for _, d := range strings.ToUpper(e.Digits) {
			if d == ',' {
				e.digits = append(e.digits, nil)
				continue
			}
			lo, hi, ok := tone.DTMF(d)
			if !ok {
				return fmt.Errorf("digits: %q is not a DTMF digit (use 0-9 * # A-D and ',' for a pause)", d)
			}
			e.digits = append(e.digits, tone.NewGenerator(e.Rate, []float64{lo, hi}, amp))
		}
		e.onLen = int64(e.DigitOn) * int64(e.Rate) / int64(time.Second)
		e.slotLen = e.onLen + int64(e.DigitOff)*int64(e.Rate)/int64(time.Second)
		seq := e.slotLen * int64(len(e.digits))
		if e.total < 0 || seq < e.total {
			e.total = seq
		}
	} else {
		if len(e.Freqs) == 0 {
			return fmt.Errorf("freqs is empty (give at least one frequency, e.g. freqs=1000)")
		}
		for _, fr := range e.Freqs {
			if fr <= 0 || fr >= float64(e.Rate)/2 {
				return fmt.Errorf("frequency %g Hz must be between 0 and %d Hz (half the rate)", fr, e.Rate/2)
			}
		}
		e.gen = tone.NewGenerator(e.Rate, e.Freqs, amp)
	}
	n.SetAllOut(e.f)
	return nil
}

// Realtime reports whether the tone wants wall-clock pacing.
func (e *Tone) Realtime() bool { return e.Paced }

// Tick emits the next frame.
func (e *Tone) Tick(out *pipeline.Output) error {
	n := int64(e.f.Samples())
	if e.total >= 0 {
		n = min(n, e.total-e.produced)
	}
	if n <= 0 {
		out.EndOfStream()
		return nil
	}
	f := out.NewFrame()
	f.Format = e.f
	f.Time = time.Duration(e.produced) * time.Second / time.Duration(e.Rate)
	pcm := f.SetPCMLen(int(n))
	if e.gen != nil {
		e.gen.Fill(pcm)
	} else {
		e.fillDigits(pcm)
	}
	e.produced += n
	out.Emit(0, f)
	if e.total >= 0 && e.produced >= e.total {
		out.EndOfStream()
	}
	return nil
}

// fillDigits writes the DTMF sequence for samples [produced, produced+len(pcm)).
func (e *Tone) fillDigits(pcm []int16) {
	pos := e.produced
	for i := 0; i < len(pcm); {
		slot := pos / e.slotLen
		off := pos % e.slotLen
		// samples until the next on/off boundary
		var run int64
		if off < e.onLen {
			run = e.onLen - off
		} else {
			run = e.slotLen - off
		}
		run = min(run, int64(len(pcm)-i))
		seg := pcm[i : i+int(run)]
		if off < e.onLen && slot < int64(len(e.digits)) && e.digits[slot] != nil {
			if off == 0 {
				e.digits[slot].Reset()
			}
			e.digits[slot].Fill(seg)
		} else {
			clear(seg)
		}
		i += int(run)
		pos += run
	}
}

func (e *Tone) String() string {
	if e.Digits != "" {
		return "tone digits=" + e.Digits
	}
	return fmt.Sprintf("tone freqs=%v level=%gdBov", e.Freqs, e.Level)
}
