package aec

import (
	"math"

	"github.com/voxgraph/voxgraph/dsp/fft"
)

// Residual echo suppression: the linear filter's output still holds the
// echo it could not model (misadjustment, reverberation past the tail,
// loudspeaker non-linearity), and all of it before the filter converges or
// after the echo path changes. The suppressor estimates that residual per
// bin as the larger of two: the leak (the part of the echo estimate's
// power still found in the error, see Canceller) times the power of the
// echo the filter removed; and an echo power model (the far end's power at
// the echo's delay, smeared for reverberation, times a per-bin echo path
// gain fitted by least squares) times the share of the echo the linear
// filter lets through. It applies a Wiener gain from a decision-directed
// a priori signal-to-residual ratio, floored. The bins it attenuates lose
// the near-end noise too; comfort noise with the near end's noise spectrum
// (minimum tracking) fills them back so the background does not pump.
//
// Analysis and synthesis use a square-root Hann window over two blocks
// with a hop of one, which reconstructs exactly with unit gains and
// delays the output by one block.
const (
	ddAlpha        = 0.6   // weight of the previous frame in the a priori ratio
	echoOver       = 20    // overestimation of the residual echo
	dtOver         = 1     // … in double talk, so the near end is kept
	dtHang         = 20    // blocks double talk is assumed to last after it was detected
	dtMaxConverged = 0.1   // double talk is only believed while the filter has converged: leak or residual share under this
	echoDecay      = 0.5   // per block: the residual estimate falls no faster, for the reverberation tail
	noiseRise      = 1.005 // per block: how fast the noise floor may rise (about 2 dB/s)
	noiseSmooth    = 0.7   // smoothing of the power the floor tracks
	reverbDecay    = 0.5   // per block, of the far-end power that models the echo's reverberation
	gainRate       = 0.05  // of the echo path power gain's least squares
)

type suppressor struct {
	n, l   int
	fft    *fft.Real
	win    []float64 // sqrt Hann, 2n
	dPrev  []float64
	ePrev  []float64
	dSpec  []complex128
	xs     []float64        // reverberant far-end power at the echo's delay
	xu     []float64        // … the most over every delay, while the echo path is uncertain
	gain   []float64        // echo path power gain per bin: mic power ≈ gain·xs
	sdx    []float64        // running mean of mic power × xs
	sxx    []float64        // running mean of xs²
	phasor [1024]complex128 // unit phasors at random phases, for comfort noise
	buf    []float64
	s, y   []complex128
	echo   []float64 // residual echo power estimate per bin
	smooth []float64 // smoothed error power
	noise  []float64 // near-end noise floor
	prevS  []float64 // |G·S|² of the last block, for the decision-directed ratio
	ola    []float64 // the second half of the last synthesis
	floor  float64   // gain floor (amplitude)
	cng    bool
	dtHold int  // blocks of double talk hangover left
	xuOn   bool // xu holds the last block's
	rng    uint64
}

func newSuppressor(n int, tr *fft.Real, floorDB float64, cng bool) *suppressor {
	l, nb := 2*n, n+1
	s := &suppressor{
		n: n, l: l, fft: tr,
		win: make([]float64, l), dPrev: make([]float64, n), dSpec: make([]complex128, nb),
		xs: make([]float64, nb), xu: make([]float64, nb), gain: make([]float64, nb), sdx: make([]float64, nb), sxx: make([]float64, nb),
		ePrev: make([]float64, n),
		buf:   make([]float64, l), s: make([]complex128, nb), y: make([]complex128, nb),
		echo: make([]float64, nb), smooth: make([]float64, nb), noise: make([]float64, nb),
		prevS: make([]float64, nb), ola: make([]float64, n),
		floor: math.Pow(10, -floorDB/20), cng: cng,
	}
	for i := range s.win {
		s.win[i] = math.Sqrt(0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(l)))
	}
	for i := range s.phasor {
		ph := 2 * math.Pi * float64(i) / float64(len(s.phasor))
		s.phasor[i] = complex(math.Cos(ph), math.Sin(ph))
	}
	s.reset()
	return s
}

func (s *suppressor) reset() {
	clear(s.dPrev)
	s.dtHold = 0
	clear(s.xs)
	clear(s.xu)
	clear(s.sdx)
	clear(s.sxx)
	for k := range s.gain {
		s.gain[k] = 1 // until measured: the echo as loud as the far end
	}
	clear(s.ePrev)
	clear(s.echo)
	clear(s.smooth)
	clear(s.noise)
	clear(s.prevS)
	clear(s.ola)
	s.rng = 0x9e3779b97f4a7c15
}

// random returns 64 pseudo-random bits (xorshift64*).
func (s *suppressor) random() uint64 {
	s.rng ^= s.rng >> 12
	s.rng ^= s.rng << 25
	s.rng ^= s.rng >> 27
	return s.rng * 0x2545f4914f6cdd1d
}

// process suppresses the residual echo in e, given the microphone block
// d (d - e is the echo the filter removed), the far end's spectrum x at the echo's delay,
// the leak and rho (the residual's share of the echo the linear filter
// leaves, from its measured ERLE), and writes the block before e (one
// block of latency) to out, and reports whether it confirmed double
// talk. learn says whether the block may train the
// echo path's power gain (far end active, no double talk).
func (s *suppressor) process(d, e []float64, x []complex128, xmax []float64, leak, rho float64, dt, learn bool, out []float64) (doubleTalk, uncertain bool) {
	n := s.n
	win := s.win[:s.l]
	buf := s.buf[:s.l]
	for i := range n {
		buf[i] = win[i] * s.dPrev[i]
		buf[n+i] = win[n+i] * d[i]
	}
	s.fft.Coefficients(s.dSpec, buf)
	for i := range n {
		buf[i] = win[i] * s.ePrev[i]
		buf[n+i] = win[n+i] * e[i]
	}
	s.fft.Coefficients(s.s, buf)
	copy(s.dPrev, d)
	copy(s.ePrev, e)
	// The echo the filter removed, d - e: by linearity its spectrum
	// without another FFT.
	for k, v := range s.s {
		s.y[k] = s.dSpec[k] - v
	}

	nb := len(s.s)
	xs, gain, dspec := s.xs[:nb], s.gain[:nb], s.dSpec[:nb]
	x = x[:nb]
	// Reverberant far-end power at the echo's delay, and the echo path's
	// power gain from it to the microphone (least squares over time).
	xScale := float64(s.l) * float64(s.l) / 2 // x is scaled by 1/2N and not windowed
	var pd, pe float64
	for k := range nb {
		xp := (real(x[k])*real(x[k]) + imag(x[k])*imag(x[k])) * xScale
		xs[k] = reverbDecay*xs[k] + xp
		pd += real(dspec[k])*real(dspec[k]) + imag(dspec[k])*imag(dspec[k])
		pe += gain[k] * xs[k]
	}
	// Double talk is kept from the suppressor's overestimation when the
	// microphone is also well above the echo the power model predicts
	// (an echo path change raises the canceller's error, not that).
	if xmax != nil {
		// The canceller finds its echo estimate does not fit the
		// microphone, or has none while the far end talks. If the
		// microphone is above its noise and the echo model over every
		// delay (the far end's most power over the delays) explains it,
		// the echo path has changed: the model spans every delay, the
		// linear filter is taken to cancel nothing, and neither double
		// talk nor the gain's training is believed. Otherwise the
		// microphone holds more than echo: double talk, or nothing.
		xu := s.xu[:nb]
		var pu float64
		for k := range nb {
			u := xmax[k] * xScale
			if s.xuOn {
				u += reverbDecay * xu[k]
			}
			xu[k] = max(u, xs[k])
			pu += gain[k] * xu[k]
		}
		s.xuOn = true
		var pn float64
		for _, v := range s.noise[:nb] {
			pn += v
		}
		if pd <= pu && pd > 4*pn {
			uncertain = true
			rho, dt, learn = 1, false, false
			s.dtHold = 0
		}
	} else {
		s.xuOn = false
	}
	over := float64(echoOver)
	if dt && pd > 2*pe && (leak < dtMaxConverged || rho < dtMaxConverged) {
		s.dtHold = dtHang
		doubleTalk = true
		learn = false
	}
	if s.dtHold > 0 {
		s.dtHold--
		over = dtOver
	}
	if learn {
		sdx, sxx := s.sdx[:nb], s.sxx[:nb]
		for k := range nb {
			dp := real(dspec[k])*real(dspec[k]) + imag(dspec[k])*imag(dspec[k])
			sdx[k] += gainRate * (dp*xs[k] - sdx[k])
			sxx[k] += gainRate * (xs[k]*xs[k] - sxx[k])
			if sxx[k] > 0 {
				gain[k] = sdx[k] / sxx[k]
			}
		}
	}

	leak2 := min(1, 2*leak)
	floor := s.floor
	echo, smooth, noise, prevS := s.echo[:nb], s.smooth[:nb], s.noise[:nb], s.prevS[:nb]
	spec := s.y[:nb]
	var rnd uint64 // random bits for the comfort noise's phases, 10 a bin
	bits := 0
	for k, c := range s.s {
		p := real(c)*real(c) + imag(c)*imag(c)
		yc := spec[k]
		xe := xs[k]
		if uncertain {
			xe = s.xu[k]
		}
		r := max(leak2*(real(yc)*real(yc)+imag(yc)*imag(yc)), rho*gain[k]*xe) * over
		r = max(r, echoDecay*echo[k])
		echo[k] = r

		smooth[k] = noiseSmooth*smooth[k] + (1-noiseSmooth)*p
		switch {
		case noise[k] == 0:
			noise[k] = smooth[k]
		case smooth[k] < noise[k]:
			noise[k] = smooth[k]
		case r < 0.25*smooth[k]: // rise only where the echo does not dominate
			noise[k] *= noiseRise
		}

		g := 1.0
		if r > 1e-3 {
			post := p / r
			xi := ddAlpha*prevS[k]/r + (1-ddAlpha)*max(post-1, 0)
			g = xi / (1 + xi)
		}
		g = max(g, floor)
		prevS[k] = g * g * p
		v := complex(g*real(c), g*imag(c))
		if s.cng && g < 1 {
			// Noise with the floor's power where the gain removed it.
			a := math.Sqrt(noise[k] * (1 - g*g))
			if bits < 10 {
				rnd, bits = s.random(), 64
			}
			ph := s.phasor[rnd>>54] // the top bits are xorshift*'s best
			rnd <<= 10
			bits -= 10
			v += complex(a*real(ph), a*imag(ph))
		}
		s.s[k] = v
	}
	s.s[0] = complex(real(s.s[0]), 0)
	s.s[n] = complex(real(s.s[n]), 0)
	s.fft.Sequence(buf, s.s)
	scale := 1 / float64(s.l)
	for i := range n {
		out[i] = s.ola[i] + buf[i]*win[i]*scale
		s.ola[i] = buf[n+i] * win[n+i] * scale
	}
	return doubleTalk, uncertain
}
