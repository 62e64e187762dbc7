package codecs

import (
	"encoding/binary"
	"fmt"
)

// L16 limits. L16 is 16-bit signed big-endian linear PCM (RFC 3551 §4.5.11).
const (
	// L16PayloadType is the default dynamic payload type of L16.
	L16PayloadType = 96
	// L16MaxChannels is the largest "channels" parameter L16 accepts.
	L16MaxChannels = 8
)

// L16Codec returns the L16 codec description for p. L16 is registered with
// dynamic payload type 96 at 8000 Hz mono; the parameters select others:
//
//   - "rate": 8000, 16000, 32000, 44100 or 48000 (default 8000); the RTP
//     clock rate equals the sample rate.
//   - "channels": 1 to 8 (default 1), samples interleaved per RFC 3551 §4.1.
//
// Other keys are ignored. Invalid values give an error wrapping ErrBadParams.
func L16Codec(p Params) (Codec, error) {
	rate, err := paramInt(p, "rate", 8000)
	if err != nil {
		return Codec{}, fmt.Errorf("l16: %w", err)
	}
	switch rate {
	case 8000, 16000, 32000, 44100, 48000:
	default:
		return Codec{}, fmt.Errorf("l16: rate %d not one of 8000, 16000, 32000, 44100, 48000: %w", rate, ErrBadParams)
	}
	ch, err := paramInt(p, "channels", 1)
	if err != nil {
		return Codec{}, fmt.Errorf("l16: %w", err)
	}
	if ch < 1 || ch > L16MaxChannels {
		return Codec{}, fmt.Errorf("l16: %d channels not in 1-%d: %w", ch, L16MaxChannels, ErrBadParams)
	}
	return Codec{Name: "L16", PayloadType: L16PayloadType, Dynamic: true,
		ClockRate: rate, SampleRate: rate, Channels: ch}, nil
}

// L16Factory returns the factory for L16, described by L16Codec(nil): dynamic
// payload type 96, 8000 Hz mono. Its constructors take the "rate" and
// "channels" parameters documented at L16Codec.
func L16Factory() Factory {
	c, _ := L16Codec(nil)
	return Factory{
		Codec: c,
		NewEncoder: func(p Params) (Encoder, error) {
			c, err := L16Codec(p)
			if err != nil {
				return nil, err
			}
			return L16Encoder{Channels: c.Channels}, nil
		},
		NewDecoder: func(p Params) (Decoder, error) {
			c, err := L16Codec(p)
			if err != nil {
				return nil, err
			}
			return L16Decoder{Channels: c.Channels}, nil
		},
	}
}

// L16Encoder encodes PCM to L16 (big-endian 16-bit). The zero value is mono.
// The sample rate does not affect the encoding.
type L16Encoder struct {
	Channels int // interleaved channels; 0 means 1
}

// Encode writes two big-endian bytes per sample of pcm into dst. len(pcm)
// must be a multiple of Channels (else ErrBadInput).
func (e L16Encoder) Encode(dst []byte, pcm []int16) (int, error) {
	if ch := e.Channels; ch > 1 && len(pcm)%ch != 0 {
		return 0, fmt.Errorf("l16: encode %d samples for %d channels: %w", len(pcm), ch, ErrBadInput)
	}
	n := 2 * len(pcm)
	if len(dst) < n {
		return 0, fmt.Errorf("l16: encode %d samples into %d bytes: %w", len(pcm), len(dst), ErrShortBuffer)
	}
	dst = dst[:n]
	for i, s := range pcm {
		binary.BigEndian.PutUint16(dst[2*i:], uint16(s))
	}
	return n, nil
}

// MaxEncodedLen returns 2*samples.
func (L16Encoder) MaxEncodedLen(samples int) int { return 2 * max(samples, 0) }

// L16Decoder decodes L16 (big-endian 16-bit) to PCM. The zero value is mono.
type L16Decoder struct {
	Channels int // interleaved channels; 0 means 1
}

// Decode writes len(payload)/2 samples into dst. A payload of odd length,
// or one that is not a whole number of frames of Channels samples, fails
// with an error wrapping ErrBadPayload.
func (d L16Decoder) Decode(dst []int16, payload []byte) (int, error) {
	if len(payload)%2 != 0 {
		return 0, fmt.Errorf("l16: odd payload length %d: %w", len(payload), ErrBadPayload)
	}
	n := len(payload) / 2
	if ch := d.Channels; ch > 1 && n%ch != 0 {
		return 0, fmt.Errorf("l16: %d samples is not whole frames of %d channels: %w", n, ch, ErrBadPayload)
	}
	if len(dst) < n {
		return 0, fmt.Errorf("l16: decode %d samples into %d: %w", n, len(dst), ErrShortBuffer)
	}
	dst = dst[:n]
	for i := range dst {
		dst[i] = int16(binary.BigEndian.Uint16(payload[2*i:]))
	}
	return n, nil
}

// MaxDecodedLen returns payloadLen/2.
func (L16Decoder) MaxDecodedLen(payloadLen int) int { return max(payloadLen, 0) / 2 }
