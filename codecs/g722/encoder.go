package g722

import (
	"fmt"

	"github.com/voxgraph/voxgraph/codecs"
)

// Encoder encodes 16 kHz 16-bit mono PCM to the 64 kbit/s G.722 stream,
// one byte per two samples. It keeps the ADPCM and QMF state across calls,
// so consecutive frames of one stream go to one Encoder. The zero value is
// ready to use; an Encoder is not safe for concurrent use.
type Encoder struct {
	lo, hi band
	qmf    history
	ready  bool
}

var _ codecs.Encoder = (*Encoder)(nil)

// NewEncoder returns an encoder in the initial state.
func NewEncoder() *Encoder {
	e := new(Encoder)
	e.Reset()
	return e
}

// Reset returns the encoder to its initial state, as at the start of a
// stream.
func (e *Encoder) Reset() {
	e.lo.reset(32)
	e.hi.reset(8)
	e.qmf.reset()
	e.ready = true
}

// MaxEncodedLen returns samples/2: a byte carries two samples.
func (*Encoder) MaxEncodedLen(samples int) int { return max(samples, 0) / 2 }

// Encode encodes pcm into dst, one byte per sample pair, and returns
// len(pcm)/2. A G.722 byte carries exactly two samples, so an odd len(pcm)
// fails with an error wrapping codecs.ErrBadInput (and the state is left
// untouched); a dst shorter than len(pcm)/2 fails with one wrapping
// codecs.ErrShortBuffer.
func (e *Encoder) Encode(dst []byte, pcm []int16) (int, error) {
	if len(pcm)%2 != 0 {
		return 0, fmt.Errorf("g722: encode %d samples: odd count, a G.722 byte carries 2 samples: %w",
			len(pcm), codecs.ErrBadInput)
	}
	n := len(pcm) / 2
	if len(dst) < n {
		return 0, fmt.Errorf("g722: encode %d samples into %d bytes: %w", len(pcm), len(dst), codecs.ErrShortBuffer)
	}
	if !e.ready {
		e.Reset()
	}
	dst = dst[:n]
	for i := range dst {
		dst[i] = e.encodePair(int(pcm[2*i]), int(pcm[2*i+1]))
	}
	return n, nil
}

// encodePair encodes the samples x0 and x1 (x1 the later) to one byte.
func (e *Encoder) encodePair(x0, x1 int) byte {
	// Transmit QMF: split into the two bands at 8 kHz.
	odd, even := e.qmf.push(x0, x1)
	xl := (odd + even) >> 14
	xh := (odd - even) >> 14

	// Lower band: SUBTRA, QUANTL (6 bits), then adaptation on the 4-bit code.
	el := sat16(xl - e.lo.s)
	il := quantizeLow(el, e.lo.det)
	e.lo.updateLow(int(il >> 2))

	// Upper band: SUBTRA, QUANTH (2 bits), INVQAH, adaptation.
	eh := sat16(xh - e.hi.s)
	ih := quantizeHigh(eh, e.hi.det)
	e.hi.updateHigh(int(ih), e.hi.det*qm2[ih]>>15)

	return ih<<6 | il
}

// quantizeLow is QUANTL: the 6-bit code of the lower-band difference el at
// scale factor det. It finds the first interval i in 1-30 whose decision
// level q6[i]·det/4096 exceeds |el| (binary search: the levels increase).
func quantizeLow(el, det int) uint8 {
	wd := el
	if el < 0 {
		wd = -(el + 1)
	}
	lo, hi := 1, 30 // the answer is in [lo, hi]; 30 means above every level
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if wd < q6[m]*det>>12 {
			hi = m
		} else {
			lo = m + 1
		}
	}
	if el < 0 {
		return iln[lo]
	}
	return ilp[lo]
}

// quantizeHigh is QUANTH: the 2-bit code of the upper-band difference eh.
func quantizeHigh(eh, det int) uint8 {
	wd := eh
	if eh < 0 {
		wd = -(eh + 1)
	}
	big := wd >= 564*det>>12
	switch {
	case eh < 0 && big:
		return 0
	case eh < 0:
		return 1
	case big:
		return 2
	default:
		return 3
	}
}
