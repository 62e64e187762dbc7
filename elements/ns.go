package elements

import (
	"fmt"
	"sync/atomic"

	"github.com/voxgraph/voxgraph/dsp/level"
	"github.com/voxgraph/voxgraph/dsp/ns"
	"github.com/voxgraph/voxgraph/pipeline"
)

// NS suppresses background noise in PCM (dsp/ns): each 10 ms of every
// frame is cleaned in place, and the audio comes out 10 ms late (the
// first 10 ms of a stream is silence, and the last 10 ms stays in the
// suppressor at end of stream).
type NS struct {
	Level float64 `prop:"level" default:"18" doc:"maximum attenuation in dB, the floor noise is brought down to (more removes more noise and leaves more artefacts; up to 60)"`

	s     *ns.Suppressor
	block int

	frames, skipped atomic.Uint64
	attSum          atomic.Uint64 // float64 bits: sum of the per-frame attenuation, dB
	floor           atomic.Uint64 // float64 bits, dBov
}

func init() {
	pipeline.Register(pipeline.ElementInfo{
		Name:    "ns",
		Summary: "suppresses background noise in speech; 10 ms latency",
		Doc: "Short-time spectral noise suppression on 10 ms frames: tracks the noise spectrum (speech presence probability, " +
			"bounded by minimum statistics, so it follows changing noise and speech does not raise it) and applies a Wiener gain " +
			"from a decision-directed a priori SNR, never under -level dB. The output is 10 ms late. Frames without samples " +
			"(missing) pass untouched; a frame that is not whole 10 ms blocks passes untouched and is counted in skipped_frames. " +
			"Stats: noise_floor_dbov (estimated noise level, 2 to 3 dB under the true one), attenuation_db (mean per frame " +
			"of the power the gains took off), frames, skipped_frames.",
		Inputs:  []pipeline.PortInfo{{Name: "in", Caps: pipeline.Caps{Kind: pipeline.KindPCM, Rates: []int{8000, 16000, 32000, 48000}}, Doc: "PCM mono at 8, 16, 32 or 48 kHz; ptime a multiple of 10 ms"}},
		Outputs: []pipeline.PortInfo{{Name: "out", Doc: "the same format, noise suppressed, 10 ms late"}},
		New:     func() pipeline.Element { return &NS{} },
	})
}

// Negotiate checks the input (mono, a rate the suppressor knows, whole
// 10 ms blocks per frame) and the level, and sets up the suppressor.
func (e *NS) Negotiate(n *pipeline.Negotiation) error {
	in := n.In[0]
	if in.Channels != 1 {
		return fmt.Errorf("ns works on mono PCM, input %s", in)
	}
	ptime := in.PTime
	if ptime == 0 {
		ptime = n.PTime
	}
	if ptime%ns.FrameDuration != 0 {
		return fmt.Errorf("ns works on 10 ms blocks: ptime %s is not a multiple of 10ms, input %s", ptime, in)
	}
	if !(e.Level > 0) { // 0 would mean the default to ns.New; also NaN
		return fmt.Errorf("level %g dB must be positive", e.Level)
	}
	s, err := ns.New(ns.Config{Rate: in.Rate, Level: e.Level})
	if err != nil {
		return fmt.Errorf("input %s: %w", in, err)
	}
	e.s, e.block = s, s.FrameSize()
	e.frames.Store(0)
	e.skipped.Store(0)
	storeF(&e.attSum, 0)
	storeF(&e.floor, level.Floor)
	n.SetAllOut(in)
	return nil
}

// Process suppresses noise in the frame in place and forwards it.
func (e *NS) Process(_ int, f *pipeline.Frame, out *pipeline.Output) error {
	if len(f.PCM) == 0 { // a missing frame
		out.Emit(0, f)
		return nil
	}
	if err := e.s.Process(f.PCM); err != nil { // not whole blocks: left as it is
		e.skipped.Add(1)
		out.Emit(0, f)
		return nil
	}
	e.frames.Add(1)
	storeF(&e.attSum, loadF(&e.attSum)+e.s.Attenuation())
	storeF(&e.floor, e.s.NoiseFloor())
	out.Emit(0, f)
	return nil
}

// Stats reports the noise floor, the mean attenuation and the frames
// processed and skipped.
func (e *NS) Stats() []pipeline.Stat {
	frames := e.frames.Load()
	att := 0.0
	if frames > 0 {
		att = loadF(&e.attSum) / float64(frames)
	}
	return []pipeline.Stat{
		{Name: "noise_floor_dbov", Value: loadF(&e.floor), Unit: "dBov"},
		{Name: "attenuation_db", Value: att, Unit: "dB"},
		{Name: "frames", Value: float64(frames)},
		{Name: "skipped_frames", Value: float64(e.skipped.Load())},
	}
}

func (e *NS) String() string { return fmt.Sprintf("ns level=%g", e.Level) }
