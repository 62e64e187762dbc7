package codecs

import (
	"bytes"
	"errors"
	"testing"
)

func TestL16Vectors(t *testing.T) {
	tests := []struct {
		name  string
		pcm   []int16
		bytes []byte
	}{
		{"empty", []int16{}, []byte{}},
		{"zero", []int16{0}, []byte{0x00, 0x00}},
		{"max", []int16{32767}, []byte{0x7F, 0xFF}},
		{"min", []int16{-32768}, []byte{0x80, 0x00}},
		{"minus one", []int16{-1}, []byte{0xFF, 0xFF}},
		{"big endian", []int16{0x0102, 0x0304}, []byte{0x01, 0x02, 0x03, 0x04}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var enc L16Encoder
			dst := make([]byte, enc.MaxEncodedLen(len(tt.pcm)))
			n, err := enc.Encode(dst, tt.pcm)
			if err != nil || !bytes.Equal(dst[:n], tt.bytes) {
				t.Errorf("Encode(%v) = % x, %v; want % x", tt.pcm, dst[:n], err, tt.bytes)
			}
			var dec L16Decoder
			pcm := make([]int16, dec.MaxDecodedLen(len(tt.bytes)))
			n, err = dec.Decode(pcm, tt.bytes)
			if err != nil || n != len(tt.pcm) {
				t.Fatalf("Decode = %d, %v", n, err)
			}
			for i := range n {
				if pcm[i] != tt.pcm[i] {
					t.Errorf("Decode(% x)[%d] = %d, want %d", tt.bytes, i, pcm[i], tt.pcm[i])
				}
			}
		})
	}
}

func TestL16RoundTripAll(t *testing.T) {
	pcm := make([]int16, 65536)
	for i := range pcm {
		pcm[i] = int16(i - 32768)
	}
	buf := make([]byte, 2*len(pcm))
	if _, err := (L16Encoder{}).Encode(buf, pcm); err != nil {
		t.Fatal(err)
	}
	out := make([]int16, len(pcm))
	if _, err := (L16Decoder{}).Decode(out, buf); err != nil {
		t.Fatal(err)
	}
	for i := range pcm {
		if out[i] != pcm[i] {
			t.Fatalf("sample %d: %d != %d", i, out[i], pcm[i])
		}
	}
}

func TestL16Errors(t *testing.T) {
	tests := []struct {
		name     string
		channels int
		dst      int
		payload  int
		want     error
	}{
		{"odd length", 1, 10, 3, ErrBadPayload},
		{"one byte", 1, 10, 1, ErrBadPayload},
		{"partial stereo frame", 2, 10, 6, ErrBadPayload},
		{"short dst", 1, 1, 4, ErrShortBuffer},
		{"ok stereo", 2, 2, 4, nil},
		{"ok empty", 1, 0, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dec := L16Decoder{Channels: tt.channels}
			_, err := dec.Decode(make([]int16, tt.dst), make([]byte, tt.payload))
			if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Errorf("Decode err = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := (L16Encoder{}).Encode(make([]byte, 3), make([]int16, 2)); !errors.Is(err, ErrShortBuffer) {
		t.Errorf("Encode short dst err = %v", err)
	}
	if _, err := (L16Encoder{Channels: 2}).Encode(make([]byte, 6), make([]int16, 3)); !errors.Is(err, ErrBadInput) {
		t.Errorf("Encode partial frame err = %v", err)
	}
}

func TestL16Params(t *testing.T) {
	tests := []struct {
		params   Params
		rate, ch int
		ok       bool
	}{
		{nil, 8000, 1, true},
		{Params{"rate": "16000"}, 16000, 1, true},
		{Params{"rate": "44100", "channels": "2"}, 44100, 2, true},
		{Params{"rate": "48000", "channels": "8"}, 48000, 8, true},
		{Params{"rate": "32000"}, 32000, 1, true},
		{Params{"rate": "22050"}, 0, 0, false},
		{Params{"rate": "-8000"}, 0, 0, false},
		{Params{"rate": "8k"}, 0, 0, false},
		{Params{"channels": "0"}, 0, 0, false},
		{Params{"channels": "9"}, 0, 0, false},
	}
	f := L16Factory()
	for _, tt := range tests {
		c, err := L16Codec(tt.params)
		if (err == nil) != tt.ok {
			t.Errorf("L16Codec(%v) err = %v, want ok=%v", tt.params, err, tt.ok)
			continue
		}
		if !tt.ok {
			if !errors.Is(err, ErrBadParams) {
				t.Errorf("L16Codec(%v) err = %v, want ErrBadParams", tt.params, err)
			}
			if _, err := f.NewDecoder(tt.params); err == nil {
				t.Errorf("NewDecoder(%v) accepted bad params", tt.params)
			}
			continue
		}
		if c.ClockRate != tt.rate || c.SampleRate != tt.rate || c.Channels != tt.ch || !c.Dynamic || c.PayloadType != 96 {
			t.Errorf("L16Codec(%v) = %+v", tt.params, c)
		}
		enc, err := f.NewEncoder(tt.params)
		if err != nil || enc.(L16Encoder).Channels != tt.ch {
			t.Errorf("NewEncoder(%v) = %v, %v", tt.params, enc, err)
		}
		dec, err := f.NewDecoder(tt.params)
		if err != nil || dec.(L16Decoder).Channels != tt.ch {
			t.Errorf("NewDecoder(%v) = %v, %v", tt.params, dec, err)
		}
	}
}
