package codecs

import "testing"

// checkCompanding checks that decode(encode(x)) is monotonic in x and stays
// within the G.711 quantization error (at most 1/16 of |x|, 32 near zero,
// which also covers clipping at the top segment) for every int16 value.
func checkCompanding(t *testing.T, enc Encoder, dec Decoder) {
	t.Helper()
	pcm := make([]int16, 65536)
	for i := range pcm {
		pcm[i] = int16(i - 32768)
	}
	payload := make([]byte, enc.MaxEncodedLen(len(pcm)))
	n, err := enc.Encode(payload, pcm)
	if err != nil || n != len(pcm) {
		t.Fatalf("Encode = %d, %v", n, err)
	}
	out := make([]int16, dec.MaxDecodedLen(n))
	m, err := dec.Decode(out, payload[:n])
	if err != nil || m != len(pcm) {
		t.Fatalf("Decode = %d, %v", m, err)
	}
	for i, x := range pcm {
		y := out[i]
		if i > 0 && y < out[i-1] {
			t.Fatalf("not monotonic at %d: %d < %d", x, y, out[i-1])
		}
		limit := max(32, abs(int(x))/16)
		if e := abs(int(y) - int(x)); e > limit {
			t.Fatalf("x=%d decodes to %d, error %d > %d", x, y, e, limit)
		}
	}
}

// checkCodeRoundTrip checks that encode(decode(b)) == b for every byte,
// except the listed bytes which must map to want[b].
func checkCodeRoundTrip(t *testing.T, enc Encoder, dec Decoder, except map[byte]byte) {
	t.Helper()
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	pcm := make([]int16, 256)
	if _, err := dec.Decode(pcm, all); err != nil {
		t.Fatal(err)
	}
	back := make([]byte, 256)
	if _, err := enc.Encode(back, pcm); err != nil {
		t.Fatal(err)
	}
	for i, b := range back {
		want := byte(i)
		if w, ok := except[byte(i)]; ok {
			want = w
		}
		if b != want {
			t.Errorf("code %#02x -> %d -> %#02x, want %#02x", i, pcm[i], b, want)
		}
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// frame160 is one 20 ms frame at 8 kHz of a ramp over the whole int16 range.
func frame160() []int16 {
	pcm := make([]int16, 160)
	for i := range pcm {
		pcm[i] = int16(i*409 - 32768)
	}
	return pcm
}

// The functions below are an independent transcription of the ITU-T G.191
// Software Tool Library reference coders (g711.c), used to check the
// library exhaustively.

func refAlawCompress(x int16) byte {
	var ix int
	if x < 0 {
		ix = int(^x) >> 4
	} else {
		ix = int(x) >> 4
	}
	if ix > 15 {
		iexp := 1
		for ix > 16+15 {
			ix >>= 1
			iexp++
		}
		ix -= 16
		ix += iexp << 4
	}
	if x >= 0 {
		ix |= 0x80
	}
	return byte(ix ^ 0x55)
}

func refAlawExpand(b byte) int16 {
	ix := int(b^0x55) & 0x7F
	iexp := ix >> 4
	mant := ix & 0x0F
	if iexp > 0 {
		mant += 16
	}
	mant = mant<<4 + 8
	if iexp > 1 {
		mant <<= iexp - 1
	}
	if b > 127 {
		return int16(mant)
	}
	return int16(-mant)
}

func refUlawCompress(x int16) byte {
	var absno int
	if x < 0 {
		absno = int(^x)>>2 + 33
	} else {
		absno = int(x)>>2 + 33
	}
	absno = min(absno, 0x1FFF)
	segno := 1
	for i := absno >> 6; i != 0; i >>= 1 {
		segno++
	}
	high := 8 - segno
	low := 0x0F - (absno>>segno)&0x0F
	b := byte(high<<4 | low)
	if x >= 0 {
		b |= 0x80
	}
	return b
}

func refUlawExpand(b byte) int16 {
	sign := 1
	if b < 0x80 {
		sign = -1
	}
	m := int(^b)
	exponent := (m >> 4) & 7
	segment := exponent + 1
	m &= 0x0F
	step := 4 << segment
	return int16(sign * (0x80<<exponent + step*m + step/2 - 4*33))
}

// checkReference compares enc and dec with the reference functions for
// every int16 and every byte.
func checkReference(t *testing.T, enc Encoder, dec Decoder, refEnc func(int16) byte, refDec func(byte) int16) {
	t.Helper()
	var b [1]byte
	var s [1]int16
	for x := -32768; x <= 32767; x++ {
		if _, err := enc.Encode(b[:], []int16{int16(x)}); err != nil {
			t.Fatal(err)
		}
		if want := refEnc(int16(x)); b[0] != want {
			t.Fatalf("encode(%d) = %#02x, reference %#02x", x, b[0], want)
		}
	}
	for c := range 256 {
		b[0] = byte(c)
		if _, err := dec.Decode(s[:], b[:]); err != nil {
			t.Fatal(err)
		}
		if want := refDec(byte(c)); s[0] != want {
			t.Fatalf("decode(%#02x) = %d, reference %d", c, s[0], want)
		}
	}
}
