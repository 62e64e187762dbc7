// Package fft is the real-input FFT shared by the voice-processing
// packages (dsp/ns, dsp/aec, dsp/vad): the lengths they use are two 10 ms
// blocks, 160, 320, 640 and 960 points at 8, 16, 32 and 48 kHz.
//
// A real FFT of even length l = 2m is computed as a complex FFT of m points
// over the even and odd samples packed as real and imaginary parts,
// followed by the split into the two halves' spectra. The complex FFT is a
// Stockham autosort of radix-5, -3, -4 and -2 stages with precomputed
// twiddles. For the lengths above a forward and inverse pair takes 1.0,
// 2.3, 4.6 and 8.0 µs, gonum's FFTPACK port 3.6, 6.7, 16.7 and 25.7 µs
// (go test -run '^$' -bench . -benchmem ./dsp/fft), and the results match
// gonum's fourier.FFT (TestReal), including its scaling.
//
// A Real is not safe for concurrent use; its methods do not allocate.
package fft

import (
	"errors"
	"fmt"
	"math"
)

// ErrLength is returned (wrapped) by NewReal for a length it cannot do.
var ErrLength = errors.New("fft: length must be 2·m with m a product of 2, 3 and 5")

// Real is a real FFT of an even length l = 2m. Scaling follows gonum's
// fourier.FFT: forward gives X[k] = Σ x[t]·e^(-2πikt/l) for k = 0..m, and
// inverse gives l times the signal.
//
// Coefficients and Sequence take and give plain samples. Callers that
// window or scale the samples anyway can skip a copy: write the input
// packed into Packed (element t holds x[2t] + i·x[2t+1]) and call
// ForwardPacked, and read InversePacked's packed, conjugated output.
type Real struct {
	m      int
	stages []fftStage
	w      []complex128 // e^(-2πik/l), k = 0..m/2
	a, b   []complex128 // work buffers, m points each
}

// fftStage is one radix-p pass of the Stockham FFT over sub-transforms
// of length ln (ln·p after the pass).
type fftStage struct {
	p, ln int
	tw    []complex128 // tw[s·(p-1)+r-1] = e^(-2πi·s·r/(ln·p))
}

// NewReal returns an FFT of l points; l must be 2·m with m a product of
// 2, 3 and 5 (a wrapped ErrLength otherwise).
func NewReal(l int) (*Real, error) {
	if l < 2 || l%2 != 0 {
		return nil, fmt.Errorf("%d points: %w", l, ErrLength)
	}
	m := l / 2
	f := &Real{m: m, a: make([]complex128, m), b: make([]complex128, m)}
	// Radices: the odd ones first (their stage has no twiddles), then 4s,
	// then a 2 if one is left.
	var radices []int
	r := m
	for _, p := range []int{5, 3} {
		for r%p == 0 {
			radices = append(radices, p)
			r /= p
		}
	}
	for r%4 == 0 {
		radices = append(radices, 4)
		r /= 4
	}
	for r%2 == 0 {
		radices = append(radices, 2)
		r /= 2
	}
	if r != 1 {
		return nil, fmt.Errorf("%d points: %w", l, ErrLength)
	}
	ln := 1
	for _, p := range radices {
		st := fftStage{p: p, ln: ln, tw: make([]complex128, ln*(p-1))}
		for s := 0; s < ln; s++ {
			for q := 1; q < p; q++ {
				st.tw[s*(p-1)+q-1] = cis(-2 * math.Pi * float64(s*q) / float64(ln*p))
			}
		}
		f.stages = append(f.stages, st)
		ln *= p
	}
	f.w = make([]complex128, m/2+1)
	for k := range f.w {
		f.w[k] = cis(-2 * math.Pi * float64(k) / float64(l))
	}
	return f, nil
}

func cis(x float64) complex128 {
	s, c := math.Sincos(x)
	return complex(c, s)
}

// transform runs the complex forward FFT of x (length m), using x and
// the other work buffer, and returns the slice holding the result.
func (f *Real) transform(x []complex128) []complex128 {
	y := f.b
	if &x[0] == &f.b[0] {
		y = f.a
	}
	n := f.m
	for i := range f.stages {
		st := &f.stages[i]
		switch st.p {
		case 4:
			radix4(x, y, n, st.ln, st.tw)
		case 2:
			radix2(x, y, n, st.ln, st.tw)
		case 5:
			radix5(x, y, n, st.ln, st.tw)
		case 3:
			radix3(x, y, n, st.ln, st.tw)
		}
		x, y = y, x
	}
	return x
}

// Len is the number of real samples, l.
func (f *Real) Len() int { return 2 * f.m }

// Packed is the input of ForwardPacked: m elements, element t holding
// x[2t] + i·x[2t+1].
func (f *Real) Packed() []complex128 { return f.a[:f.m] }

// Coefficients computes the m+1 bins of the spectrum of seq (l samples)
// into dst (at least m+1 long).
func (f *Real) Coefficients(dst []complex128, seq []float64) {
	a := f.a[:f.m]
	seq = seq[:2*f.m]
	for t := range a {
		a[t] = complex(seq[2*t], seq[2*t+1])
	}
	f.ForwardPacked(dst)
}

// Sequence computes l times the signal of the m+1 bins of coeff (a
// Hermitian spectrum: the imaginary parts of bins 0 and m are ignored)
// into dst (at least l long).
func (f *Real) Sequence(dst []float64, coeff []complex128) {
	z := f.InversePacked(coeff)
	dst = dst[:2*f.m]
	for t, c := range z[:f.m] {
		dst[2*t], dst[2*t+1] = real(c), -imag(c)
	}
}

// ForwardPacked computes the spectrum of the l real samples in Packed
// into spec (m+1 bins); Packed is overwritten.
func (f *Real) ForwardPacked(spec []complex128) {
	z := f.transform(f.a)
	m := f.m
	z = z[:m]
	spec = spec[:m+1]
	z0 := z[0]
	spec[0] = complex(real(z0)+imag(z0), 0)
	spec[m] = complex(real(z0)-imag(z0), 0)
	w := f.w[:m/2+1]
	for k := 1; k <= m/2; k++ {
		zk, zc := z[k], z[m-k]
		// Fe = (Z[k] + conj Z[m-k])/2, Fo = (Z[k] - conj Z[m-k])/(2i).
		fer, fei := 0.5*(real(zk)+real(zc)), 0.5*(imag(zk)-imag(zc))
		for_, foi := 0.5*(imag(zk)+imag(zc)), -0.5*(real(zk)-real(zc))
		wr, wi := real(w[k]), imag(w[k])
		tr, ti := wr*for_-wi*foi, wr*foi+wi*for_
		spec[k] = complex(fer+tr, fei+ti)
		spec[m-k] = complex(fer-tr, ti-fei)
	}
}

// InversePacked takes a Hermitian spectrum of m+1 bins back to l times
// the signal, returned packed and conjugated: element t holds
// x[2t] - i·x[2t+1]. The result lives in the FFT's work buffers, valid
// until its next call.
func (f *Real) InversePacked(spec []complex128) []complex128 {
	m := f.m
	spec = spec[:m+1]
	a := f.a[:m]
	// The inverse is conj(FFT(conj Z)); conj Z is formed here and the
	// final conj is left to the caller (the odd samples are -imag).
	x0, xm := real(spec[0]), real(spec[m])
	a[0] = complex(x0+xm, -(x0 - xm))
	w := f.w[:m/2+1]
	for k := 1; k <= m/2; k++ {
		xk, xc := spec[k], spec[m-k]
		// Fe = X[k] + conj X[m-k], Fo = (X[k] - conj X[m-k])·conj(W^k).
		fer, fei := real(xk)+real(xc), imag(xk)-imag(xc)
		dr, di := real(xk)-real(xc), imag(xk)+imag(xc)
		wr, wi := real(w[k]), -imag(w[k])
		for_, foi := dr*wr-di*wi, dr*wi+di*wr
		// Z[k] = Fe + i·Fo; Z[m-k] = conj Fe + i·conj Fo.
		a[k] = complex(fer-foi, -(fei + for_))
		a[m-k] = complex(fer+foi, -(for_ - fei))
	}
	return f.transform(a)
}

func radix2(x, y []complex128, n, ln int, tw []complex128) {
	h := n / 2
	mp := h / ln
	for k := 0; k < mp; k++ {
		x0 := x[ln*k : ln*k+ln]
		x1 := x[ln*k+h : ln*k+h+ln]
		o := y[2*ln*k : 2*ln*k+2*ln]
		y0, y1 := o[:ln], o[ln:]
		t := tw[:ln]
		for s := range x0 {
			a0, a1 := x0[s], x1[s]*t[s]
			y0[s] = a0 + a1
			y1[s] = a0 - a1
		}
	}
}

func radix4(x, y []complex128, n, ln int, tw []complex128) {
	q := n / 4
	mp := q / ln
	if ln == 1 {
		for k := 0; k < mp; k++ {
			a0, a1, a2, a3 := x[k], x[k+q], x[k+2*q], x[k+3*q]
			o := y[4*k : 4*k+4]
			b0, b1 := a0+a2, a0-a2
			b2, b3 := a1+a3, a1-a3
			b3 = complex(imag(b3), -real(b3)) // -i·b3
			o[0], o[1], o[2], o[3] = b0+b2, b1+b3, b0-b2, b1-b3
		}
		return
	}
	for k := 0; k < mp; k++ {
		i := ln * k
		x0 := x[i : i+ln]
		x1 := x[i+q : i+q+ln]
		x2 := x[i+2*q : i+2*q+ln]
		x3 := x[i+3*q : i+3*q+ln]
		o := y[4*i : 4*i+4*ln]
		y0, y1, y2, y3 := o[:ln], o[ln:2*ln], o[2*ln:3*ln], o[3*ln:4*ln]
		t := tw[:3*ln]
		for s := range x0 {
			a0 := x0[s]
			a1 := x1[s] * t[3*s]
			a2 := x2[s] * t[3*s+1]
			a3 := x3[s] * t[3*s+2]
			b0, b1 := a0+a2, a0-a2
			b2, b3 := a1+a3, a1-a3
			b3 = complex(imag(b3), -real(b3))
			y0[s], y1[s], y2[s], y3[s] = b0+b2, b1+b3, b0-b2, b1-b3
		}
	}
}

const (
	c51 = 0.30901699437494745    // cos(2π/5)
	c52 = -0.8090169943749475    // cos(4π/5)
	s51 = 0.9510565162951535     // sin(2π/5)
	s52 = 0.5877852522924731     // sin(4π/5)
	s3  = 0.86602540378443864676 // sin(2π/3)
)

// radix5 is a radix-5 pass; its butterfly takes t1 = a1+a4, t2 = a2+a3,
// t3 = a1-a4, t4 = a2-a3 and gives y0 = a0+t1+t2,
// y1, y4 = a0 + c1·t1 + c2·t2 ∓ i·(s1·t3 + s2·t4),
// y2, y3 = a0 + c2·t1 + c1·t2 ∓ i·(s2·t3 - s1·t4),
// written out on real and imaginary parts (the compiler does not inline
// it as a function).
func radix5(x, y []complex128, n, ln int, tw []complex128) {
	f := n / 5
	mp := f / ln
	if ln == 1 {
		x0, x1, x2, x3, x4 := x[:f], x[f:2*f], x[2*f:3*f], x[3*f:4*f], x[4*f:5*f]
		for k := range x0 {
			o := y[5*k : 5*k+5]
			a0, a1, a2, a3, a4 := x0[k], x1[k], x2[k], x3[k], x4[k]
			t1r, t1i := real(a1)+real(a4), imag(a1)+imag(a4)
			t2r, t2i := real(a2)+real(a3), imag(a2)+imag(a3)
			t3r, t3i := real(a1)-real(a4), imag(a1)-imag(a4)
			t4r, t4i := real(a2)-real(a3), imag(a2)-imag(a3)
			b1r, b1i := real(a0)+c51*t1r+c52*t2r, imag(a0)+c51*t1i+c52*t2i
			b2r, b2i := real(a0)+c52*t1r+c51*t2r, imag(a0)+c52*t1i+c51*t2i
			d1r, d1i := s51*t3i+s52*t4i, -(s51*t3r + s52*t4r)
			d2r, d2i := s52*t3i-s51*t4i, -(s52*t3r - s51*t4r)
			o[0] = complex(real(a0)+t1r+t2r, imag(a0)+t1i+t2i)
			o[1], o[4] = complex(b1r+d1r, b1i+d1i), complex(b1r-d1r, b1i-d1i)
			o[2], o[3] = complex(b2r+d2r, b2i+d2i), complex(b2r-d2r, b2i-d2i)
		}
		return
	}
	for k := 0; k < mp; k++ {
		i := ln * k
		x0 := x[i : i+ln]
		x1 := x[i+f : i+f+ln]
		x2 := x[i+2*f : i+2*f+ln]
		x3 := x[i+3*f : i+3*f+ln]
		x4 := x[i+4*f : i+4*f+ln]
		o := y[5*i : 5*i+5*ln]
		y0, y1, y2, y3, y4 := o[:ln], o[ln:2*ln], o[2*ln:3*ln], o[3*ln:4*ln], o[4*ln:5*ln]
		t := tw[:4*ln]
		for s := range x0 {
			a0, a1, a2, a3, a4 := x0[s], x1[s]*t[4*s], x2[s]*t[4*s+1], x3[s]*t[4*s+2], x4[s]*t[4*s+3]
			t1r, t1i := real(a1)+real(a4), imag(a1)+imag(a4)
			t2r, t2i := real(a2)+real(a3), imag(a2)+imag(a3)
			t3r, t3i := real(a1)-real(a4), imag(a1)-imag(a4)
			t4r, t4i := real(a2)-real(a3), imag(a2)-imag(a3)
			b1r, b1i := real(a0)+c51*t1r+c52*t2r, imag(a0)+c51*t1i+c52*t2i
			b2r, b2i := real(a0)+c52*t1r+c51*t2r, imag(a0)+c52*t1i+c51*t2i
			d1r, d1i := s51*t3i+s52*t4i, -(s51*t3r + s52*t4r)
			d2r, d2i := s52*t3i-s51*t4i, -(s52*t3r - s51*t4r)
			y0[s] = complex(real(a0)+t1r+t2r, imag(a0)+t1i+t2i)
			y1[s], y4[s] = complex(b1r+d1r, b1i+d1i), complex(b1r-d1r, b1i-d1i)
			y2[s], y3[s] = complex(b2r+d2r, b2i+d2i), complex(b2r-d2r, b2i-d2i)
		}
	}
}

func radix3(x, y []complex128, n, ln int, tw []complex128) {
	f := n / 3
	mp := f / ln
	for k := 0; k < mp; k++ {
		i := ln * k
		x0 := x[i : i+ln]
		x1 := x[i+f : i+f+ln]
		x2 := x[i+2*f : i+2*f+ln]
		o := y[3*i : 3*i+3*ln]
		y0, y1, y2 := o[:ln], o[ln:2*ln], o[2*ln:3*ln]
		t := tw[:2*ln]
		for s := range x0 {
			a0, a1, a2 := x0[s], x1[s], x2[s]
			if ln > 1 {
				a1 *= t[2*s]
				a2 *= t[2*s+1]
			}
			t1 := a1 + a2
			b := a0 - complex(0.5*real(t1), 0.5*imag(t1))
			d := complex(s3*(imag(a1)-imag(a2)), -s3*(real(a1)-real(a2))) // -i·s3·(a1-a2)
			y0[s] = a0 + t1
			y1[s], y2[s] = b+d, b-d
		}
	}
}
