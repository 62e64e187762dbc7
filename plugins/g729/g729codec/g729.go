// Package g729codec is ITU-T G.729 with Annex B (VAD, DTX and comfort
// noise) for voxgraph, a thin cgo binding of the system's bcg729
// (Belledonne Communications, pkg-config libbcg729; GPL-3.0-or-later, so
// a binary linking it falls under that licence). It is meant to run in a
// plugin process (cmd/voxgraph-codec-g729), so that the C library stays
// out of the core, which is pure Go; nothing here registers itself.
//
// [Factory] describes the codec as "G729", static payload type 18, clock
// and sample rate 8000, mono (RFC 3551 §4.5.6). G.729 codes 10 ms frames
// of 80 samples into 10 bytes (8 kbit/s); an RTP payload is zero or more
// such frames followed by at most one 2-byte Annex B SID (silence
// insertion descriptor) frame.
//
// An [Encoder] takes PCM in whole 10 ms frames (a 20 ms frame of 160
// samples gives 20 bytes). With Annex B (fmtp "annexb=yes", the default
// as RFC 3551 says) the encoder's voice activity detector replaces
// silence by a SID frame when the background noise changes and by nothing
// otherwise, so a payload may cover less time than its PCM did: a SID
// frame is put last, a SID frame followed by voice in the same call is
// dropped (RFC 3551 allows no voice after a SID frame in one packet), and
// PCM that is all untransmitted silence encodes to an empty payload, which
// a sender need not send.
//
// A [Decoder] accepts any concatenation of 10-byte frames with an optional
// trailing 2-byte SID frame (10, 2, 10+10, 10+2, ...) whatever "annexb"
// says. A zero-length payload means a lost packet: bcg729's frame erasure
// concealment runs for two frames, 20 ms (160 samples); after silence it
// continues the comfort noise instead (G.729 Annex B §B.27).
//
// Encoders and decoders preallocate their bcg729 state and never allocate
// per call; they are not safe for concurrent use. Close frees the C state
// at once; an encoder or decoder that is dropped without Close frees it
// when the garbage collector collects it.
package g729codec

/*
#cgo pkg-config: libbcg729
#include <stdint.h>
#include <bcg729/encoder.h>
#include <bcg729/decoder.h>
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"unsafe"

	"github.com/voxgraph/voxgraph/codecs"
)

// Registration data (RFC 3551 §4.5.6 and Table 4).
const (
	// Name is the RTP encoding name.
	Name = "G729"
	// PayloadType is the static RTP payload type.
	PayloadType = 18
	// ClockRate is the RTP clock rate.
	ClockRate = 8000
	// SampleRate is the PCM sample rate encoders take and decoders give.
	SampleRate = 8000
)

// Frame sizes.
const (
	// FrameSamples is one G.729 frame of PCM: 10 ms at 8 kHz.
	FrameSamples = 80
	// FrameBytes is one coded voice frame.
	FrameBytes = 10
	// SIDBytes is one Annex B SID frame.
	SIDBytes = 2
	// ErasureSamples is what a lost packet (a zero-length payload)
	// decodes to: two concealed frames, 20 ms.
	ErasureSamples = 2 * FrameSamples
)

// Version returns the version of the bcg729 headers the package was built
// with (BCG729_VERSION_NUMBER), e.g. "bcg729 1.1.1".
func Version() string {
	v := uint32(C.BCG729_VERSION_NUMBER)
	return fmt.Sprintf("bcg729 %d.%d.%d", v>>16, v>>8&0xff, v&0xff)
}

// ErrClosed is returned by an encoder or decoder used after Close.
var ErrClosed = errors.New("g729: encoder or decoder is closed")

// Codec returns the G.729 codec description: "G729", payload type 18,
// clock and sample rate 8000, mono.
func Codec() codecs.Codec {
	return codecs.Codec{Name: Name, PayloadType: PayloadType, ClockRate: ClockRate, SampleRate: SampleRate, Channels: 1}
}

// Factory returns the G.729 factory. Its constructors take these
// parameters, as in SDP fmtp (others are ignored):
//
//   - "annexb": "yes" (the default, RFC 3551 §4.5.6) or "no"; case does
//     not matter. With "yes" the encoder runs VAD/DTX. Decoders accept SID
//     frames either way.
//   - "channels": 1, if given.
//
// Invalid values give an error wrapping codecs.ErrBadParams.
func Factory() codecs.Factory { return codecs.Typed(Codec(), NewEncoder, NewDecoder) }

// parseParams validates the parameters and returns whether Annex B is on.
func parseParams(p codecs.Params) (annexB bool, err error) {
	annexB = true
	if s, ok := p["annexb"]; ok {
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "yes":
		case "no":
			annexB = false
		default:
			return false, fmt.Errorf("g729: annexb=%q, want yes or no: %w", s, codecs.ErrBadParams)
		}
	}
	if s, ok := p["channels"]; ok {
		if ch, err := strconv.Atoi(strings.TrimSpace(s)); err != nil || ch != 1 {
			return false, fmt.Errorf("g729: channels=%q, only 1 (mono) is supported: %w", s, codecs.ErrBadParams)
		}
	}
	return annexB, nil
}

// Encoder is a G.729 encoder (bcg729), with Annex B VAD/DTX or without.
type Encoder struct {
	st      *C.bcg729EncoderChannelContextStruct
	annexB  bool
	frame   [FrameBytes]byte // one coded frame, written by bcg729
	length  C.uint8_t        // its length, written by bcg729 (a field: a local would escape to the heap)
	sid     [SIDBytes]byte   // the SID frame waiting to end a payload
	cleanup runtime.Cleanup
}

// NewEncoder returns an encoder for the parameters (see [Factory]).
func NewEncoder(p codecs.Params) (*Encoder, error) {
	annexB, err := parseParams(p)
	if err != nil {
		return nil, err
	}
	vad := C.uint8_t(0)
	if annexB {
		vad = 1
	}
	st := C.initBcg729EncoderChannel(vad)
	if st == nil {
		return nil, errors.New("g729: initBcg729EncoderChannel failed")
	}
	e := &Encoder{st: st, annexB: annexB}
	e.cleanup = runtime.AddCleanup(e, func(st *C.bcg729EncoderChannelContextStruct) { C.closeBcg729EncoderChannel(st) }, st)
	return e, nil
}

// AnnexB reports whether the encoder runs Annex B VAD/DTX.
func (e *Encoder) AnnexB() bool { return e.annexB }

// Encode encodes whole 10 ms frames of pcm into dst and returns the
// payload's length: 10 bytes a frame, and with Annex B fewer (see the
// package documentation). pcm must be a non-zero multiple of 80 samples,
// else the error wraps codecs.ErrBadInput; dst must hold
// MaxEncodedLen(len(pcm)) bytes, else the error wraps codecs.ErrShortBuffer.
func (e *Encoder) Encode(dst []byte, pcm []int16) (int, error) {
	if e.st == nil {
		return 0, ErrClosed
	}
	if len(pcm) == 0 || len(pcm)%FrameSamples != 0 {
		return 0, fmt.Errorf("g729: %d samples is not a whole number of 10 ms frames (80 samples): %w", len(pcm), codecs.ErrBadInput)
	}
	if need := e.MaxEncodedLen(len(pcm)); len(dst) < need {
		return 0, fmt.Errorf("g729: encode into %d bytes, need %d: %w", len(dst), need, codecs.ErrShortBuffer)
	}
	n, sid := 0, false
	for i := 0; i < len(pcm); i += FrameSamples {
		C.bcg729Encoder(e.st, (*C.int16_t)(unsafe.Pointer(&pcm[i])), (*C.uint8_t)(unsafe.Pointer(&e.frame[0])), &e.length)
		switch l := e.length; l {
		case FrameBytes:
			n += copy(dst[n:], e.frame[:])
			sid = false // a SID frame cannot precede voice in one payload
		case SIDBytes:
			copy(e.sid[:], e.frame[:SIDBytes])
			sid = true
		case 0: // untransmitted silence
		default:
			runtime.KeepAlive(e)
			return 0, fmt.Errorf("g729: bcg729 produced a frame of %d bytes", l)
		}
	}
	runtime.KeepAlive(e)
	if sid {
		n += copy(dst[n:], e.sid[:])
	}
	return n, nil
}

// MaxEncodedLen is the largest payload Encode produces for the given
// number of samples: 10 bytes for each 10 ms frame.
func (e *Encoder) MaxEncodedLen(samples int) int {
	return (samples + FrameSamples - 1) / FrameSamples * FrameBytes
}

// Close frees the bcg729 state. It is idempotent; Encode after Close
// returns ErrClosed.
func (e *Encoder) Close() error {
	if e.st != nil {
		e.cleanup.Stop()
		C.closeBcg729EncoderChannel(e.st)
		e.st = nil
	}
	return nil
}

// Decoder is a G.729 decoder (bcg729) that also decodes Annex B SID
// frames.
type Decoder struct {
	st      *C.bcg729DecoderChannelContextStruct
	cleanup runtime.Cleanup
}

// NewDecoder returns a decoder for the parameters (see [Factory]).
func NewDecoder(p codecs.Params) (*Decoder, error) {
	if _, err := parseParams(p); err != nil {
		return nil, err
	}
	st := C.initBcg729DecoderChannel()
	if st == nil {
		return nil, errors.New("g729: initBcg729DecoderChannel failed")
	}
	d := &Decoder{st: st}
	d.cleanup = runtime.AddCleanup(d, func(st *C.bcg729DecoderChannelContextStruct) { C.closeBcg729DecoderChannel(st) }, st)
	return d, nil
}

// frames splits a payload length into 10-byte frames and a trailing SID
// frame; ok is false for a length that is neither.
func frames(payloadLen int) (voice int, sid, ok bool) {
	voice, rest := payloadLen/FrameBytes, payloadLen%FrameBytes
	return voice, rest == SIDBytes, rest == 0 || rest == SIDBytes
}

// Decode decodes payload into dst and returns the number of samples
// written: 80 for each 10-byte frame and for a trailing 2-byte SID frame,
// 160 (two concealed frames) for a zero-length payload, a lost packet. A
// payload of another length (not 10·k or 10·k+2 bytes) gives an error
// wrapping codecs.ErrBadPayload, a dst too small one wrapping
// codecs.ErrShortBuffer. The bits of a well-sized payload are always
// decodable: garbage decodes to noise.
func (d *Decoder) Decode(dst []int16, payload []byte) (int, error) {
	if d.st == nil {
		return 0, ErrClosed
	}
	if len(payload) == 0 {
		if len(dst) < ErasureSamples {
			return 0, fmt.Errorf("g729: conceal %d samples into %d: %w", ErasureSamples, len(dst), codecs.ErrShortBuffer)
		}
		for i := 0; i < ErasureSamples; i += FrameSamples {
			// No bit stream with the erasure flag: bcg729 would read one
			// as SID parameters when it continues comfort noise.
			C.bcg729Decoder(d.st, nil, 0, 1, 0, 0, (*C.int16_t)(unsafe.Pointer(&dst[i])))
		}
		runtime.KeepAlive(d)
		return ErasureSamples, nil
	}
	voice, sid, ok := frames(len(payload))
	if !ok {
		return 0, fmt.Errorf("g729: payload of %d bytes, want 10-byte frames and at most one 2-byte SID frame: %w",
			len(payload), codecs.ErrBadPayload)
	}
	n := voice * FrameSamples
	if sid {
		n += FrameSamples
	}
	if len(dst) < n {
		return 0, fmt.Errorf("g729: decode %d samples into %d: %w", n, len(dst), codecs.ErrShortBuffer)
	}
	for i := range voice {
		C.bcg729Decoder(d.st, (*C.uint8_t)(unsafe.Pointer(&payload[i*FrameBytes])), FrameBytes, 0, 0, 0,
			(*C.int16_t)(unsafe.Pointer(&dst[i*FrameSamples])))
	}
	if sid {
		C.bcg729Decoder(d.st, (*C.uint8_t)(unsafe.Pointer(&payload[voice*FrameBytes])), SIDBytes, 0, 1, 0,
			(*C.int16_t)(unsafe.Pointer(&dst[voice*FrameSamples])))
	}
	runtime.KeepAlive(d)
	return n, nil
}

// MaxDecodedLen is the most samples Decode writes for a payload of
// payloadLen bytes: 80 per started 10 bytes, 160 for a lost packet.
func (d *Decoder) MaxDecodedLen(payloadLen int) int {
	if payloadLen == 0 {
		return ErasureSamples
	}
	return (payloadLen + FrameBytes - 1) / FrameBytes * FrameSamples
}

// Close frees the bcg729 state. It is idempotent; Decode after Close
// returns ErrClosed.
func (d *Decoder) Close() error {
	if d.st != nil {
		d.cleanup.Stop()
		C.closeBcg729DecoderChannel(d.st)
		d.st = nil
	}
	return nil
}
