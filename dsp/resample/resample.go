// Package resample converts 16-bit PCM between the telephony and wideband
// sample rates 8000, 16000, 32000 and 48000 Hz, in every direction, with a
// streaming polyphase FIR filter.
//
// # Method
//
// A conversion from rate in to rate out is an upsampling by L and a
// downsampling by M, where L/M = out/in in lowest terms (2, 3, 4, 6, their
// inverses, and 3/2 or 2/3 between 32 and 48 kHz). The low-pass filter that
// removes the images and the aliases is a windowed sinc (Kaiser window)
// designed by New at the upsampled rate L·in; it is split into L polyphase
// branches, so each output sample costs one dot product of about
// 2·delay·in taps and no zero is ever multiplied. The filter is linear
// phase and its centre is placed on a whole number of input and of output
// samples, so the group delay (Delay, DelayFrames) is exact and the same at
// every frequency.
//
// The hot path runs in float32: samples are converted once when they enter
// the filter's history, coefficients are float32, and outputs are computed
// four at a time by a kernel (SSE2 assembly on amd64, the same arithmetic in
// Go elsewhere, so every architecture produces identical samples) that
// rounds to nearest (ties to even) and saturates to [-32768, 32767]: a
// full-scale input that overshoots (the Gibbs ripple of a square wave)
// clips instead of wrapping. float32's 24-bit mantissa keeps the arithmetic
// error well below the int16 rounding of the output. Build with the purego
// tag to use the Go kernel on amd64 too.
//
// # Specifications
//
// Frequencies are relative to fmin, the lower of the two rates (fmin/2 is
// its Nyquist frequency). The stopband starts at fmin/2 for every quality,
// so tones the lower rate cannot carry are removed rather than aliased, and
// upsampling leaves no image of the input above fmin/2.
//
//	quality  passband        ripple     stopband  delay at fmin = 8k / 16k / 32k
//	Low      0–0.35·fmin     ±0.05 dB   ≥ 50 dB   1.375 / 0.6875 / 0.375 ms
//	Medium   0–0.425·fmin    ±0.01 dB   ≥ 70 dB   4 / 2 / 1 ms
//	High     0–0.45·fmin     ±0.001 dB  ≥ 90 dB   7.75 / 3.875 / 1.9375 ms
//
// At 8 kHz the passbands end at 2800, 3400 and 3600 Hz: Medium, the zero
// value and the default, passes the whole 300–3400 Hz telephone band flat.
// The cost per output sample (Taps) grows with in/fmin: Medium takes 68
// multiply-adds per output from 8 to 16 kHz and 388 from 48 to 8 kHz.
//
// The tests check these numbers for every rate pair: on the frequency
// response of the float32 filters (worst measured ripple ±0.020, ±0.0019,
// ±0.00013 dB; stopband 55.3, 74.1, 96.1 dB), and on tones through Process,
// passband gain by least-squares sine fit, aliases and images by what the
// fit leaves (worst 55.3, 74.1, 92.1 dB down; High meets the int16 noise
// floor). The delay is checked with impulses and with the phase of tones.
//
// # Streaming
//
// A Resampler keeps the filter's history between calls, so a stream cut
// into frames of any size gives exactly the output of one call on the whole
// stream. After n input frames in total it has produced ceil(n·L/M) output
// frames: 20 ms frames always convert to exactly 20 ms frames, and other
// sizes carry the fractional phase to the next call. The output is delayed
// by Delay; it is not flushed at the end.
//
// A Resampler is not safe for concurrent use. Process does not allocate.
package resample

import (
	"errors"
	"fmt"
	"time"
)

// Quality selects a filter: its passband edge, ripple, stopband
// attenuation, delay and cost (see the package documentation). The zero
// value is Medium.
type Quality int

const (
	// Medium passes 0.425·fmin (3400 Hz at 8 kHz) within ±0.01 dB and
	// attenuates from fmin/2 by at least 70 dB. The default.
	Medium Quality = iota
	// Low passes 0.35·fmin within ±0.05 dB and attenuates from fmin/2 by
	// at least 50 dB, with about a third of the delay and cost of Medium.
	Low
	// High passes 0.45·fmin within ±0.001 dB and attenuates from fmin/2
	// by at least 90 dB, with twice the delay and cost of Medium.
	High
)

var qualityNames = [...]string{Medium: "medium", Low: "low", High: "high"}

// String returns "low", "medium" or "high".
func (q Quality) String() string {
	if q < 0 || int(q) >= len(qualityNames) {
		return fmt.Sprintf("Quality(%d)", int(q))
	}
	return qualityNames[q]
}

// MarshalText implements encoding.TextMarshaler.
func (q Quality) MarshalText() ([]byte, error) {
	if q < 0 || int(q) >= len(qualityNames) {
		return nil, fmt.Errorf("resample: invalid quality %d", int(q))
	}
	return []byte(q.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler for "low", "medium"
// and "high".
func (q *Quality) UnmarshalText(b []byte) error {
	v, err := ParseQuality(string(b))
	if err != nil {
		return err
	}
	*q = v
	return nil
}

// ParseQuality returns the Quality named "low", "medium" or "high".
func ParseQuality(s string) (Quality, error) {
	for i, n := range qualityNames {
		if s == n {
			return Quality(i), nil
		}
	}
	return 0, fmt.Errorf("resample: unknown quality %q (low, medium or high)", s)
}

var (
	// ErrUnsupportedRate is returned (wrapped) by New for a rate other
	// than 8000, 16000, 32000 or 48000 Hz.
	ErrUnsupportedRate = errors.New("unsupported sample rate")
	// ErrShortBuffer is returned (wrapped) by Process when dst cannot hold
	// the output of src.
	ErrShortBuffer = errors.New("destination too short")
)

// rates are the supported sample rates, ascending.
var rates = [...]int{8000, 16000, 32000, 48000}

// Rates returns the supported sample rates in Hz, ascending.
func Rates() []int { return append([]int(nil), rates[:]...) }

// Supported reports whether rate (Hz) is one of Rates.
func Supported(rate int) bool {
	for _, r := range rates {
		if r == rate {
			return true
		}
	}
	return false
}

// maxChannels bounds the interleaved channel count New accepts.
const maxChannels = 32

// Resampler converts a stream of interleaved int16 PCM from one rate to
// another. Create it with New.
type Resampler struct {
	in, out, ch int
	q           Quality
	l, m        int // out/in = l/m, coprime
	taps        int // taps per polyphase branch (multiple of 4)
	centre      int // centre tap of the prototype, in upsampled samples
	coef        []float32
	adv         []uint8 // adv[p]: input samples to advance after an output of branch p
	nextPhase   []uint8 // branch of the output after one of branch p

	// The filter history: channel c's samples are buf[c*stride : c*stride+fill],
	// the first taps-1 of them carried over from earlier input.
	buf    []float32
	stride int
	fill   int
	next   int // buffer index of the newest input sample the next output uses
	phase  int // polyphase branch of the next output, 0..l-1
}

// New returns a Resampler from inRate to outRate Hz for interleaved audio of
// channels channels. Both rates must be one of Rates; equal rates give a
// Resampler that copies. Its filter is designed here, once; Process then
// allocates nothing.
func New(inRate, outRate, channels int, q Quality) (*Resampler, error) {
	if !Supported(inRate) || !Supported(outRate) {
		bad := inRate
		if Supported(inRate) {
			bad = outRate
		}
		return nil, fmt.Errorf("resample: %d Hz: %w (supported: 8000, 16000, 32000, 48000 Hz)", bad, ErrUnsupportedRate)
	}
	if channels < 1 || channels > maxChannels {
		return nil, fmt.Errorf("resample: %d channels, want 1 to %d", channels, maxChannels)
	}
	if q < 0 || int(q) >= len(specs) {
		return nil, fmt.Errorf("resample: invalid quality %d", int(q))
	}
	g := gcd(inRate, outRate)
	r := &Resampler{in: inRate, out: outRate, ch: channels, q: q, l: outRate / g, m: inRate / g}
	if inRate == outRate {
		return r, nil
	}
	h, c := design(inRate, r.l, r.m, specs[q], float64(min(inRate, outRate)))
	r.centre = c
	// Each branch holds every l-th tap, time-reversed so that the dot
	// product runs forward over the history, and zero-padded at its oldest
	// end to a multiple of 4 taps (whole SIMD lanes).
	k := (len(h) + r.l - 1) / r.l
	k = (k + 3) &^ 3
	r.taps = k
	r.coef = make([]float32, r.l*k)
	for p := 0; p < r.l; p++ {
		for j := 0; j < k; j++ {
			if i := p + (k-1-j)*r.l; i < len(h) {
				r.coef[p*k+j] = float32(h[i])
			}
		}
	}
	r.adv = make([]uint8, r.l)
	r.nextPhase = make([]uint8, r.l)
	for p := range r.l {
		r.adv[p] = uint8((p + r.m) / r.l)
		r.nextPhase[p] = uint8((p + r.m) % r.l)
	}
	block := max(2048, 2*k)
	r.stride = k - 1 + block
	r.buf = make([]float32, channels*r.stride)
	r.Reset()
	return r, nil
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// InRate returns the input sample rate in Hz.
func (r *Resampler) InRate() int { return r.in }

// OutRate returns the output sample rate in Hz.
func (r *Resampler) OutRate() int { return r.out }

// Channels returns the number of interleaved channels.
func (r *Resampler) Channels() int { return r.ch }

// Quality returns the filter quality.
func (r *Resampler) Quality() Quality { return r.q }

// Taps returns the number of filter taps (multiply-adds) per output sample
// and channel, 0 when the rates are equal.
func (r *Resampler) Taps() int { return r.taps }

// DelayFrames returns the filter's group delay in output frames (samples
// per channel): an input event at time t appears in the output at
// t + DelayFrames/outRate. It is a whole number by construction.
func (r *Resampler) DelayFrames() int {
	if r.m == 0 {
		return 0
	}
	return r.centre / r.m
}

// Delay returns the filter's group delay, DelayFrames at the output rate.
func (r *Resampler) Delay() time.Duration {
	return time.Duration(int64(r.DelayFrames()) * int64(time.Second) / int64(r.out))
}

// Reset clears the filter history, as if the Resampler were new.
func (r *Resampler) Reset() {
	if r.in == r.out {
		return
	}
	clear(r.buf)
	r.fill = r.taps - 1
	r.next = r.taps - 1
	r.phase = 0
}

// MaxOutput returns the largest number of samples (interleaved, like
// inSamples) that Process can write for inSamples input samples:
// ceil(inFrames·out/in) frames.
func (r *Resampler) MaxOutput(inSamples int) int {
	frames := inSamples / r.ch
	return (frames*r.l + r.m - 1) / r.m * r.ch
}

// OutputLen returns the exact number of samples (interleaved) that the
// next Process call will write for inSamples input samples.
func (r *Resampler) OutputLen(inSamples int) int {
	if r.in == r.out {
		return inSamples / r.ch * r.ch
	}
	return r.outFrames(inSamples/r.ch) * r.ch
}

// outFrames counts the outputs whose newest input sample falls among the
// next k input frames.
func (r *Resampler) outFrames(k int) int {
	t0 := r.next*r.l + r.phase // upsampled position of the next output
	end := (r.fill + k) * r.l  // first upsampled position not covered
	if end <= t0 {
		return 0
	}
	return (end - t0 + r.m - 1) / r.m
}

// Process converts the interleaved samples in src, appending them to the
// stream, and writes the converted samples to dst. It returns the number of
// samples written, OutputLen(len(src)), which is at most
// MaxOutput(len(src)). len(src) must be a multiple of Channels and dst at
// least OutputLen(len(src)) long; otherwise Process returns an error and
// changes nothing. When the output rate is not above the input rate, dst
// may be src itself (dst[0] the same element as src[0]): each sample is
// read before it is overwritten. It does not allocate.
func (r *Resampler) Process(dst, src []int16) (int, error) {
	ch := r.ch
	if len(src)%ch != 0 {
		return 0, fmt.Errorf("resample: %d samples is not a whole number of %d-channel frames", len(src), ch)
	}
	need := r.OutputLen(len(src))
	if len(dst) < need {
		return 0, fmt.Errorf("resample: %d samples in produce %d out, dst holds %d: %w", len(src), need, len(dst), ErrShortBuffer)
	}
	if r.in == r.out {
		copy(dst, src)
		return len(src), nil
	}
	dst = dst[:need]
	o := 0 // samples written
	k := r.taps
	for len(src) > 0 {
		// Append as much input as the buffer takes, one channel at a time.
		n := min(len(src)/ch, r.stride-r.fill)
		if ch == 1 {
			b := r.buf[r.fill : r.fill+n]
			for i, v := range src[:n] {
				b[i] = float32(v)
			}
		} else {
			for c := 0; c < ch; c++ {
				b := r.buf[c*r.stride+r.fill : c*r.stride+r.fill+n]
				s := src[c:]
				for i := range b {
					b[i] = float32(s[i*ch])
				}
			}
		}
		src = src[n*ch:]
		r.fill += n
		o = r.convert(dst, o)
		if r.fill == r.stride {
			// Keep the last taps-1 samples as history for the next block.
			keep := k - 1
			for c := 0; c < ch; c++ {
				b := r.buf[c*r.stride : (c+1)*r.stride]
				copy(b[:keep], b[r.fill-keep:r.fill])
			}
			r.next -= r.fill - keep
			r.fill = keep
		}
	}
	return o, nil
}

// convert writes, from dst[o] on, every output whose newest input sample
// is in the buffer, and returns the new o. It computes them four
// (output, channel) pairs at a time, in dst order.
func (r *Resampler) convert(dst []int16, o int) int {
	k, ch, stride, fill := r.taps, r.ch, r.stride, r.fill
	coef, buf, adv, nextPhase := r.coef, r.buf, r.adv, r.nextPhase
	next, phase := r.next, r.phase
	var off [8]int // coefficient offsets of slots 0..3, then sample offsets
	n := 0         // slots filled
	for next < fill {
		// phase < l and k-1 ≤ next < fill ≤ stride keep both ranges in bounds.
		h, x := phase*k, next-k+1
		for c := 0; c < ch; c++ {
			off[n], off[4+n] = h, x+c*stride
			n++
			if n == 4 {
				dot4((*[4]int16)(dst[o:o+4]), coef, buf, &off, k)
				o += 4
				n = 0
			}
		}
		next += int(adv[phase])
		phase = int(nextPhase[phase])
	}
	if n > 0 {
		for i := n; i < 4; i++ { // repeat slot 0 in the unused slots
			off[i], off[4+i] = off[0], off[4]
		}
		var res [4]int16
		dot4(&res, coef, buf, &off, k)
		o += copy(dst[o:o+n], res[:n])
	}
	r.next, r.phase = next, phase
	return o
}
