// Package metrics scores the outputs of the DSP benchmark: echo return loss
// enhancement, segmental SNR, voice-activity precision/recall/F1, DTMF
// detection matching and reverberation time by Schroeder backward
// integration. Signals are float64 slices in 16-bit units; blocks are 10 ms.
//
// Each function is checked in metrics_test.go on synthetic signals whose
// answer is known exactly (a 20 dB attenuation has ERLE 20 dB, a signal
// plus noise at 10 dB has segmental SNR 10 dB, and so on).
package metrics

import (
	"errors"
	"math"
	"sort"
)

// ErrNoBlocks is returned when a measurement has no block to average over
// (for example no far-end activity inside the requested window).
var ErrNoBlocks = errors.New("no block to measure")

func db(p float64) float64 { return 10 * math.Log10(math.Max(p, 1e-20)) }

// ERLE returns the echo return loss enhancement in dB,
// 10·log10(Σ mic² / Σ out²), summed over the blocks of n samples from block
// from (inclusive) to block to (exclusive) whose active flag is set (the
// far end talks and the near end does not). Summing power before taking the
// ratio keeps a few near-silent output blocks from dominating.
func ERLE(mic, out []float64, n int, active []bool, from, to int) (float64, error) {
	var pm, po float64
	count := 0
	for b := max(from, 0); b < to && b < len(active); b++ {
		if !active[b] || (b+1)*n > len(mic) || (b+1)*n > len(out) {
			continue
		}
		for _, v := range mic[b*n : (b+1)*n] {
			pm += v * v
		}
		for _, v := range out[b*n : (b+1)*n] {
			po += v * v
		}
		count++
	}
	if count == 0 {
		return 0, ErrNoBlocks
	}
	if po == 0 {
		// Silence out of an active echo: cap at the 16-bit quantisation floor.
		po = float64(count*n) / 12
	}
	return db(pm / po), nil
}

// SegSNR clamps per segment.
const (
	SegSNRMin = -10.0
	SegSNRMax = 35.0
)

// SegSNR returns the segmental SNR in dB of out against the clean reference
// ref: the mean over the blocks of n samples whose active flag is set of
// 10·log10(Σ ref² / Σ (out−ref)²), each block clamped to [SegSNRMin,
// SegSNRMax] so that silent or perfect blocks do not dominate the mean.
func SegSNR(ref, out []float64, n int, active []bool) (float64, error) {
	var sum float64
	count := 0
	for b, a := range active {
		if !a || (b+1)*n > len(ref) || (b+1)*n > len(out) {
			continue
		}
		var ps, pe float64
		for i := b * n; i < (b+1)*n; i++ {
			ps += ref[i] * ref[i]
			d := out[i] - ref[i]
			pe += d * d
		}
		s := SegSNRMax
		if pe > 0 {
			s = math.Min(SegSNRMax, math.Max(SegSNRMin, db(ps/pe)))
		}
		sum += s
		count++
	}
	if count == 0 {
		return 0, ErrNoBlocks
	}
	return sum / float64(count), nil
}

// BestLag returns the delay d in [0, maxLag] samples that maximises the
// normalised correlation of out[i+d] with ref[i], so that a processor with
// algorithmic latency is scored against the reference it actually delayed.
func BestLag(ref, out []float64, maxLag int) int {
	best, bestC := 0, math.Inf(-1)
	for d := 0; d <= maxLag; d++ {
		var c, e float64
		for i := 0; i+d < len(out) && i < len(ref); i++ {
			c += ref[i] * out[i+d]
			e += out[i+d] * out[i+d]
		}
		if e == 0 {
			continue
		}
		if v := c / math.Sqrt(e); v > bestC {
			best, bestC = d, v
		}
	}
	return best
}

// Shift returns out advanced by d samples (out[d:], zero-padded to the same
// length).
func Shift(out []float64, d int) []float64 {
	s := make([]float64, len(out))
	if d < len(out) {
		copy(s, out[d:])
	}
	return s
}

// Confusion counts block decisions against ground truth.
type Confusion struct {
	TP, FP, FN, TN int
}

// Add counts labels (decisions) against truth over truth's length; a
// missing decision counts as 0.
func (c *Confusion) Add(truth, labels []byte) {
	for i, t := range truth {
		var l byte
		if i < len(labels) {
			l = labels[i]
		}
		switch {
		case t == 1 && l == 1:
			c.TP++
		case t == 0 && l == 1:
			c.FP++
		case t == 1:
			c.FN++
		default:
			c.TN++
		}
	}
}

// Precision is TP/(TP+FP), 0 when nothing was detected.
func (c Confusion) Precision() float64 { return ratio(c.TP, c.TP+c.FP) }

// Recall is TP/(TP+FN), 0 when there is nothing to detect.
func (c Confusion) Recall() float64 { return ratio(c.TP, c.TP+c.FN) }

// F1 is the harmonic mean of precision and recall, 0 if both are 0.
func (c Confusion) F1() float64 { return ratio(2*c.TP, 2*c.TP+c.FP+c.FN) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Tone is one DTMF digit, sent or detected.
type Tone struct {
	Start    float64 `json:"start"`
	Digit    string  `json:"digit"`
	Duration float64 `json:"duration"`
}

// DTMFTolerance is how far (seconds) a detection's start may be from the
// sent digit's start.
const DTMFTolerance = 0.020

// MatchDTMF pairs detections with sent tones: a sent tone is detected when a
// not-yet-used detection has the same digit and starts within DTMFTolerance.
// It returns the number of sent tones detected and of detections left over
// (false or duplicate detections).
func MatchDTMF(sent, detected []Tone) (hits, extra int) {
	used := make([]bool, len(detected))
	for _, s := range sent {
		best := -1
		for j, d := range detected {
			if used[j] || d.Digit != s.Digit || math.Abs(d.Start-s.Start) > DTMFTolerance+1e-9 {
				continue
			}
			if best < 0 || math.Abs(d.Start-s.Start) < math.Abs(detected[best].Start-s.Start) {
				best = j
			}
		}
		if best >= 0 {
			used[best] = true
			hits++
		}
	}
	for _, u := range used {
		if !u {
			extra++
		}
	}
	return hits, extra
}

// SchroederRT60 measures the reverberation time of impulse response h at
// rate Hz: the Schroeder backward-integrated energy decay curve in dB is
// fitted by least squares between −5 and −25 dB (T20) and extrapolated to a
// 60-dB decay, as in ISO 3382.
func SchroederRT60(h []float64, rate int) (float64, error) {
	edc := make([]float64, len(h))
	var s float64
	for i := len(h) - 1; i >= 0; i-- {
		s += h[i] * h[i]
		edc[i] = s
	}
	if s == 0 {
		return 0, ErrNoBlocks
	}
	var n, sx, sy, sxx, sxy float64
	for i, e := range edc {
		d := db(e / s)
		if d > -5 || d < -25 {
			continue
		}
		t := float64(i) / float64(rate)
		n++
		sx += t
		sy += d
		sxx += t * t
		sxy += t * d
	}
	if n < 2 {
		return 0, ErrNoBlocks
	}
	slope := (n*sxy - sx*sy) / (n*sxx - sx*sx) // dB per second, negative
	if slope >= 0 {
		return 0, ErrNoBlocks
	}
	return -60 / slope, nil
}

// Mean returns the mean of xs (NaN for none).
func Mean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// Median returns the median of xs (NaN for none) without reordering xs.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
