package elements

import (
	"fmt"

	"github.com/voxgraph/voxgraph/dsp/gain"
	"github.com/voxgraph/voxgraph/pipeline"
)

// Gain scales PCM audio by a fixed number of decibels, saturating at full
// scale, or mutes it.
type Gain struct {
	DB   float64 `prop:"db" default:"0" doc:"gain in dB (negative attenuates); samples saturate at full scale"`
	Mute bool    `prop:"mute" default:"false" doc:"replace the audio with silence"`

	g float64
}

func init() {
	pipeline.Register(pipeline.ElementInfo{
		Name:    "gain",
		Summary: "amplifies or attenuates PCM by a fixed dB",
		Doc:     "Multiplies every sample by the linear gain of `db`, saturating at ±32767, in place. With mute=true it outputs silence of the same length.",
		Inputs:  []pipeline.PortInfo{{Name: "in", Caps: pipeline.PCMCaps, Doc: "PCM audio"}},
		Outputs: []pipeline.PortInfo{{Name: "out", Doc: "PCM audio, same format"}},
		New:     func() pipeline.Element { return &Gain{} },
	})
}

// Negotiate passes the input format through.
func (e *Gain) Negotiate(n *pipeline.Negotiation) error {
	if e.DB > 60 || e.DB < -120 {
		return fmt.Errorf("db %.1f out of range -120..60", e.DB)
	}
	e.g = gain.FromDB(e.DB)
	n.SetAllOut(n.In[0])
	return nil
}

// Process scales the frame in place.
func (e *Gain) Process(_ int, f *pipeline.Frame, out *pipeline.Output) error {
	if e.Mute {
		clear(f.PCM)
	} else if e.DB != 0 {
		gain.Apply(f.PCM, e.g)
	}
	out.Emit(0, f)
	return nil
}

func (e *Gain) String() string { return fmt.Sprintf("gain db=%g mute=%v", e.DB, e.Mute) }
