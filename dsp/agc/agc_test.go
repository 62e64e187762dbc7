package agc_test

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/voxgraph/voxgraph/dsp/agc"
	"github.com/voxgraph/voxgraph/dsp/level"
	"github.com/voxgraph/voxgraph/dsp/vad/vadtest"
)

var rates = []int{8000, 16000, 32000, 48000}

func newController(t testing.TB, cfg agc.Config) *agc.Controller {
	t.Helper()
	c, err := agc.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// run passes pcm through c block by block and returns the output aligned
// with the input (the delay dropped, the tail flushed with silence).
func run(t testing.TB, c *agc.Controller, pcm []int16) []int16 {
	t.Helper()
	n := c.BlockSize()
	buf := make([]int16, ((len(pcm)+c.Delay()+n-1)/n)*n)
	copy(buf, pcm)
	for i := 0; i < len(buf); i += n {
		if err := c.Process(buf[i : i+n]); err != nil {
			t.Fatal(err)
		}
	}
	return buf[c.Delay() : c.Delay()+len(pcm)]
}

// scaled returns x (unit RMS) at dbov dBov.
func scaled(x []float64, dbov float64) []float64 {
	out := make([]float64, len(x))
	vadtest.Add(out, x, dbov)
	return out
}

// activeLevel is the level in dBov of x over the 10 ms blocks from..to
// (exclusive) marked in speech.
func activeLevel(x []int16, speech []bool, bs, from, to int) float64 {
	var sum float64
	var n int
	for b := from; b < to; b++ {
		if !speech[b] {
			continue
		}
		for _, v := range x[b*bs : (b+1)*bs] {
			sum += float64(v) * float64(v)
		}
		n += bs
	}
	return level.DBov(math.Sqrt(sum / float64(n)))
}

func TestNewErrors(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		cfg  agc.Config
		want string
	}{
		{agc.Config{}, "agc: 0 Hz: unsupported sample rate (supported: 8000, 16000, 32000, 48000 Hz)"},
		{agc.Config{Rate: 44100}, "agc: 44100 Hz: unsupported sample rate"},
		{agc.Config{Rate: 8000, Target: -2}, "agc: target -2 dBov must be in (-60, -3)"},
		{agc.Config{Rate: 8000, Target: -60}, "agc: target -60 dBov must be in (-60, -3)"},
		{agc.Config{Rate: 8000, Target: nan}, "agc: target NaN dBov"},
		{agc.Config{Rate: 8000, MaxGain: -1}, "agc: max gain -1 dB must be in (0, 60]"},
		{agc.Config{Rate: 8000, MaxGain: 61}, "agc: max gain 61 dB"},
		{agc.Config{Rate: 8000, MaxGain: math.Inf(1)}, "agc: max gain +Inf dB"},
		{agc.Config{Rate: 8000, AttackRate: -5}, "agc: attack rate -5 dB/s must be in (0, 1000]"},
		{agc.Config{Rate: 8000, ReleaseRate: nan}, "agc: release rate NaN dB/s must be in (0, 1000]"},
		{agc.Config{Rate: 8000, Ceiling: 1}, "agc: ceiling 1 dBFS must be in [-20, 0)"},
		{agc.Config{Rate: 8000, Ceiling: -21}, "agc: ceiling -21 dBFS"},
	}
	for _, tc := range tests {
		_, err := agc.New(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) = %v, want %q", tc.cfg, err, tc.want)
		}
	}
	if _, err := agc.New(agc.Config{Rate: 22050}); !errors.Is(err, agc.ErrUnsupportedRate) {
		t.Errorf("22050 Hz: %v, want ErrUnsupportedRate", err)
	}
	c := newController(t, agc.Config{Rate: 16000})
	want := agc.Config{Rate: 16000, Target: -18, MaxGain: 30, AttackRate: 20, ReleaseRate: 6, Ceiling: -1}
	if c.Config() != want || c.BlockSize() != 160 || c.Delay() != 32 || c.Gain() != 0 || c.Level() != level.Floor {
		t.Errorf("config %+v, block %d, delay %d, gain %g, level %g", c.Config(), c.BlockSize(), c.Delay(), c.Gain(), c.Level())
	}
}

// TestProcessBlockSize: a slice that is not whole blocks is refused and
// left alone.
func TestProcessBlockSize(t *testing.T) {
	c := newController(t, agc.Config{Rate: 8000})
	for _, n := range []int{1, 79, 81, 239} {
		buf := make([]int16, n)
		for i := range buf {
			buf[i] = int16(i)
		}
		if err := c.Process(buf); !errors.Is(err, agc.ErrBlockSize) {
			t.Fatalf("%d samples: %v, want ErrBlockSize", n, err)
		}
		for i := range buf {
			if buf[i] != int16(i) {
				t.Fatalf("%d samples: the refused slice was changed", n)
			}
		}
	}
	if err := c.Process(nil); err != nil {
		t.Fatal(err)
	}
}

// TestConvergence: quiet and loud talk reach the target within 5 s and
// stay within 2 dB of it, measured per 2 s over the talkspurts.
func TestConvergence(t *testing.T) {
	for _, tc := range []struct {
		dbov, target float64
	}{
		{-40, -18}, {-28, -18}, {-10, -18}, {-30, -25}, {-20, -14},
	} {
		for _, rate := range []int{8000, 16000} {
			t.Run(fmt.Sprintf("%g->%g/%d", tc.dbov, tc.target, rate), func(t *testing.T) {
				x, truth := vadtest.Talk(rate, 30*time.Second, 5)
				sum := scaled(x, tc.dbov)
				vadtest.Add(sum, vadtest.White(len(x), 6), tc.dbov-30)
				in := vadtest.Quantize(sum)
				c := newController(t, agc.Config{Rate: rate, Target: tc.target})
				out := run(t, c, in)
				bs := rate / 100
				var got []string
				for from := 0; from+400 <= len(truth); from += 400 {
					l := activeLevel(out, truth, bs, from, from+400)
					got = append(got, fmt.Sprintf("%.1f", l))
					if from >= 400 && math.Abs(l-tc.target) > 2 {
						t.Errorf("%d-%d s: level %.2f dBov, want %g ± 2", from/100, from/100+4, l, tc.target)
					}
				}
				t.Logf("level per 4 s %v; speech level estimate %.2f dBov, gain %.2f dB", got, c.Level(), c.Gain())
				if math.Abs(c.Level()-tc.dbov) > 1.5 {
					t.Errorf("speech level estimate %.2f dBov, want %g ± 1.5", c.Level(), tc.dbov)
				}
			})
		}
	}
}

// TestNoiseOnly: noise without speech is not amplified: at most 1 dB over
// the whole stream, and the gain never rises over 1 dB.
func TestNoiseOnly(t *testing.T) {
	for _, kind := range []string{"white", "pink"} {
		for _, dbov := range []float64{-60, -45, -30} {
			for _, rate := range rates {
				t.Run(fmt.Sprintf("%s/%g/%d", kind, dbov, rate), func(t *testing.T) {
					x := vadtest.White(10*rate, 3)
					if kind == "pink" {
						x = vadtest.Pink(10*rate, 3)
					}
					in := vadtest.Quantize(scaled(x, dbov))
					c := newController(t, agc.Config{Rate: rate})
					n := c.BlockSize()
					out := make([]int16, len(in))
					copy(out, in)
					worst := 0.0
					for i := 0; i < len(out); i += n {
						c.Process(out[i : i+n])
						worst = max(worst, c.Gain())
					}
					rise := level.DBov(level.RMS(out)) - level.DBov(level.RMS(in))
					if rise > 1 || worst > 1 {
						t.Errorf("noise came out %.2f dB louder, gain up to %.2f dB; want at most 1 dB", rise, worst)
					}
				})
			}
		}
	}
}

// TestBurst: after the gain has settled on talk, a tone 10 to 30 dB
// louder, up to full scale, comes in. No sample may pass the ceiling (so
// none is clipped at full scale), and the total gain, output over input
// where the tone dominates, may change from one sample to the next by no
// more than the limiter's 2 ms fade allows: the gain before the burst
// over the look-ahead in samples (plus rounding). A hard clip changes it
// several times faster at every peak.
func TestBurst(t *testing.T) {
	for _, tc := range []struct {
		talk, burst, freq float64
	}{
		{-30, -10, 500}, {-30, -10, 3000}, {-40, -3.01, 1000}, {-20, 0, 200},
	} {
		for _, rate := range rates {
			t.Run(fmt.Sprintf("%g+%g/%gHz/%d", tc.talk, tc.burst, tc.freq, rate), func(t *testing.T) {
				x, _ := vadtest.Talk(rate, 8*time.Second, 2)
				sum := scaled(x, tc.talk)
				vadtest.Add(sum, vadtest.White(len(x), 4), tc.talk-30)
				// The burst: 1 s of tone from 6 s, at full level from the
				// first sample.
				amp := level.SineAmplitude(tc.burst)
				start := 6 * rate
				for i := start; i < 7*rate; i++ {
					sum[i] += amp * math.Sin(2*math.Pi*tc.freq*float64(i)/float64(rate))
				}
				in := vadtest.Quantize(sum)
				c := newController(t, agc.Config{Rate: rate})
				n, d := c.BlockSize(), c.Delay()
				buf := append([]int16(nil), in...)
				var before float64
				for i := 0; i < len(buf); i += n {
					if i == start {
						before = c.Gain()
					}
					c.Process(buf[i : i+n])
				}
				out := buf[d:]
				ceil := 32768 * math.Pow(10, c.Config().Ceiling/20)
				ga := math.Pow(10, before/20)
				// What a hard clip at the ceiling would have made of it,
				// to show the measure tells the two apart.
				clipped := make([]int16, len(out))
				for i := range clipped {
					clipped[i] = int16(max(min(float64(in[i])*ga, ceil), -ceil))
				}
				// stepRatio is the largest gain step of y against the
				// bound, in the burst.
				stepRatio := func(y []int16) float64 {
					worst := 0.0
					for i := start + 1; i < 7*rate-d; i++ {
						a, b := float64(in[i-1]), float64(in[i])
						if math.Abs(a) < amp/4 || math.Abs(b) < amp/4 {
							continue // near a zero crossing the ratio is rounding
						}
						dg := math.Abs(float64(y[i])/b - float64(y[i-1])/a)
						lim := ga/float64(d) + 0.5/math.Abs(a) + 0.5/math.Abs(b)
						worst = max(worst, dg/lim)
					}
					return worst
				}
				peak := 0.0
				for _, v := range out {
					peak = max(peak, math.Abs(float64(v)))
				}
				worst, clip := stepRatio(out), stepRatio(clipped)
				t.Logf("gain %.1f dB before; peak %.0f (ceiling %.0f); largest gain step %.2f of the bound (hard clip: %.2f)", before, peak, ceil, worst, clip)
				if peak > math.Round(ceil) {
					t.Errorf("peak %.0f over the ceiling %.0f", peak, ceil)
				}
				if worst > 1 {
					t.Errorf("gain step %.2f times the bound", worst)
				}
			})
		}
	}
}

// TestLimiterTransparent: a signal under the ceiling passes the limiter
// untouched: a steady tone at -6 dBFS, which the detector never takes for
// speech (it sets its own noise floor), keeps the gain at 0 dB and comes
// out exactly, Delay samples late.
func TestLimiterTransparent(t *testing.T) {
	for _, rate := range rates {
		c := newController(t, agc.Config{Rate: rate})
		in := make([]int16, 2*rate)
		for i := range in {
			in[i] = int16(math.Round(16384 * math.Sin(2*math.Pi*1000*float64(i)/float64(rate))))
		}
		out := run(t, c, in)
		if c.Gain() != 0 || c.Level() != level.Floor || c.Limited() {
			t.Fatalf("%d Hz: gain %g dB, level %g dBov, limited %v; want 0 dB, no speech, not limited", rate, c.Gain(), c.Level(), c.Limited())
		}
		for i := range in {
			if out[i] != in[i] {
				t.Fatalf("%d Hz: sample %d: %d, want %d", rate, i, out[i], in[i])
			}
		}
	}
}

// BenchmarkProcess is one 10 ms block of talk in noise.
func BenchmarkProcess(b *testing.B) {
	for _, rate := range rates {
		b.Run(fmt.Sprintf("rate=%d", rate), func(b *testing.B) {
			c := newController(b, agc.Config{Rate: rate})
			x, _ := vadtest.Talk(rate, 3*time.Second, 1)
			sum := scaled(x, -30)
			vadtest.Add(sum, vadtest.White(len(x), 2), -60)
			pcm := vadtest.Quantize(sum)
			n := c.BlockSize()
			block := make([]int16, n)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				off := (i * n) % (len(pcm) - n)
				copy(block, pcm[off:off+n])
				if err := c.Process(block); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
