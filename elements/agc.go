package elements

import (
	"fmt"
	"sync/atomic"

	"github.com/voxgraph/voxgraph/dsp/agc"
	"github.com/voxgraph/voxgraph/dsp/level"
	"github.com/voxgraph/voxgraph/pipeline"
)

// AGC brings speech in PCM to a target level (dsp/agc): the gain follows
// the level of the speech only, changes at a limited rate, and a
// look-ahead limiter keeps every sample under a ceiling. The audio comes
// out 2 ms late.
type AGC struct {
	Target  float64 `prop:"target" default:"-18" doc:"speech level to reach, dBov (between -60 and -3)"`
	MaxGain float64 `prop:"max-gain" default:"30" doc:"largest gain, and largest attenuation, in dB (up to 60)"`
	Attack  float64 `prop:"attack" default:"20" doc:"how fast the gain may fall when speech gets louder, dB per second"`
	Release float64 `prop:"release" default:"6" doc:"how fast the gain may rise when speech gets quieter, dB per second"`
	Ceiling float64 `prop:"ceiling" default:"-1" doc:"no sample goes over this, dBFS (0 is full scale; between -20 and 0)"`

	c     *agc.Controller
	block int

	limited, skipped atomic.Uint64
	gain, lvl        atomic.Uint64 // float64 bits: dB, dBov
}

func init() {
	pipeline.Register(pipeline.ElementInfo{
		Name:    "agc",
		Summary: "automatic gain control to a target speech level, with a peak limiter; 2 ms latency",
		Doc: "Measures the level of speech only (blocks a voice activity detector finds in a talkspurt, over its noise floor, " +
			"within 16 dB of the speech level, as ITU-T P.56 does), so pauses and noise are not boosted, and moves the gain " +
			"toward target minus that level at no more than attack/release dB per second, within ±max-gain. A 2 ms look-ahead " +
			"limiter fades loud peaks under the ceiling instead of clipping them. Frames without samples (missing) pass " +
			"untouched; a frame that is not whole 10 ms blocks passes untouched and is counted in skipped_frames. " +
			"Stats: gain_db (current gain, limiter aside), level_dbov (speech level of the input), limiter_active (frames " +
			"the limiter reduced), skipped_frames.",
		Inputs:  []pipeline.PortInfo{{Name: "in", Caps: pipeline.Caps{Kind: pipeline.KindPCM, Rates: []int{8000, 16000, 32000, 48000}}, Doc: "PCM mono at 8, 16, 32 or 48 kHz; ptime a multiple of 10 ms"}},
		Outputs: []pipeline.PortInfo{{Name: "out", Doc: "the same format, gain controlled, 2 ms late"}},
		New:     func() pipeline.Element { return &AGC{} },
	})
}

// Negotiate checks the input (mono, a supported rate, whole 10 ms blocks
// per frame) and the properties, and sets up the controller.
func (e *AGC) Negotiate(n *pipeline.Negotiation) error {
	in := n.In[0]
	if in.Channels != 1 {
		return fmt.Errorf("agc works on mono PCM, input %s", in)
	}
	ptime := in.PTime
	if ptime == 0 {
		ptime = n.PTime
	}
	if ptime%agc.BlockDuration != 0 {
		return fmt.Errorf("agc works on 10 ms blocks: ptime %s is not a multiple of 10ms, input %s", ptime, in)
	}
	// Zero would mean the default to agc.New: refuse it here, where the
	// property has its own default.
	for _, p := range []struct {
		name string
		v    float64
	}{{"target", e.Target}, {"max-gain", e.MaxGain}, {"attack", e.Attack}, {"release", e.Release}, {"ceiling", e.Ceiling}} {
		if p.v == 0 {
			return fmt.Errorf("%s must not be 0", p.name)
		}
	}
	c, err := agc.New(agc.Config{Rate: in.Rate, Target: e.Target, MaxGain: e.MaxGain, AttackRate: e.Attack, ReleaseRate: e.Release, Ceiling: e.Ceiling})
	if err != nil {
		return fmt.Errorf("input %s: %w", in, err)
	}
	e.c, e.block = c, c.BlockSize()
	e.limited.Store(0)
	e.skipped.Store(0)
	storeF(&e.gain, 0)
	storeF(&e.lvl, level.Floor)
	n.SetAllOut(in)
	return nil
}

// Process sets the frame's gain in place and forwards it.
func (e *AGC) Process(_ int, f *pipeline.Frame, out *pipeline.Output) error {
	if len(f.PCM) == 0 { // a missing frame
		out.Emit(0, f)
		return nil
	}
	limited := false
	pcm := f.PCM
	if len(pcm)%e.block != 0 { // not whole blocks: left as it is
		e.skipped.Add(1)
		out.Emit(0, f)
		return nil
	}
	for ; len(pcm) > 0; pcm = pcm[e.block:] {
		e.c.Process(pcm[:e.block]) // a whole block: cannot fail
		limited = limited || e.c.Limited()
	}
	if limited {
		e.limited.Add(1)
	}
	storeF(&e.gain, e.c.Gain())
	storeF(&e.lvl, e.c.Level())
	out.Emit(0, f)
	return nil
}

// Stats reports the gain, the speech level, the frames the limiter
// reduced and the frames skipped.
func (e *AGC) Stats() []pipeline.Stat {
	return []pipeline.Stat{
		{Name: "gain_db", Value: loadF(&e.gain), Unit: "dB"},
		{Name: "level_dbov", Value: loadF(&e.lvl), Unit: "dBov"},
		{Name: "limiter_active", Value: float64(e.limited.Load())},
		{Name: "skipped_frames", Value: float64(e.skipped.Load())},
	}
}

func (e *AGC) String() string {
	return fmt.Sprintf("agc target=%g max-gain=%g attack=%g release=%g ceiling=%g", e.Target, e.MaxGain, e.Attack, e.Release, e.Ceiling)
}
