package aec

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/dsp/fourier"
)

// TestRealFFT compares realFFT with gonum's FFT both ways at the sizes the
// canceller uses and a few others, and checks bad sizes are errors.
func TestRealFFT(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, l := range []int{2, 4, 10, 20, 40, 160, 320, 640, 200} {
		f, err := newRealFFT(l)
		if err != nil {
			t.Fatalf("%d points: %v", l, err)
		}
		g := fourier.NewFFT(l)
		x := make([]float64, l)
		for i := range x {
			x[i] = rng.NormFloat64() * 1000
		}
		got, want := make([]complex128, l/2+1), g.Coefficients(nil, x)
		f.Coefficients(got, x)
		for k := range got {
			if cmplx.Abs(got[k]-want[k]) > 1e-9*float64(l)*1000 {
				t.Fatalf("%d points: bin %d = %v, gonum %v", l, k, got[k], want[k])
			}
		}
		back, wantBack := make([]float64, l), g.Sequence(nil, want)
		f.Sequence(back, want)
		for i := range back {
			if math.Abs(back[i]-wantBack[i]) > 1e-6*float64(l)*1000 {
				t.Fatalf("%d points: inverse sample %d = %v, gonum %v", l, i, back[i], wantBack[i])
			}
		}
	}
	for _, l := range []int{0, 3, 14, 66, 480} {
		if _, err := newRealFFT(l); err == nil {
			t.Errorf("%d points: no error", l)
		}
	}
}

func BenchmarkRealFFT(b *testing.B) {
	for _, l := range []int{160, 320} {
		f, _ := newRealFFT(l)
		g := fourier.NewFFT(l)
		x := make([]float64, l)
		c := make([]complex128, l/2+1)
		b.Run("ours/"+string(rune('0'+l/160)), func(b *testing.B) {
			for range b.N {
				f.Coefficients(c, x)
			}
		})
		b.Run("gonum/"+string(rune('0'+l/160)), func(b *testing.B) {
			for range b.N {
				g.Coefficients(c, x)
			}
		})
	}
}
