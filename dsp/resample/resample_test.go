package resample

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// pair is one conversion.
type pair struct{ in, out int }

// pairs are every conversion between two different supported rates.
func pairs() []pair {
	var ps []pair
	for _, in := range rates {
		for _, out := range rates {
			if in != out {
				ps = append(ps, pair{in, out})
			}
		}
	}
	return ps
}

var qualities = []Quality{Low, Medium, High}

func mustNew(t testing.TB, in, out, ch int, q Quality) *Resampler {
	t.Helper()
	r, err := New(in, out, ch, q)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// run feeds src to r in chunks of frame frames and returns all output.
func run(t testing.TB, r *Resampler, src []int16, frame int) []int16 {
	t.Helper()
	var out []int16
	dst := make([]int16, r.MaxOutput(frame*r.ch))
	for len(src) > 0 {
		n := min(len(src), frame*r.ch)
		k, err := r.Process(dst, src[:n])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, dst[:k]...)
		src = src[n:]
	}
	return out
}

// sine returns n samples of amp·sin(2π·f·i/rate + ph), rounded.
func sine(rate int, f, amp, ph float64, n int) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(math.Round(amp * math.Sin(2*math.Pi*f*float64(i)/float64(rate)+ph)))
	}
	return s
}

// fit is the least-squares fit of a·cos(ωi) + b·sin(ωi) + dc to x[i] for
// i in [from, len(x)), ω = 2πf/rate. It returns amplitude and phase of the
// sine (x ≈ amp·sin(ωi + ph)) and the residual's RMS.
func fit(x []int16, rate int, f float64, from int) (amp, ph, resid float64) {
	w := 2 * math.Pi * f / float64(rate)
	var m [3][4]float64 // normal equations, augmented
	for i := from; i < len(x); i++ {
		s, c := math.Sincos(w * float64(i))
		v := [3]float64{c, s, 1}
		for r := 0; r < 3; r++ {
			for k := 0; k < 3; k++ {
				m[r][k] += v[r] * v[k]
			}
			m[r][3] += v[r] * float64(x[i])
		}
	}
	for p := 0; p < 3; p++ { // Gauss-Jordan with partial pivoting
		best := p
		for r := p + 1; r < 3; r++ {
			if math.Abs(m[r][p]) > math.Abs(m[best][p]) {
				best = r
			}
		}
		m[p], m[best] = m[best], m[p]
		if m[p][p] == 0 {
			continue // degenerate basis (f = 0 or Nyquist): leave that term 0
		}
		for r := 0; r < 3; r++ {
			if r != p {
				g := m[r][p] / m[p][p]
				for k := p; k < 4; k++ {
					m[r][k] -= g * m[p][k]
				}
			}
		}
	}
	var coef [3]float64
	for p := 0; p < 3; p++ {
		if m[p][p] != 0 {
			coef[p] = m[p][3] / m[p][p]
		}
	}
	a, b, dc := coef[0], coef[1], coef[2]
	var ss float64
	for i := from; i < len(x); i++ {
		s, c := math.Sincos(w * float64(i))
		e := float64(x[i]) - (a*c + b*s + dc)
		ss += e * e
	}
	return math.Hypot(a, b), math.Atan2(a, b), math.Sqrt(ss / float64(len(x)-from))
}

func db(x float64) float64 { return 20 * math.Log10(x) }

// response is |H(f)| of r's float32 filter, normalised to 1 at DC.
func response(r *Resampler, f float64) float64 {
	fu := float64(r.in * r.l)
	var re, im float64
	for p := 0; p < r.l; p++ {
		for j := 0; j < r.taps; j++ {
			i := p + (r.taps-1-j)*r.l
			s, c := math.Sincos(2 * math.Pi * f / fu * float64(i))
			v := float64(r.coef[p*r.taps+j])
			re += v * c
			im -= v * s
		}
	}
	return math.Hypot(re, im) / float64(r.l)
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name          string
		in, out, ch   int
		q             Quality
		want          string
		isUnsupported bool
	}{
		{"input 44100", 44100, 8000, 1, Medium, "44100 Hz: unsupported sample rate (supported: 8000, 16000, 32000, 48000 Hz)", true},
		{"output 22050", 8000, 22050, 1, Medium, "22050 Hz: unsupported", true},
		{"zero rate", 0, 8000, 1, Medium, "0 Hz", true},
		{"negative rate", 8000, -16000, 1, Medium, "-16000 Hz", true},
		{"no channels", 8000, 16000, 0, Medium, "0 channels, want 1 to 32", false},
		{"too many channels", 8000, 16000, 33, Medium, "33 channels", false},
		{"bad quality", 8000, 16000, 1, Quality(7), "invalid quality 7", false},
		{"negative quality", 8000, 16000, 1, Quality(-1), "invalid quality -1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := New(tt.in, tt.out, tt.ch, tt.q)
			if err == nil {
				t.Fatalf("New = %v, want error", r)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if errors.Is(err, ErrUnsupportedRate) != tt.isUnsupported {
				t.Errorf("errors.Is(%v, ErrUnsupportedRate) = %v", err, !tt.isUnsupported)
			}
		})
	}
}

func TestQualityText(t *testing.T) {
	for _, q := range qualities {
		b, err := q.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back Quality
		if err := back.UnmarshalText(b); err != nil || back != q {
			t.Errorf("%v: round trip gives %v, %v", q, back, err)
		}
	}
	if _, err := ParseQuality("best"); err == nil {
		t.Error(`ParseQuality("best") succeeded`)
	}
	if Quality(0) != Medium || Quality(9).String() != "Quality(9)" {
		t.Error("zero Quality is not Medium or bad String")
	}
	if _, err := Quality(9).MarshalText(); err == nil {
		t.Error("MarshalText of invalid quality succeeded")
	}
}

// TestFilterResponse checks the documented passband ripple and stopband
// attenuation on the float32 coefficients of every filter, by evaluating
// their frequency response on a fine grid.
func TestFilterResponse(t *testing.T) {
	for _, q := range qualities {
		s := specs[q]
		worstRip, worstStop := 0.0, -1000.0
		for _, p := range pairs() {
			r := mustNew(t, p.in, p.out, 1, q)
			fmin := float64(min(p.in, p.out))
			fu := float64(p.in * r.l)
			rip, stop := 0.0, -1000.0
			for f := 0.0; f <= s.pass*fmin; f += fmin / 1000 {
				rip = max(rip, math.Abs(db(response(r, f))))
			}
			for f := stopEdge * fmin; f <= fu/2; f += fmin / 2000 {
				stop = max(stop, db(response(r, f)))
			}
			if rip > s.ripple {
				t.Errorf("%v %d->%d: passband ripple ±%.5f dB, spec ±%g dB", q, p.in, p.out, rip, s.ripple)
			}
			if -stop < s.stop {
				t.Errorf("%v %d->%d: stopband %.1f dB, spec %g dB", q, p.in, p.out, -stop, s.stop)
			}
			worstRip, worstStop = max(worstRip, rip), max(worstStop, stop)
		}
		t.Logf("%v: filters' worst passband ripple ±%.5f dB (spec ±%g), worst stopband %.1f dB (spec %g)", q, worstRip, s.ripple, -worstStop, s.stop)
	}
}

// TestTones sends tones through Process in 20 ms frames and checks the
// passband gain against the ripple spec, and that everything except the
// tone itself (images, aliases) and, above fmin/2, the tone too are below
// the stopband spec.
func TestTones(t *testing.T) {
	const amp = 30000
	for _, q := range qualities {
		s := specs[q]
		worstGain, worstResid := 0.0, -1000.0
		for _, p := range pairs() {
			fmin := float64(min(p.in, p.out))
			var freqs []float64
			for i := 1; i <= 6; i++ { // passband, up to its edge
				freqs = append(freqs, s.pass*fmin*float64(i)/6)
			}
			for _, d := range []float64{0, 13, 37, 71, 150, 400} {
				freqs = append(freqs, fmin/2+d, float64(p.in)/2-d-7) // stopband edge; just below the input's Nyquist
			}
			for i := 1; i < 8; i++ {
				freqs = append(freqs, float64(p.in)/2*float64(i)/8+3)
			}
			for _, f := range freqs {
				if f >= float64(p.in)/2 {
					continue
				}
				r := mustNew(t, p.in, p.out, 1, q)
				x := sine(p.in, f, amp, 0.3, p.in/4)
				y := run(t, r, x, p.in/50)
				ain, _, _ := fit(x, p.in, f, 0)
				skip := 2*r.DelayFrames() + 8
				var resid float64
				if f < fmin/2 {
					var aout float64
					aout, _, resid = fit(y, p.out, f, skip)
					if f <= s.pass*fmin {
						g := db(aout / ain)
						if math.Abs(g) > s.ripple {
							t.Errorf("%v %d->%d %.0f Hz: gain %+.5f dB, spec ±%g dB", q, p.in, p.out, f, g, s.ripple)
						}
						worstGain = max(worstGain, math.Abs(g))
					}
				} else {
					_, _, resid = fit(y, p.out, 0, skip) // everything but DC
				}
				rel := db(resid / (ain / math.Sqrt2))
				if rel > -s.stop {
					t.Errorf("%v %d->%d %.0f Hz: images/aliases at %.1f dB, spec -%g dB", q, p.in, p.out, f, rel, s.stop)
				}
				worstResid = max(worstResid, rel)
			}
		}
		t.Logf("%v: worst passband gain ±%.5f dB (spec ±%g), worst image/alias %.1f dB (spec -%g)", q, worstGain, s.ripple, worstResid, s.stop)
	}
}

// TestDelayImpulse checks that an impulse comes out centred exactly
// DelayFrames after its position at the output rate, and symmetric about
// that sample (linear phase).
func TestDelayImpulse(t *testing.T) {
	for _, q := range qualities {
		for _, p := range pairs() {
			r := mustNew(t, p.in, p.out, 1, q)
			g := gcd(p.in, p.out)
			n0 := 3 * p.in / g // on the common grid of both rates
			x := make([]int16, p.in/5)
			x[n0] = 20000
			y := run(t, r, x, p.in/50)
			peak := 0
			for i := range y {
				if abs(y[i]) > abs(y[peak]) {
					peak = i
				}
			}
			want := n0*p.out/p.in + r.DelayFrames()
			if peak != want {
				t.Errorf("%v %d->%d: impulse peak at output %d, want %d (delay %d frames)", q, p.in, p.out, peak, want, r.DelayFrames())
			}
			for j := 1; j <= r.DelayFrames(); j++ {
				if y[want-j] != y[want+j] {
					t.Errorf("%v %d->%d: response not symmetric: y[c-%d]=%d, y[c+%d]=%d", q, p.in, p.out, j, y[want-j], j, y[want+j])
					break
				}
			}
			if d := r.Delay(); d < 0 || d.Seconds()*float64(p.out) < float64(r.DelayFrames())-1e-3 || d.Seconds()*float64(p.out) > float64(r.DelayFrames())+1e-3 {
				t.Errorf("%v %d->%d: Delay %v does not match %d frames", q, p.in, p.out, d, r.DelayFrames())
			}
		}
	}
}

func abs(v int16) int { return max(int(v), -int(v)) }

// TestDelayPhase measures the group delay from the phase shift of in-band
// tones (least-squares fit on input and output) and checks it equals Delay.
func TestDelayPhase(t *testing.T) {
	const tol = 0.2e-6 // seconds
	worst := 0.0
	for _, q := range qualities {
		for _, p := range pairs() {
			r := mustNew(t, p.in, p.out, 1, q)
			fmin := float64(min(p.in, p.out))
			want := float64(r.DelayFrames()) / float64(p.out)
			for _, rel := range []float64{0.05, 0.17, 0.31, specs[q].pass} {
				f := rel * fmin
				r.Reset()
				x := sine(p.in, f, 20000, 1, p.in/5)
				y := run(t, r, x, p.in/50)
				_, phIn, _ := fit(x, p.in, f, 0)
				_, phOut, _ := fit(y, p.out, f, 2*r.DelayFrames()+8)
				period := 1 / f
				d := (phIn - phOut) / (2 * math.Pi * f)
				d -= math.Round((d-want)/period) * period // the branch nearest want
				if math.Abs(d-want) > tol {
					t.Errorf("%v %d->%d %.0f Hz: measured delay %.3f µs, Delay %.3f µs", q, p.in, p.out, f, d*1e6, want*1e6)
				}
				worst = max(worst, math.Abs(d-want))
			}
		}
	}
	t.Logf("worst |measured delay - Delay| = %.4f µs", worst*1e6)
}

// TestChunking checks that any split of the input gives the output of one
// call on the whole stream, and exactly ceil(n·L/M) frames after n inputs.
func TestChunking(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, p := range pairs() {
		for _, ch := range []int{1, 2} {
			r := mustNew(t, p.in, p.out, ch, Medium)
			frames := p.in / 2
			src := make([]int16, frames*ch)
			for i := range src {
				src[i] = int16(rng.IntN(40000) - 20000)
			}
			whole := run(t, r, src, frames)
			wantLen := (frames*r.l + r.m - 1) / r.m * ch
			if len(whole) != wantLen {
				t.Fatalf("%d->%d: %d samples out, want %d", p.in, p.out, len(whole), wantLen)
			}
			for _, frame := range []int{p.in / 50, 1, 7, 333} {
				r.Reset()
				if got := run(t, r, src, frame); !slices.Equal(got, whole) {
					t.Errorf("%d->%d %dch in %d-frame chunks differs from one call", p.in, p.out, ch, frame)
				}
			}
			// Random sizes, including empty calls; per-call counts match OutputLen.
			r.Reset()
			var got []int16
			dst := make([]int16, r.MaxOutput(len(src)))
			total := 0
			for rest := src; len(rest) > 0; {
				n := min(len(rest), rng.IntN(700)*ch)
				want := r.OutputLen(n)
				k, err := r.Process(dst, rest[:n])
				if err != nil || k != want || k > r.MaxOutput(n) {
					t.Fatalf("%d->%d: Process(%d) = %d, %v; OutputLen %d, MaxOutput %d", p.in, p.out, n, k, err, want, r.MaxOutput(n))
				}
				total += n / ch
				if exact := (total*r.l + r.m - 1) / r.m * ch; len(got)+k != exact {
					t.Fatalf("%d->%d: %d samples after %d input frames, want %d", p.in, p.out, len(got)+k, total, exact)
				}
				got = append(got, dst[:k]...)
				rest = rest[n:]
			}
			if !slices.Equal(got, whole) {
				t.Errorf("%d->%d %dch in random chunks differs from one call", p.in, p.out, ch)
			}
		}
	}
}

// TestChannels checks that interleaved channels are converted
// independently, exactly as mono streams.
func TestChannels(t *testing.T) {
	for _, p := range []pair{{8000, 48000}, {48000, 16000}, {32000, 48000}} {
		const ch = 3
		x := [ch][]int16{sine(p.in, 440, 9000, 0, p.in/10), sine(p.in, 1234, 20000, 2, p.in/10), make([]int16, p.in/10)}
		x[2][100] = 32767
		inter := make([]int16, 0, ch*len(x[0]))
		for i := range x[0] {
			for c := range ch {
				inter = append(inter, x[c][i])
			}
		}
		y := run(t, mustNew(t, p.in, p.out, ch, Medium), inter, p.in/50)
		for c := range ch {
			mono := run(t, mustNew(t, p.in, p.out, 1, Medium), x[c], p.in/50)
			for i := range mono {
				if y[i*ch+c] != mono[i] {
					t.Fatalf("%d->%d channel %d sample %d: %d, mono gives %d", p.in, p.out, c, i, y[i*ch+c], mono[i])
				}
			}
		}
	}
}

// TestSaturation drives every filter with full-scale square waves, whose
// Gibbs overshoot exceeds int16, and compares with a float64 reference:
// samples must clip, never wrap.
func TestSaturation(t *testing.T) {
	for _, p := range pairs() {
		r := mustNew(t, p.in, p.out, 1, High)
		h, _ := design(p.in, r.l, r.m, specs[High], float64(min(p.in, p.out)))
		x := make([]int16, p.in/10)
		for i := range x {
			if (i/(p.in/400))%2 == 0 { // 200 Hz
				x[i] = math.MaxInt16
			} else {
				x[i] = math.MinInt16
			}
		}
		y := run(t, r, x, p.in/50)
		clipped := 0
		for o := range y {
			// Reference: y[o] = Σ h[k]·xup[o·M − k], xup[j] = x[j/L] when L divides j.
			var ref float64
			for k := range h {
				j := o*r.m - k
				if j >= 0 && j%r.l == 0 && j/r.l < len(x) {
					ref += h[k] * float64(x[j/r.l])
				}
			}
			want := math.Max(math.MinInt16, math.Min(math.MaxInt16, math.Round(ref)))
			if math.Abs(float64(y[o])-want) > 1 {
				t.Fatalf("%d->%d output %d = %d, reference %.1f saturates to %.0f", p.in, p.out, o, y[o], ref, want)
			}
			if ref > math.MaxInt16+1 || ref < math.MinInt16-1 {
				clipped++
			}
		}
		if clipped == 0 {
			t.Errorf("%d->%d: no sample needed saturation; test too weak", p.in, p.out)
		}
	}
}

// TestRoundTrip converts in-band tones to a higher rate and back and
// compares with the input, shifted by the two delays.
func TestRoundTrip(t *testing.T) {
	tests := []struct {
		lo, hi int
		q      Quality
		maxErr float64 // dB relative to the signal
	}{
		{8000, 16000, Medium, -65},
		{8000, 16000, High, -80},
		{8000, 48000, Medium, -65},
		{16000, 48000, Medium, -65},
		{32000, 48000, Medium, -65},
	}
	for _, tt := range tests {
		up := mustNew(t, tt.lo, tt.hi, 1, tt.q)
		down := mustNew(t, tt.hi, tt.lo, 1, tt.q)
		scale := float64(tt.lo) / 8000
		x := make([]int16, tt.lo/2)
		for _, f := range []float64{300, 1000, 2200, 3000, 3400} {
			s := sine(tt.lo, f*scale, 5000, f, len(x))
			for i := range x {
				x[i] += s[i]
			}
		}
		y := run(t, down, run(t, up, x, tt.lo/50), tt.hi/50)
		if len(y) != len(x) {
			t.Fatalf("%d->%d->%d: %d samples, want %d", tt.lo, tt.hi, tt.lo, len(y), len(x))
		}
		d := up.DelayFrames()*tt.lo/tt.hi + down.DelayFrames()
		var se, sx float64
		for i := 2 * d; i < len(y); i++ {
			e := float64(y[i]) - float64(x[i-d])
			se += e * e
			sx += float64(x[i-d]) * float64(x[i-d])
		}
		got := 10 * math.Log10(se/sx)
		if se == 0 {
			t.Logf("%d->%d->%d %v: bit-exact, delay %d samples", tt.lo, tt.hi, tt.lo, tt.q, d)
		} else {
			t.Logf("%d->%d->%d %v: error %.1f dB, delay %d samples", tt.lo, tt.hi, tt.lo, tt.q, got, d)
		}
		if got > tt.maxErr {
			t.Errorf("%d->%d->%d %v: error %.1f dB, want ≤ %g dB", tt.lo, tt.hi, tt.lo, tt.q, got, tt.maxErr)
		}
	}
}

func TestProcessErrors(t *testing.T) {
	r := mustNew(t, 8000, 16000, 2, Medium)
	src := sine(8000, 500, 1000, 0, 320)
	want := run(t, mustNew(t, 8000, 16000, 2, Medium), src, 160)
	tests := []struct {
		name     string
		dst, src []int16
		msg      string
		short    bool
	}{
		{"odd samples", make([]int16, 100), src[:5], "5 samples is not a whole number of 2-channel frames", false},
		{"short dst", make([]int16, 639), src, "produce 640 out, dst holds 639", true},
	}
	for _, tt := range tests {
		n, err := r.Process(tt.dst, tt.src)
		if err == nil || n != 0 || !strings.Contains(err.Error(), tt.msg) || errors.Is(err, ErrShortBuffer) != tt.short {
			t.Errorf("%s: Process = %d, %v", tt.name, n, err)
		}
	}
	// The failed calls changed nothing.
	if got := run(t, r, src, 160); !slices.Equal(got, want) {
		t.Error("output after failed calls differs")
	}
}

// TestInPlace checks that downsampling may write over its input.
func TestInPlace(t *testing.T) {
	for _, p := range []pair{{16000, 8000}, {48000, 8000}, {48000, 32000}, {32000, 16000}} {
		src := sine(p.in, 700, 12000, 0, p.in/10)
		want := run(t, mustNew(t, p.in, p.out, 1, Medium), src, p.in/50)
		r := mustNew(t, p.in, p.out, 1, Medium)
		var got []int16
		for buf := slices.Clone(src); len(buf) > 0; buf = buf[p.in/50:] {
			n, err := r.Process(buf, buf[:p.in/50])
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, buf[:n]...)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%d->%d in place differs", p.in, p.out)
		}
	}
}

func TestResetAndIdentity(t *testing.T) {
	r := mustNew(t, 16000, 48000, 1, Low)
	x := sine(16000, 900, 8000, 0, 1600)
	first := run(t, r, x, 320)
	r.Reset()
	if again := run(t, r, x, 320); !slices.Equal(first, again) {
		t.Error("output after Reset differs from a new Resampler")
	}

	id := mustNew(t, 16000, 16000, 2, High)
	if id.Delay() != 0 || id.DelayFrames() != 0 || id.Taps() != 0 {
		t.Errorf("identity: delay %v (%d), taps %d", id.Delay(), id.DelayFrames(), id.Taps())
	}
	if y := run(t, id, x, 320); !slices.Equal(y, x) {
		t.Error("identity does not copy")
	}
	if id.InRate() != 16000 || id.OutRate() != 16000 || id.Channels() != 2 || id.Quality() != High {
		t.Error("accessors")
	}
}

// TestNoAlloc checks that Process does not allocate.
func TestNoAlloc(t *testing.T) {
	for _, p := range pairs() {
		r := mustNew(t, p.in, p.out, 2, Medium)
		src := make([]int16, 2*p.in/50)
		dst := make([]int16, r.MaxOutput(len(src)))
		if a := testing.AllocsPerRun(50, func() { _, _ = r.Process(dst, src) }); a != 0 {
			t.Errorf("%d->%d: %v allocs per Process", p.in, p.out, a)
		}
	}
}

// BenchmarkProcess converts one 20 ms mono frame per op.
func BenchmarkProcess(b *testing.B) {
	for _, q := range []Quality{Medium, Low, High} {
		for _, p := range []pair{{8000, 16000}, {16000, 8000}, {48000, 8000}, {8000, 48000}, {32000, 48000}, {48000, 16000}} {
			if q != Medium && p != (pair{8000, 16000}) && p != (pair{48000, 8000}) {
				continue
			}
			b.Run(fmt.Sprintf("%s/%dto%d", q, p.in/1000, p.out/1000), func(b *testing.B) {
				r := mustNew(b, p.in, p.out, 1, q)
				src := sine(p.in, 1000, 10000, 0, p.in/50)
				dst := make([]int16, r.MaxOutput(len(src)))
				b.ReportAllocs()
				b.SetBytes(int64(2 * len(src)))
				for b.Loop() {
					if _, err := r.Process(dst, src); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// TestDot4 checks the filter kernel (SSE2 assembly on amd64) against the
// portable Go version, which must agree bit for bit, and against a float64
// reference, for every multiple of 4 taps up to 80, mixed offsets and
// saturating sums.
func TestDot4(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	coef := make([]float32, 500)
	buf := make([]float32, 900)
	for i := range coef {
		coef[i] = rng.Float32()*2 - 1
	}
	for i := range buf {
		buf[i] = float32(rng.IntN(65536) - 32768)
	}
	for k := 0; k <= 80; k += 4 {
		for trial := 0; trial < 20; trial++ {
			var off [8]int
			for i := range 4 {
				off[i] = rng.IntN(len(coef) - k + 1)
				off[4+i] = rng.IntN(len(buf) - k + 1)
			}
			var got, want [4]int16
			dot4(&got, coef, buf, &off, k)
			dot4Generic(&want, coef, buf, &off, k)
			if got != want {
				t.Fatalf("k=%d off=%v: dot4 %v, generic %v", k, off, got, want)
			}
			for i := range 4 {
				var ref float64
				for j := range k {
					ref += float64(coef[off[i]+j]) * float64(buf[off[4+i]+j])
				}
				ref = max(math.MinInt16, min(math.MaxInt16, ref))
				if math.Abs(float64(got[i])-ref) > 0.5+1e-5*float64(k)*32768 {
					t.Fatalf("k=%d slot %d: %d, float64 reference %.2f", k, i, got[i], ref)
				}
			}
		}
	}
	// Rounding ties to even and saturation.
	c := []float32{1, 0, 0, 0}
	b := []float32{2.5, 0, 0, 0, -3.5, 0, 0, 0, 40000, 0, 0, 0, -40000, 0, 0, 0}
	off := [8]int{0, 0, 0, 0, 0, 4, 8, 12}
	var got, want [4]int16
	dot4(&got, c, b, &off, 4)
	dot4Generic(&want, c, b, &off, 4)
	if got != [4]int16{2, -4, 32767, -32768} || got != want {
		t.Errorf("ties/saturation: dot4 %v, generic %v", got, want)
	}
}

// TestDocumentedDelay checks the delays listed in the package documentation.
func TestDocumentedDelay(t *testing.T) {
	tests := []struct {
		in, out int
		q       Quality
		want    time.Duration
	}{
		{8000, 16000, Low, 1375 * time.Microsecond},
		{48000, 8000, Low, 1375 * time.Microsecond},
		{16000, 48000, Low, 687500 * time.Nanosecond},
		{32000, 48000, Low, 375 * time.Microsecond},
		{8000, 16000, Medium, 4 * time.Millisecond},
		{48000, 8000, Medium, 4 * time.Millisecond},
		{32000, 16000, Medium, 2 * time.Millisecond},
		{48000, 32000, Medium, 1 * time.Millisecond},
		{8000, 48000, High, 7750 * time.Microsecond},
		{16000, 32000, High, 3875 * time.Microsecond},
		{48000, 32000, High, 1937500 * time.Nanosecond},
	}
	for _, tt := range tests {
		if got := mustNew(t, tt.in, tt.out, 1, tt.q).Delay(); got != tt.want {
			t.Errorf("%v %d->%d: Delay %v, documented %v", tt.q, tt.in, tt.out, got, tt.want)
		}
	}
	// Every pair with the same fmin has the same delay.
	for _, q := range qualities {
		byMin := map[int]time.Duration{}
		for _, p := range pairs() {
			d := mustNew(t, p.in, p.out, 1, q).Delay()
			fmin := min(p.in, p.out)
			if prev, ok := byMin[fmin]; ok && prev != d {
				t.Errorf("%v %d->%d: delay %v, other pairs with fmin %d have %v", q, p.in, p.out, d, fmin, prev)
			}
			byMin[fmin] = d
		}
	}
	if r := mustNew(t, 8000, 16000, 1, Medium); r.Taps() != 68 {
		t.Errorf("8->16 Medium: %d taps, documented 68", r.Taps())
	}
	if r := mustNew(t, 48000, 8000, 1, Medium); r.Taps() != 388 {
		t.Errorf("48->8 Medium: %d taps, documented 388", r.Taps())
	}
}
