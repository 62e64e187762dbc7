package codecs

import "testing"

// BenchmarkCodecs encodes and decodes one 20 ms frame with every codec in
// the default registry (at its default parameters). Each must report 0 allocs/op.
func BenchmarkCodecs(b *testing.B) {
	for _, name := range Default.Names() {
		f, _ := Default.Lookup(name)
		samples := f.SampleRate / 50 * f.Channels
		pcm := make([]int16, samples)
		for i := range pcm {
			pcm[i] = int16(i * 397)
		}
		enc, err := f.NewEncoder(nil)
		if err != nil {
			b.Fatal(err)
		}
		dec, err := f.NewDecoder(nil)
		if err != nil {
			b.Fatal(err)
		}
		payload := make([]byte, enc.MaxEncodedLen(samples))
		n, err := enc.Encode(payload, pcm)
		if err != nil {
			b.Fatal(err)
		}
		payload = payload[:n]
		out := make([]int16, dec.MaxDecodedLen(len(payload)))
		b.Run(name+"/encode", func(b *testing.B) {
			dst := make([]byte, enc.MaxEncodedLen(samples))
			b.SetBytes(int64(2 * samples))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := enc.Encode(dst, pcm); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/decode", func(b *testing.B) {
			b.SetBytes(int64(len(payload)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := dec.Decode(out, payload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
