package fft_test

import (
	"errors"
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/dsp/fourier"

	"github.com/voxgraph/voxgraph/dsp/fft"
)

func noise(n int, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 1))
	x := make([]float64, n)
	for i := range x {
		x[i] = 1000 * r.NormFloat64()
	}
	return x
}

// TestReal checks Coefficients and Sequence against gonum's FFT at the
// lengths the voice-processing packages use and at a few others.
func TestReal(t *testing.T) {
	for _, l := range []int{2, 4, 6, 10, 16, 24, 30, 40, 160, 320, 480, 640, 960} {
		t.Run(fmt.Sprint(l), func(t *testing.T) {
			x := noise(l, uint64(l))
			want := fourier.NewFFT(l).Coefficients(nil, x)
			f, err := fft.NewReal(l)
			if err != nil {
				t.Fatal(err)
			}
			if f.Len() != l {
				t.Fatalf("Len %d, want %d", f.Len(), l)
			}
			got := make([]complex128, l/2+1)
			f.Coefficients(got, x)
			var worst, scale float64
			for k := range want {
				worst = max(worst, cmplx.Abs(got[k]-want[k]))
				scale = max(scale, cmplx.Abs(want[k]))
			}
			if worst > 1e-12*scale {
				t.Errorf("forward: largest error %g (largest bin %g)", worst, scale)
			}
			back := make([]float64, l)
			f.Sequence(back, got)
			worst = 0
			for i := range x {
				worst = max(worst, math.Abs(back[i]/float64(l)-x[i]))
			}
			if worst > 1e-9 {
				t.Errorf("inverse: largest error %g", worst)
			}
		})
	}
}

// TestPacked: the packed forms give what Coefficients and Sequence give.
func TestPacked(t *testing.T) {
	const l = 320
	x := noise(l, 7)
	f, _ := fft.NewReal(l)
	want := make([]complex128, l/2+1)
	f.Coefficients(want, x)
	a := f.Packed()
	for i := range a {
		a[i] = complex(x[2*i], x[2*i+1])
	}
	got := make([]complex128, l/2+1)
	f.ForwardPacked(got)
	for k := range want {
		if got[k] != want[k] {
			t.Fatalf("bin %d: packed %v, plain %v", k, got[k], want[k])
		}
	}
	z := f.InversePacked(got)
	for i := 0; i < l/2; i++ {
		if d := math.Abs(real(z[i])/l-x[2*i]) + math.Abs(-imag(z[i])/l-x[2*i+1]); d > 1e-9 {
			t.Fatalf("sample pair %d: off by %g", i, d)
		}
	}
}

func TestNewRealErrors(t *testing.T) {
	for _, l := range []int{0, 1, 3, 14, 22, 98} {
		if _, err := fft.NewReal(l); !errors.Is(err, fft.ErrLength) {
			t.Errorf("NewReal(%d): %v, want ErrLength", l, err)
		}
	}
}

func TestNoAllocs(t *testing.T) {
	f, _ := fft.NewReal(320)
	x := noise(320, 1)
	spec := make([]complex128, 161)
	if n := testing.AllocsPerRun(100, func() { f.Coefficients(spec, x); f.Sequence(x, spec) }); n != 0 {
		t.Fatalf("%v allocations per forward and inverse", n)
	}
}

func BenchmarkReal(b *testing.B) {
	for _, l := range []int{160, 320, 640, 960} {
		x := noise(l, 3)
		spec := make([]complex128, l/2+1)
		b.Run(fmt.Sprintf("ours/%d", l), func(b *testing.B) {
			f, _ := fft.NewReal(l)
			b.ReportAllocs()
			for range b.N {
				f.Coefficients(spec, x)
				f.Sequence(x, spec)
				for i := range x {
					x[i] /= float64(l)
				}
			}
		})
		b.Run(fmt.Sprintf("gonum/%d", l), func(b *testing.B) {
			f := fourier.NewFFT(l)
			b.ReportAllocs()
			for range b.N {
				f.Coefficients(spec, x)
				f.Sequence(x, spec)
				for i := range x {
					x[i] /= float64(l)
				}
			}
		})
	}
}

// The spectrum of a sine that fits the window 5 times has its energy in
// bin 5.
func ExampleReal() {
	const l = 160
	f, err := fft.NewReal(l)
	if err != nil {
		panic(err)
	}
	x := make([]float64, l)
	for i := range x {
		x[i] = math.Sin(2 * math.Pi * 5 * float64(i) / l)
	}
	spec := make([]complex128, l/2+1)
	f.Coefficients(spec, x)
	fmt.Printf("|X[5]| = %.0f, |X[4]| = %.0f\n", cmplx.Abs(spec[5]), cmplx.Abs(spec[4]))
	// Output: |X[5]| = 80, |X[4]| = 0
}
