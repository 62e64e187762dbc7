package codecs

import (
	"fmt"

	"github.com/zaf/g711"
)

// PCMUFactory returns the factory for PCMU, G.711 µ-law (RFC 3551 §4.5.14):
// static payload type 0, 8000 Hz mono, one byte per sample. Its
// constructors accept nil Params, "rate"=8000 and "channels"=1.
func PCMUFactory() Factory {
	return Factory{
		Codec: Codec{Name: "PCMU", PayloadType: 0, ClockRate: 8000, SampleRate: 8000, Channels: 1},
		NewEncoder: func(p Params) (Encoder, error) {
			if err := g711Params("PCMU", p); err != nil {
				return nil, err
			}
			return PCMUEncoder{}, nil
		},
		NewDecoder: func(p Params) (Decoder, error) {
			if err := g711Params("PCMU", p); err != nil {
				return nil, err
			}
			return PCMUDecoder{}, nil
		},
	}
}

// PCMUEncoder encodes linear PCM to G.711 µ-law. The zero value is ready to
// use and it holds no state.
type PCMUEncoder struct{}

// Encode writes one µ-law byte per sample of pcm into dst.
func (PCMUEncoder) Encode(dst []byte, pcm []int16) (int, error) {
	if len(dst) < len(pcm) {
		return 0, fmt.Errorf("pcmu: encode %d samples into %d bytes: %w", len(pcm), len(dst), ErrShortBuffer)
	}
	dst = dst[:len(pcm)]
	for i, s := range pcm {
		dst[i] = g711.EncodeUlawFrame(s)
	}
	return len(pcm), nil
}

// MaxEncodedLen returns samples: µ-law uses one byte per sample.
func (PCMUEncoder) MaxEncodedLen(samples int) int { return max(samples, 0) }

// PCMUDecoder decodes G.711 µ-law to linear PCM. The zero value is ready to
// use and it holds no state.
type PCMUDecoder struct{}

// Decode writes one sample per payload byte into dst. Every byte value is
// valid µ-law, so only a short dst fails.
func (PCMUDecoder) Decode(dst []int16, payload []byte) (int, error) {
	if len(dst) < len(payload) {
		return 0, fmt.Errorf("pcmu: decode %d bytes into %d samples: %w", len(payload), len(dst), ErrShortBuffer)
	}
	dst = dst[:len(payload)]
	for i, b := range payload {
		dst[i] = g711.DecodeUlawFrame(b)
	}
	return len(payload), nil
}

// MaxDecodedLen returns payloadLen: µ-law uses one byte per sample.
func (PCMUDecoder) MaxDecodedLen(payloadLen int) int { return max(payloadLen, 0) }
