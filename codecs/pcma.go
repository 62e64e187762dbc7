package codecs

import (
	"fmt"

	"github.com/zaf/g711"
)

// PCMAFactory returns the factory for PCMA, G.711 A-law (RFC 3551 §4.5.14):
// static payload type 8, 8000 Hz mono, one byte per sample. Its
// constructors accept nil Params, "rate"=8000 and "channels"=1.
func PCMAFactory() Factory {
	return Factory{
		Codec: Codec{Name: "PCMA", PayloadType: 8, ClockRate: 8000, SampleRate: 8000, Channels: 1},
		NewEncoder: func(p Params) (Encoder, error) {
			if err := g711Params("PCMA", p); err != nil {
				return nil, err
			}
			return PCMAEncoder{}, nil
		},
		NewDecoder: func(p Params) (Decoder, error) {
			if err := g711Params("PCMA", p); err != nil {
				return nil, err
			}
			return PCMADecoder{}, nil
		},
	}
}

// PCMAEncoder encodes linear PCM to G.711 A-law. The zero value is ready to
// use and it holds no state.
type PCMAEncoder struct{}

// Encode writes one A-law byte per sample of pcm into dst.
func (PCMAEncoder) Encode(dst []byte, pcm []int16) (int, error) {
	if len(dst) < len(pcm) {
		return 0, fmt.Errorf("pcma: encode %d samples into %d bytes: %w", len(pcm), len(dst), ErrShortBuffer)
	}
	dst = dst[:len(pcm)]
	for i, s := range pcm {
		dst[i] = g711.EncodeAlawFrame(s)
	}
	return len(pcm), nil
}

// MaxEncodedLen returns samples: A-law uses one byte per sample.
func (PCMAEncoder) MaxEncodedLen(samples int) int { return max(samples, 0) }

// PCMADecoder decodes G.711 A-law to linear PCM. The zero value is ready to
// use and it holds no state.
type PCMADecoder struct{}

// Decode writes one sample per payload byte into dst. Every byte value is
// valid A-law, so only a short dst fails.
func (PCMADecoder) Decode(dst []int16, payload []byte) (int, error) {
	if len(dst) < len(payload) {
		return 0, fmt.Errorf("pcma: decode %d bytes into %d samples: %w", len(payload), len(dst), ErrShortBuffer)
	}
	dst = dst[:len(payload)]
	for i, b := range payload {
		dst[i] = g711.DecodeAlawFrame(b)
	}
	return len(payload), nil
}

// MaxDecodedLen returns payloadLen: A-law uses one byte per sample.
func (PCMADecoder) MaxDecodedLen(payloadLen int) int { return max(payloadLen, 0) }
