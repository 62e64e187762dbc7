package codecs

import (
	"errors"
	"testing"
)

// TestTranscodeMatchesLinear checks the direct G.711 tables against
// decoding to linear and encoding again, for every code.
func TestTranscodeMatchesLinear(t *testing.T) {
	tests := []struct {
		name string
		conv func(dst, src []byte) (int, error)
		dec  Decoder
		enc  Encoder
	}{
		{"ulaw to alaw", UlawToAlaw, PCMUDecoder{}, PCMAEncoder{}},
		{"alaw to ulaw", AlawToUlaw, PCMADecoder{}, PCMUEncoder{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := make([]byte, 256)
			for i := range src {
				src[i] = byte(i)
			}
			direct := make([]byte, 256)
			if n, err := tt.conv(direct, src); err != nil || n != 256 {
				t.Fatalf("conv = %d, %v", n, err)
			}
			pcm := make([]int16, 256)
			if _, err := tt.dec.Decode(pcm, src); err != nil {
				t.Fatal(err)
			}
			linear := make([]byte, 256)
			if _, err := tt.enc.Encode(linear, pcm); err != nil {
				t.Fatal(err)
			}
			for i := range src {
				if direct[i] != linear[i] {
					t.Errorf("code %#02x: direct %#02x, through linear (%d) %#02x", i, direct[i], pcm[i], linear[i])
				}
			}
			// In place gives the same result.
			if _, err := tt.conv(src, src); err != nil {
				t.Fatal(err)
			}
			for i := range src {
				if src[i] != direct[i] {
					t.Fatalf("in place differs at %d", i)
				}
			}
		})
	}
}

func TestTranscodeShortBuffer(t *testing.T) {
	for _, conv := range []func(dst, src []byte) (int, error){UlawToAlaw, AlawToUlaw} {
		if n, err := conv(make([]byte, 1), make([]byte, 2)); n != 0 || !errors.Is(err, ErrShortBuffer) {
			t.Errorf("conv short = %d, %v", n, err)
		}
	}
}

func BenchmarkUlawToAlaw(b *testing.B) {
	src := make([]byte, 160)
	for i := range src {
		src[i] = byte(i)
	}
	dst := make([]byte, 160)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := UlawToAlaw(dst, src); err != nil {
			b.Fatal(err)
		}
	}
}
