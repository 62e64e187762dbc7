package ns

import (
	"fmt"
	"math"
	"math/cmplx"
	"testing"

	"gonum.org/v1/gonum/dsp/fourier"

	"github.com/voxgraph/voxgraph/dsp/vad/vadtest"
)

// TestRFFT checks the FFT against gonum's at every length the suppressor
// uses and at a few others, forward and back.
func TestRFFT(t *testing.T) {
	for _, l := range []int{2, 4, 6, 10, 16, 24, 30, 40, 160, 320, 480, 640, 960} {
		t.Run(fmt.Sprint(l), func(t *testing.T) {
			x := vadtest.White(l, uint64(l))
			for i := range x {
				x[i] *= 1000
			}
			want := fourier.NewFFT(l).Coefficients(nil, x)
			f := newRFFT(l)
			for i := range f.a {
				f.a[i] = complex(x[2*i], x[2*i+1])
			}
			got := make([]complex128, l/2+1)
			f.forward(got)
			var worst, scale float64
			for k := range want {
				worst = max(worst, cmplx.Abs(got[k]-want[k]))
				scale = max(scale, cmplx.Abs(want[k]))
			}
			if worst > 1e-12*scale {
				t.Errorf("forward: largest error %g (largest bin %g)", worst, scale)
			}
			z := f.inverse(got)
			worst = 0
			for i := 0; i < l/2; i++ {
				worst = max(worst, math.Abs(real(z[i])/float64(l)-x[2*i]), math.Abs(-imag(z[i])/float64(l)-x[2*i+1]))
			}
			if worst > 1e-9 {
				t.Errorf("inverse: largest error %g", worst)
			}
		})
	}
}

func BenchmarkRFFT(b *testing.B) {
	for _, l := range []int{160, 320, 640, 960} {
		b.Run(fmt.Sprintf("ours/%d", l), func(b *testing.B) {
			f := newRFFT(l)
			spec := make([]complex128, l/2+1)
			for i := range f.a {
				f.a[i] = complex(float64(i), float64(-i))
			}
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				f.forward(spec)
				f.inverse(spec)
				for i := range f.a {
					f.a[i] = complex(float64(i), float64(-i))
				}
			}
		})
		b.Run(fmt.Sprintf("gonum/%d", l), func(b *testing.B) {
			f := fourier.NewFFT(l)
			x := make([]float64, l)
			spec := make([]complex128, l/2+1)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				for i := range x {
					x[i] = float64(i)
				}
				f.Coefficients(spec, x)
				f.Sequence(x, spec)
			}
		})
	}
}
