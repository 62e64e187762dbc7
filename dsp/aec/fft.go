package aec

import (
	"fmt"
	"math"
	"math/cmplx"
)

// realFFT is the real-input FFT the canceller runs 10 to 14 times a
// block, of 2N = 160 or 320 points (N = 10 ms): a complex FFT of N points
// (self-sorting Stockham, radix 4, 2 and 5 stages with precomputed
// twiddles) on the even and odd samples packed as one complex sequence,
// then one split pass. It computes what gonum's fourier.FFT does (same
// layout, unnormalised both ways: Sequence(Coefficients(x)) is 2N·x) at
// about three times its speed; fft_test.go compares the two.
type realFFT struct {
	l, n   int
	stages []fftStage
	rot    []complex128 // e^{-2πik/2N}, k = 0..N
	z, y   []complex128 // work buffers, N
}

// fftStage is one radix-r pass of the Stockham FFT over sub-sequences of
// length n with stride s.
type fftStage struct {
	r, n, s int
	tw      []complex128 // e^{-2πi·p·k/n}, p < n/r, k = 1..r-1, as tw[p*(r-1)+k-1]
}

// newRealFFT returns an FFT of l points; l/2 must factor into 2, 4 and 5.
func newRealFFT(l int) (*realFFT, error) {
	if l < 2 || l%2 != 0 {
		return nil, fmt.Errorf("aec: FFT of %d points: not even", l)
	}
	n := l / 2
	f := &realFFT{l: l, n: n, rot: make([]complex128, n+1), z: make([]complex128, n), y: make([]complex128, n)}
	for k := range f.rot {
		f.rot[k] = cmplx.Rect(1, -2*math.Pi*float64(k)/float64(l))
	}
	rest, s := n, 1
	for rest > 1 {
		r := 0
		switch {
		case rest%4 == 0:
			r = 4
		case rest%2 == 0:
			r = 2
		case rest%5 == 0:
			r = 5
		default:
			return nil, fmt.Errorf("aec: FFT of %d points: %d has a factor other than 2 and 5", l, n)
		}
		st := fftStage{r: r, n: rest, s: s, tw: make([]complex128, rest/r*(r-1))}
		for p := range rest / r {
			for k := 1; k < r; k++ {
				st.tw[p*(r-1)+k-1] = cmplx.Rect(1, -2*math.Pi*float64(p*k)/float64(rest))
			}
		}
		f.stages = append(f.stages, st)
		rest /= r
		s *= r
	}
	return f, nil
}

// transform runs the complex FFT of f.z in place (forward, e^{-i}).
func (f *realFFT) transform() {
	x, y := f.z, f.y
	for i := range f.stages {
		st := &f.stages[i]
		m, s := st.n/st.r, st.s
		switch st.r {
		case 4:
			if s == 1 { // the first stage: one butterfly per p
				x0, x1, x2, x3 := x[:m], x[m:2*m], x[2*m:3*m], x[3*m:4*m]
				tw := st.tw[:3*m]
				o := y[:4*m]
				for p, v0 := range x0 {
					v1, v2, v3 := x1[p], x2[p], x3[p]
					t0, t1 := v0+v2, v0-v2
					t2, t3 := v1+v3, v1-v3
					t3 = complex(imag(t3), -real(t3))
					w := tw[3*p : 3*p+3]
					b := o[4*p : 4*p+4]
					b[0] = t0 + t2
					b[1] = (t1 + t3) * w[0]
					b[2] = (t0 - t2) * w[1]
					b[3] = (t1 - t3) * w[2]
				}
				break
			}
			for p := range m {
				w1, w2, w3 := st.tw[3*p], st.tw[3*p+1], st.tw[3*p+2]
				a0, a1, a2, a3 := x[s*p:s*p+s], x[s*(p+m):s*(p+m)+s], x[s*(p+2*m):s*(p+2*m)+s], x[s*(p+3*m):s*(p+3*m)+s]
				o := y[s*4*p : s*4*p+4*s]
				o0, o1, o2, o3 := o[:s], o[s:2*s], o[2*s:3*s], o[3*s:4*s]
				for q, v0 := range a0 {
					v1, v2, v3 := a1[q], a2[q], a3[q]
					t0, t1 := v0+v2, v0-v2
					t2, t3 := v1+v3, v1-v3
					t3 = complex(imag(t3), -real(t3)) // -i·(a1-a3)
					o0[q] = t0 + t2
					o1[q] = (t1 + t3) * w1
					o2[q] = (t0 - t2) * w2
					o3[q] = (t1 - t3) * w3
				}
			}
		case 2:
			for p := range m {
				w := st.tw[p]
				a0, a1 := x[s*p:s*p+s], x[s*(p+m):s*(p+m)+s]
				o := y[s*2*p : s*2*p+2*s]
				o0, o1 := o[:s], o[s:2*s]
				for q, v0 := range a0 {
					v1 := a1[q]
					o0[q] = v0 + v1
					o1[q] = (v0 - v1) * w
				}
			}
		case 5:
			const (
				c1 = 0.30901699437494745 // cos(2π/5)
				c2 = -0.8090169943749473 // cos(4π/5)
				s1 = 0.9510565162951535  // sin(2π/5)
				s2 = 0.5877852522924732  // sin(4π/5)
			)
			for p := range m {
				tw := st.tw[4*p : 4*p+4]
				a0, a1, a2, a3, a4 := x[s*p:s*p+s], x[s*(p+m):s*(p+m)+s], x[s*(p+2*m):s*(p+2*m)+s], x[s*(p+3*m):s*(p+3*m)+s], x[s*(p+4*m):s*(p+4*m)+s]
				o := y[s*5*p : s*5*p+5*s]
				o0, o1, o2, o3, o4 := o[:s], o[s:2*s], o[2*s:3*s], o[3*s:4*s], o[4*s:5*s]
				for q, v0 := range a0 {
					v1, v2, v3, v4 := a1[q], a2[q], a3[q], a4[q]
					t1, t2, t3, t4 := v1+v4, v2+v3, v1-v4, v2-v3
					u1 := v0 + complex(c1*real(t1)+c2*real(t2), c1*imag(t1)+c2*imag(t2))
					u2 := v0 + complex(c2*real(t1)+c1*real(t2), c2*imag(t1)+c1*imag(t2))
					// i·v1 and i·v2, v1 = s1·t3 + s2·t4, v2 = s2·t3 - s1·t4
					iv1 := complex(-(s1*imag(t3) + s2*imag(t4)), s1*real(t3)+s2*real(t4))
					iv2 := complex(-(s2*imag(t3) - s1*imag(t4)), s2*real(t3)-s1*real(t4))
					o0[q] = v0 + t1 + t2
					o1[q] = (u1 - iv1) * tw[0]
					o2[q] = (u2 - iv2) * tw[1]
					o3[q] = (u2 + iv2) * tw[2]
					o4[q] = (u1 + iv1) * tw[3]
				}
			}
		}
		x, y = y, x
	}
	if &x[0] != &f.z[0] {
		copy(f.z, x)
	}
}

// Coefficients sets dst (N+1 bins) to the FFT of src (2N samples).
func (f *realFFT) Coefficients(dst []complex128, src []float64) {
	n := f.n
	z := f.z[:n]
	src = src[:2*n]
	for i := range z {
		z[i] = complex(src[2*i], src[2*i+1])
	}
	f.transform()
	dst = dst[:n+1]
	rot := f.rot[:n+1]
	// k = 0 pairs z[0] with itself.
	z0 := z[0]
	dst[0] = complex(real(z0)+imag(z0), 0)
	dst[n] = complex(real(z0)-imag(z0), 0)
	for k := 1; k <= n/2; k++ {
		zk, zn := z[k], z[n-k]
		zn = complex(real(zn), -imag(zn))
		e := (zk + zn) * 0.5
		o := (zk - zn) * complex(0, -0.5) // (zk - zn)/(2i)
		dst[k] = e + rot[k]*o
		// Bin N-k from the same pair: E and O are conjugate there.
		ec, oc := complex(real(e), -imag(e)), complex(real(o), -imag(o))
		dst[n-k] = ec + rot[n-k]*oc
	}
}

// Sequence sets dst (2N samples) to the inverse FFT of src (N+1 bins),
// unnormalised.
func (f *realFFT) Sequence(dst []float64, src []complex128) {
	n := f.n
	z := f.z[:n]
	src = src[:n+1]
	rot := f.rot[:n+1]
	for k := range z {
		xk, xn := src[k], src[n-k]
		xn = complex(real(xn), -imag(xn))
		e := xk + xn
		r := rot[k]
		o := (xk - xn) * complex(real(r), -imag(r)) // e^{+2πik/2N}
		v := e + complex(-imag(o), real(o))         // e + i·o
		z[k] = complex(real(v), -imag(v))           // conjugate: inverse by the forward transform
	}
	f.transform()
	dst = dst[:2*n]
	for i, v := range z {
		dst[2*i] = real(v)
		dst[2*i+1] = -imag(v)
	}
}
