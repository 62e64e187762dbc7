package cn_test

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/voxgraph/voxgraph/dsp/cn"
	"github.com/voxgraph/voxgraph/dsp/vad/vadtest"
)

var rates = []int{8000, 16000}

func TestParseMalformed(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    []byte
		want error
	}{
		{"nil", nil, cn.ErrEmpty},
		{"empty", []byte{}, cn.ErrEmpty},
		{"level top bit", []byte{0x80}, cn.ErrLevel},
		{"level 255 with coefficients", []byte{0xff, 1, 2}, cn.ErrLevel},
		{"order too high", make([]byte, cn.MaxOrder+2), cn.ErrOrder},
	} {
		if _, err := cn.Parse(tc.p); !errors.Is(err, tc.want) {
			t.Errorf("%s: Parse(% x) = %v, want %v", tc.name, tc.p, err, tc.want)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	for _, p := range [][]byte{{0}, {127}, {40, 127, 0, 255}, append([]byte{64}, make([]byte, cn.MaxOrder)...)} {
		s, err := cn.Parse(p)
		if err != nil {
			t.Fatalf("Parse(% x): %v", p, err)
		}
		if s.Level != p[0] || s.Order != len(p)-1 {
			t.Fatalf("Parse(% x): level %d order %d", p, s.Level, s.Order)
		}
		q, err := s.Marshal()
		if err != nil || !bytes.Equal(p, q) {
			t.Fatalf("Marshal = % x, %v; want % x", q, err, p)
		}
		if _, err := s.MarshalTo(make([]byte, len(p)-1)); !errors.Is(err, cn.ErrShortBuffer) {
			t.Fatalf("MarshalTo a short buffer: %v", err)
		}
	}
	bad := cn.SID{Level: 200}
	if _, err := bad.Marshal(); err == nil {
		t.Fatal("Marshal of level 200 succeeded")
	}
}

func TestQuantize(t *testing.T) {
	for q := 0; q < 256; q++ {
		if got := cn.Quantize(cn.Dequantize(uint8(q))); got != uint8(q) {
			t.Fatalf("Quantize(Dequantize(%d)) = %d", q, got)
		}
	}
	for k := -0.99; k <= 0.99; k += 0.001 {
		if d := math.Abs(cn.Dequantize(cn.Quantize(k)) - k); d > 1.0/256+1e-12 {
			t.Fatalf("k %.3f quantised with error %.4f", k, d)
		}
	}
	if cn.Quantize(-5) != 0 || cn.Quantize(5) != 255 || cn.Quantize(0) != 127 {
		t.Fatal("Quantize does not saturate or centre")
	}
	if cn.LevelOf(0) != cn.MaxLevel || cn.LevelOf(32768*32768) != 0 || cn.LevelOf(1e20) != 0 {
		t.Fatal("LevelOf does not clamp")
	}
}

// noise is n samples of white or pink noise at dbov.
func noise(kind string, n int, dbov float64, seed uint64) []int16 {
	x := vadtest.White(n, seed)
	if kind == "pink" {
		x = vadtest.Pink(n, seed)
	}
	sum := make([]float64, n)
	vadtest.Add(sum, x, dbov)
	return vadtest.Quantize(sum)
}

func dBov(x []int16) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return 10 * math.Log10(s/float64(len(x))/(32768*32768))
}

func newEncoder(t testing.TB, rate, order, block int) *cn.Encoder {
	t.Helper()
	e, err := cn.NewEncoder(rate, order, block)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func newGenerator(t testing.TB, rate int) *cn.Generator {
	t.Helper()
	g, err := cn.NewGenerator(rate, 1)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestNewRejectsBadArguments(t *testing.T) {
	for _, a := range [][3]int{{0, 10, 160}, {8000, -1, 160}, {8000, cn.MaxOrder + 1, 160}, {8000, 10, 0}, {1 << 20, 10, 160}} {
		if _, err := cn.NewEncoder(a[0], a[1], a[2]); err == nil {
			t.Errorf("NewEncoder%v succeeded", a)
		}
	}
	if _, err := cn.NewGenerator(100, 1); err == nil {
		t.Error("NewGenerator(100) succeeded")
	}
}

// TestLevel: the encoder codes the level of noise within 1 dB, and the
// generator reproduces the coded level within 1 dB, for white and pink
// noise from -30 to -90 dBov.
func TestLevel(t *testing.T) {
	worstEnc, worstGen := 0.0, 0.0
	for _, rate := range rates {
		for _, kind := range []string{"white", "pink"} {
			for _, level := range []float64{-30, -50, -70, -90} {
				t.Run(fmt.Sprintf("rate=%d/%s/%.0fdBov", rate, kind, level), func(t *testing.T) {
					x := noise(kind, rate, level, 5) // 1 s
					sid := newEncoder(t, rate, 10, len(x)).Analyze(x)
					in := dBov(x)
					if d := math.Abs(-float64(sid.Level) - in); d > 1 {
						t.Errorf("coded level -%d dBov, noise at %.1f dBov", sid.Level, in)
					} else {
						worstEnc = max(worstEnc, d)
					}
					g := newGenerator(t, rate)
					g.Update(sid)
					y := make([]int16, 2*rate)
					g.Generate(y)
					out := dBov(y)
					if d := math.Abs(out + float64(sid.Level)); d > 1 {
						t.Errorf("generated %.2f dBov for a coded -%d dBov", out, sid.Level)
					} else {
						worstGen = max(worstGen, d)
					}
				})
			}
		}
	}
	t.Logf("largest level error: encoder %.2f dB (rounding to whole dB alone gives up to 0.5), generator %.2f dB", worstEnc, worstGen)
}

// envelope is the power response |1/A|² of the SID's all-pole model at nf
// frequencies from 0 to Nyquist, in dB, normalised to a mean of 0 dB.
func envelope(s cn.SID, nf int) []float64 {
	a := []float64{1}
	for i := range s.Order { // step-up recursion: reflection → predictor
		k := s.K(i)
		next := make([]float64, len(a)+1)
		copy(next, a)
		for j := 1; j < len(next); j++ {
			next[j] += k * a[len(next)-1-j]
		}
		a = next
	}
	env := make([]float64, nf)
	var mean float64
	for f := range env {
		w := math.Pi * float64(f) / float64(nf-1)
		var re, im float64
		for i, c := range a {
			re += c * math.Cos(w*float64(i))
			im -= c * math.Sin(w*float64(i))
		}
		env[f] = -10 * math.Log10(re*re+im*im)
		mean += env[f]
	}
	for f := range env {
		env[f] -= mean / float64(nf)
	}
	return env
}

func lsd(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += (a[i] - b[i]) * (a[i] - b[i])
	}
	return math.Sqrt(s / float64(len(a)))
}

// TestSpectrum: noise regenerated from a SID has the spectral envelope of
// the noise analysed (RMS log-spectral distance of the order-10 LPC
// envelopes under 1.5 dB), and pink and white are told apart (over 3 dB).
func TestSpectrum(t *testing.T) {
	for _, rate := range rates {
		env := map[string][]float64{}
		for _, kind := range []string{"white", "pink"} {
			x := noise(kind, 2*rate, -40, 9)
			e := newEncoder(t, rate, 10, len(x))
			sid := e.Analyze(x)
			g := newGenerator(t, rate)
			g.Update(sid)
			y := make([]int16, len(x))
			g.Generate(y)
			again := e.Analyze(y)
			d := lsd(envelope(sid, 256), envelope(again, 256))
			t.Logf("rate %d, %s: k1 %.3f, k2 %.3f; regenerated noise's envelope %.2f dB from the original's", rate, kind, sid.K(0), sid.K(1), d)
			if d > 1.5 {
				t.Errorf("rate %d, %s: regenerated envelope %.2f dB from the original's, want ≤ 1.5", rate, kind, d)
			}
			env[kind] = envelope(sid, 256)
			// Low band against high band, measured directly on the samples
			// (a first difference is a high-pass): the tilt survives.
			if r, s := tilt(x), tilt(y); math.Abs(r-s) > 1 {
				t.Errorf("rate %d, %s: tilt %.1f dB, generated %.1f dB", rate, kind, r, s)
			}
		}
		d := lsd(env["white"], env["pink"])
		t.Logf("rate %d: pink and white envelopes %.1f dB apart", rate, d)
		if d < 3 {
			t.Errorf("rate %d: pink and white envelopes only %.1f dB apart", rate, d)
		}
		if env["white"][0] > 1 || env["white"][0] < -1 {
			t.Errorf("rate %d: white noise's envelope is not flat (%.1f dB at 0 Hz)", rate, env["white"][0])
		}
	}
}

// tilt is the power of x over the power of its first difference, in dB:
// high for noise whose power is at low frequencies.
func tilt(x []int16) float64 {
	var p, q float64
	for i := 1; i < len(x); i++ {
		p += float64(x[i]) * float64(x[i])
		d := float64(x[i]) - float64(x[i-1])
		q += d * d
	}
	return 10 * math.Log10(p/q)
}

// TestTransition: a new SID is reached over 20 ms without overshoot; the
// first SID applies at once; before any SID, and at level 127, the output
// is silence.
func TestTransition(t *testing.T) {
	const rate = 8000
	g := newGenerator(t, rate)
	buf := make([]int16, rate/10)
	g.Generate(buf)
	if dBov(buf) > -200 && buf[0] != 0 {
		t.Fatal("noise before any SID")
	}
	for _, v := range buf {
		if v != 0 {
			t.Fatal("noise before any SID")
		}
	}
	quiet, loud := cn.SID{Level: 60}, cn.SID{Level: 40, Order: 1}
	loud.Q[0] = cn.Quantize(-0.5)
	g.Update(quiet)
	g.Generate(buf)
	if l := dBov(buf); math.Abs(l+60) > 1.5 {
		t.Fatalf("first SID: %.1f dBov, want -60 at once", l)
	}
	g.Update(loud)
	blocks := make([]float64, 10)
	for i := range blocks {
		g.Generate(buf[:rate/100])
		blocks[i] = dBov(buf[:rate/100])
	}
	t.Logf("10 ms blocks after a change from -60 to -40 dBov: %.1f", blocks)
	if blocks[0] > -45 || blocks[0] < -62 {
		t.Errorf("first 10 ms at %.1f dBov: the change is not gradual", blocks[0])
	}
	for i, l := range blocks[2:] {
		if math.Abs(l+40) > 2 {
			t.Errorf("block %d at %.1f dBov after the transition, want -40", i+2, l)
		}
	}
	g.Update(cn.SID{Level: 127})
	g.Generate(buf) // transition
	g.Generate(buf)
	for _, v := range buf {
		if v != 0 {
			t.Fatal("level 127 is not silence")
		}
	}
	g.Reset()
	if g.Active() {
		t.Fatal("active after Reset")
	}
}

// TestAnalyzeOddBlocks: empty, tiny, digital-silence and longer-than-
// promised blocks are described without trouble.
func TestAnalyzeOddBlocks(t *testing.T) {
	e := newEncoder(t, 8000, 10, 160)
	if s := e.Analyze(nil); s.Level != cn.MaxLevel {
		t.Errorf("empty block: level %d", s.Level)
	}
	if s := e.Analyze(make([]int16, 160)); s.Level != cn.MaxLevel || s.Order != 10 || s.Q[0] != 127 {
		t.Errorf("digital silence: %+v", s)
	}
	if s := e.Analyze([]int16{1000, -1000, 1000}); s.Level != 30 {
		t.Errorf("three samples: level %d, want 30", s.Level)
	}
	x := noise("pink", 800, -30, 3)
	if s := e.Analyze(x); s.K(0) > -0.3 {
		t.Errorf("pink noise in a long block: k1 %.2f, want clearly negative", s.K(0))
	}
	if s := e.Analyze(x[:160]); s.K(0) > -0.3 {
		t.Errorf("pink noise back in a short block: k1 %.2f", s.K(0))
	}
}

func BenchmarkGenerate(b *testing.B) {
	for _, rate := range rates {
		b.Run(fmt.Sprintf("rate=%d", rate), func(b *testing.B) {
			x := noise("pink", rate, -50, 1)
			sid := newEncoder(b, rate, 10, len(x)).Analyze(x)
			g := newGenerator(b, rate)
			g.Update(sid)
			buf := make([]int16, rate/50)
			b.ReportAllocs()
			for b.Loop() {
				g.Generate(buf)
			}
		})
	}
}

func BenchmarkAnalyze(b *testing.B) {
	for _, rate := range rates {
		b.Run(fmt.Sprintf("rate=%d", rate), func(b *testing.B) {
			x := noise("pink", rate/50, -50, 1)
			e := newEncoder(b, rate, 10, len(x))
			b.ReportAllocs()
			for b.Loop() {
				e.Analyze(x)
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	p := []byte{50, 100, 130, 127, 140, 120, 127, 127, 130, 126, 127}
	buf := make([]byte, 16)
	b.ReportAllocs()
	for b.Loop() {
		s, err := cn.Parse(p)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.MarshalTo(buf); err != nil {
			b.Fatal(err)
		}
	}
}
