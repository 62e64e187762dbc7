// Package resample holds the resample element, which converts PCM between
// 8000, 16000, 32000 and 48000 Hz with the polyphase filter of package
// dsp/resample. Importing it (a blank import is enough) registers the
// element in pipeline.DefaultRegistry.
package resample

import (
	"fmt"
	"strconv"
	"strings"

	dspresample "github.com/voxgraph/voxgraph/dsp/resample"
	"github.com/voxgraph/voxgraph/pipeline"
)

// Resample converts PCM to the sample rate `rate`, keeping the channels,
// frame duration, timestamps and flags. It delays the audio by its filter's
// group delay, which it reports as the element's latency; equal rates pass
// frames through untouched.
type Resample struct {
	Rate    int                 `prop:"rate" default:"8000" doc:"output sample rate in Hz: 8000, 16000, 32000 or 48000"`
	Quality dspresample.Quality `prop:"quality" default:"medium" enum:"low,medium,high" doc:"filter: low (flat to 0.35·fmin, 50 dB stopband, 1.4 ms at 8 kHz), medium (0.425·fmin = 3400 Hz at 8 kHz, 70 dB, 4 ms), high (0.45·fmin, 90 dB, 7.75 ms); fmin is the lower rate"`

	r          *dspresample.Resampler // nil when the rates are equal
	in, out    pipeline.Format
	latencySet bool
}

func init() {
	pipeline.Register(pipeline.ElementInfo{
		Name:    "resample",
		Summary: "converts PCM to another sample rate (8, 16, 32, 48 kHz)",
		Doc: "Converts PCM at 8000, 16000, 32000 or 48000 Hz to `rate` with a linear-phase polyphase FIR filter " +
			"(Kaiser-windowed sinc) whose stopband starts at the lower rate's Nyquist frequency, so nothing aliases. " +
			"Channels and ptime are kept: each 20 ms frame in gives one 20 ms frame out, with the same timestamp and flags. " +
			"The audio is delayed by the filter (medium: 4 ms when either side is 8 kHz, 2 ms at 16 kHz, 1 ms between 32 and 48 kHz), " +
			"declared as the element's latency. Equal rates pass frames through untouched.",
		Inputs:  []pipeline.PortInfo{{Name: "in", Caps: pipeline.PCMCaps, Doc: "PCM audio at 8000, 16000, 32000 or 48000 Hz"}},
		Outputs: []pipeline.PortInfo{{Name: "out", Doc: "PCM audio at `rate`, same channels and ptime"}},
		New:     func() pipeline.Element { return &Resample{} },
	})
}

// Negotiate checks the rates and designs the filter.
func (e *Resample) Negotiate(n *pipeline.Negotiation) error {
	in := n.In[0]
	if in.Kind != pipeline.KindPCM {
		return fmt.Errorf("input is %s, want PCM (insert decode before resample)", in)
	}
	if !dspresample.Supported(e.Rate) {
		return fmt.Errorf("rate %d Hz is not supported (supported: %s)", e.Rate, ratesList())
	}
	if !dspresample.Supported(in.Rate) {
		return fmt.Errorf("input rate %d Hz is not supported (supported: %s)", in.Rate, ratesList())
	}
	e.in = in
	e.out = pipeline.PCM(e.Rate, in.Channels, in.PTime)
	e.r = nil
	e.latencySet = false
	if in.Rate != e.Rate {
		r, err := dspresample.New(in.Rate, e.Rate, in.Channels, e.Quality)
		if err != nil {
			return fmt.Errorf("resample %s to %d Hz: %w", in, e.Rate, err)
		}
		e.r = r
	}
	n.SetAllOut(e.out)
	return nil
}

// ratesList renders the supported rates for errors: "8000, 16000, 32000, 48000 Hz".
func ratesList() string {
	var parts []string
	for _, r := range dspresample.Rates() {
		parts = append(parts, strconv.Itoa(r))
	}
	return strings.Join(parts, ", ") + " Hz"
}

// Process converts one frame: in place when the rate goes down, into a new
// pooled frame when it goes up. A frame that does not match the negotiated
// format is dropped.
func (e *Resample) Process(_ int, f *pipeline.Frame, out *pipeline.Output) error {
	if e.r == nil {
		out.Emit(0, f)
		return nil
	}
	if !e.latencySet {
		out.SetLatency(e.r.Delay())
		e.latencySet = true
	}
	if f.Format.Rate != e.in.Rate || f.Format.Channels != e.in.Channels || len(f.PCM)%e.in.Channels != 0 {
		out.Drop(f)
		return nil
	}
	if e.out.Rate < e.in.Rate || len(f.PCM) == 0 {
		n, err := e.r.Process(f.PCM, f.PCM)
		if err != nil {
			f.Release()
			return fmt.Errorf("resample: %w", err)
		}
		f.PCM = f.PCM[:n]
		f.Format = e.out
		out.Emit(0, f)
		return nil
	}
	g := out.NewFrame()
	dst := g.SetPCMLen(e.r.OutputLen(len(f.PCM)))
	n, err := e.r.Process(dst, f.PCM)
	g.PCM = dst[:n]
	g.Format = e.out
	g.Time, g.Arrival, g.Flags = f.Time, f.Arrival, f.Flags
	f.Release()
	if err != nil {
		g.Release()
		return fmt.Errorf("resample: %w", err)
	}
	out.Emit(0, g)
	return nil
}

func (e *Resample) String() string {
	if e.in.Rate != 0 {
		return fmt.Sprintf("resample %d->%d Hz quality=%v", e.in.Rate, e.Rate, e.Quality)
	}
	return fmt.Sprintf("resample rate=%d quality=%v", e.Rate, e.Quality)
}
