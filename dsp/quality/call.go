package quality

import (
	"fmt"
	"math"
	"time"
)

// Call describes one direction of a call as it can be measured: the codec
// and its packet time, the round-trip time (from RTCP), the interarrival
// jitter and the receiver's jitter-buffer delay, and the packet loss with
// its burstiness. Params turns it into E-model inputs.
type Call struct {
	Codec Codec
	// PLC says the receiver conceals lost frames (selects Codec.BplPLC
	// rather than Codec.BplSilence).
	PLC   bool
	PTime time.Duration // packet time: one packet of audio is collected before it is sent
	// Network is the one-way network delay; when 0, RTT/2 is used.
	Network time.Duration
	RTT     time.Duration // round-trip time, e.g. from RTCP LSR/DLSR
	Jitter  time.Duration // RFC 3550 interarrival jitter
	// Buffer is the receiver's playout (jitter-buffer) delay; when 0 it is
	// estimated from Jitter by BufferFor.
	Buffer      time.Duration
	LossPercent float64 // packets lost (or discarded late), percent of those sent
	BurstR      float64 // burst ratio; 0 means 1 (random loss)
}

// OneWay estimates the one-way network delay from a round-trip time: half
// of it, which assumes a symmetric path (RTCP cannot tell the two
// directions apart).
func OneWay(rtt time.Duration) time.Duration { return rtt / 2 }

// BufferFor estimates the playout delay an adaptive jitter buffer settles
// at for an interarrival jitter: three times the jitter plus one packet
// time, the target rule of dsp/jitter with its default factor.
func BufferFor(jitter, ptime time.Duration) time.Duration { return 3*jitter + ptime }

// MouthToEar is Ta: one-way network delay, plus the jitter-buffer delay,
// plus the packet time (the sender collects a packet of audio before
// sending it) and the codec's look-ahead.
func (c Call) MouthToEar() time.Duration {
	net := c.Network
	if net == 0 {
		net = OneWay(c.RTT)
	}
	buf := c.Buffer
	if buf == 0 {
		buf = BufferFor(c.Jitter, c.PTime)
	}
	return net + buf + c.PTime + c.Codec.Lookahead
}

// Params returns the E-model inputs for the call: G.107's defaults with
// Ie and Bpl of the codec, Ppl and BurstR of the loss, Ta the
// mouth-to-ear delay, and the echo paths of a 4-wire VoIP connection with
// echo controlled to TELR = 65 dB: T = Ta and Tr = 2·Ta.
func (c Call) Params() (Params, error) {
	for _, d := range [...]struct {
		name string
		v    time.Duration
	}{{"packet time", c.PTime}, {"network delay", c.Network}, {"RTT", c.RTT}, {"jitter", c.Jitter}, {"buffer delay", c.Buffer}, {"look-ahead", c.Codec.Lookahead}} {
		if d.v < 0 {
			return Params{}, fmt.Errorf("%w: negative %s %s", ErrInput, d.name, d.v)
		}
	}
	p := Defaults()
	p.Ie, p.Bpl = c.Codec.Ie, c.Codec.Bpl(c.PLC)
	if p.Bpl == 0 { // a zero Codec: G.711's robustness
		p.Bpl = bplG711Silence
		if c.PLC {
			p.Bpl = bplG711PLC
		}
	}
	p.Ppl = c.LossPercent
	p.BurstR = c.BurstR
	if p.BurstR == 0 {
		p.BurstR = 1
	}
	ta := float64(c.MouthToEar()) / float64(time.Millisecond)
	p.Ta, p.T, p.Tr = ta, ta, 2*ta
	if err := p.Validate(); err != nil {
		return Params{}, err
	}
	return p, nil
}

// Rate runs the E-model for the call.
func (c Call) Rate() (Rating, error) {
	p, err := c.Params()
	if err != nil {
		return Rating{}, err
	}
	return Rate(p)
}

// LossPercent is lost/expected in percent, 0 when nothing was expected.
func LossPercent(lost, expected uint64) float64 {
	if expected == 0 {
		return 0
	}
	return 100 * math.Min(1, float64(lost)/float64(expected))
}
