// Package g722 implements ITU-T G.722 (7 kHz audio coding within 64 kbit/s)
// in pure Go: sub-band ADPCM. A quadrature mirror filter (QMF) splits 16 kHz
// PCM into a lower and an upper band of 8 kHz each; the lower band is coded
// with 6-bit ADPCM, the upper band with 2-bit ADPCM, and each pair of input
// samples becomes one byte (upper-band code in the two most significant
// bits, lower-band code in the six others).
//
// [Encoder] produces the 64 kbit/s stream. [Decoder] decodes all three modes
// of the recommendation: 64, 56 and 48 kbit/s, in which it uses only the
// 6, 5 or 4 most significant bits of each lower-band code (the others carry
// auxiliary data in those modes). The G.722 bit stream is embedded, so one
// encoder serves all three modes.
//
// Importing the package registers the codec in [codecs.Default] as "G722",
// static RTP payload type 9. RFC 3551 §4.5.2 sets its RTP clock rate to
// 8000 Hz although the codec samples at 16000 Hz (an error kept for
// compatibility), so the registered [codecs.Codec] has ClockRate 8000 and
// SampleRate 16000: one RTP timestamp tick per byte.
//
// The arithmetic is the fixed-point arithmetic of the recommendation, so the
// bit streams and PCM agree exactly with other implementations that follow
// it; the tests compare both directions with ffmpeg.
package g722

import (
	"fmt"
	"math/bits"
	"strconv"

	"github.com/voxgraph/voxgraph/codecs"
)

// Registration data (RFC 3551 §4.5.2 and Table 4).
const (
	// Name is the RTP encoding name.
	Name = "G722"
	// PayloadType is the static RTP payload type.
	PayloadType = 9
	// ClockRate is the RTP clock rate: 8000 Hz, half the sample rate.
	ClockRate = 8000
	// SampleRate is the PCM sample rate the codec consumes and produces.
	SampleRate = 16000
)

// Bit rates of the three G.722 modes, the values of the "bitrate" parameter.
const (
	Bitrate64k = 64000 // mode 1: 6-bit lower-band codes
	Bitrate56k = 56000 // mode 2: 5-bit lower-band codes, 1 auxiliary bit
	Bitrate48k = 48000 // mode 3: 4-bit lower-band codes, 2 auxiliary bits
)

func init() {
	if err := codecs.Default.Register(Factory()); err != nil {
		panic(err) // programming error: the factory is static
	}
}

// Codec returns the G.722 codec description: "G722", payload type 9,
// clock rate 8000, sample rate 16000, mono.
func Codec() codecs.Codec {
	return codecs.Codec{Name: Name, PayloadType: PayloadType, ClockRate: ClockRate,
		SampleRate: SampleRate, Channels: 1}
}

// Factory returns the factory registered in codecs.Default. Its constructors
// accept these parameters (others are ignored):
//
//   - "bitrate": 64000 (default), 56000 or 48000 for the decoder; only
//     64000 for the encoder.
//   - "rate": 8000 (the RTP clock rate) or 16000 (the sample rate); both
//     name the one rate G.722 has.
//   - "channels": 1.
//
// Invalid values give an error wrapping codecs.ErrBadParams.
func Factory() codecs.Factory {
	return codecs.Factory{
		Codec: Codec(),
		NewEncoder: func(p codecs.Params) (codecs.Encoder, error) {
			rate, err := parseParams(p)
			if err != nil {
				return nil, err
			}
			if rate != Bitrate64k {
				return nil, fmt.Errorf("g722: encoder bitrate %d, only %d is supported: %w",
					rate, Bitrate64k, codecs.ErrBadParams)
			}
			return NewEncoder(), nil
		},
		NewDecoder: func(p codecs.Params) (codecs.Decoder, error) {
			rate, err := parseParams(p)
			if err != nil {
				return nil, err
			}
			return NewDecoder(rate)
		},
	}
}

// parseParams validates "rate" and "channels" and returns "bitrate".
func parseParams(p codecs.Params) (bitrate int, err error) {
	get := func(key string, def int) (int, error) {
		s, ok := p[key]
		if !ok {
			return def, nil
		}
		v, err := strconv.Atoi(s)
		if err != nil {
			return 0, fmt.Errorf("g722: %s=%q: %w", key, s, codecs.ErrBadParams)
		}
		return v, nil
	}
	rate, err := get("rate", ClockRate)
	if err != nil {
		return 0, err
	}
	if rate != ClockRate && rate != SampleRate {
		return 0, fmt.Errorf("g722: rate %d, want %d (RTP clock) or %d (sampling): %w",
			rate, ClockRate, SampleRate, codecs.ErrBadParams)
	}
	ch, err := get("channels", 1)
	if err != nil {
		return 0, err
	}
	if ch != 1 {
		return 0, fmt.Errorf("g722: %d channels, only mono is supported: %w", ch, codecs.ErrBadParams)
	}
	return get("bitrate", Bitrate64k)
}

// Tables of ITU-T G.722 (09/2012; unchanged since the 1988 edition), named
// after the functional blocks of its §6 that use them and scaled as in its
// fixed-point description. The same values appear in the ITU-T reference C
// code, in spandsp's g722.c and (inverse quantizers divided by 8) in
// ffmpeg's libavcodec/g722.c, which the tests use as the reference.
var (
	// q6 holds the decision levels of the 6-bit lower-band quantizer
	// (QUANTL); index 0 is unused.
	q6 = [30]int{
		0, 35, 72, 110, 150, 190, 233, 276, 323, 370,
		422, 473, 530, 587, 650, 714, 786, 858, 940, 1023,
		1121, 1219, 1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919,
	}
	// iln and ilp map a quantizer interval (1-30) to the 6-bit code for a
	// negative and a positive difference (QUANTL).
	iln = [31]uint8{
		0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19,
		18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4,
	}
	ilp = [31]uint8{
		0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47,
		46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32,
	}
	// qm6, qm5 and qm4 are the lower-band inverse quantizer outputs for
	// 6-, 5- and 4-bit codes (INVQBL/INVQAL), times 8.
	qm6 = [64]int{
		-136, -136, -136, -136, -24808, -21904, -19008, -16704,
		-14984, -13512, -12280, -11192, -10232, -9360, -8576, -7856,
		-7192, -6576, -6000, -5456, -4944, -4464, -4008, -3576,
		-3168, -2776, -2400, -2032, -1688, -1360, -1040, -728,
		24808, 21904, 19008, 16704, 14984, 13512, 12280, 11192,
		10232, 9360, 8576, 7856, 7192, 6576, 6000, 5456,
		4944, 4464, 4008, 3576, 3168, 2776, 2400, 2032,
		1688, 1360, 1040, 728, 432, 136, -432, -136,
	}
	qm5 = [32]int{
		-280, -280, -23352, -17560, -14120, -11664, -9752, -8184,
		-6864, -5712, -4696, -3784, -2960, -2208, -1520, -880,
		23352, 17560, 14120, 11664, 9752, 8184, 6864, 5712,
		4696, 3784, 2960, 2208, 1520, 880, 280, -280,
	}
	qm4 = [16]int{
		0, -20456, -12896, -8968, -6288, -4240, -2584, -1200,
		20456, 12896, 8968, 6288, 4240, 2584, 1200, 0,
	}
	// wl is the lower-band log scale factor multiplier (LOGSCL),
	// indexed through rl42 by the 4-bit code.
	wl   = [8]int{-60, -30, 58, 172, 334, 538, 1198, 3042}
	rl42 = [16]uint8{0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0}
	// qm2 is the upper-band inverse quantizer output (INVQAH),
	// times 8; wh and rh2 the upper-band log scale factor multiplier
	// (LOGSCH).
	qm2 = [4]int{-7408, -1616, 7408, 1616}
	wh  = [3]int{0, -214, 798}
	rh2 = [4]uint8{2, 1, 2, 1}
	// ilb is the inverse logarithm table of SCALEL/SCALEH (2^(i/32) in Q11).
	ilb = [32]int{
		2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383,
		2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834,
		2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371,
		3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
	}
	// qmf holds the 24 QMF coefficients h0..h23 (Table 11); h(i) = h(23-i).
	qmf = [24]int{
		3, -11, -11, 53, 12, -156, 32, 362, -210, -805, 951, 3876,
		3876, 951, -805, -210, 362, 32, -156, 12, 53, -11, -11, 3,
	}
)

// Lower-band inverse quantizer tables indexed by the whole 6-bit code of a
// byte, one per mode: the 5- and 4-bit modes ignore the low bits. Decoding
// then reads straight down with no per-byte branch on the mode.
var (
	dequant56 = expand(qm5[:], 1)
	dequant48 = expand(qm4[:], 2)
)

func expand(t []int, shift uint) (out [64]int) {
	for i := range out {
		out[i] = t[i>>shift]
	}
	return out
}

// sat16 saturates x to the int16 range, as the recommendation's 16-bit
// arithmetic does.
func sat16(x int) int {
	return min(max(x, -32768), 32767)
}

// signShift shifts an int's sign bit across the whole word: x>>signShift
// is -1 for a negative x and 0 otherwise. The predictor uses it to stay
// branch-free on the signs of the signal, which are as good as random.
const signShift = bits.UintSize - 1

// flip returns v when mask is 0 and -v when mask is -1.
func flip(v, mask int) int { return (v ^ mask) - mask }

// band is the adaptive state of one sub-band ADPCM coder, shared by the
// encoder and the decoder: the quantizer scale factor and the pole-zero
// predictor. Field names follow the recommendation (L or H dropped).
type band struct {
	s   int    // predictor output S (PREDIC)
	sz  int    // zero-section output SZ (FILTEZ), see adapt
	det int    // quantizer scale factor DET (SCALEL/SCALEH)
	nb  int    // logarithmic scale factor NB (LOGSCL/LOGSCH)
	a1  int    // pole coefficients A1, A2 (UPPOL1, UPPOL2)
	a2  int    //
	b   [6]int // zero coefficients B1..B6 (UPZERO)
	d   [6]int // past differences 2·DQ1..2·DQ6, saturated (DELAYA, FILTEZ input)
	r1  int    // previous reconstructed signal 2·R1, saturated (FILTEP input)
	p1  int    // sign of the previous partial reconstruction P1: -1 if negative, else 0 (PARREC)
	p2  int    // sign of P2
}

// reset sets the initial state of §6: everything zero but the scale factor.
func (b *band) reset(det int) {
	*b = band{det: det}
}

// scale updates the log scale factor with step (LOGSCL/LOGSCH), limits it
// to [0, nbmax], and derives the linear scale factor DET (SCALEL/SCALEH),
// where 2^(nb/2048 - offset) is looked up in ilb.
func (b *band) scale(step, nbmax, offset int) {
	b.nb = min(max(b.nb*127>>7+step, 0), nbmax)
	wd := ilb[(b.nb>>6)&31]
	if sh := b.nb>>11 - offset; sh < 0 {
		wd >>= -sh
	} else {
		wd <<= sh
	}
	b.det = wd << 2
}

// adapt runs the predictor blocks (block 4 of §6) for the quantized
// difference dq: partial reconstruction, pole and zero coefficient
// adaptation, delay line and the new prediction b.s.
//
// The zero-section sum SZ is kept in full precision and only the
// prediction S is saturated, as ffmpeg does; SZ leaves the 16-bit range
// only for streams no encoder produces (random bytes), where an
// implementation saturating every addition could differ.
func (b *band) adapt(dq int) {
	// PARREC: sign of the partially reconstructed signal P = SZ + DQ, and
	// whether it differs (-1) from the signs of P1 and P2.
	p := (b.sz + dq) >> signShift
	diff1, diff2 := p^b.p1, p^b.p2

	// UPPOL2: second pole coefficient, limited to ±12288.
	wd := flip(sat16(b.a1<<2), ^diff1)
	wd = min(wd, 32767)>>7 + b.a2*127>>7 + flip(128, diff2)
	a2 := min(max(wd, -12288), 12288)

	// UPPOL1: first pole coefficient, limited to ±(15360 - A2).
	wd = b.a1*255>>8 + flip(192, diff1)
	lim := 15360 - a2
	b.a1 = min(max(wd, -lim), lim)
	b.a2 = a2
	b.p2, b.p1 = b.p1, p

	// UPZERO, DELAYA and FILTEZ in one pass: leak each zero coefficient
	// and move it by ±128 (nothing when DQ is 0) towards the correlation
	// of the signs of DQ and its past difference, shift the difference
	// line, and sum the zero section with the new values.
	step := 128 & ((dq | -dq) >> signShift)
	coef, line := &b.b, &b.d // in place: copying the arrays defeats store forwarding
	in := sat16(dq << 1)
	sz := 0
	for i := range coef {
		c := sat16(coef[i]*255>>8 + flip(step, (line[i]^dq)>>signShift))
		coef[i] = c
		line[i], in = in, line[i]
		sz += c * line[i] >> 15
	}
	b.sz = sz

	// RECONS, FILTEP and PREDIC: reconstructed signal, pole section and
	// the prediction for the next sample.
	r := sat16((b.s + dq) << 1)
	b.s = sat16(sz + b.a1*r>>15 + b.a2*b.r1>>15)
	b.r1 = r
}

// updateLow adapts the lower band after a sample with 4-bit code il4 (the
// two most significant bits of the 6-bit code and both sign bits): INVQAL,
// block 4, LOGSCL and SCALEL.
func (b *band) updateLow(il4 int) {
	b.adapt(b.det * qm4[il4] >> 15)
	b.scale(wl[rl42[il4]], 18432, 8)
}

// updateHigh adapts the upper band after a sample with code ih whose
// quantized difference is dh: block 4, LOGSCH and SCALEH.
func (b *band) updateHigh(ih, dh int) {
	b.adapt(dh)
	b.scale(wh[rh2[ih]], 22528, 10)
}

// historyLen is the size of the QMF delay lines: 22 samples of history plus
// room for 128 pairs, so the history is moved down once per 128 bytes.
const historyLen = 22 + 2*128

// history is a QMF delay line. The newest 24 samples are
// x[pos-22 : pos+2] after push; older samples are discarded by moving the
// last 22 down to the start when the buffer is full.
type history struct {
	x   [historyLen]int32
	pos int
}

func (h *history) reset() {
	*h = history{pos: 22}
}

// push appends the pair (a, b), b the newer, and returns the two polyphase
// QMF sums over the newest 24 samples: odd over the samples at odd offsets
// (the newest included), even over the others.
func (h *history) push(a, b int) (odd, even int) {
	if h.pos < 22 || h.pos+2 > len(h.x) {
		copy(h.x[:22], h.x[max(h.pos-22, 0):h.pos])
		h.pos = 22
	}
	h.x[h.pos], h.x[h.pos+1] = int32(a), int32(b)
	w := (*[24]int32)(h.x[h.pos-22 : h.pos+2])
	h.pos += 2
	for i := 0; i < 24; i += 2 {
		even += qmf[i] * int(w[i])
		odd += qmf[i+1] * int(w[i+1])
	}
	return odd, even
}
