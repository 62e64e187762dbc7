package elements

import (
	"fmt"
	"math"
	"sync/atomic"

	"github.com/voxgraph/voxgraph/dsp/level"
	"github.com/voxgraph/voxgraph/pipeline"
)

// Level measures PCM loudness — RMS and peak in dBov — and passes the audio
// through unchanged. The measurements appear in the element's stats.
type Level struct {
	rms     atomic.Uint64 // float64 bits: RMS of the last frame, dBov
	peak    atomic.Uint64 // float64 bits: peak of the last frame, dBov
	maxPeak atomic.Uint64 // float64 bits: highest peak seen, dBov
	energy  float64       // sum of squares over the run (worker only)
	samples float64
	avg     atomic.Uint64 // float64 bits: RMS over the whole run, dBov
}

func init() {
	pipeline.Register(pipeline.ElementInfo{
		Name:    "level",
		Summary: "measures RMS and peak level in dBov; passes audio through",
		Doc: "Reports rms_dbov and peak_dbov of the last frame, max_peak_dbov and avg_rms_dbov over the run, " +
			"in the element's stats (0 dBov is the RMS of a full-scale square wave, so a full-scale sine is -3.01 dBov; silence reads -120).",
		Inputs:  []pipeline.PortInfo{{Name: "in", Caps: pipeline.PCMCaps, Doc: "PCM audio"}},
		Outputs: []pipeline.PortInfo{{Name: "out", Doc: "the same audio"}},
		New:     func() pipeline.Element { return &Level{} },
	})
}

func storeF(a *atomic.Uint64, v float64) { a.Store(math.Float64bits(v)) }
func loadF(a *atomic.Uint64) float64     { return math.Float64frombits(a.Load()) }

// Negotiate passes the format through.
func (e *Level) Negotiate(n *pipeline.Negotiation) error {
	for _, a := range []*atomic.Uint64{&e.rms, &e.peak, &e.maxPeak, &e.avg} {
		storeF(a, level.Floor)
	}
	n.SetAllOut(n.In[0])
	return nil
}

// Process measures the frame and forwards it.
func (e *Level) Process(_ int, f *pipeline.Frame, out *pipeline.Output) error {
	if len(f.PCM) > 0 {
		rms := level.RMS(f.PCM)
		storeF(&e.rms, level.DBov(rms))
		pk := peakDBov(level.Peak(f.PCM))
		storeF(&e.peak, pk)
		if pk > loadF(&e.maxPeak) {
			storeF(&e.maxPeak, pk)
		}
		e.energy += rms * rms * float64(len(f.PCM))
		e.samples += float64(len(f.PCM))
		storeF(&e.avg, level.DBov(math.Sqrt(e.energy/e.samples)))
	}
	out.Emit(0, f)
	return nil
}

// peakDBov expresses a peak sample magnitude relative to full scale (32768).
func peakDBov(p int) float64 {
	if p <= 0 {
		return level.Floor
	}
	return math.Max(20*math.Log10(float64(p)/32768), level.Floor)
}

// Stats reports the levels.
func (e *Level) Stats() []pipeline.Stat {
	return []pipeline.Stat{
		{Name: "rms", Value: loadF(&e.rms), Unit: "dBov"},
		{Name: "peak", Value: loadF(&e.peak), Unit: "dBov"},
		{Name: "max_peak", Value: loadF(&e.maxPeak), Unit: "dBov"},
		{Name: "avg_rms", Value: loadF(&e.avg), Unit: "dBov"},
	}
}

func (e *Level) String() string {
	return fmt.Sprintf("level rms=%.1fdBov peak=%.1fdBov", loadF(&e.rms), loadF(&e.peak))
}
