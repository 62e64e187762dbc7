package elements

import (
	"fmt"
	"sync/atomic"

	"github.com/voxgraph/voxgraph/codecs"
	"github.com/voxgraph/voxgraph/pipeline"
)

// Decode turns encoded frames back into PCM with the codec named by the
// negotiated input format. Frames the jitter buffer marks missing become
// silence (flagged concealed); undecodable payloads are counted and dropped.
type Decode struct {
	dec       codecs.Decoder
	out       pipeline.Format
	pt        uint8
	concealed atomic.Uint64
	badPT     atomic.Uint64
	errors    atomic.Uint64
}

func init() {
	pipeline.Register(pipeline.ElementInfo{
		Name:    "decode",
		Summary: "decodes encoded frames to PCM",
		Doc: "Decodes each payload with the codec of the incoming format. A frame flagged missing (lost) becomes one frame " +
			"of silence flagged concealed; a payload that fails to decode or has an unexpected payload type is dropped and counted.",
		Inputs:  []pipeline.PortInfo{{Name: "in", Caps: pipeline.EncodedCaps, Doc: "encoded frames"}},
		Outputs: []pipeline.PortInfo{{Name: "out", Doc: "PCM at the codec's sample rate"}},
		New:     func() pipeline.Element { return &Decode{} },
	})
}

// Negotiate creates the decoder for the input codec.
func (e *Decode) Negotiate(n *pipeline.Negotiation) error {
	in := n.In[0]
	fac, c, params, err := codecFor(in.Codec, pipeline.Format{})
	if err != nil {
		return err
	}
	if fac.Name == "L16" {
		pcm := pipeline.PCM(in.Rate, max(in.Channels, 1), in.PTime)
		if _, c, params, err = codecFor(in.Codec, pcm); err != nil {
			return err
		}
	}
	if e.dec, err = fac.NewDecoder(params); err != nil {
		return fmt.Errorf("%s decoder: %w", c.Name, err)
	}
	e.pt = in.PayloadType
	e.out = pipeline.PCM(c.SampleRate, c.Channels, in.PTime)
	n.SetAllOut(e.out)
	return nil
}

// Process decodes the frame in place.
func (e *Decode) Process(_ int, f *pipeline.Frame, out *pipeline.Output) error {
	if f.Flags&pipeline.FlagMissing != 0 {
		clear(f.SetPCMLen(e.out.Samples() * e.out.Channels))
		f.Payload = f.Payload[:0]
		f.Format = e.out
		f.Flags = (f.Flags &^ pipeline.FlagMissing) | pipeline.FlagConcealed
		e.concealed.Add(1)
		out.Emit(0, f)
		return nil
	}
	if f.RTP.PayloadType != e.pt {
		e.badPT.Add(1)
		out.Drop(f)
		return nil
	}
	pcm := f.SetPCMLen(e.dec.MaxDecodedLen(len(f.Payload)))
	n, err := e.dec.Decode(pcm, f.Payload)
	if err != nil {
		e.errors.Add(1)
		out.Drop(f)
		return nil
	}
	f.PCM = pcm[:n]
	f.Payload = f.Payload[:0]
	f.Format = e.out
	out.Emit(0, f)
	return nil
}

// Stats reports concealed frames and dropped payloads.
func (e *Decode) Stats() []pipeline.Stat {
	return []pipeline.Stat{
		{Name: "concealed", Value: float64(e.concealed.Load())},
		{Name: "bad_pt", Value: float64(e.badPT.Load())},
		{Name: "decode_errors", Value: float64(e.errors.Load())},
	}
}

func (e *Decode) String() string { return "decode" }
