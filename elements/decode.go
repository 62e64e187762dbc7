package elements

import (
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/voxgraph/voxgraph/codecs"
	"github.com/voxgraph/voxgraph/dsp/pcmq"
	"github.com/voxgraph/voxgraph/dsp/plc"
	"github.com/voxgraph/voxgraph/pipeline"
)

// Decode turns encoded frames back into PCM with the codec named by the
// negotiated input format. Frames the jitter buffer marks missing are
// concealed (flagged concealed): by packet loss concealment (dsp/plc:
// pitch-period repetition fading to silence over 60 ms, faded back into
// the next good frame) when plc is on and the stream is mono, by silence
// otherwise. Undecodable payloads are counted and dropped.
//
// Output frames are one graph period long. Packets of another length (a
// peer sending 30 ms packets to a 20 ms graph; the jitter buffer plays them
// at their own pace) are reframed through a FIFO: at most one frame per
// tick, the rest on the next. Packets of the graph's length pass straight
// through.
type Decode struct {
	Rate int  `prop:"rate" default:"0" doc:"output sample rate in Hz (8000, 16000, 32000 or 48000); 0 keeps the codec's rate"`
	PLC  bool `prop:"plc" default:"true" doc:"conceal lost frames by repeating the last pitch periods, fading out over 60 ms (ITU-T G.711 Appendix I style; mono streams); false: silence"`

	dec       codecs.Decoder
	conv      *converter // codec rate → Rate; nil when they agree
	codecRate int
	out       pipeline.Format
	pt        uint8
	frameLen  int            // samples × channels of one output frame
	fifo      *pcmq.Queue    // reframing: decoded samples not yet emitted
	plc       *plc.Concealer // at the codec's rate; nil: lost frames become silence
	emittedAt time.Duration
	emitted   bool // a reframed frame went out at emittedAt
	concealed atomic.Uint64
	badPT     atomic.Uint64
	errors    atomic.Uint64
	overflow  atomic.Uint64
}

func init() {
	pipeline.Register(pipeline.ElementInfo{
		Name:    "decode",
		Summary: "decodes encoded frames to PCM",
		Doc: "Decodes each payload with the codec of the incoming format. A frame flagged missing (lost) is concealed and flagged " +
			"concealed: with plc (the default) by repeating the last pitch periods of the signal, fading to silence over 60 ms and " +
			"cross-faded into the next good frame (ITU-T G.711 Appendix I style, dsp/plc; mono streams only), otherwise by silence; a payload that fails to decode or has an unexpected payload type is dropped and counted. " +
			"Packets longer or shorter than the graph period (a peer's 30 ms packets) are reframed to one period per tick. " +
			"With rate set, the PCM is resampled to it (medium quality).",
		Inputs:  []pipeline.PortInfo{{Name: "in", Caps: pipeline.EncodedCaps, Doc: "encoded frames"}},
		Outputs: []pipeline.PortInfo{{Name: "out", Doc: "PCM at the codec's sample rate, or at rate"}},
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
	rate := c.SampleRate
	if e.Rate != 0 {
		rate = e.Rate
	}
	if e.conv, err = newConverter(c.SampleRate, rate, c.Channels); err != nil {
		return fmt.Errorf("%s decodes to %d Hz, rate %d: %w", c.Name, c.SampleRate, e.Rate, err)
	}
	e.codecRate = c.SampleRate
	e.plc = nil
	if e.PLC && c.Channels == 1 {
		// Rates plc cannot handle (an odd L16 rate) keep silence.
		e.plc, _ = plc.New(c.SampleRate)
	}
	e.out = pipeline.PCM(rate, c.Channels, in.PTime)
	e.frameLen = e.out.Samples() * e.out.Channels
	// Room for the longest packet (200 ms) and a frame besides.
	e.fifo = pcmq.New((c.SampleRate*c.Channels/5+e.frameLen-1)/e.frameLen+1, e.frameLen)
	e.emitted = false
	n.SetAllOut(e.out)
	return nil
}

// samples is the length in samples × channels of a frame of d (0: a graph period).
func (e *Decode) samples(d time.Duration) int {
	if d <= 0 || d == e.out.PTime {
		return e.frameLen
	}
	return int(int64(e.out.Rate)*int64(d)/int64(time.Second)) * e.out.Channels
}

// emit passes a decoded frame on: straight through when it is one period
// long and nothing waits in the FIFO, reframed otherwise.
func (e *Decode) emit(f *pipeline.Frame, out *pipeline.Output) {
	if len(f.PCM) == e.frameLen && e.fifo.Len() == 0 {
		out.Emit(0, f)
		return
	}
	if e.fifo.Push(f.PCM) > 0 {
		e.overflow.Add(1) // more than the FIFO holds (a burst after a stall): the oldest went
	}
	out.Drop(f)
	e.pump(out)
}

// pump emits one reframed frame if a full one waits and none went out at
// this tick.
func (e *Decode) pump(out *pipeline.Output) {
	now := out.Time()
	if e.fifo.Frames() == 0 || e.emitted && e.emittedAt == now {
		return
	}
	e.emitted, e.emittedAt = true, now
	nf := out.NewFrame()
	e.fifo.Pop(nf.SetPCMLen(e.frameLen))
	e.emitFIFO(nf, out)
}

func (e *Decode) emitFIFO(nf *pipeline.Frame, out *pipeline.Output) {
	nf.Format = e.out
	nf.Time = out.Time()
	out.Emit(0, nf)
}

// Tick emits the frame due from the FIFO on ticks without a packet.
func (e *Decode) Tick(out *pipeline.Output) error {
	e.pump(out)
	return nil
}

// EndOfStream emits what the FIFO still holds, the last frame as short
// as what is left.
func (e *Decode) EndOfStream(_ int, out *pipeline.Output) error {
	for e.fifo.Len() > 0 {
		nf := out.NewFrame()
		e.fifo.Flush(nf.SetPCMLen(min(e.frameLen, e.fifo.Len())))
		e.emitFIFO(nf, out)
	}
	return nil
}

// Process decodes the frame in place.
func (e *Decode) Process(_ int, f *pipeline.Frame, out *pipeline.Output) error {
	if f.Flags&pipeline.FlagMissing != 0 {
		n := e.samples(f.Format.PTime)
		if e.conv != nil {
			n = n * e.codecRate / e.out.Rate
		}
		if pcm := f.SetPCMLen(n); e.plc != nil {
			e.plc.Conceal(pcm)
		} else {
			clear(pcm)
		}
		f.Payload = f.Payload[:0]
		f.Format = e.out
		f.Flags = (f.Flags &^ pipeline.FlagMissing) | pipeline.FlagConcealed
		e.concealed.Add(1)
		e.convertEmit(f, out)
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
	if e.plc != nil {
		e.plc.Good(f.PCM) // history; fades out of a concealment
	}
	f.Payload = f.Payload[:0]
	f.Format = e.out
	e.convertEmit(f, out)
	return nil
}

// convertEmit resamples a decoded frame to the output rate, when that is
// not the codec's, and emits it.
func (e *Decode) convertEmit(f *pipeline.Frame, out *pipeline.Output) {
	if e.conv != nil {
		if !e.conv.latencySet {
			out.SetLatency(e.conv.r.Delay())
			e.conv.latencySet = true
		}
		pcm, err := e.conv.run(f.PCM)
		if err != nil {
			e.errors.Add(1)
			out.Drop(f)
			return
		}
		copy(f.SetPCMLen(len(pcm)), pcm)
	}
	e.emit(f, out)
}

// Stats reports concealed frames and dropped payloads.
func (e *Decode) Stats() []pipeline.Stat {
	return []pipeline.Stat{
		{Name: "concealed", Value: float64(e.concealed.Load())},
		{Name: "bad_pt", Value: float64(e.badPT.Load())},
		{Name: "decode_errors", Value: float64(e.errors.Load())},
		{Name: "reframe_overflow", Value: float64(e.overflow.Load())},
	}
}

// Stop ends the decoder's session when it has one (a plugin codec).
func (e *Decode) Stop() error {
	if c, ok := e.dec.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

func (e *Decode) String() string { return "decode" }
