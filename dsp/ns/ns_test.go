package ns_test

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/voxgraph/voxgraph/dsp/level"
	"github.com/voxgraph/voxgraph/dsp/ns"
	"github.com/voxgraph/voxgraph/dsp/vad/vadtest"
)

var rates = []int{8000, 16000, 32000, 48000}

func newSuppressor(t testing.TB, cfg ns.Config) *ns.Suppressor {
	t.Helper()
	s, err := ns.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// suppress runs pcm through s and returns the output aligned with the
// input: the delay dropped, and the tail flushed with silence.
func suppress(t testing.TB, s *ns.Suppressor, pcm []int16) []int16 {
	t.Helper()
	n := s.FrameSize()
	frames := (len(pcm)+s.Delay()+n-1)/n + 1
	buf := make([]int16, frames*n)
	copy(buf, pcm)
	for i := 0; i < len(buf); i += n {
		if err := s.Process(buf[i : i+n]); err != nil {
			t.Fatal(err)
		}
	}
	return buf[s.Delay() : s.Delay()+len(pcm)]
}

// noise returns n samples of white or pink noise at unit RMS.
func noise(kind string, n int, seed uint64) []float64 {
	if kind == "pink" {
		return vadtest.Pink(n, seed)
	}
	return vadtest.White(n, seed)
}

// powerDB is the mean power of x in dB (sample units).
func powerDB(x []int16) float64 {
	var sum float64
	for _, v := range x {
		sum += float64(v) * float64(v)
	}
	return 10 * math.Log10(sum/float64(len(x)))
}

// segSNR is the segmental SNR of y against the reference x in dB: the
// mean over the 10 ms blocks marked in speech of each block's SNR, each
// clamped to [-10, 35] dB as is usual.
func segSNR(x, y []int16, speech []bool, bs int) float64 {
	var sum float64
	var n int
	for b, on := range speech {
		if !on {
			continue
		}
		var sig, errp float64
		for i := b * bs; i < (b+1)*bs; i++ {
			d := float64(x[i]) - float64(y[i])
			sig += float64(x[i]) * float64(x[i])
			errp += d * d
		}
		snr := 35.0
		if errp > 0 {
			snr = max(min(10*math.Log10(sig/errp), 35), -10)
		}
		sum += snr
		n++
	}
	return sum / float64(n)
}

// highPass filters x with a second-order Butterworth high-pass at f Hz.
func highPass(x []int16, rate int, f float64) []int16 {
	w := 2 * math.Pi * f / float64(rate)
	c, al := math.Cos(w), math.Sin(w)/math.Sqrt2
	a0 := 1 + al
	b0, b1, b2, a1, a2 := (1+c)/2/a0, -(1+c)/a0, (1+c)/2/a0, -2*c/a0, (1-al)/a0
	var z1, z2 float64
	out := make([]int16, len(x))
	for i, v := range x {
		xv := float64(v)
		y := b0*xv + z1
		z1 = b1*xv - a1*y + z2
		z2 = b2*xv - a2*y
		out[i] = int16(y)
	}
	return out
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		cfg  ns.Config
		want string
	}{
		{ns.Config{}, "ns: 0 Hz: unsupported sample rate (supported: 8000, 16000, 32000, 48000 Hz)"},
		{ns.Config{Rate: 44100}, "ns: 44100 Hz: unsupported sample rate"},
		{ns.Config{Rate: -8000}, "ns: -8000 Hz: unsupported sample rate"},
		{ns.Config{Rate: 8000, Level: -3}, "ns: level -3 dB must be in (0, 60]"},
		{ns.Config{Rate: 8000, Level: 61}, "ns: level 61 dB must be in (0, 60]"},
		{ns.Config{Rate: 8000, Level: math.NaN()}, "ns: level NaN dB must be in (0, 60]"},
		{ns.Config{Rate: 8000, Level: math.Inf(1)}, "ns: level +Inf dB must be in (0, 60]"},
	}
	for _, tc := range tests {
		_, err := ns.New(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) = %v, want %q", tc.cfg, err, tc.want)
		}
	}
	if _, err := ns.New(ns.Config{Rate: 11025}); !errors.Is(err, ns.ErrUnsupportedRate) {
		t.Errorf("11025 Hz: %v, want ErrUnsupportedRate", err)
	}
	s := newSuppressor(t, ns.Config{Rate: 16000})
	if c := s.Config(); c.Level != ns.DefaultLevel || s.FrameSize() != 160 || s.Delay() != 160 {
		t.Errorf("config %+v, frame %d, delay %d", c, s.FrameSize(), s.Delay())
	}
}

// TestProcessFrameSize: a slice that is not whole frames is refused and
// left alone; several frames at once give the same as one by one.
func TestProcessFrameSize(t *testing.T) {
	s := newSuppressor(t, ns.Config{Rate: 8000})
	pcm := vadtest.Quantize(scaled(vadtest.White(8000, 1), -30))
	for _, n := range []int{1, 79, 81, 159, 161} {
		buf := append([]int16(nil), pcm[:n]...)
		if err := s.Process(buf); !errors.Is(err, ns.ErrFrameSize) {
			t.Fatalf("%d samples: %v, want ErrFrameSize", n, err)
		}
		for i := range buf {
			if buf[i] != pcm[i] {
				t.Fatalf("%d samples: the refused slice was changed", n)
			}
		}
	}
	if err := s.Process(nil); err != nil {
		t.Fatalf("no samples: %v", err)
	}
	a := append([]int16(nil), pcm...)
	if err := s.Process(a); err != nil {
		t.Fatal(err)
	}
	s2 := newSuppressor(t, ns.Config{Rate: 8000})
	b := append([]int16(nil), pcm...)
	for i := 0; i < len(b); i += 80 {
		s2.Process(b[i : i+80])
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("sample %d: %d in one call, %d frame by frame", i, a[i], b[i])
		}
	}
	s.Reset()
	c := append([]int16(nil), pcm...)
	s.Process(c)
	for i := range a {
		if a[i] != c[i] {
			t.Fatalf("sample %d: %d after Reset, %d new", i, c[i], a[i])
		}
	}
}

// scaled returns x (unit RMS) at dbov dBov.
func scaled(x []float64, dbov float64) []float64 {
	out := make([]float64, len(x))
	vadtest.Add(out, x, dbov)
	return out
}

// TestNoiseAttenuation: noise alone is brought down by the configured
// level, within 2 dB up to the default level of 18 dB (1 dB at 10 dB;
// 20 to 21.5 dB for a level of 25 dB), once the first second has passed; the noise floor
// estimate reads under the noise's level by at most 2.5 dB (white) or
// 4 dB (pink). Pink noise is measured above 100 Hz: its power under
// 50 Hz, the resolution of the 20 ms window, swings too slowly to be told
// from a signal and is attenuated by only 4 to 6 dB, which brings the
// attenuation of the whole band down to 10 to 13 dB.
func TestNoiseAttenuation(t *testing.T) {
	for _, tc := range []struct {
		kind  string
		dbov  float64
		level float64
		short float64 // how far under the level the attenuation may fall
	}{
		{"white", -50, 0, 2}, {"white", -20, 0, 2}, {"pink", -40, 0, 2}, {"pink", -25, 0, 2},
		{"white", -40, 10, 1}, {"pink", -40, 10, 1},
		// Deep floors are reached less: the gain rises over the floor
		// wherever the noise's own fluctuation looks like a signal.
		{"white", -40, 25, 5.5},
	} {
		for _, rate := range rates {
			t.Run(fmt.Sprintf("%s/%g/level=%g/%d", tc.kind, tc.dbov, tc.level, rate), func(t *testing.T) {
				s := newSuppressor(t, ns.Config{Rate: rate, Level: tc.level})
				in := vadtest.Quantize(scaled(noise(tc.kind, 5*rate, 7), tc.dbov))
				out := suppress(t, s, in)
				whole := powerDB(in[rate:]) - powerDB(out[rate:])
				att, under := whole, 2.5
				if tc.kind == "pink" {
					hin := highPass(highPass(in, rate, 150), rate, 150) // fourth order
					hout := highPass(highPass(out, rate, 150), rate, 150)
					att = powerDB(hin[rate:]) - powerDB(hout[rate:])
					under = 4
				}
				want := s.Config().Level
				floor := s.NoiseFloor()
				t.Logf("attenuation %.2f dB (%.2f dB over the whole band; level %g), noise floor %.2f dBov", att, whole, want, floor)
				if att < want-tc.short || att > want+0.5 {
					t.Errorf("attenuation %.2f dB, want %g dB within [-%g, +0.5]", att, want, tc.short)
				}
				if floor > tc.dbov || floor < tc.dbov-under {
					t.Errorf("noise floor %.2f dBov, want %g dBov, at most %g dB under", floor, tc.dbov, under)
				}
			})
		}
	}
}

// TestSegmentalSNR buries half a minute of synthetic talk at -26 dBov in
// white and pink noise and checks the gain in segmental SNR over the
// talkspurts (measured at 8 and 16 kHz, the worse of the two):
//
//	SNR    white    pink
//	20 dB  +1.3     -0.4
//	10 dB  +3.2     +1.8
//	 5 dB  +4.5     +3.1
//	 0 dB  +5.9     +4.6
//
// At 20 dB SNR in pink noise the noise taken off the talk is worth as
// much as the talk the gains take off with it.
func TestSegmentalSNR(t *testing.T) {
	for _, tc := range []struct {
		snr         float64
		white, pink float64 // least gain in dB
	}{
		{20, 1, -0.6}, {10, 3, 1.5}, {5, 4.2, 2.8}, {0, 5.5, 4.3},
	} {
		for _, kind := range []string{"white", "pink"} {
			for _, rate := range []int{8000, 16000} {
				t.Run(fmt.Sprintf("%s/%gdB/%d", kind, tc.snr, rate), func(t *testing.T) {
					x, truth := vadtest.Talk(rate, 30*time.Second, 3)
					clean := vadtest.Quantize(scaled(x, -26))
					sum := scaled(x, -26)
					vadtest.Add(sum, noise(kind, len(x), 5), -26-tc.snr)
					noisy := vadtest.Quantize(sum)
					out := suppress(t, newSuppressor(t, ns.Config{Rate: rate}), noisy)
					before := segSNR(clean, noisy, truth, rate/100)
					after := segSNR(clean, out, truth, rate/100)
					// Noise left in the pauses.
					var pin, pout float64
					bs := rate / 100
					for b, on := range truth {
						if !on && b > 100 {
							for i := b * bs; i < (b+1)*bs; i++ {
								pin += float64(noisy[i]) * float64(noisy[i])
								pout += float64(out[i]) * float64(out[i])
							}
						}
					}
					t.Logf("segSNR %.2f -> %.2f dB (+%.2f); pauses attenuated %.1f dB", before, after, after-before, 10*math.Log10(pin/pout))
					want := tc.white
					if kind == "pink" {
						want = tc.pink
					}
					if after-before < want {
						t.Errorf("segSNR gain %.2f dB, want at least %g", after-before, want)
					}
				})
			}
		}
	}
}

// TestCleanSpeech: talk without noise (digital silence in the pauses)
// passes with little distortion: a segmental SNR of 34.8 dB against the
// input at every rate.
func TestCleanSpeech(t *testing.T) {
	for _, rate := range rates {
		t.Run(fmt.Sprint(rate), func(t *testing.T) {
			x, truth := vadtest.Talk(rate, 20*time.Second, 9)
			clean := vadtest.Quantize(scaled(x, -26))
			out := suppress(t, newSuppressor(t, ns.Config{Rate: rate}), clean)
			snr := segSNR(clean, out, truth, rate/100)
			t.Logf("segSNR %.2f dB", snr)
			if snr < 34 {
				t.Errorf("segSNR of clean talk %.2f dB, want at least 34", snr)
			}
		})
	}
}

// TestReconstruction: with the gain floor at one, so every gain is one, a
// sum of tones at -10 dBov comes out as it went in, one frame late, within
// 1 LSB: the analysis and synthesis windows reconstruct perfectly.
func TestReconstruction(t *testing.T) {
	for _, rate := range rates {
		t.Run(fmt.Sprint(rate), func(t *testing.T) {
			// A level this small puts the gain floor at 1 - 1e-10.
			s := newSuppressor(t, ns.Config{Rate: rate, Level: 1e-9})
			in := make([]int16, 2*rate)
			amp := level.SineAmplitude(-10)
			for i := range in {
				ph := float64(i) / float64(rate)
				in[i] = int16(math.Round(amp * (0.5*math.Sin(2*math.Pi*440*ph) + 0.3*math.Sin(2*math.Pi*1234*ph+1) + 0.2*math.Sin(2*math.Pi*3000*ph+2))))
			}
			out := suppress(t, s, in)
			worst := 0
			for i := range in {
				worst = max(worst, abs(int(out[i])-int(in[i])))
			}
			if worst > 1 {
				t.Errorf("largest difference %d LSB, want at most 1", worst)
			}
		})
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// BenchmarkProcess is one 10 ms frame of noisy talk. Besides the
// wall-clock ns/op it reports cpu-ns/op, the process's CPU time per frame
// (on Unix), which load from other processes does not inflate; compare it
// with the thread CPU time of testdata/speexdsp_bench.c.
func BenchmarkProcess(b *testing.B) {
	for _, rate := range rates {
		b.Run(fmt.Sprintf("rate=%d", rate), func(b *testing.B) {
			s := newSuppressor(b, ns.Config{Rate: rate})
			x, _ := vadtest.Talk(rate, 3*time.Second, 1)
			sum := scaled(x, -26)
			vadtest.Add(sum, vadtest.White(len(x), 2), -36)
			pcm := vadtest.Quantize(sum)
			n := s.FrameSize()
			frame := make([]int16, n)
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				off := (i * n) % (len(pcm) - n)
				copy(frame, pcm[off:off+n])
				if err := s.Process(frame); err != nil {
					b.Fatal(err)
				}
			}
			if cpu := cpuTime() - cpu0; cpu > 0 {
				b.ReportMetric(cpu*1e9/float64(b.N), "cpu-ns/op")
			}
		})
	}
}
