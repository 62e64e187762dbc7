package aec_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/voxgraph/voxgraph/dsp/aec"
	"github.com/voxgraph/voxgraph/dsp/vad/vadtest"
	"gonum.org/v1/gonum/dsp/fourier"
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

// convolve returns x filtered by h, as long as x (FFT convolution).
func convolve(x, h []float64) []float64 {
	n := 1
	for n < len(x)+len(h) {
		n *= 2
	}
	f := fourier.NewFFT(n)
	a, b := make([]float64, n), make([]float64, n)
	copy(a, x)
	copy(b, h)
	fa, fb := f.Coefficients(nil, a), f.Coefficients(nil, b)
	for k := range fa {
		fa[k] *= fb[k] / complex(float64(n), 0)
	}
	return f.Sequence(nil, fa)[:len(x)]
}

// scene is one test case's signals, 16-bit.
type scene struct {
	rate      int
	far, mic  []int16
	near      []float64 // the clean near-end talk in the mic, float
	nearTruth []bool    // per 10 ms block
	farTruth  []bool
}

// nearStart is when the near end's talk starts in makeScene (its lead-in
// pause of a second follows).
const nearStart = 4 * time.Second

// makeScene: far-end talk at farDB dBov through h, plus near-end talk at
// nearDB dBov (none if nearDB is 0) after nearStart, and white noise at
// -70 dBov.
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
		// The near end starts talking after nearStart (and its own
		// lead-in pause), once the filter has converged on the far end.
		y, nt := vadtest.Talk(rate, d-nearStart, 2)
		s.near = make([]float64, len(mic))
		vadtest.Add(s.near[len(mic)-len(y):], y, nearDB)
		for i := range mic {
			mic[i] += s.near[i]
		}
		s.nearTruth = append(make([]bool, len(s.farTruth)-len(nt)), nt...)
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

// segSNR is the mean over the blocks where truth is set of the blocks'
// SNR of out against the clean ref, each clamped to [-10, 35] dB.
func segSNR(ref []float64, out []int16, truth []bool, rate int, from time.Duration) float64 {
	bs := rate / 100
	var sum float64
	var n int
	for b := int(from / aec.BlockDuration); b < len(truth) && (b+1)*bs <= len(out); b++ {
		if !truth[b] {
			continue
		}
		var ps, pe float64
		for i := b * bs; i < (b+1)*bs; i++ {
			d := float64(out[i]) - ref[i]
			ps += ref[i] * ref[i]
			pe += d * d
		}
		snr := 35.0
		if pe > 0 {
			snr = min(35, max(-10, 10*math.Log10(ps/pe)))
		}
		sum += snr
		n++
	}
	return sum / float64(n)
}

// rooms are the echo paths of the tests: RT60, bulk delay, echo return
// loss.
var rooms = []struct {
	name  string
	rt60  time.Duration
	delay time.Duration
	erl   float64
}{
	{"rt60=100ms/delay=10ms/erl=6dB", 100 * time.Millisecond, 10 * time.Millisecond, 6},
	{"rt60=250ms/delay=80ms/erl=12dB", 250 * time.Millisecond, 80 * time.Millisecond, 12},
	{"rt60=400ms/delay=150ms/erl=20dB", 400 * time.Millisecond, 150 * time.Millisecond, 20},
}

// TestFarEndOnly: far-end talk at -20 dBov and its echo (no near end but
// -70 dBov of noise) through each room, at both rates: the echo is
// attenuated from the start and more once the filter has converged.
func TestFarEndOnly(t *testing.T) {
	for _, rate := range []int{8000, 16000} {
		for i, r := range rooms {
			t.Run(fmt.Sprintf("%d/%s", rate, r.name), func(t *testing.T) {
				h := room(rate, r.rt60, r.delay, r.erl, uint64(10+i))
				s := makeScene(rate, 12*time.Second, h, -20, 0)
				c, err := aec.New(aec.Config{Rate: rate})
				if err != nil {
					t.Fatal(err)
				}
				out := run(t, c, s.mic, s.far)
				early := erle(s.mic, out, s.farTruth, rate, 0, 2*time.Second)
				late := erle(s.mic, out, s.farTruth, rate, 4*time.Second, 12*time.Second)
				lin, err := aec.New(aec.Config{Rate: rate, Suppression: aec.NoSuppression})
				if err != nil {
					t.Fatal(err)
				}
				lout := run(t, lin, s.mic, s.far)
				linLate := erle(s.mic, lout, s.farTruth, rate, 4*time.Second, 12*time.Second)
				st := c.Stats()
				t.Logf("ERLE first 2 s %.1f dB, 4-12 s %.1f dB (linear filter alone %.1f dB); delay %s, stats ERLE %.1f", early, late, linLate, st.Delay, st.ERLE)
				if early < minEarlyERLE || late < minERLE || linLate < minLinearERLE {
					t.Errorf("ERLE first 2 s %.1f dB, 4-12 s %.1f dB, linear alone %.1f dB; want at least %g, %g and %g",
						early, late, linLate, minEarlyERLE, minERLE, minLinearERLE)
				}
				if want := r.delay - delayMargin; st.Delay < want-20*time.Millisecond || st.Delay > r.delay {
					t.Errorf("bulk delay %s, want %s to %s (echo at %s)", st.Delay, want-20*time.Millisecond, r.delay, r.delay)
				}
				if st.Divergences != 0 || st.Resets != 0 {
					t.Errorf("%d divergences, %d resets", st.Divergences, st.Resets)
				}
			})
		}
	}
}

// The bounds the tests hold the canceller to (the package doc quotes the
// measured figures).
const (
	minEarlyERLE      = 30.0 // dB, far end only, first 2 s (talk starts at 1 s)
	minERLE           = 25.0 // dB, far end only, 4-12 s (and 6-8 s after a path change)
	minLinearERLE     = 12.0 // dB, the linear filter alone, 4-12 s
	delayMargin       = 20 * time.Millisecond
	minSegSNR         = 17.0 // dB, near end in double talk
	minDoubleTalkERLE = 20.0 // dB, far end alone after double talk
	minChangeERLE     = 20.0 // dB, the first 2 s after an echo path change
	minRecoveredERLE  = 18.0 // dB, 2-4 s after an echo path change
	minBeyondTailERLE = 12.0 // dB, linear, 6-12 s, echo 400 ms behind the far end
)

// TestDoubleTalk: near-end talk at -26 dBov over far-end talk at -20 dBov
// and its echo: the near end comes out with little distortion (segmental
// SNR against the clean near end, where it talks, well above the
// microphone's own), the filter does not diverge, and the echo stays
// cancelled where the far end talks alone.
func TestDoubleTalk(t *testing.T) {
	for _, rate := range []int{8000, 16000} {
		for i, r := range rooms {
			t.Run(fmt.Sprintf("%d/%s", rate, r.name), func(t *testing.T) {
				h := room(rate, r.rt60, r.delay, r.erl, uint64(20+i))
				s := makeScene(rate, 16*time.Second, h, -20, -26)
				c, err := aec.New(aec.Config{Rate: rate})
				if err != nil {
					t.Fatal(err)
				}
				out := run(t, c, s.mic, s.far)
				seg := segSNR(s.near, out, s.nearTruth, rate, 2*time.Second)
				micSeg := segSNR(s.near, s.mic, s.nearTruth, rate, 2*time.Second)
				alone := make([]bool, len(s.farTruth))
				var both int
				for b := range alone {
					alone[b] = s.farTruth[b] && !s.nearTruth[b]
					if s.farTruth[b] && s.nearTruth[b] {
						both++
					}
				}
				farOnly := erle(s.mic, out, alone, rate, 4*time.Second, 16*time.Second)
				st := c.Stats()
				t.Logf("near end segmental SNR %.1f dB (microphone %.1f dB); far end alone ERLE %.1f dB; %d blocks of double talk, %d detected; %d divergences",
					seg, micSeg, farOnly, both, st.DoubleTalkBlocks, st.Divergences)
				if seg < minSegSNR || farOnly < minDoubleTalkERLE || st.Divergences != 0 {
					t.Errorf("segmental SNR %.1f dB, far end alone ERLE %.1f dB, %d divergences; want at least %g and %g dB, none",
						seg, farOnly, st.Divergences, minSegSNR, minDoubleTalkERLE)
				}
			})
		}
	}
}

// TestPathChange: after 8.6 s, while the far end talks, the echo path changes to another room with
// another bulk delay, later or earlier than the first (earlier is the
// harder: the echo then arrives before the filter starts until the delay
// estimate follows). The suppressor keeps the echo down in the first 2 s,
// and the ERLE recovers.
func TestPathChange(t *testing.T) {
	const changeAt = 8600 * time.Millisecond // while the far end talks
	for _, rate := range []int{8000, 16000} {
		for _, tc := range []struct {
			name     string
			from, to int // indices in rooms
		}{
			{"later", 1, 2},
			{"earlier", 2, 0},
		} {
			t.Run(fmt.Sprintf("%d/%s", rate, tc.name), func(t *testing.T) {
				ra, rb := rooms[tc.from], rooms[tc.to]
				a := room(rate, ra.rt60, ra.delay, rooms[1].erl, 31)
				b := room(rate, rb.rt60, rb.delay, rooms[1].erl, 32)
				s := makeScene(rate, 16*time.Second, a, -20, 0)
				sb := makeScene(rate, 16*time.Second, b, -20, 0)
				change := int(changeAt.Seconds() * float64(rate))
				copy(s.mic[change:], sb.mic[change:])
				c, err := aec.New(aec.Config{Rate: rate})
				if err != nil {
					t.Fatal(err)
				}
				out := run(t, c, s.mic, s.far)
				before := erle(s.mic, out, s.farTruth, rate, 4*time.Second, changeAt)
				var after [4]float64
				for k := range after {
					after[k] = erle(s.mic, out, s.farTruth, rate, changeAt+time.Duration(2*k)*time.Second, changeAt+time.Duration(2*k+2)*time.Second)
				}
				st := c.Stats()
				t.Logf("ERLE before %.1f dB, after the change, by 2 s: %.1f; bulk delay %s (echo at %s), %d delay changes, %d divergences",
					before, after, st.Delay, rb.delay, st.DelayChanges, st.Divergences)
				if after[0] < minChangeERLE || after[1] < minRecoveredERLE || after[3] < minERLE {
					t.Errorf("ERLE 0-2 s after the change %.1f dB, 2-4 s %.1f dB, 6-8 s %.1f dB; want at least %g, %g and %g",
						after[0], after[1], after[3], minChangeERLE, minRecoveredERLE, minERLE)
				}
				if st.Delay < max(rb.delay-2*delayMargin, 0) || st.Delay > rb.delay {
					t.Errorf("bulk delay %s after the change, want about %s", st.Delay, max(rb.delay-delayMargin, 0))
				}
			})
		}
	}
}

// TestDelayBeyondTail: an echo 400 ms behind the far end is out of reach
// of a 250 ms filter without the bulk delay; with it the echo is
// cancelled, and the estimate is within a block or two.
func TestDelayBeyondTail(t *testing.T) {
	rate := 8000
	h := room(rate, 200*time.Millisecond, 400*time.Millisecond, 10, 41)
	s := makeScene(rate, 12*time.Second, h, -20, 0)
	var got [2]float64
	for k, cfg := range []aec.Config{{Rate: rate, Suppression: aec.NoSuppression}, {Rate: rate, Suppression: aec.NoSuppression, MaxDelay: aec.NoDelayEstimation}} {
		c, err := aec.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		out := run(t, c, s.mic, s.far)
		got[k] = erle(s.mic, out, s.farTruth, rate, 6*time.Second, 12*time.Second)
		if k == 0 {
			st := c.Stats()
			if !st.DelayFound || st.Delay < 400*time.Millisecond-2*delayMargin || st.Delay > 400*time.Millisecond {
				t.Errorf("bulk delay %s (found %v), want about %s", st.Delay, st.DelayFound, 400*time.Millisecond-delayMargin)
			}
		}
	}
	t.Logf("linear ERLE 6-12 s with delay estimation %.1f dB, without %.1f dB", got[0], got[1])
	if got[0] < minBeyondTailERLE || got[1] > 3 {
		t.Errorf("linear ERLE 6-12 s with delay estimation %.1f dB, without %.1f dB; want at least %g and at most 3", got[0], got[1], minBeyondTailERLE)
	}
}

// TestConfigErrors: unsupported rates, out-of-range fields and wrong block
// sizes are errors, never panics.
func TestConfigErrors(t *testing.T) {
	bad := []struct {
		name string
		cfg  aec.Config
		rate bool // a wrapped ErrUnsupportedRate
	}{
		{"no rate", aec.Config{}, true},
		{"44.1 kHz", aec.Config{Rate: 44100}, true},
		{"48 kHz", aec.Config{Rate: 48000}, true},
		{"negative rate", aec.Config{Rate: -8000}, true},
		{"tail over 500 ms", aec.Config{Rate: 8000, Tail: 501 * time.Millisecond}, false},
		{"negative tail", aec.Config{Rate: 8000, Tail: -time.Millisecond}, false},
		{"max delay over 1 s", aec.Config{Rate: 8000, MaxDelay: 2 * time.Second}, false},
		{"negative delay", aec.Config{Rate: 8000, Delay: -time.Millisecond}, false},
		{"delay over max delay", aec.Config{Rate: 8000, Delay: 600 * time.Millisecond}, false},
		{"suppression NaN", aec.Config{Rate: 8000, Suppression: math.NaN()}, false},
		{"suppression +Inf", aec.Config{Rate: 8000, Suppression: math.Inf(1)}, false},
		{"suppression -2", aec.Config{Rate: 8000, Suppression: -2}, false},
		{"suppression 100 dB", aec.Config{Rate: 8000, Suppression: 100}, false},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			c, err := aec.New(tt.cfg)
			if err == nil {
				t.Fatalf("New(%+v) = %v, want an error", tt.cfg, c)
			}
			if errors.Is(err, aec.ErrUnsupportedRate) != tt.rate {
				t.Errorf("error %q: ErrUnsupportedRate %v, want %v", err, !tt.rate, tt.rate)
			}
		})
	}
	for _, cfg := range []aec.Config{
		{Rate: 8000, Tail: time.Millisecond},
		{Rate: 16000, Tail: aec.MaxTail, MaxDelay: aec.MaxMaxDelay, Delay: aec.MaxMaxDelay},
		{Rate: 16000, MaxDelay: aec.NoDelayEstimation, Delay: time.Second, Suppression: aec.NoSuppression},
	} {
		if _, err := aec.New(cfg); err != nil {
			t.Errorf("New(%+v): %v", cfg, err)
		}
	}
	c, err := aec.New(aec.Config{Rate: 16000})
	if err != nil {
		t.Fatal(err)
	}
	block := make([]int16, 160)
	for _, sz := range [][3]int{{80, 160, 160}, {160, 80, 160}, {160, 160, 159}, {0, 0, 0}, {320, 320, 320}} {
		err := c.Process(make([]int16, sz[0]), make([]int16, sz[1]), make([]int16, sz[2]))
		if !errors.Is(err, aec.ErrBlockSize) {
			t.Errorf("Process(%d, %d, %d samples): %v, want ErrBlockSize", sz[0], sz[1], sz[2], err)
		}
	}
	if err := c.Process(block, nil, block); err != nil {
		t.Errorf("Process without far end: %v", err)
	}
}

// TestExtremes: silence, full-scale square waves and clipping far ends go
// through without NaN or a divergence reset loop, and silence in gives
// silence out.
func TestExtremes(t *testing.T) {
	c, err := aec.New(aec.Config{Rate: 8000})
	if err != nil {
		t.Fatal(err)
	}
	n := c.BlockSize()
	zero, out := make([]int16, n), make([]int16, n)
	for range 300 {
		if err := c.Process(zero, zero, out); err != nil {
			t.Fatal(err)
		}
		for _, v := range out {
			if v != 0 {
				t.Fatalf("silence in, %d out", v)
			}
		}
	}
	loud, ref := make([]int16, n), make([]int16, n)
	for b := range 1000 {
		for i := range loud {
			loud[i] = int16(32767 - 65535*((b*n+i)/20%2))
			ref[i] = int16(-32768 + 65535*((b*n+i)/7%2))
		}
		if err := c.Process(loud, ref, out); err != nil {
			t.Fatal(err)
		}
	}
	st := c.Stats()
	if math.IsNaN(st.ERLE) || math.IsInf(st.ERLE, 0) || math.IsNaN(st.Leak) {
		t.Errorf("stats %+v", st)
	}
	c.Reset()
	if st := c.Stats(); st.ERLE != 0 || st.Resets != 0 || st.DelayFound {
		t.Errorf("after Reset: %+v", st)
	}
}
