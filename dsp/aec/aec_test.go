package aec_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/voxgraph/voxgraph/dsp/aec"
	"github.com/voxgraph/voxgraph/dsp/vad/vadtest"
)

// room returns a synthetic room impulse response: delay of silence, then
// Gaussian noise under an exponential decay reaching -60 dB at rt60
// (truncated there), scaled so that its energy is -erl dB: white far-end
// audio comes back erl dB quieter.
func room(rate int, rt60, delay time.Duration, erl float64, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	d := int(delay.Seconds() * float64(rate))
	n := int(rt60.Seconds() * float64(rate))
	h := make([]float64, d+n)
	tau := rt60.Seconds() * float64(rate) / math.Log(1000) // amplitude e-folding, samples
	var e float64
	for i := range n {
		v := rng.NormFloat64() * math.Exp(-float64(i)/tau)
		h[d+i] = v
		e += v * v
	}
	g := math.Sqrt(math.Pow(10, -erl/10) / e)
	for i := range h {
		h[i] *= g
	}
	return h
}

// convolve returns x filtered by h, as long as x.
func convolve(x, h []float64) []float64 {
	y := make([]float64, len(x))
	first := 0
	for first < len(h) && h[first] == 0 {
		first++
	}
	for i := range y {
		var s float64
		for j := first; j < len(h) && j <= i; j++ {
			s += h[j] * x[i-j]
		}
		y[i] = s
	}
	return y
}

// scene is one test case's signals, 16-bit.
type scene struct {
	rate      int
	far, mic  []int16
	near      []float64 // the clean near-end talk in the mic, float
	nearTruth []bool    // per 10 ms block
	farTruth  []bool
}

// makeScene: far-end talk at farDB dBov through h, plus near-end talk at
// nearDB dBov (none if nearDB is 0) and white noise at -70 dBov.
func makeScene(rate int, d time.Duration, h []float64, farDB, nearDB float64) scene {
	x, ft := vadtest.Talk(rate, d, 1)
	far := make([]float64, len(x))
	vadtest.Add(far, x, farDB)
	farQ := vadtest.Quantize(far)
	for i, v := range farQ {
		far[i] = float64(v)
	}
	mic := convolve(far, h)
	vadtest.Add(mic, vadtest.White(len(mic), 3), -70)
	s := scene{rate: rate, far: farQ, farTruth: ft}
	if nearDB != 0 {
		y, nt := vadtest.Talk(rate, d, 2)
		s.near = make([]float64, len(y))
		vadtest.Add(s.near, y, nearDB)
		for i := range mic {
			mic[i] += s.near[i]
		}
		s.nearTruth = nt
	}
	s.mic = vadtest.Quantize(mic)
	return s
}

// run cancels the scene's echo and returns the output aligned with the
// microphone (the suppressor's latency taken out).
func run(t testing.TB, c *aec.Canceller, mic, far []int16) []int16 {
	n := c.BlockSize()
	out := make([]int16, len(mic)+c.Latency())
	for i := 0; i+n <= len(mic); i += n {
		if err := c.Process(mic[i:i+n], far[i:i+n], out[i:i+n]); err != nil {
			t.Fatal(err)
		}
	}
	return out[c.Latency():]
}

// erle is 10·log10 of mic over out energy in [from, to), in blocks where
// the far end talks.
func erle(mic, out []int16, truth []bool, rate int, from, to time.Duration) float64 {
	bs := rate / 100
	var em, eo float64
	for b := int(from / aec.BlockDuration); b < int(to/aec.BlockDuration) && (b+1)*bs <= len(out); b++ {
		if !truth[b] {
			continue
		}
		for i := b * bs; i < (b+1)*bs; i++ {
			em += float64(mic[i]) * float64(mic[i])
			eo += float64(out[i]) * float64(out[i])
		}
	}
	return 10 * math.Log10((em+1)/(eo+1))
}

func TestExperiment(t *testing.T) {
	for _, rate := range []int{8000, 16000} {
		h := room(rate, 300*time.Millisecond, 60*time.Millisecond, 10, 5)
		s := makeScene(rate, 12*time.Second, h, -20, 0)
		c, err := aec.New(aec.Config{Rate: rate})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		out := run(t, c, s.mic, s.far)
		took := time.Since(start)
		t.Logf("%d Hz: %v; ERLE 0-2s %.1f dB, 2-4 s %.1f, 4-12 s %.1f; stats %+v", rate, took,
			erle(s.mic, out, s.farTruth, rate, 0, 2*time.Second),
			erle(s.mic, out, s.farTruth, rate, 2*time.Second, 4*time.Second),
			erle(s.mic, out, s.farTruth, rate, 4*time.Second, 12*time.Second), c.Stats())
		c, _ = aec.New(aec.Config{Rate: rate, Suppression: aec.NoSuppression, MaxDelay: aec.NoDelayEstimation, Delay: 50 * time.Millisecond})
		out = run(t, c, s.mic, s.far)
		t.Logf("%d Hz linear fixed delay: ERLE 0-2s %.1f dB, 2-4 s %.1f, 4-12 s %.1f; stats %+v", rate,
			erle(s.mic, out, s.farTruth, rate, 0, 2*time.Second),
			erle(s.mic, out, s.farTruth, rate, 2*time.Second, 4*time.Second),
			erle(s.mic, out, s.farTruth, rate, 4*time.Second, 12*time.Second), c.Stats())
	}
	_ = errors.Is
}
