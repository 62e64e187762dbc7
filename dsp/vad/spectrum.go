package vad

import (
	"math"

	"github.com/voxgraph/voxgraph/dsp/fft"
)

// Spectral analysis and the likelihood-ratio test (see the package
// documentation for the method).
const (
	bandLow  = 100.0  // Hz, lowest frequency analysed
	bandHigh = 3000.0 // Hz, highest: most of voiced speech's energy, little of hiss

	smoothTime = 0.7 // one-pole smoothing of each bin's power for the noise tracker

	quantile   = 0.2   // the noise level is this quantile of each bin's smoothed level
	trackStep  = 0.1   // dB per block of the quantile tracker (scaled by quantile / 1-quantile)
	startBlock = 50    // blocks of start-up tracking
	xiMin      = 0.003 // a priori SNR floor (-25 dB)
	minOffset  = 3.0   // dB the quantile is at least over the window's minimum (3.4 dB in steady noise)
	warmBlocks = 20    // blocks at the start with no decision: the tracker has too little to go on

	// Transition probabilities of the two-state speech model that smooths
	// the decisions (Sohn, Kim and Sung 1999).
	p01, p10 = 0.2, 0.1 // noise→speech, speech→noise
)

// ddWeight is the decision-directed a priori SNR weight: lower than the
// 0.98 of noise suppressors, so the ratio rises within a few blocks of an
// onset.
const ddWeight = 0.9

// The quantile tracker's steps and the minimum's offset as power factors.
var (
	upFactor   = math.Pow(10, trackStep*quantile/10)
	downFactor = math.Pow(10, -trackStep*(1-quantile)/10)
	minFactor  = math.Pow(10, minOffset/10)
)

// fixedPoint is where the two-state smoothing settles when every block is
// as likely noise as speech: 10·log10 of the root of p10·Λ² + (1-p01-(1-p10))·Λ - p01 = 0.
var fixedPoint = func() float64 {
	a, b, c := p10, (1-p01)-(1-p10), -p01
	return 10 * math.Log10((-b+math.Sqrt(b*b-4*a*c))/(2*a))
}()

// analyzer holds the spectral state of one stream.
type analyzer struct {
	fft    *fft.Real
	win    []float64 // Hann window over two blocks
	hist   []float64 // the last two blocks' samples
	frame  []float64 // windowed copy of hist
	coef   []complex128
	lo, hi int // analysed bins, inclusive

	smooth []float64 // per bin, time-smoothed power
	level  []float64 // per bin, tracked noise quantile (power)
	mean   []float64 // per bin, mean log level during start-up, dB
	// Per bin minimum of the smoothed level over the last subWindows
	// sub-windows of subLen blocks and the current one (2 to 2.25 s): the
	// quantile never stays under it, so noise that gets louder is
	// followed within the window.
	subMin [subWindows][]float64
	curMin []float64
	winMin []float64 // per bin, minimum over subMin
	sub    int       // next slot of subMin
	inSub  int       // blocks in the current sub-window
	prev   []float64 // per bin, last block's speech power estimate over the noise (for ξ)
	bias   float64   // mean noise power over its tracked quantile
	offset float64   // dB from the mean log level of noise down to its quantile
	blocks int
	llr    float64 // smoothed log-likelihood ratio (natural log)
}

func newAnalyzer(n, rate int) (*analyzer, error) {
	m := 2 * n
	tr, err := fft.NewReal(m)
	if err != nil {
		return nil, err
	}
	a := &analyzer{
		fft:   tr,
		win:   make([]float64, m),
		hist:  make([]float64, m),
		frame: make([]float64, m),
		coef:  make([]complex128, m/2+1),
	}
	for i := range a.win {
		a.win[i] = 0.5 - 0.5*math.Cos(2*math.Pi*(float64(i)+0.5)/float64(m))
	}
	df := float64(rate) / float64(m)
	a.lo = max(1, int(math.Ceil(bandLow/df)))
	a.hi = min(m/2-1, int(math.Floor(bandHigh/df)))
	k := a.hi - a.lo + 1
	a.smooth = make([]float64, k)
	a.level = make([]float64, k)
	a.mean = make([]float64, k)
	a.curMin = make([]float64, k)
	a.winMin = make([]float64, k)
	for j := range a.subMin {
		a.subMin[j] = make([]float64, k)
	}
	a.prev = make([]float64, k)
	a.bias, a.offset = noiseBias()
	a.reset()
	return a, nil
}

func (a *analyzer) reset() {
	clear(a.hist)
	clear(a.smooth)
	clear(a.prev)
	clear(a.mean)
	for i := range a.curMin {
		a.curMin[i] = math.Inf(1)
		a.winMin[i] = math.Inf(1)
		for j := range a.subMin {
			a.subMin[j][i] = math.Inf(1)
		}
	}
	a.sub, a.inSub = 0, 0
	clear(a.level)
	a.blocks, a.llr = 0, 0
}

// noiseBias returns the ratio of the mean power of Gaussian noise in a bin
// to the quantile the tracker settles on, and the distance in dB from the
// mean of its log level down to that quantile (how start-up, which
// averages log levels, finds the quantile), from the smoothed periodogram's
// distribution.
func noiseBias() (bias, offset float64) {
	// The smoothed power of Gaussian noise is close to a gamma variable
	// with 2(1+a)/(1-a) degrees of freedom (a = smoothTime); its quantile
	// is found by bisection on the regularized incomplete gamma function.
	k := (1 + smoothTime) / (1 - smoothTime) // shape
	lo, hi := 0.0, 1.0
	for range 60 {
		mid := (lo + hi) / 2
		if gammaP(k, mid*k) < quantile {
			lo = mid
		} else {
			hi = mid
		}
	}
	q := (lo + hi) / 2
	// The mean of ln X for X ~ Gamma(k, 1/k) is ψ(k) - ln k.
	meanLog := (digamma(k) - math.Log(k)) * 10 / math.Ln10
	return 1 / q, meanLog - 10*math.Log10(q)
}

// digamma is ψ(x) for x > 0: recurrence up to 6, then the asymptotic series.
func digamma(x float64) float64 {
	var r float64
	for x < 6 {
		r -= 1 / x
		x++
	}
	f := 1 / (x * x)
	return r + math.Log(x) - 0.5/x - f*(1.0/12-f*(1.0/120-f*(1.0/252-f*(1.0/240-f/132))))
}

// gammaP is the regularized lower incomplete gamma function P(s, x), by its
// series (x is small here: below s+1).
func gammaP(s, x float64) float64 {
	if x <= 0 {
		return 0
	}
	sum, term := 1/s, 1/s
	for n := 1; n < 500; n++ {
		term *= x / (s + float64(n))
		sum += term
		if term < sum*1e-15 {
			break
		}
	}
	lg, _ := math.Lgamma(s)
	return sum * math.Exp(-x+s*math.Log(x)-lg)
}

// add analyses one block and returns the smoothed log-likelihood ratio of
// speech over noise, in dB.
func (a *analyzer) add(block []int16) float64 {
	n := len(block)
	copy(a.hist, a.hist[n:])
	for i, s := range block {
		a.hist[n+i] = float64(s)
	}
	for i, s := range a.hist {
		a.frame[i] = s * a.win[i]
	}
	a.fft.Coefficients(a.coef, a.frame)
	a.blocks++
	start := a.blocks <= startBlock
	var sum float64
	for i := range a.smooth {
		c := a.coef[a.lo+i]
		p := real(c)*real(c) + imag(c)*imag(c)
		if a.blocks == 1 {
			a.smooth[i] = p
		} else {
			a.smooth[i] = smoothTime*a.smooth[i] + (1-smoothTime)*p
		}
		// The tracker works on power (no logarithm per bin): its dB steps
		// are factors.
		v := a.smooth[i] + 1e-3
		switch {
		case start:
			// Start-up: the running mean of the log level, moved down to
			// the quantile; level holds the mean until then.
			a.mean[i] += (10*math.Log10(v) - a.mean[i]) / float64(a.blocks)
			a.level[i] = math.Pow(10, (a.mean[i]-a.offset)/10)
		case v > a.level[i]:
			a.level[i] *= upFactor
		default:
			a.level[i] = max(a.level[i]*downFactor, v)
		}
		a.curMin[i] = min(a.curMin[i], v)
		floor := min(a.curMin[i], a.winMin[i])
		if !start && floor*minFactor > a.level[i] && !math.IsInf(floor, 1) {
			a.level[i] = floor * minFactor
		}
		noise := a.bias * a.level[i]
		gamma := p / noise
		xi := ddWeight*a.prev[i] + (1-ddWeight)*max(gamma-1, 0)
		xi = max(xi, xiMin)
		sum += gamma*xi/(1+xi) - math.Log(1+xi) // xi ≥ xiMin: no need for Log1p's precision
		g := xi / (1 + xi)
		a.prev[i] = g * g * gamma
	}
	if a.inSub++; a.inSub == subLen {
		a.subMin[a.sub], a.curMin = a.curMin, a.subMin[a.sub]
		for i := range a.curMin {
			a.curMin[i] = math.Inf(1)
		}
		a.sub = (a.sub + 1) % subWindows
		a.inSub = 0
		for i := range a.winMin {
			m := a.subMin[0][i]
			for j := 1; j < subWindows; j++ {
				m = min(m, a.subMin[j][i])
			}
			a.winMin[i] = m
		}
	}
	if a.blocks <= warmBlocks {
		return 0
	}
	l := sum / float64(len(a.smooth))
	// Two-state smoothing: Λ = LR·(p01 + (1-p10)Λ') / ((1-p01) + p10Λ').
	prev := math.Exp(max(min(a.llr, 50), -50))
	a.llr = l + math.Log((p01+(1-p10)*prev)/((1-p01)+p10*prev))
	return a.llr*(10/math.Ln10) - fixedPoint
}
