package codecs

import (
	"errors"
	"testing"
)

// g711Vector is one value of an ITU-T G.191 reference coder.
type g711Vector struct {
	name string
	pcm  int16
	code byte
	back int16 // decode(code)
}

// g711Laws are the two G.711 codecs and what each test needs to know about
// its law.
var g711Laws = []struct {
	name    string
	factory Factory
	enc     Encoder
	dec     Decoder
	vectors []g711Vector
	// except maps the codes that do not survive decode and encode to the
	// code they come back as.
	except map[byte]byte
	refEnc func(int16) byte // independent G.191 reference coder
	refDec func(byte) int16
}{
	{
		name: "PCMU", factory: PCMUFactory(), enc: PCMUEncoder{}, dec: PCMUDecoder{},
		vectors: []g711Vector{
			{"zero", 0, 0xFF, 0},
			{"max", 32767, 0x80, 32124},
			{"min", -32768, 0x00, -32124},
			{"one", 1, 0xFF, 0},
			{"minus one", -1, 0x7F, 0},
			{"small positive", 100, 0xF2, 104},
			{"small negative", -100, 0x73, -96}, // negatives use ~x, as in ITU-T G.191
			{"mid", 1000, 0xCE, 988},
		},
		// 0x7F is µ-law "negative zero"; it decodes to 0, which encodes as 0xFF.
		except: map[byte]byte{0x7F: 0xFF},
		refEnc: refUlawCompress, refDec: refUlawExpand,
	},
	{
		name: "PCMA", factory: PCMAFactory(), enc: PCMAEncoder{}, dec: PCMADecoder{},
		vectors: []g711Vector{
			{"zero", 0, 0xD5, 8},
			{"max", 32767, 0xAA, 32256},
			{"min", -32768, 0x2A, -32256},
			{"minus one", -1, 0x55, -8}, // negatives use ~x, as in ITU-T G.191
			{"small positive", 100, 0xD3, 104},
			{"small negative", -100, 0x53, -104},
			{"mid", 1000, 0xFA, 1008},
		},
		// A-law has no negative zero: every code survives decode and encode.
		except: nil,
		refEnc: refAlawCompress, refDec: refAlawExpand,
	},
}

// TestG711Vectors checks values of the ITU-T G.191 reference coders.
func TestG711Vectors(t *testing.T) {
	for _, law := range g711Laws {
		for _, tt := range law.vectors {
			t.Run(law.name+"/"+tt.name, func(t *testing.T) {
				var b [1]byte
				if _, err := law.enc.Encode(b[:], []int16{tt.pcm}); err != nil {
					t.Fatal(err)
				}
				if b[0] != tt.code {
					t.Errorf("encode(%d) = %#02x, want %#02x", tt.pcm, b[0], tt.code)
				}
				var s [1]int16
				if _, err := law.dec.Decode(s[:], b[:]); err != nil {
					t.Fatal(err)
				}
				if s[0] != tt.back {
					t.Errorf("decode(%#02x) = %d, want %d", b[0], s[0], tt.back)
				}
			})
		}
	}
}

func TestG711RoundTrip(t *testing.T) {
	for _, law := range g711Laws {
		t.Run(law.name, func(t *testing.T) {
			checkCompanding(t, law.enc, law.dec)
			checkCodeRoundTrip(t, law.enc, law.dec, law.except)
		})
	}
}

func TestG711ShortBuffer(t *testing.T) {
	for _, law := range g711Laws {
		t.Run(law.name, func(t *testing.T) {
			if n, err := law.enc.Encode(make([]byte, 159), make([]int16, 160)); !errors.Is(err, ErrShortBuffer) || n != 0 {
				t.Errorf("Encode short = %d, %v; want ErrShortBuffer", n, err)
			}
			if n, err := law.dec.Decode(make([]int16, 159), make([]byte, 160)); !errors.Is(err, ErrShortBuffer) || n != 0 {
				t.Errorf("Decode short = %d, %v; want ErrShortBuffer", n, err)
			}
			// Larger buffers are fine and only the needed prefix is written.
			dst := []int16{7, 7, 7}
			if n, err := law.dec.Decode(dst, []byte{0xFF}); err != nil || n != 1 || dst[1] != 7 {
				t.Errorf("Decode into larger dst = %d, %v, %v", n, err, dst)
			}
		})
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
	for _, law := range g711Laws {
		f := law.factory
		if f.Name != law.name {
			t.Errorf("%s factory is named %q", law.name, f.Name)
		}
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

func TestG711Reference(t *testing.T) {
	for _, law := range g711Laws {
		t.Run(law.name, func(t *testing.T) {
			checkReference(t, law.enc, law.dec, law.refEnc, law.refDec)
		})
	}
}
