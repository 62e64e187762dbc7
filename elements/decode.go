package elements

import (
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/voxgraph/voxgraph/codecs"
	"github.com/voxgraph/voxgraph/dsp/cn"
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
// RFC 3389 comfort-noise packets (payload type cn-pt, 13 by default) start
// comfort noise (dsp/cn: noise of the level and spectrum the packet
// describes), flagged silence: for the packet itself, for the frames the
// jitter buffer reports missing while the sender is silent, and on every
// tick without a packet, until the next speech packet.
//
// Output frames are one graph period long. Packets of another length (a
// peer sending 30 ms packets to a 20 ms graph; the jitter buffer plays them
// at their own pace) are reframed through a FIFO: at most one frame per
// tick, the rest on the next. Packets of the graph's length pass straight
// through.
type Decode struct {
	Rate int  `prop:"rate" default:"0" doc:"output sample rate in Hz (8000, 16000, 32000 or 48000); 0 keeps the codec's rate"`
	PLC  bool `prop:"plc" default:"true" doc:"conceal lost frames by repeating the last pitch periods, fading out over 60 ms (ITU-T G.711 Appendix I style; mono streams); false: silence"`
	CNPT int  `prop:"cn-pt" default:"13" doc:"RTP payload type of RFC 3389 comfort noise (CN); such packets start comfort noise, flagged silence, until the next speech packet; -1: none (counted as bad_pt)"`

	dec       codecs.Decoder
	conv      *converter // codec rate → Rate; nil when they agree
	codecRate int
	out       pipeline.Format
	pt        uint8
	frameLen  int            // samples × channels of one output frame
	fifo      *pcmq.Queue    // reframing: decoded samples not yet emitted
	plc       *plc.Concealer // at the codec's rate; nil: lost frames become silence
	cng       *cn.Generator  // at the codec's rate; nil: CN packets are bad_pt
	comfort   bool           // a CN packet came after the last speech packet
	seenAt    time.Duration  // graph time of the last frame processed
	seen      bool
	cnFrames  atomic.Uint64
	sids      atomic.Uint64
	cnErrors  atomic.Uint64
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
			"cross-faded into the next good frame (ITU-T G.711 Appendix I style, dsp/plc; mono streams only), otherwise by silence. " +
			"RFC 3389 comfort-noise packets (payload type cn-pt) start comfort noise of the level and spectrum they describe, flagged silence, " +
			"for missing frames and ticks without packets, until the next speech packet. A payload that fails to decode or has an unexpected payload type is dropped and counted. " +
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
	if e.CNPT < -1 || e.CNPT > 127 || e.CNPT == int(e.pt) {
		return fmt.Errorf("cn-pt %d: want -1 (none) or a payload type 0..127 other than the codec's (%d)", e.CNPT, e.pt)
	}
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
	e.cng, e.comfort, e.seen = nil, false, false
	if e.CNPT >= 0 {
		if e.cng, err = cn.NewGenerator(c.SampleRate, uint64(e.CNPT)+1); err != nil {
			e.cng = nil // a codec rate comfort noise cannot run at: CN packets count as bad_pt
		}
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

// Tick emits the frame due from the FIFO on ticks without a packet, and
// comfort noise while the sender is silent.
func (e *Decode) Tick(out *pipeline.Output) error {
	e.pump(out)
	now := out.Time()
	if e.comfort && !(e.seen && e.seenAt == now) && !(e.emitted && e.emittedAt == now) {
		f := out.NewFrame()
		f.Format = e.out
		f.Time = now
		e.comfortFrame(f, e.frameLen, out)
	}
	return nil
}

// comfortFrame fills f with n samples (at the output rate) of comfort
// noise, flags it silence and emits it.
func (e *Decode) comfortFrame(f *pipeline.Frame, n int, out *pipeline.Output) {
	if e.conv != nil {
		n = n * e.codecRate / e.out.Rate
	}
	pcm := f.SetPCMLen(n)
	ch := e.out.Channels
	mono := pcm[:len(pcm)/ch]
	e.cng.Generate(mono)
	for i := len(mono) - 1; ch > 1 && i >= 0; i-- { // the same noise in every channel
		for c := range ch {
			pcm[i*ch+c] = mono[i]
		}
	}
	if e.plc != nil {
		e.plc.Good(pcm) // a loss after the noise continues the noise
	}
	f.Payload = f.Payload[:0]
	f.Format = e.out
	f.Flags = (f.Flags &^ (pipeline.FlagMissing | pipeline.FlagConcealed)) | pipeline.FlagSilence
	e.cnFrames.Add(1)
	e.convertEmit(f, out)
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
	e.seen, e.seenAt = true, out.Time()
	if f.Flags&pipeline.FlagMissing != 0 && e.comfort {
		e.comfortFrame(f, e.samples(f.Format.PTime), out) // the sender is silent, not lost
		return nil
	}
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
	if e.cng != nil && int(f.RTP.PayloadType) == e.CNPT {
		sid, err := cn.Parse(f.Payload)
		if err != nil {
			e.cnErrors.Add(1)
			out.Drop(f)
			return nil
		}
		if !e.comfort {
			e.cng.Reset() // a new silence: its first SID applies at once
		}
		e.cng.Update(sid)
		e.comfort = true
		e.sids.Add(1)
		e.comfortFrame(f, e.samples(f.Format.PTime), out)
		return nil
	}
	if f.RTP.PayloadType != e.pt {
		e.badPT.Add(1)
		out.Drop(f)
		return nil
	}
	e.comfort = false
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

// Stats reports concealed frames, comfort noise and dropped payloads.
func (e *Decode) Stats() []pipeline.Stat {
	return []pipeline.Stat{
		{Name: "concealed", Value: float64(e.concealed.Load())},
		{Name: "comfort_noise", Value: float64(e.cnFrames.Load())},
		{Name: "sid", Value: float64(e.sids.Load())},
		{Name: "cn_errors", Value: float64(e.cnErrors.Load())},
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
