// Package codectest holds what codec tests share: deterministic test
// signals (SpeechLike, MultiTone), the quality measure of a round trip
// (Measure) and the Close contract of codecs on C libraries (CheckClose),
// used by the in-process codecs' tests and the plugin modules'.
//
// A lossy speech codec does not keep the waveform sample for sample, and
// the round trip delays the signal by the encoder's look-ahead, so the
// measure is taken after alignment:
//
//  1. the codec delay is found by cross-correlation: the lag in
//     [minLag, maxLag] at which the output best correlates with the input
//     (a window around the known codec delay, so that the period of a
//     multi-tone signal cannot alias it; a codec's delay test can search wide);
//  2. the figure of merit is the correlation coefficient (Pearson's r) of
//     the input with the output at that lag, over the whole signal but its
//     first 100 ms (warm-up): 1 is a perfect copy up to gain, 0 unrelated;
//  3. for information the tests also log the segmental SNR at that lag
//     (mean over 20 ms segments with signal of the per-segment SNR,
//     clamped to [-10, 40] dB), a stricter, waveform-matching figure.
//
// Tests set their thresholds at the measured figures minus a margin.
package codectest

import (
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/voxgraph/voxgraph/codecs"
)

// WarmupMS is the start of a round trip tests leave out of the figures.
const WarmupMS = 100

// SpeechLike returns n samples at rate Hz of a deterministic speech-like
// signal: a voiced source with a gliding pitch (90-170 Hz) and its
// harmonics up to 7 kHz (or 0.45·rate), falling at 6 dB/octave and shaped
// by three moving formants, cut into 4 Hz syllables, with quieter noise
// bursts (fricatives) between them. Peak about 9500 (-10 dBFS).
func SpeechLike(n, rate int, seed uint64) []int16 {
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	formant := func(f, centre, bw float64) float64 {
		x := (f - centre) / bw
		return 1 / (1 + x*x)
	}
	fs := float64(rate)
	top := min(7000, 0.45*fs)
	pcm := make([]int16, n)
	var phase, prevNoise float64
	for i := range pcm {
		t := float64(i) / fs
		f0 := 130 + 30*math.Sin(2*math.Pi*0.7*t) + 10*math.Sin(2*math.Pi*3.1*t)
		phase += 2 * math.Pi * f0 / fs
		f1 := 600 + 200*math.Sin(2*math.Pi*1.3*t)
		f2 := 1700 + 500*math.Sin(2*math.Pi*0.9*t+1)
		f3 := 2900 + 300*math.Sin(2*math.Pi*0.5*t+2)
		var v float64
		for k := 1; float64(k)*f0 < top; k++ {
			f := float64(k) * f0
			g := formant(f, f1, 120) + 0.6*formant(f, f2, 180) + 0.35*formant(f, f3, 250) + 0.02
			v += g / float64(k) * math.Sin(float64(k)*phase)
		}
		syl := math.Sin(2 * math.Pi * 4 * t)
		voiced := max(syl, 0)
		w := rng.NormFloat64()
		fric := (w - prevNoise) * max(-syl-0.3, 0)
		prevNoise = w
		x := 12000*voiced*v + 500*fric
		pcm[i] = int16(max(min(math.Round(x), 32767), -32768))
	}
	return pcm
}

// MultiTone returns n samples at rate Hz of equal sines at the given
// frequencies, peak amplitude amp in all.
func MultiTone(n, rate int, amp float64, freqs ...float64) []int16 {
	pcm := make([]int16, n)
	for i := range pcm {
		var v float64
		for k, f := range freqs {
			v += math.Sin(2*math.Pi*f*float64(i)/float64(rate) + float64(k))
		}
		pcm[i] = int16(math.Round(amp * v / float64(len(freqs))))
	}
	return pcm
}

// Interleave returns the stereo interleaving of l and r (equal lengths).
func Interleave(l, r []int16) []int16 {
	out := make([]int16, 2*len(l))
	for i := range l {
		out[2*i], out[2*i+1] = l[i], r[i]
	}
	return out
}

// Channel returns channel c of interleaved pcm of ch channels.
func Channel(pcm []int16, ch, c int) []int16 {
	out := make([]int16, len(pcm)/ch)
	for i := range out {
		out[i] = pcm[i*ch+c]
	}
	return out
}

// Quality is the measure of one round trip.
type Quality struct {
	Lag    int     // codec delay in samples
	Corr   float64 // correlation coefficient at Lag
	SegSNR float64 // segmental SNR in dB at Lag
}

// Measure aligns out with ref (out lags ref by minLag..maxLag samples) and
// returns the figures over ref[skip:] (see the package comment).
func Measure(ref, out []int16, skip, minLag, maxLag, segLen int) Quality {
	end := min(len(ref), len(out)-maxLag)
	best := Quality{Corr: math.Inf(-1)}
	for lag := minLag; lag <= maxLag; lag++ {
		if c := CorrAt(ref, out, lag, skip, end); c > best.Corr {
			best.Lag, best.Corr = lag, c
		}
	}
	best.SegSNR = SegSNR(ref, out, best.Lag, skip, end, segLen)
	return best
}

// CorrAt is the correlation coefficient of ref[skip:end] with out shifted
// by lag.
func CorrAt(ref, out []int16, lag, skip, end int) float64 {
	var sx, sy, sxx, syy, sxy float64
	n := float64(end - skip)
	for i := skip; i < end; i++ {
		x, y := float64(ref[i]), float64(out[i+lag])
		sx += x
		sy += y
		sxx += x * x
		syy += y * y
		sxy += x * y
	}
	cov := sxy - sx*sy/n
	vx, vy := sxx-sx*sx/n, syy-sy*sy/n
	if vx <= 0 || vy <= 0 {
		return 0
	}
	return cov / math.Sqrt(vx*vy)
}

// SegSNR is the mean SNR in dB of segments of segLen samples of ref[skip:end]
// whose RMS is above 100 (-50 dBFS: silence does not count), each clamped
// to [-10, 40] dB.
func SegSNR(ref, out []int16, lag, skip, end, segLen int) float64 {
	var sum float64
	var n int
	for s := skip; s+segLen <= end; s += segLen {
		var sig, noise float64
		for i := s; i < s+segLen; i++ {
			x := float64(ref[i])
			e := float64(out[i+lag]) - x
			sig += x * x
			noise += e * e
		}
		if sig/float64(segLen) < 100*100 {
			continue
		}
		snr := 40.0
		if noise > 0 {
			snr = min(max(10*math.Log10(sig/noise), -10), 40)
		}
		sum += snr
		n++
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}

// CheckClose checks the Close contract of a codec holding C state: Close
// is idempotent on encoder and decoder, and once closed they refuse work
// (pcm to encode, payload to decode) with errClosed.
func CheckClose(t testing.TB, enc interface {
	codecs.Encoder
	io.Closer
}, dec interface {
	codecs.Decoder
	io.Closer
}, pcm []int16, payload []byte, errClosed error) {
	t.Helper()
	for range 2 {
		if err := enc.Close(); err != nil {
			t.Fatal(err)
		}
		if err := dec.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := enc.Encode(make([]byte, enc.MaxEncodedLen(len(pcm))+1), pcm); !errors.Is(err, errClosed) {
		t.Errorf("Encode after Close: %v", err)
	}
	if _, err := dec.Decode(make([]int16, len(pcm)), payload); !errors.Is(err, errClosed) {
		t.Errorf("Decode after Close: %v", err)
	}
}
