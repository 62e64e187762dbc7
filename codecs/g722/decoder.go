package g722

import (
	"fmt"

	"github.com/voxgraph/voxgraph/codecs"
)

// Decoder decodes a G.722 stream to 16 kHz 16-bit mono PCM, two samples
// per byte, in the 64, 56 or 48 kbit/s mode. Every byte is a valid G.722
// codeword, so decoding never fails on the payload. The decoder keeps the
// ADPCM and QMF state across calls, so consecutive payloads of one stream
// go to one Decoder. The zero value is a ready 64 kbit/s decoder; a Decoder
// is not safe for concurrent use.
type Decoder struct {
	lo, hi  band
	qmf     history
	dequant *[64]int // lower-band inverse quantizer of the mode, by 6-bit code
	bitrate int
	ready   bool
}

var _ codecs.Decoder = (*Decoder)(nil)

// NewDecoder returns a decoder in the initial state for bitrate 64000
// (mode 1), 56000 (mode 2) or 48000 (mode 3); any other value gives an
// error wrapping codecs.ErrBadParams. In modes 2 and 3 the lowest one or
// two bits of each byte (auxiliary data) are ignored.
func NewDecoder(bitrate int) (*Decoder, error) {
	d := &Decoder{bitrate: bitrate}
	switch bitrate {
	case Bitrate64k:
		d.dequant = &qm6
	case Bitrate56k:
		d.dequant = &dequant56
	case Bitrate48k:
		d.dequant = &dequant48
	default:
		return nil, fmt.Errorf("g722: bitrate %d not one of %d, %d, %d: %w",
			bitrate, Bitrate64k, Bitrate56k, Bitrate48k, codecs.ErrBadParams)
	}
	d.Reset()
	return d, nil
}

// Bitrate returns the mode of the decoder in bit/s: 64000, 56000 or 48000.
func (d *Decoder) Bitrate() int {
	if d.dequant == nil {
		return Bitrate64k
	}
	return d.bitrate
}

// Reset returns the decoder to its initial state, as at the start of a
// stream. The mode is kept.
func (d *Decoder) Reset() {
	d.lo.reset(32)
	d.hi.reset(8)
	d.qmf.reset()
	if d.dequant == nil {
		d.dequant, d.bitrate = &qm6, Bitrate64k
	}
	d.ready = true
}

// MaxDecodedLen returns 2*payloadLen: a byte carries two samples.
func (*Decoder) MaxDecodedLen(payloadLen int) int { return 2 * max(payloadLen, 0) }

// Decode decodes payload into dst and returns 2*len(payload). A dst shorter
// than that fails with an error wrapping codecs.ErrShortBuffer and leaves
// the state untouched; nothing else fails.
func (d *Decoder) Decode(dst []int16, payload []byte) (int, error) {
	n := 2 * len(payload)
	if len(dst) < n {
		return 0, fmt.Errorf("g722: decode %d bytes into %d samples: %w", len(payload), len(dst), codecs.ErrShortBuffer)
	}
	if !d.ready {
		d.Reset()
	}
	dst = dst[:n]
	for i, c := range payload {
		dst[2*i], dst[2*i+1] = d.decodeByte(c)
	}
	return n, nil
}

// decodeByte decodes one codeword to two samples, the earlier first.
func (d *Decoder) decodeByte(c byte) (int16, int16) {
	il, ih := int(c&63), int(c>>6)

	// Lower band: INVQBL in the decoder's mode, RECONS with the limiter;
	// the predictor adapts on the 4-bit code in every mode.
	rl := min(max(d.lo.s+d.lo.det*d.dequant[il]>>15, -16384), 16383)
	d.lo.updateLow(il >> 2)

	// Upper band: INVQAH, RECONS with the limiter, adaptation.
	dh := d.hi.det * qm2[ih] >> 15
	rh := min(max(d.hi.s+dh, -16384), 16383)
	d.hi.updateHigh(ih, dh)

	// Receive QMF: recombine the bands into two 16 kHz samples.
	odd, even := d.qmf.push(rl+rh, rl-rh)
	return int16(sat16(odd >> 11)), int16(sat16(even >> 11))
}
