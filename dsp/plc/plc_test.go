package plc_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/voxgraph/voxgraph/dsp/plc"
	"github.com/voxgraph/voxgraph/dsp/vad/vadtest"
)

var rates = []int{8000, 16000}

// vowel is n samples of a vowel-like harmonic signal at rate Hz: a 130 Hz
// fundamental and nine harmonics falling 12 dB per octave (as the glottal
// source does), about -15 dBov.
func vowel(rate, n int) []int16 {
	const f0 = 130.0
	phases := [10]float64{0, 1.1, 2.3, 0.4, 5.0, 3.2, 1.7, 4.4, 2.9, 0.8}
	out := make([]int16, n)
	for i := range out {
		t := float64(i) / float64(rate)
		var v float64
		for k := 1; k <= 10; k++ {
			v += math.Sin(2*math.Pi*f0*float64(k)*t+phases[k-1]) / float64(k*k)
		}
		out[i] = int16(math.Round(4000 * v))
	}
	return out
}

func newConcealer(t testing.TB, rate int) *plc.Concealer {
	t.Helper()
	c, err := plc.New(rate)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// run plays x in frames of frameLen samples through c, concealing the
// frames lost[k] marks (silencing them instead when c is nil), and returns
// the output.
func run(c *plc.Concealer, x []int16, frameLen int, lost func(k int) bool) []int16 {
	y := make([]int16, len(x))
	for k := 0; (k+1)*frameLen <= len(x); k++ {
		f := y[k*frameLen : (k+1)*frameLen]
		if lost(k) {
			if c != nil {
				c.Conceal(f)
			}
			continue
		}
		copy(f, x[k*frameLen:])
		if c != nil {
			c.Good(f)
		}
	}
	return y
}

func maxStep(x []int16, from, to int) float64 {
	var m float64
	for i := max(from, 1); i < min(to, len(x)); i++ {
		m = max(m, math.Abs(float64(x[i])-float64(x[i-1])))
	}
	return m
}

func TestNewRejectsBadRates(t *testing.T) {
	for _, r := range []int{0, -8000, 7999, 4000, 8050, 192000} {
		if _, err := plc.New(r); !errors.Is(err, plc.ErrRate) {
			t.Errorf("New(%d): %v, want ErrRate", r, err)
		}
	}
	for _, r := range []int{8000, 11000, 16000, 22000, 32000, 44100, 48000, 96000} {
		if _, err := plc.New(r); err != nil {
			t.Errorf("New(%d): %v", r, err)
		}
	}
}

// TestEdgesAreSmooth: entering and leaving erasures of 20 to 80 ms, no
// sample-to-sample step (in the first millisecond of the erasure, and in
// the 10 ms after it ends) exceeds 1.3 times the largest step of the
// original signal within 2.5 ms of the edge; silence substitution's steps
// are several times larger.
func TestEdgesAreSmooth(t *testing.T) {
	const bound = 1.3
	for _, rate := range rates {
		for _, m := range []int{1, 2, 3, 4} { // lost frames of 20 ms
			t.Run(fmt.Sprintf("rate=%d/lost=%dms", rate, 20*m), func(t *testing.T) {
				fl, ms := rate/50, rate/1000
				x := vowel(rate, 60*fl)
				lost := func(k int) bool { return k%11 >= 5 && k%11 < 5+m } // from frame 5, every 220 ms (at varying phases)
				worstIn, worstOut, worstSil := 0.0, 0.0, 0.0
				y := run(newConcealer(t, rate), x, fl, lost)
				z := run(nil, x, fl, lost)
				for k := 5; k+m < 60; k += 11 {
					b, e := k*fl, (k+m)*fl
					worstIn = max(worstIn, maxStep(y, b, b+ms)/maxStep(x, b-5*ms/2, b+5*ms/2))
					worstOut = max(worstOut, maxStep(y, e, e+10*ms)/maxStep(x, e-5*ms/2, e+10*ms))
					worstSil = max(worstSil, maxStep(z, b, b+1)/maxStep(x, b-5*ms/2, b+5*ms/2))
					worstSil = max(worstSil, maxStep(z, e, e+1)/maxStep(x, e-5*ms/2, e+5*ms/2))
				}
				t.Logf("largest step at the edges / original's: concealment %.2f entering, %.2f leaving; silence %.2f", worstIn, worstOut, worstSil)
				if worstIn > bound || worstOut > bound {
					t.Errorf("concealment steps %.2f×/%.2f× the original's at the edges, want ≤ %.1f", worstIn, worstOut, bound)
				}
				if worstSil < 2*bound {
					t.Errorf("silence steps only %.2f× the original's: the test signal does not show edges", worstSil)
				}
			})
		}
	}
}

func snr(ref, got []int16) float64 {
	var s, n float64
	for i := range ref {
		d := float64(got[i]) - float64(ref[i])
		s += float64(ref[i]) * float64(ref[i])
		n += d * d
	}
	return 10 * math.Log10(s/max(n, 1e-9))
}

// TestContinuesPeriodicSignal: the first 10 ms of concealment follow a
// periodic signal closely, whatever the frame length.
func TestContinuesPeriodicSignal(t *testing.T) {
	for _, rate := range rates {
		for _, ms := range []int{10, 20, 30} {
			t.Run(fmt.Sprintf("rate=%d/frame=%dms", rate, ms), func(t *testing.T) {
				fl := rate * ms / 1000
				x := vowel(rate, 12*fl)
				c := newConcealer(t, rate)
				y := run(c, x, fl, func(k int) bool { return k == 8 })
				b := 8 * fl
				s := snr(x[b:b+rate/100], y[b:b+rate/100])
				t.Logf("pitch %d samples (true %.2f), SNR over the first 10 ms %.1f dB", c.Pitch(), float64(rate)/130, s)
				if s < 15 {
					t.Errorf("first 10 ms of concealment: SNR %.1f dB, want ≥ 15", s)
				}
				if p := float64(c.Pitch()); math.Abs(p-float64(rate)/130) > 1 && math.Abs(p-2*float64(rate)/130) > 1 {
					t.Errorf("pitch %v samples, want %.1f or twice that", p, float64(rate)/130)
				}
			})
		}
	}
}

func rms(x []int16) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s / float64(len(x)))
}

// TestFadesToSilence: full level for 10 ms, then a linear fade that reaches
// exact silence 60 ms into the erasure; the next good frame fades back in.
func TestFadesToSilence(t *testing.T) {
	for _, rate := range rates {
		t.Run(fmt.Sprintf("rate=%d", rate), func(t *testing.T) {
			fl := rate / 50
			bl := rate / 100
			x := vowel(rate, 20*fl)
			y := run(newConcealer(t, rate), x, fl, func(k int) bool { return k >= 5 && k < 10 }) // 100 ms
			ref := rms(x[:5*fl])
			b := 5 * fl
			want := []float64{1, 0.9, 0.7, 0.5, 0.3, 0.1} // mean gain of each 10 ms block
			for i, g := range want {
				r := rms(y[b+i*bl:b+(i+1)*bl]) / ref
				if math.Abs(r-g) > 0.12 {
					t.Errorf("block %d of the erasure: level %.2f of the signal's, want %.2f", i, r, g)
				}
			}
			for i := b + 6*bl; i < 10*fl; i++ {
				if y[i] != 0 {
					t.Fatalf("sample %d ms into the erasure is %d, want silence", (i-b)*1000/rate, y[i])
				}
			}
			// Leaving after 100 ms: a 10 ms fade-in from silence, then the signal.
			e := 10 * fl
			if y[e] == x[e] && x[e] != 0 {
				t.Errorf("first good sample not faded")
			}
			for i := e + bl; i < len(x); i++ {
				if y[i] != x[i] {
					t.Fatalf("sample %d after the fade differs from the signal", i-e)
				}
			}
		})
	}
}

// TestGoodFramesUntouched: without loss the output is the input, and after
// an erasure only the cross-fade differs.
func TestGoodFramesUntouched(t *testing.T) {
	x := vowel(8000, 8000)
	y := run(newConcealer(t, 8000), x, 160, func(int) bool { return false })
	for i := range x {
		if x[i] != y[i] {
			t.Fatalf("sample %d changed without loss", i)
		}
	}
	y = run(newConcealer(t, 8000), x, 160, func(k int) bool { return k == 10 })
	for i := range x {
		// Frame 10 is concealed, then an 8 ms fade (a 20 ms erasure).
		if changed := x[i] != y[i]; changed && (i < 10*160 || i >= 11*160+64) {
			t.Fatalf("sample %d changed outside the erasure and its fade", i)
		}
	}
}

// TestOddFrames: any frame length, a loss before any good frame, very long
// frames, and an empty one all work.
func TestOddFrames(t *testing.T) {
	c := newConcealer(t, 8000)
	buf := make([]int16, 2000)
	c.Conceal(buf[:7]) // nothing heard yet: silence
	for _, v := range buf[:7] {
		if v != 0 {
			t.Fatal("concealment before any signal is not silent")
		}
	}
	x := vowel(8000, 4000)
	c.Good(x[:1])
	c.Good(x[1:1000]) // longer than the history
	c.Conceal(buf[:0])
	c.Conceal(buf[:1])
	c.Good(x[1001:1002])
	c.Conceal(buf[:1999])
	c.Good(x[1002:1005])
	if c.Erasing() {
		t.Fatal("still erasing after a good frame")
	}
	c.Reset()
	c.Conceal(buf[:160])
	if rms(buf[:160]) != 0 {
		t.Fatal("not silent after Reset")
	}
}

// edgeStep is the largest step of y across the edge at sample b (the
// first 1 ms entering an erasure, the 10 ms fade leaving one) over the
// largest step within 15 ms (the longest pitch period) on either side, of
// y and of the original x: a step counts as a click only if neither the
// signal played before and after the edge nor the lost original makes one
// as large within a pitch period (glottal pulses make large steps of their
// own).
func edgeStep(x, y []int16, b int, leaving bool, rate int) float64 {
	ms := rate / 1000
	w := 15 * ms
	end := b + ms
	if leaving {
		end = b + 10*ms
	}
	ref := max(maxStep(y, b-w, b), maxStep(y, end+1, end+w), maxStep(x, b-w, end+w), 1)
	return maxStep(y, b, end+1) / ref
}

// segSNR is the mean over 10 ms segments (those listed) of their SNR in
// dB, each clamped to [-10, 35].
func segSNR(ref, got []int16, seg int, use func(s int) bool) float64 {
	var sum float64
	n := 0
	for s := 0; (s+1)*seg <= len(ref); s++ {
		if !use(s) {
			continue
		}
		sum += max(-10, min(35, snr(ref[s*seg:(s+1)*seg], got[s*seg:(s+1)*seg])))
		n++
	}
	return sum / float64(n)
}

// spectralSNR is the mean over the frames listed of 10·log10(Σ|X|² /
// Σ(|X|-|Y|)²), X and Y the magnitude spectra (Hann window) of ref's and
// got's frame, clamped to [-10, 35] dB: segmental SNR blind to phase, which
// a concealment cannot be expected to get right after a few periods.
func spectralSNR(ref, got []int16, fl int, use func(k int) bool) float64 {
	w := make([]float64, fl)
	for i := range w {
		w[i] = 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(fl))
	}
	mag := func(x []int16, k int) float64 {
		var re, im float64
		for i, v := range x {
			a := 2 * math.Pi * float64(k*i) / float64(fl)
			re += w[i] * float64(v) * math.Cos(a)
			im -= w[i] * float64(v) * math.Sin(a)
		}
		return math.Hypot(re, im)
	}
	var sum float64
	n := 0
	for f := 0; (f+1)*fl <= len(ref); f++ {
		if !use(f) {
			continue
		}
		a, b := ref[f*fl:(f+1)*fl], got[f*fl:(f+1)*fl]
		var s, e float64
		for k := 0; k <= fl/2; k++ {
			x, y := mag(a, k), mag(b, k)
			s += x * x
			e += (x - y) * (x - y)
		}
		sum += max(-10, min(35, 10*math.Log10(s/max(e, 1e-9))))
		n++
	}
	return sum / float64(n)
}

// TestSegmentalSNR compares concealment with silence substitution on 20 s
// of synthetic talk at 5, 10 and 20 % random loss of 20 ms frames:
// segmental SNR over the talkspurts, over the lost segments alone, and
// (phase-blind) spectral SNR over the lost frames and the frames after
// them. It also bounds the steps at the edges of the erasures.
func TestSegmentalSNR(t *testing.T) {
	for _, rate := range rates {
		xf, speech := vadtest.Talk(rate, 20*time.Second, 3)
		sum := make([]float64, len(xf))
		vadtest.Add(sum, xf, -20)
		x := vadtest.Quantize(sum)
		fl, seg := rate/50, rate/100
		for _, loss := range []float64{0.05, 0.10, 0.20} {
			t.Run(fmt.Sprintf("rate=%d/loss=%.0f%%", rate, 100*loss), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(rate), uint64(loss*100)))
				lostFrames := make([]bool, len(x)/fl)
				for k := range lostFrames {
					lostFrames[k] = rng.Float64() < loss
				}
				lost := func(k int) bool { return lostFrames[k] }
				y := run(newConcealer(t, rate), x, fl, lost)
				z := run(nil, x, fl, lost)
				talk := func(s int) bool { return speech[s] }
				hit := func(s int) bool { return speech[s] && lostFrames[s/2] }
				lostF := func(k int) bool { return speech[2*k] && lostFrames[k] }
				after := func(k int) bool { return speech[2*k] && !lostFrames[k] && k > 0 && lostFrames[k-1] }
				p, q := segSNR(x, y, seg, talk), segSNR(x, z, seg, talk)
				pl, ql := segSNR(x, y, seg, hit), segSNR(x, z, seg, hit)
				ps, qs := spectralSNR(x, y, fl, lostF), spectralSNR(x, z, fl, lostF)
				pa := segSNR(x, y, fl, after)
				t.Logf("segmental SNR over talkspurts: concealment %.1f dB, silence %.1f dB; over lost segments %.1f vs %.1f dB; spectral over lost frames %.1f vs %.1f dB; first good frame after an erasure %.1f dB (silence: untouched)",
					p, q, pl, ql, ps, qs, pa)
				if pl < ql+3 || ps < qs+5 {
					t.Errorf("concealment %.1f/%.1f dB is not clearly better than silence %.1f/%.1f dB", pl, ps, ql, qs)
				}
				if p < q-2 || pa < 6 {
					t.Errorf("the fade into the good frame costs too much: %.1f dB over talkspurts (silence %.1f), %.1f dB on the frame", p, q, pa)
				}
				// Edges: the steps across each edge against the output's own
				// steps just before and after it.
				worst, worstSil := 0.0, 0.0
				for k := 1; k < len(lostFrames); k++ {
					if lostFrames[k] != lostFrames[k-1] && speech[2*k] {
						worst = max(worst, edgeStep(x, y, k*fl, !lostFrames[k], rate))
						worstSil = max(worstSil, edgeStep(x, z, k*fl, !lostFrames[k], rate))
					}
				}
				t.Logf("largest step across an erasure's edge / steps around it: concealment %.2f, silence %.2f", worst, worstSil)
				if worst > 1.5 {
					t.Errorf("a step %.2f× those beside it at an erasure's edge, want ≤ 1.5", worst)
				}
			})
		}
	}
}

func BenchmarkGood(b *testing.B) {
	for _, rate := range rates {
		b.Run(fmt.Sprintf("rate=%d", rate), func(b *testing.B) {
			c := newConcealer(b, rate)
			x := vowel(rate, rate)
			f := make([]int16, rate/50)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				copy(f, x[i:])
				c.Good(f)
				if i += len(f); i+len(f) > len(x) {
					i = 0
				}
			}
		})
	}
}

// BenchmarkConceal is one lost 20 ms frame (a fresh erasure: pitch search
// and all) followed by the good frame that ends it.
func BenchmarkConceal(b *testing.B) {
	for _, rate := range rates {
		b.Run(fmt.Sprintf("rate=%d", rate), func(b *testing.B) {
			c := newConcealer(b, rate)
			x := vowel(rate, rate)
			f := make([]int16, rate/50)
			for i := 0; i < 5; i++ {
				copy(f, x[i*len(f):])
				c.Good(f)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				c.Conceal(f)
				copy(f, x[i:])
				c.Good(f)
				if i += len(f); i+len(f) > len(x) {
					i = 0
				}
			}
		})
	}
}
