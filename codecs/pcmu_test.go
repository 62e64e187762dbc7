package codecs

import (
	"errors"
	"testing"
)

// TestPCMUVectors checks values of the ITU-T G.191 reference µ-law coder.
func TestPCMUVectors(t *testing.T) {
	tests := []struct {
		name string
		pcm  int16
		code byte
		back int16 // decode(code)
	}{
		{"zero", 0, 0xFF, 0},
		{"max", 32767, 0x80, 32124},
		{"min", -32768, 0x00, -32124},
		{"one", 1, 0xFF, 0},
		{"minus one", -1, 0x7F, 0},
		{"small positive", 100, 0xF2, 104},
		{"small negative", -100, 0x73, -96}, // negatives use ~x, as in ITU-T G.191
		{"mid", 1000, 0xCE, 988},
	}
	var enc PCMUEncoder
	var dec PCMUDecoder
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

func TestPCMURoundTrip(t *testing.T) {
	checkCompanding(t, PCMUEncoder{}, PCMUDecoder{})
	// 0x7F is µ-law "negative zero"; it decodes to 0, which encodes as 0xFF.
	checkCodeRoundTrip(t, PCMUEncoder{}, PCMUDecoder{}, map[byte]byte{0x7F: 0xFF})
}

func TestPCMUShortBuffer(t *testing.T) {
	if n, err := (PCMUEncoder{}).Encode(make([]byte, 159), make([]int16, 160)); !errors.Is(err, ErrShortBuffer) || n != 0 {
		t.Errorf("Encode short = %d, %v; want ErrShortBuffer", n, err)
	}
	if n, err := (PCMUDecoder{}).Decode(make([]int16, 159), make([]byte, 160)); !errors.Is(err, ErrShortBuffer) || n != 0 {
		t.Errorf("Decode short = %d, %v; want ErrShortBuffer", n, err)
	}
	// Larger buffers are fine and only the needed prefix is written.
	dst := []int16{7, 7, 7}
	if n, err := (PCMUDecoder{}).Decode(dst, []byte{0xFF}); err != nil || n != 1 || dst[1] != 7 {
		t.Errorf("Decode into larger dst = %d, %v, %v", n, err, dst)
	}
}

func TestG711Params(t *testing.T) {
	tests := []struct {
		params Params
		ok     bool
	}{
		{nil, true},
		{Params{}, true},
		{Params{"rate": "8000", "channels": "1"}, true},
		{Params{"other": "x"}, true},
		{Params{"rate": "16000"}, false},
		{Params{"rate": "fast"}, false},
		{Params{"channels": "2"}, false},
		{Params{"channels": ""}, false},
	}
	for _, f := range []Factory{PCMUFactory(), PCMAFactory()} {
		for _, tt := range tests {
			_, errE := f.NewEncoder(tt.params)
			_, errD := f.NewDecoder(tt.params)
			for _, err := range []error{errE, errD} {
				if (err == nil) != tt.ok {
					t.Errorf("%s %v: err = %v, want ok=%v", f.Name, tt.params, err, tt.ok)
				}
				if err != nil && !errors.Is(err, ErrBadParams) {
					t.Errorf("%s %v: err = %v, want ErrBadParams", f.Name, tt.params, err)
				}
			}
		}
	}
}

func TestPCMUReference(t *testing.T) {
	checkReference(t, PCMUEncoder{}, PCMUDecoder{}, refUlawCompress, refUlawExpand)
}
