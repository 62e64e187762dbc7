package elements

import (
	"fmt"
	"io"
	"maps"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/voxgraph/voxgraph/codecs"
	"github.com/voxgraph/voxgraph/dsp/cn"
	"github.com/voxgraph/voxgraph/pipeline"
)

// Encode compresses PCM into a codec's payload and stamps an RTP header
// (payload type, sequence number, timestamp, marker on the first frame).
type Encode struct {
	Codec string `prop:"codec" default:"PCMU" doc:"codec name from the codec registry (PCMU, PCMA, L16, plugin codecs)"`
	PT    int    `prop:"pt" default:"-1" doc:"RTP payload type; -1 uses the codec's (static or default dynamic) type"`
	Fmtp  string `prop:"fmtp" doc:"codec parameters as in SDP a=fmtp (e.g. maxaveragebitrate=20000;useinbandfec=1): the receiver's wishes; parameters the codec refuses are ignored (counted as fmtp_ignored)"`
	DTX   bool   `prop:"dtx" default:"false" doc:"discontinuous transmission: frames a vad upstream flagged silence are not sent; an RFC 3389 comfort-noise (CN) packet describing the noise is sent at the start of each silence, then every sid-interval and when the noise level moves by 3 dB or more (mono codecs)"`
	CNPT  int    `prop:"cn-pt" default:"13" doc:"RTP payload type of the comfort-noise packets sent under dtx"`
	// SIDInterval stays above 200 ms by default: a receiver learning the
	// sender's packet time from consecutive timestamps (ours does, up to
	// 200 ms) must not take SIDs for long packets.
	SIDInterval time.Duration `prop:"sid-interval" default:"240ms" doc:"how often comfort-noise packets refresh the noise description during a silence under dtx"`

	enc         codecs.Encoder
	out         pipeline.Format
	seq         uint16
	ts          uint32
	started     bool
	ratio       int // RTP clock ticks per input sample frame: ratio/rdiv
	rdiv        int
	conv        *converter // input rate → codec rate; nil when they agree
	gap         bool       // frames were not sent since the last packet (DTX)
	empty       atomic.Uint64
	fmtpIgnored atomic.Uint64

	// DTX: the silence since the last SID, at the codec's rate.
	cnEnc    *cn.Encoder
	silence  []int16
	silent   bool          // in a silence (a SID went out)
	sinceSID time.Duration // since the last SID
	sidLevel uint8         // level of the last SID
	avgPow   float64       // mean square of the silence, smoothed over about 100 ms
	sids     atomic.Uint64
}

func init() {
	pipeline.Register(pipeline.ElementInfo{
		Name:    "encode",
		Summary: "encodes PCM with a codec (PCMU, PCMA, L16, …)",
		Doc: "Encodes each PCM frame into one RTP payload. The input must have the codec's channel count; input at another " +
			"sample rate (8, 16, 32 or 48 kHz) is resampled to the codec's first (medium quality; a resample element before encode chooses otherwise). " +
			"Sequence numbers start at 0 and RTP timestamps advance by the frame's duration in the codec's clock rate. " +
			"A frame that encodes to nothing (silence under DTX) is not sent, counted as not_sent; the next packet carries the marker bit. " +
			"With dtx=true, frames flagged silence by a vad upstream are not sent either (not_sent); instead an RFC 3389 comfort-noise packet " +
			"(payload type cn-pt) describing the noise's level and spectrum goes out at the start of the silence, every sid-interval and when " +
			"the level moves by 3 dB (counted as sid_sent); decode turns it back into comfort noise.",
		Inputs:  []pipeline.PortInfo{{Name: "in", Caps: pipeline.PCMCaps, Doc: "PCM with the codec's channel count"}},
		Outputs: []pipeline.PortInfo{{Name: "out", Doc: "encoded frames with RTP header"}},
		New:     func() pipeline.Element { return &Encode{} },
	})
}

// Negotiate picks the codec and checks the input rate and channels.
func (e *Encode) Negotiate(n *pipeline.Negotiation) error {
	in := n.In[0]
	fac, c, params, err := codecFor(e.Codec, in)
	if err != nil {
		return err
	}
	if in.Channels != c.Channels {
		return fmt.Errorf("%s encodes PCM with %d channel(s) but gets %s", c.Name, c.Channels, in)
	}
	if e.conv, err = newConverter(in.Rate, c.SampleRate, c.Channels); err != nil {
		return fmt.Errorf("%s encodes PCM at %d Hz, input %s: %w", c.Name, c.SampleRate, in, err)
	}
	if e.PT < -1 || e.PT > 127 {
		return fmt.Errorf("pt %d out of range 0..127", e.PT)
	}
	pt := c.PayloadType
	if e.PT >= 0 {
		pt = uint8(e.PT)
	}
	e.enc = nil
	if fp := codecs.ParseFmtp(e.Fmtp); fp != nil {
		withFmtp := codecs.Params{}
		maps.Copy(withFmtp, fp)
		maps.Copy(withFmtp, params) // what the graph fixes (L16's rate and channels) wins
		if e.enc, err = fac.NewEncoder(withFmtp); err != nil {
			e.fmtpIgnored.Store(1) // a peer's odd fmtp must not fail the call: defaults
		}
	}
	if e.enc == nil {
		if e.enc, err = fac.NewEncoder(params); err != nil {
			return fmt.Errorf("%s encoder: %w", c.Name, err)
		}
	}
	e.cnEnc, e.silent = nil, false
	if e.DTX {
		if c.Channels != 1 {
			return fmt.Errorf("dtx: comfort noise describes mono audio, %s has %d channels", c.Name, c.Channels)
		}
		if e.CNPT < 0 || e.CNPT > 127 || e.CNPT == int(pt) {
			return fmt.Errorf("cn-pt %d: want a payload type 0..127 other than the codec's (%d)", e.CNPT, pt)
		}
		if e.SIDInterval <= 0 {
			return fmt.Errorf("sid-interval %s: want a positive duration", e.SIDInterval)
		}
		// Room for sid-interval of silence and the frame that ends it (up to 200 ms).
		n := int(int64(c.SampleRate)*int64(e.SIDInterval)/int64(time.Second)) + c.SampleRate/5
		if e.cnEnc, err = cn.NewEncoder(c.SampleRate, 10, n); err != nil {
			return fmt.Errorf("dtx: %w", err)
		}
		e.silence = make([]int16, 0, n)
	}
	e.out = pipeline.Format{Kind: pipeline.KindEncoded, Codec: c.Name, Rate: c.ClockRate, Channels: c.Channels, PTime: in.PTime, PayloadType: pt}
	e.ratio, e.rdiv = c.ClockRate, in.Rate
	n.SetAllOut(e.out)
	return nil
}

// Process encodes the frame in place: the payload replaces the PCM.
func (e *Encode) Process(_ int, f *pipeline.Frame, out *pipeline.Output) error {
	samples := f.Samples()
	if f.Flags&pipeline.FlagMissing != 0 {
		out.Drop(f)
		return nil
	}
	pcm := f.PCM
	if e.conv != nil {
		if !e.conv.latencySet {
			out.SetLatency(e.conv.r.Delay())
			e.conv.latencySet = true
		}
		var err error
		if pcm, err = e.conv.run(pcm); err != nil {
			out.Drop(f)
			return fmt.Errorf("encode %s: %w", e.out.Codec, err)
		}
	}
	if e.cnEnc != nil {
		if f.Flags&pipeline.FlagSilence != 0 {
			e.dtx(f, pcm, samples, out)
			return nil
		}
		e.silent, e.silence = false, e.silence[:0]
	}
	buf := f.SetPayloadLen(e.enc.MaxEncodedLen(len(pcm)))
	nb, err := e.enc.Encode(buf, pcm)
	if err != nil {
		return fmt.Errorf("encode %s: %w", e.out.Codec, err)
	}
	if nb == 0 {
		// Nothing to send: silence under DTX (G.729 Annex B), or a plugin
		// encoder with nothing back yet. The clock runs on; the next
		// packet starts a talkspurt.
		e.ts += uint32(samples * e.ratio / e.rdiv)
		e.gap = true
		e.empty.Add(1)
		f.Release()
		return nil
	}
	f.Payload = buf[:nb]
	f.PCM = f.PCM[:0]
	f.Format = e.out
	f.RTP = rtp.Header{Version: 2, PayloadType: e.out.PayloadType, SequenceNumber: e.seq, Timestamp: e.ts, Marker: !e.started}
	if f.Flags&pipeline.FlagTalkspurt != 0 || e.gap {
		f.RTP.Marker = true
	}
	e.started, e.gap = true, false
	e.seq++
	e.ts += uint32(samples * e.ratio / e.rdiv)
	out.Emit(0, f)
	return nil
}

// dtx handles a silent frame under dtx: it sends a SID at the start of the
// silence, every sid-interval and when the level moves by 3 dB, and
// nothing otherwise.
func (e *Encode) dtx(f *pipeline.Frame, pcm []int16, samples int, out *pipeline.Output) {
	d := f.Format.PTime
	if d <= 0 {
		d = out.PTime()
	}
	if len(e.silence)+len(pcm) > cap(e.silence) {
		e.silence = e.silence[:0] // a frame longer than promised: describe it alone
	}
	e.silence = append(e.silence, pcm[:min(len(pcm), cap(e.silence))]...)
	e.sinceSID += d
	// A level change is judged on the power smoothed over about 100 ms, so
	// the fluctuations of one frame of noise do not send a SID each.
	a := min(1, float64(d)/float64(100*time.Millisecond))
	e.avgPow += a * (meanSquare(pcm) - e.avgPow)
	lvl := int(cn.LevelOf(e.avgPow))
	moved := lvl-int(e.sidLevel) >= 3 || int(e.sidLevel)-lvl >= 3
	tick := uint32(samples * e.ratio / e.rdiv)
	if e.silent && e.sinceSID < e.SIDInterval && !moved {
		e.ts += tick
		e.gap = true
		e.empty.Add(1)
		f.Release()
		return
	}
	block := e.silence
	if moved && e.silent {
		block = pcm // the noise changed: describe it as it is now
	}
	sid := e.cnEnc.Analyze(block)
	e.silence, e.sinceSID, e.sidLevel, e.silent = e.silence[:0], 0, sid.Level, true
	e.avgPow = meanSquare(block)
	n, _ := sid.MarshalTo(f.SetPayloadLen(sid.Len())) // sized to fit: cannot fail
	f.Payload = f.Payload[:n]
	f.PCM = f.PCM[:0]
	f.Format = e.out
	f.Flags &^= pipeline.FlagTalkspurt
	f.RTP = rtp.Header{Version: 2, PayloadType: uint8(e.CNPT), SequenceNumber: e.seq, Timestamp: e.ts}
	e.started, e.gap = true, true // the next speech packet starts a talkspurt
	e.seq++
	e.ts += tick
	e.sids.Add(1)
	out.Emit(0, f)
}

func meanSquare(x []int16) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return s / float64(max(len(x), 1))
}

// Stats reports the frames not sent (encoded to nothing, or silent under
// dtx), the comfort-noise packets sent, and whether the fmtp parameters
// were refused (1) and defaults used.
func (e *Encode) Stats() []pipeline.Stat {
	return []pipeline.Stat{{Name: "not_sent", Value: float64(e.empty.Load())}, {Name: "sid_sent", Value: float64(e.sids.Load())},
		{Name: "fmtp_ignored", Value: float64(e.fmtpIgnored.Load())}}
}

// Stop ends the encoder's session when it has one (a plugin codec).
func (e *Encode) Stop() error {
	if c, ok := e.enc.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

func (e *Encode) String() string { return "encode codec=" + e.Codec }
