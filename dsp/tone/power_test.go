package tone

import (
	"math"
	"math/rand/v2"
	"testing"
)

// sine returns n samples of amp·sin(2π·f·i/rate) rounded to int16,
// computed directly rather than by a Generator.
func sine(n, rate int, amp float64, freqs ...float64) []int16 {
	x := make([]int16, n)
	for i := range x {
		var v float64
		for _, f := range freqs {
			v += amp * math.Sin(2*math.Pi*f*float64(i)/float64(rate))
		}
		x[i] = int16(math.Round(max(min(v, 32767), -32768)))
	}
	return x
}

func TestPower(t *testing.T) {
	// repeat returns n samples cycling through vs.
	repeat := func(n int, vs ...int16) []int16 {
		x := make([]int16, n)
		for i := range x {
			x[i] = vs[i%len(vs)]
		}
		return x
	}
	// Rounding to int16 adds white noise of power 1/12, which moves a
	// reading by at most a few times √(2·P/(12·N)).
	tests := []struct {
		name string
		pcm  []int16
		rate int
		freq float64
		want float64 // power
		tol  float64 // absolute
	}{
		{"1 kHz on a bin", sine(160, 8000, 10000, 1000), 8000, 1000, 10000 * 10000 / 2, 2e3},
		{"full scale", sine(8000, 8000, 32767, 440), 8000, 440, 32767 * 32767 / 2.0, 5e3},
		{"quiet", sine(8000, 8000, 10, 1001), 8000, 1001, 50, 0.5},
		{"16 kHz", sine(16000, 16000, 3000, 1004), 16000, 1004, 3000 * 3000 / 2, 300},
		{"44.1 kHz high", sine(44100, 44100, 8000, 12345), 44100, 12345, 8000 * 8000 / 2, 1e3},
		{"negative frequency", sine(160, 8000, 10000, 1000), 8000, -1000, 10000 * 10000 / 2, 2e3},
		{"other bin", sine(160, 8000, 10000, 1000), 8000, 1050, 0, 1},
		{"first of two", sine(8000, 8000, 8000, 697, 1209), 8000, 697, 8000 * 8000 / 2, 1e3},
		{"second of two", sine(8000, 8000, 8000, 697, 1209), 8000, 1209, 8000 * 8000 / 2, 1e3},
		{"between two", sine(8000, 8000, 8000, 697, 1209), 8000, 941, 0, 1},
		// Half a bin (5 Hz in 100 ms) away: (2/π)² of the power, plus a
		// little from the negative-frequency image.
		{"half a bin off", sine(800, 8000, 10000, 1000), 8000, 1005, 10000 * 10000 / 2 * 4 / (math.Pi * math.Pi), 0.01 * 10000 * 10000 / 2},
		{"DC reads twice its power", repeat(100, -300), 8000, 0, 2 * 300 * 300, 1e-6},
		{"Nyquist reads twice its power", repeat(100, 300, -300), 8000, 4000, 2 * 300 * 300, 1e-6},
		{"DC is not 1 kHz", repeat(160, 5000), 8000, 1000, 0, 1e-6},
		{"silence", make([]int16, 160), 8000, 1000, 0, 0},
		{"empty", nil, 8000, 1000, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Power(tt.pcm, tt.rate, tt.freq); math.Abs(got-tt.want) > tt.tol || got < 0 {
				t.Errorf("Power(%d samples, %d, %v) = %.6g, want %.6g ± %.3g", len(tt.pcm), tt.rate, tt.freq, got, tt.want, tt.tol)
			}
		})
	}
}

// TestPowerMatchesDFT compares Power with 2·|X(f)|²/N² from a directly
// computed DFT sum, on and off bins, for signals with no simple structure.
func TestPowerMatchesDFT(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 7, 160, 1000, 8000} {
		x := make([]int16, n)
		for i := range x {
			x[i] = int16(rng.IntN(65536) - 32768)
		}
		x = append(x, sine(n, 8000, 9000, 440, 1000.3)...)
		for _, f := range []float64{0, 1, 440, 697.5, 1000, 3333.3, 3999, 4000, 5000} {
			var re, im float64
			for i, v := range x {
				s, c := math.Sincos(2 * math.Pi * f * float64(i) / 8000)
				re += float64(v) * c
				im -= float64(v) * s
			}
			want := 2 * (re*re + im*im) / float64(len(x)*len(x))
			if got := Power(x, 8000, f); math.Abs(got-want) > 1e-9*want+1e-6 {
				t.Errorf("%d samples at %v Hz: Power = %.12g, DFT %.12g", len(x), f, got, want)
			}
		}
	}
}

func TestPowerPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for rate 0")
		}
	}()
	Power(make([]int16, 160), 0, 1000)
}

func TestPowerAllocs(t *testing.T) {
	x := sine(160, 8000, 8000, 1000)
	if a := testing.AllocsPerRun(100, func() { Power(x, 8000, 1000) }); a != 0 {
		t.Errorf("Power allocates %v times", a)
	}
}

func BenchmarkPower(b *testing.B) {
	x := sine(160, 8000, 8000, 1000) // one 20 ms frame at 8 kHz
	b.SetBytes(2 * 160)
	b.ReportAllocs()
	for b.Loop() {
		Power(x, 8000, 1000)
	}
}
