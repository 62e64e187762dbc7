// Package ns suppresses stationary and slowly changing background noise
// in 16-bit mono PCM at 8, 16, 32 or 48 kHz, working on 10 ms frames.
//
// # Method
//
// Short-time Fourier analysis: each 10 ms frame of N samples and the one
// before it (2N samples, 50% overlap) are weighted by a periodic
// square-root Hann window and transformed by a real FFT of 2N points
// (package dsp/fft: an N-point complex FFT of the sample pairs, a Stockham
// autosort of radix-5, -4 and -2 passes, and -3 at 48 kHz), with the
// window applied while packing the samples into its input. The same
// window is applied again after the inverse FFT and consecutive frames
// are overlap-added; since the squared window sums to one at 50% overlap,
// a gain of one everywhere reconstructs the input exactly, N samples
// (10 ms) late.
//
// Noise power per frequency bin is tracked with the speech presence
// probability (SPP) estimator of Gerkmann and Hendriks (2012): the a
// posteriori probability that the bin holds speech, under a fixed prior
// SNR of 15 dB, weights the periodogram against the previous estimate, so
// bins that hold speech leave the estimate alone while noise bins update
// it with a 75 ms time constant; the estimate follows noise that changes
// level in either direction. Probabilities that stay near one for long
// are capped at 0.99 so that a step up in noise is followed instead of
// being taken for speech forever. The estimate is bounded by 12 dB over
// the minimum of the smoothed periodogram in the last 1.6 to 1.8 s
// (Martin's minimum statistics): sustained speech, which pauses, cannot
// raise it further, which the SPP estimator alone lets happen at high
// SNR.
//
// The a priori SNR of each bin is estimated decision-directed (Ephraim
// and Malah, α = 0.98, floored at -25 dB), which smooths it over time in
// noise and so keeps the residual noise free of the isolated tones
// ("musical noise") a raw spectral subtraction leaves; a second step
// (Plapous, Marro and Scalart's two-step noise reduction) recomputes it
// from the Wiener gain of the first and the current frame, removing the
// first step's one-frame lag at speech onsets. The gain is the Wiener
// gain ξ/(1+ξ), never under the floor set by Config.Level.
//
// # Accuracy
//
// Measured by the tests (go test ./dsp/ns -v), at 8, 16, 32 and 48 kHz:
//   - TestNoiseAttenuation: white noise alone, -50 to -20 dBov, after the
//     first second, is attenuated by 16.4 to 16.9 dB at the default
//     Level of 18 dB, 9.6 to 9.7 dB at 10 dB and 20.1 to 21.5 dB at
//     25 dB; pink noise by 17.2 to 17.6 dB above 150 Hz, but only 10 to
//     14 dB over the whole band, as its power under 50 Hz (the
//     resolution of the 20 ms window) swings too slowly to be told from
//     a signal. NoiseFloor reads 1.8 to 2.2 dB under white noise and 1.9
//     to 3.3 dB under pink.
//   - TestSegmentalSNR: synthetic talk (vadtest.Talk) in white noise at
//     20, 10, 5 and 0 dB SNR gains at least 1.3, 3.2, 4.5 and 5.9 dB of
//     segmental SNR over the talkspurts; in pink noise -0.4, 1.8, 3.1 and
//     4.6 dB (at 20 dB SNR in pink noise the talk the gains take off is
//     worth the noise they remove). The pauses are attenuated by 17 dB
//     in white noise and 10 to 12 dB in pink.
//   - TestCleanSpeech: talk without noise comes out with a segmental SNR
//     of 34.8 dB against the input.
//   - TestReconstruction: with every gain at one (a Level of 1e-9 dB), the
//     output equals the input delayed by Delay samples within one LSB.
//
// Cost: BenchmarkProcess takes 2.9 to 3.2 µs of CPU per 10 ms frame at
// 8 kHz, 6.0 to 6.8 µs at 16 kHz, 12 µs at 32 kHz and 20 µs at 48 kHz
// (go test -run '^$' -bench Process -benchmem ./dsp/ns, its cpu-ns/op,
// 0 allocs/op on a loaded 2-core Xeon): 0.61 to 0.68 times, at 8 kHz,
// and 0.73 to 0.78 times, at 16 kHz, speexdsp's speex_preprocess_run with
// denoise only (4.4 to 4.9 and 8.2 to 8.7 µs of thread CPU time, by
// testdata/speexdsp_bench.c, each pair of runs back to back), which
// works on 24 bands. About two fifths of it are the two FFTs, two fifths
// the noise tracking and the gains: the SPP's exp is skipped where its
// exponent passes 40 (the probability is then one within 1e-16), the
// two-step gain takes one division (ξ²γ / ((1+ξ)² + ξ²γ), equal to the
// Wiener gain of g1²γ), and 1/noise is kept from one frame to the next.
// On 10 s of talk in white and pink noise at 20, 5 and 0 dB SNR, at all
// four rates, the output is the same, sample for sample, as that of the
// earlier version built on gonum's FFT, which took 6.2 and 12 µs.
//
// Against speexdsp and WebRTC on 41 s of espeak-ng speech (two voices)
// in white and pink noise at 20, 10, 5 and 0 dB SNR, 8 and 16 kHz
// (speexdsp: speex_preprocess_run, denoise only, -18 dB; WebRTC:
// GStreamer webrtcdsp noise-suppression-level=high, no high-pass), the
// segmental SNR gains are, in dB (ns / speexdsp / WebRTC):
//
//	16 kHz white: 20 dB +2.6/+2.7/-0.7, 10 dB +5.2/+5.4/+3.5, 5 dB +5.9/+6.5/+5.2, 0 dB +6.7/+7.1/+6.4
//	16 kHz pink:  20 dB +1.1/+1.2/-2.0, 10 dB +2.0/+2.8/+1.3, 5 dB +3.6/+3.4/+3.0, 0 dB +5.2/+4.0/+4.6
//	 8 kHz white: 20 dB +1.8/+2.0/-1.2, 10 dB +3.7/+4.4/+2.9, 5 dB +4.5/+5.1/+4.3, 0 dB +5.5/+5.6/+5.3
//	 8 kHz pink:  20 dB +1.3/+1.0/-1.7, 10 dB +2.0/+2.5/+1.4, 5 dB +3.6/+3.0/+2.8, 0 dB +4.8/+3.4/+3.9
//
// while the noise in the pauses is taken down by 15 to 17 dB in white
// and 9 to 11 dB in pink (speexdsp: 8 to 13 and 4 to 6 dB; WebRTC: 15 to
// 17 and 8 to 10 dB). (The segmental SNR here counts blocks within 40 dB
// of the loudest, so silences between words count too.)
//
// A Suppressor is not safe for concurrent use. Process does not allocate.
package ns

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/voxgraph/voxgraph/dsp/fft"
	"github.com/voxgraph/voxgraph/dsp/gain"
	"github.com/voxgraph/voxgraph/dsp/level"
)

// FrameDuration is the length of the frames Process works on.
const FrameDuration = 10 * time.Millisecond

// DefaultLevel is the default maximum attenuation (Config.Level), in dB.
const DefaultLevel = 18.0

// MaxLevel is the largest maximum attenuation Config.Level may ask for.
const MaxLevel = 60.0

// ErrUnsupportedRate is returned (wrapped) by New for a sample rate other
// than 8000, 16000, 32000 or 48000 Hz.
var ErrUnsupportedRate = errors.New("unsupported sample rate")

// ErrFrameSize is returned (wrapped) by Process for a slice that is not a
// whole number of 10 ms frames.
var ErrFrameSize = errors.New("not a whole number of 10 ms frames")

// Tuning of the estimators (see the package documentation).
const (
	ddAlpha   = 0.98                // decision-directed smoothing of the a priori SNR
	xiMin     = 0.0031622776601683  // -25 dB: floor of the a priori SNR
	sppXi     = 31.622776601683793  // 15 dB: the a priori SNR assumed under speech for the SPP
	sppAlpha  = 0.87                // noise update smoothing per frame (50 ms)
	sppSmooth = 0.94                // smoothing of the SPP for the stagnation test
	sppCap    = 0.99                // SPP cap once the smoothed SPP stays above it
	initFrams = 5                   // frames averaged for the first noise estimate
	gammaMax  = 1e6                 // a posteriori SNR bound (60 dB), keeps exp and products finite
	msSmooth  = 0.85                // periodogram smoothing for the minimum
	msSubLen  = 20                  // frames per sub-window of the minimum
	msSubs    = 8                   // sub-windows: the minimum spans 1.6 to 1.8 s
	msBound   = 15.85               // 8 dB: the noise estimate never exceeds msBound·minimum
	quantPow  = 1.0 / 12            // power of 16-bit rounding noise, per sample
	sppExpK   = sppXi / (1 + sppXi) // exponent factor of the SPP likelihood ratio
	sppExpCut = 40                  // over this exponent the SPP is 1 within 1e-16
)

// Config sets up a Suppressor.
type Config struct {
	// Rate is the sample rate in Hz: 8000, 16000, 32000 or 48000.
	Rate int
	// Level is the maximum attenuation in dB, the gain floor that noise is
	// brought down to; 0 means DefaultLevel (18 dB). Larger values remove
	// more noise and leave more audible artefacts.
	Level float64
}

// Suppressor removes noise from a stream of 10 ms frames. Create it with
// New.
type Suppressor struct {
	cfg   Config
	n     int     // samples per frame (hop)
	l     int     // window and FFT length, 2n
	floor float64 // gain floor, linear

	fft   *fft.Real
	win   []float64    // analysis window: square-root periodic Hann, length l
	synth []float64    // synthesis window: the same divided by l (the inverse FFT's scale)
	prev  []float64    // the previous frame's input samples, length n
	ola   []float64    // second half of the previous synthesis frame, length n
	spec  []complex128 // spectrum, n+1 bins

	noise  []float64 // noise power per bin
	pbar   []float64 // smoothed speech presence probability per bin
	prevS  []float64 // |S|² of the previous frame's estimate per bin
	pow    []float64 // |Y|² per bin
	inv    []float64 // 1/noise per bin
	minPow float64   // noise power of 16-bit rounding, per bin

	// Minimum statistics bound: per bin, the smoothed periodogram, its
	// minimum in the current sub-window, in the last msSubs sub-windows
	// (msSubs rows of n+1) and over all of them.
	msP, msCur, msSub, msMin []float64
	msI, msN                 int // next row of msSub; frames in the current sub-window

	frames int     // frames seen (counts up to initFrams)
	inPow  float64 // power of the last frame's spectrum
	outPow float64 // … after the gain
}

// New returns a Suppressor for cfg, or an error naming what is wrong (a
// wrapped ErrUnsupportedRate for the rate).
func New(cfg Config) (*Suppressor, error) {
	switch cfg.Rate {
	case 8000, 16000, 32000, 48000:
	default:
		return nil, fmt.Errorf("ns: %d Hz: %w (supported: 8000, 16000, 32000, 48000 Hz)", cfg.Rate, ErrUnsupportedRate)
	}
	if cfg.Level == 0 {
		cfg.Level = DefaultLevel
	}
	if !(cfg.Level > 0 && cfg.Level <= MaxLevel) { // also NaN
		return nil, fmt.Errorf("ns: level %g dB must be in (0, %g]", cfg.Level, MaxLevel)
	}
	n := cfg.Rate / 100
	l := 2 * n
	k := n + 1
	tr, err := fft.NewReal(l)
	if err != nil {
		return nil, fmt.Errorf("ns: %w", err)
	}
	s := &Suppressor{
		cfg: cfg, n: n, l: l,
		floor: math.Pow(10, -cfg.Level/20),
		fft:   tr,
		win:   make([]float64, l),
		synth: make([]float64, l),
		prev:  make([]float64, n),
		ola:   make([]float64, n),
		spec:  make([]complex128, k),
		noise: make([]float64, k),
		pbar:  make([]float64, k),
		prevS: make([]float64, k),
		pow:   make([]float64, k),
		inv:   make([]float64, k),
		msP:   make([]float64, k),
		msCur: make([]float64, k),
		msSub: make([]float64, k*msSubs),
		msMin: make([]float64, k),
		// Rounding noise of power q per sample gives q·Σw² = q·n per bin.
		minPow: quantPow * float64(n),
	}
	for i := range s.win {
		s.win[i] = math.Sqrt(0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(l)))
		s.synth[i] = s.win[i] / float64(l)
	}
	s.Reset()
	return s, nil
}

// Config returns the suppressor's configuration with the defaults filled
// in.
func (s *Suppressor) Config() Config { return s.cfg }

// FrameSize is the number of samples in one 10 ms frame: Rate/100.
func (s *Suppressor) FrameSize() int { return s.n }

// Delay is how many samples the output lags the input: one frame.
func (s *Suppressor) Delay() int { return s.n }

// Reset forgets the stream: the signal history and the noise estimate.
func (s *Suppressor) Reset() {
	clear(s.prev)
	clear(s.ola)
	clear(s.noise)
	clear(s.pbar)
	clear(s.prevS)
	s.frames, s.inPow, s.outPow = 0, 0, 0
	clear(s.msP)
	inf := math.Inf(1)
	for _, m := range [][]float64{s.msCur, s.msSub, s.msMin} {
		for i := range m {
			m[i] = inf
		}
	}
	s.msI, s.msN = 0, 0
}

// NoiseFloor is the estimated noise level in dBov: the power of the noise
// estimate over all bins, as a level of the time signal; level.Floor
// before the first frame.
func (s *Suppressor) NoiseFloor() float64 {
	var sum float64
	for i, p := range s.noise {
		if i == 0 || i == s.n {
			sum += p
		} else {
			sum += 2 * p
		}
	}
	// Parseval: Σ|X|² over all l bins = l·Σ(wx)² = l·n·(mean power).
	return level.DBov(math.Sqrt(sum / float64(s.l*s.n)))
}

// Attenuation is how much the last frame's gains took off its power, in
// dB (0 for a silent frame).
func (s *Suppressor) Attenuation() float64 {
	if s.outPow <= 0 || s.inPow <= 0 {
		if s.inPow > 0 {
			return s.cfg.Level
		}
		return 0
	}
	return 10 * math.Log10(s.inPow/s.outPow)
}

// Process suppresses noise in pcm, in place: pcm must be a whole number of
// 10 ms frames (a multiple of FrameSize), else Process returns a wrapped
// ErrFrameSize and leaves pcm and the suppressor as they were. The output
// lags the input by Delay samples: the first Delay samples of a stream
// come out as silence.
func (s *Suppressor) Process(pcm []int16) error {
	if len(pcm)%s.n != 0 {
		return fmt.Errorf("ns: %d samples: %w of %d samples", len(pcm), ErrFrameSize, s.n)
	}
	for ; len(pcm) > 0; pcm = pcm[s.n:] {
		s.frame(pcm[:s.n])
	}
	return nil
}

// frame processes one frame of exactly s.n samples in place.
func (s *Suppressor) frame(pcm []int16) {
	n, h := s.n, s.n/2
	// Window the previous and this frame into the FFT's input, packed as
	// pairs of samples (n is even at every rate).
	a := s.fft.Packed()[:n]
	win, prev := s.win[:2*n], s.prev[:n]
	pcm = pcm[:n]
	for t := 0; t < h; t++ {
		a[t] = complex(win[2*t]*prev[2*t], win[2*t+1]*prev[2*t+1])
	}
	wc := win[n:]
	for t := 0; t < h; t++ {
		x0, x1 := float64(pcm[2*t]), float64(pcm[2*t+1])
		prev[2*t], prev[2*t+1] = x0, x1
		a[n/2+t] = complex(wc[2*t]*x0, wc[2*t+1]*x1)
	}
	spec := s.spec[:n+1]
	s.fft.ForwardPacked(spec)
	pow := s.pow[:n+1]
	for i, c := range spec {
		re, im := real(c), imag(c)
		pow[i] = re*re + im*im
	}
	s.minimum(pow)
	if s.frames < initFrams {
		s.initNoise(pow)
		s.frames++
	} else {
		s.track(pow)
	}
	s.inPow, s.outPow = s.suppress(spec, pow)

	z := s.fft.InversePacked(spec)[:n]
	// z holds l times the output frame, x[2t] + i·x[2t+1] conjugated.
	ola, sy := s.ola[:n], s.synth[:2*n]
	for t := 0; t < h; t++ {
		c := z[t]
		pcm[2*t] = gain.Saturate(ola[2*t] + real(c)*sy[2*t])
		pcm[2*t+1] = gain.Saturate(ola[2*t+1] - imag(c)*sy[2*t+1])
	}
	zc, sc := z[h:], sy[n:]
	for t := 0; t < h; t++ {
		c := zc[t]
		ola[2*t] = real(c) * sc[2*t]
		ola[2*t+1] = -imag(c) * sc[2*t+1]
	}
}

// initNoise averages the first frames' periodograms into the first noise
// estimate.
func (s *Suppressor) initNoise(pow []float64) {
	w := 1 / float64(s.frames+1) // frames counts the earlier ones
	noise := s.noise[:len(pow)]
	for i, p := range pow {
		noise[i] = max(noise[i]+w*(p-noise[i]), s.minPow)
	}
}

// track updates the noise estimate with one frame's periodogram.
func (s *Suppressor) track(pow []float64) {
	k := len(pow)
	noise, inv, pbar, msMin := s.noise[:k], s.inv[:k], s.pbar[:k], s.msMin[:k]
	minPow := s.minPow
	for i, p := range pow {
		nv := noise[i]
		// P(H1|y) with equal priors is 1 / (1 + (1+ξ)·exp(-γ·ξ/(1+ξ)));
		// over an exponent of 40 it is one within 1e-16, and the exp is
		// skipped.
		gamma := min(p*inv[i], gammaMax) // inv[i] = 1/nv, from the last frame
		spp := 1.0
		if x := gamma * sppExpK; x < sppExpCut {
			spp = 1 / (1 + (1+sppXi)*math.Exp(-x))
		}
		pb := sppSmooth*pbar[i] + (1-sppSmooth)*spp
		pbar[i] = pb
		if pb > sppCap {
			spp = min(spp, sppCap)
		}
		e := (1-spp)*p + spp*nv // E[|N|² | y]
		noise[i] = max(min(sppAlpha*nv+(1-sppAlpha)*e, msBound*msMin[i]), minPow)
	}
}

// suppress computes the gains and applies them to spec, bin by bin; it
// returns the power of spec before and after.
func (s *Suppressor) suppress(spec []complex128, pow []float64) (in, out float64) {
	k := len(pow)
	spec = spec[:k]
	noise, inv, prevS := s.noise[:k], s.inv[:k], s.prevS[:k]
	floor := s.floor
	for i, p := range pow {
		// Decision-directed a priori SNR, Wiener gain, and the two-step
		// estimate from it.
		r := 1 / noise[i]
		inv[i] = r
		gamma := min(p*r, gammaMax)
		xi := ddAlpha*min(prevS[i]*r, gammaMax) + (1-ddAlpha)*max(gamma-1, 0)
		xi = max(xi, xiMin)
		// The first step's Wiener gain g1 = ξ/(1+ξ) gives the two-step
		// a priori SNR ξ2 = g1²·γ, and its gain ξ2/(1+ξ2) is, with one
		// division instead of two, ξ²γ / ((1+ξ)² + ξ²γ).
		x2 := xi * xi * gamma
		g := max(x2/((1+xi)*(1+xi)+x2), floor)
		gp := g * g * p
		prevS[i] = gp
		in += p
		out += gp
		c := spec[i]
		spec[i] = complex(real(c)*g, imag(c)*g)
	}
	return in, out
}

// minimum tracks, per bin, the minimum of the smoothed periodogram over
// the last 1.6 to 1.8 s (Martin's minimum statistics, without its bias
// compensation): a bound that speech, which pauses, cannot raise.
func (s *Suppressor) minimum(pow []float64) {
	k := len(pow)
	msP, msCur, msMin := s.msP[:k], s.msCur[:k], s.msMin[:k]
	if s.frames == 0 {
		copy(msP, pow)
	}
	for i, p := range pow {
		v := msSmooth*msP[i] + (1-msSmooth)*p
		msP[i] = v
		msCur[i] = min(msCur[i], v)
		msMin[i] = min(msMin[i], v)
	}
	if s.msN++; s.msN < msSubLen {
		return
	}
	copy(s.msSub[s.msI*k:(s.msI+1)*k], s.msCur)
	s.msI = (s.msI + 1) % msSubs
	s.msN = 0
	copy(s.msMin, s.msCur)
	for j := 0; j < msSubs; j++ {
		row := s.msSub[j*k : (j+1)*k]
		for i, m := range row {
			s.msMin[i] = min(s.msMin[i], m)
		}
	}
	for i := range s.msCur {
		s.msCur[i] = math.Inf(1)
	}
}
