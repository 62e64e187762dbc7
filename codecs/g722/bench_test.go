package g722

import (
	"testing"

	"github.com/voxgraph/voxgraph/internal/codectest"
)

// frameSamples is one 20 ms frame at 16 kHz; it encodes to 160 bytes.
const frameSamples = SampleRate / 50

// BenchmarkEncode encodes one 20 ms frame (320 samples to 160 bytes).
// It must report 0 allocs/op.
func BenchmarkEncode(b *testing.B) {
	pcm := codectest.SpeechLike(frameSamples, SampleRate, 1)
	enc := NewEncoder()
	dst := make([]byte, enc.MaxEncodedLen(len(pcm)))
	b.SetBytes(2 * frameSamples)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := enc.Encode(dst, pcm); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecode decodes one 20 ms frame (160 bytes to 320 samples) in
// each mode. It must report 0 allocs/op.
func BenchmarkDecode(b *testing.B) {
	payload := encodeAll(b, codectest.SpeechLike(frameSamples, SampleRate, 1))
	for _, bitrate := range []int{Bitrate64k, Bitrate56k, Bitrate48k} {
		b.Run(map[int]string{Bitrate64k: "64k", Bitrate56k: "56k", Bitrate48k: "48k"}[bitrate], func(b *testing.B) {
			dec, err := NewDecoder(bitrate)
			if err != nil {
				b.Fatal(err)
			}
			dst := make([]int16, dec.MaxDecodedLen(len(payload)))
			b.SetBytes(int64(len(payload)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := dec.Decode(dst, payload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
