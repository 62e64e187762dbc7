// Package mix sums 16-bit PCM streams for conferencing: participants are
// accumulated into an int32 buffer, from which the total ("everybody") and
// each participant's "minus one" (everybody except that participant, the
// audio sent back to them) are produced with saturation to int16.
//
// Summing in int32 is exact for up to MaxParticipants full-scale streams, so
// a minus-one computed as total − own equals the saturated sum of the other
// participants sample for sample, even when the total itself clips.
//
// All functions work on caller-owned slices and never allocate.
package mix

import "math"

// MaxParticipants is the number of full-scale int16 streams an int32
// accumulator holds without overflow: 65535 · 32768 < 2^31.
const MaxParticipants = math.MaxUint16

// Accumulate adds pcm to acc sample by sample: acc[i] += pcm[i]. Samples of
// acc beyond len(pcm) are left unchanged (a short frame contributes silence
// there); pcm longer than acc panics.
func Accumulate(acc []int32, pcm []int16) {
	acc = acc[:len(pcm)] // one bounds check, and a panic when pcm is too long
	for i, s := range pcm {
		acc[i] += int32(s)
	}
}

// Saturate writes acc, clamped to [-32768, 32767], to dst. It writes
// min(len(dst), len(acc)) samples and returns that count.
func Saturate(dst []int16, acc []int32) int {
	n := min(len(dst), len(acc))
	dst, acc = dst[:n], acc[:n]
	for i, v := range acc {
		dst[i] = clamp(v)
	}
	return n
}

// MinusOne writes acc − own, clamped to [-32768, 32767], to dst: the mix of
// everybody except the participant whose frame own was accumulated into acc.
// Where own is shorter than dst, the total is written unchanged. It writes
// min(len(dst), len(acc)) samples and returns that count.
func MinusOne(dst []int16, acc []int32, own []int16) int {
	n := min(len(dst), len(acc))
	dst, acc = dst[:n], acc[:n]
	k := min(n, len(own))
	own = own[:k]
	for i, s := range own {
		dst[i] = clamp(acc[i] - int32(s))
	}
	for i := k; i < n; i++ {
		dst[i] = clamp(acc[i])
	}
	return n
}

// Sum mixes srcs into dst with saturation, using acc (at least len(dst)
// long) as scratch: the one-call form of clearing acc, Accumulate for each
// source and Saturate. Sources shorter than dst contribute silence past
// their end.
func Sum(dst []int16, acc []int32, srcs ...[]int16) {
	acc = acc[:len(dst)]
	clear(acc)
	for _, s := range srcs {
		Accumulate(acc, s[:min(len(s), len(acc))])
	}
	Saturate(dst, acc)
}

// clamp saturates v to the int16 range.
func clamp(v int32) int16 { return int16(min(max(v, math.MinInt16), math.MaxInt16)) }
