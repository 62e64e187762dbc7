package codecs

import (
	"errors"
	"testing"
)

// TestPCMAVectors checks values of the ITU-T G.191 reference A-law coder.
func TestPCMAVectors(t *testing.T) {
	tests := []struct {
		name string
		pcm  int16
		code byte
		back int16 // decode(code)
	}{
		{"zero", 0, 0xD5, 8},
		{"max", 32767, 0xAA, 32256},
		{"min", -32768, 0x2A, -32256},
		{"minus one", -1, 0x55, -8}, // negatives use ~x, as in ITU-T G.191
		{"small positive", 100, 0xD3, 104},
		{"small negative", -100, 0x53, -104},
		{"mid", 1000, 0xFA, 1008},
	}
	var enc PCMAEncoder
	var dec PCMADecoder
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b [1]byte
			if _, err := enc.Encode(b[:], []int16{tt.pcm}); err != nil {
				t.Fatal(err)
			}
			if b[0] != tt.code {
				t.Errorf("encode(%d) = %#02x, want %#02x", tt.pcm, b[0], tt.code)
			}
			var s [1]int16
			if _, err := dec.Decode(s[:], b[:]); err != nil {
				t.Fatal(err)
			}
			if s[0] != tt.back {
				t.Errorf("decode(%#02x) = %d, want %d", b[0], s[0], tt.back)
			}
		})
	}
}

func TestPCMARoundTrip(t *testing.T) {
	checkCompanding(t, PCMAEncoder{}, PCMADecoder{})
	// A-law has no negative zero: every code survives decode and encode.
	checkCodeRoundTrip(t, PCMAEncoder{}, PCMADecoder{}, nil)
}

func TestPCMAShortBuffer(t *testing.T) {
	if n, err := (PCMAEncoder{}).Encode(make([]byte, 159), make([]int16, 160)); !errors.Is(err, ErrShortBuffer) || n != 0 {
		t.Errorf("Encode short = %d, %v; want ErrShortBuffer", n, err)
	}
	if n, err := (PCMADecoder{}).Decode(make([]int16, 159), make([]byte, 160)); !errors.Is(err, ErrShortBuffer) || n != 0 {
		t.Errorf("Decode short = %d, %v; want ErrShortBuffer", n, err)
	}
	// Larger buffers are fine and only the needed prefix is written.
	dst := []int16{7, 7, 7}
	if n, err := (PCMADecoder{}).Decode(dst, []byte{0xFF}); err != nil || n != 1 || dst[1] != 7 {
		t.Errorf("Decode into larger dst = %d, %v, %v", n, err, dst)
	}
}

func TestPCMAReference(t *testing.T) {
	checkReference(t, PCMAEncoder{}, PCMADecoder{}, refAlawCompress, refAlawExpand)
}
