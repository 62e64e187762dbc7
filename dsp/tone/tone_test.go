package tone

import (
	"math"
	"testing"
)

func TestSpectrumPeak(t *testing.T) {
	tests := []struct {
		rate int
		freq float64
		amp  float64
	}{
		{8000, 1000, 10000},
		{8000, 440, 16384},
		{8000, 3999, 1000},
		{16000, 1004, 3000},
		{48000, 997, 20000},
		{44100, 12345, 8000},
	}
	for _, tt := range tests {
		g := NewGenerator(tt.rate, []float64{tt.freq}, tt.amp)
		x := make([]int16, tt.rate) // one second: 1 Hz bins
		g.Fill(x)
		// Scan 1 Hz bins near the tone and 50 Hz steps over the band.
		var scan []float64
		for f := max(1, tt.freq-100); f <= min(tt.freq+100, float64(tt.rate)/2-1); f++ {
			scan = append(scan, f)
		}
		for f := 50.0; f < float64(tt.rate)/2; f += 50 {
			scan = append(scan, f)
		}
		best, bestF := 0.0, 0.0
		for _, f := range scan {
			if a := math.Sqrt(2 * Power(x, tt.rate, f)); a > best { // amplitude
				best, bestF = a, f
			}
		}
		if bestF != tt.freq {
			t.Errorf("%v Hz at %d Hz: peak at %v Hz", tt.freq, tt.rate, bestF)
		}
		if math.Abs(best-tt.amp) > 0.002*tt.amp+1 {
			t.Errorf("%v Hz at %d Hz: amplitude %.1f, want %v", tt.freq, tt.rate, best, tt.amp)
		}
	}
}

// TestMatchesAnalytic compares a long run, filled frame by frame, with
// sin computed from the sample index: any phase drift or discontinuity
// would show as a growing error.
func TestMatchesAnalytic(t *testing.T) {
	tests := []struct {
		name  string
		rate  int
		freqs []float64
		amp   float64
		frame int
		secs  int
	}{
		{"1 kHz", 8000, []float64{1000}, 30000, 160, 60},
		{"irrational", 8000, []float64{1000 * math.Sqrt2}, 30000, 160, 60},
		{"two tones odd frames", 16000, []float64{350, 440}, 15000, 333, 20},
		{"five tones", 48000, []float64{100, 200.5, 3000, 7000.25, 15000}, 6000, 960, 3},
		{"negative frequency", 8000, []float64{-440}, 1000, 160, 60},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewGenerator(tt.rate, tt.freqs, tt.amp)
			buf := make([]int16, tt.frame)
			n := 0
			worst := 0.0
			for n < tt.secs*tt.rate {
				g.Fill(buf)
				for i, v := range buf {
					var want float64
					for _, f := range tt.freqs {
						// Reduce the phase exactly before calling sin.
						cyc := math.Mod(f*float64(n+i), float64(tt.rate)) / float64(tt.rate)
						want += tt.amp * math.Sin(2*math.Pi*cyc)
					}
					worst = max(worst, math.Abs(float64(v)-want))
				}
				n += len(buf)
			}
			if worst > 0.5+1e-6 {
				t.Errorf("worst error %.4f after %d samples, want <= 0.5 (rounding only)", worst, n)
			}
		})
	}
}

func TestPhaseContinuity(t *testing.T) {
	const rate, n = 8000, 4000
	freqs := []float64{697, 1209}
	want := make([]int16, n)
	NewGenerator(rate, freqs, 12000).Fill(want)
	for _, sizes := range [][]int{{1}, {7}, {160}, {63, 64, 65}, {1, 2, 3, 500, 1000}} {
		g := NewGenerator(rate, freqs, 12000)
		got := make([]int16, 0, n)
		for i := 0; len(got) < n; i++ {
			k := min(sizes[i%len(sizes)], n-len(got))
			frame := make([]int16, k)
			g.Fill(frame)
			got = append(got, frame...)
		}
		for i := range want {
			if d := int(got[i]) - int(want[i]); d < -1 || d > 1 {
				t.Fatalf("sizes %v: sample %d is %d, one-shot %d", sizes, i, got[i], want[i])
			}
		}
	}
	// The largest step between neighbours is bounded by the slope of the
	// sum: sum over tones of 2π·f·A/rate, plus rounding.
	maxStep := 0.0
	for _, f := range freqs {
		maxStep += 2 * math.Pi * f * 12000 / rate
	}
	g := NewGenerator(rate, freqs, 12000)
	prev := int16(0)
	frame := make([]int16, 160)
	for range 100 {
		g.Fill(frame)
		for _, v := range frame {
			if math.Abs(float64(v)-float64(prev)) > maxStep+1 {
				t.Fatalf("jump %d -> %d exceeds %.0f", prev, v, maxStep)
			}
			prev = v
		}
	}
}

func TestReset(t *testing.T) {
	g := NewGenerator(8000, []float64{425}, 8000)
	a := make([]int16, 500)
	b := make([]int16, 500)
	g.Fill(a)
	g.Fill(b) // advance
	g.Reset()
	g.Fill(b)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("after Reset sample %d = %d, want %d", i, b[i], a[i])
		}
	}
}

func TestSaturationAndEdgeCases(t *testing.T) {
	tests := []struct {
		name   string
		freqs  []float64
		amp    float64
		wantLo int16 // min sample
		wantHi int16 // max sample
	}{
		{"clipped sum", []float64{1000, 1000}, 30000, -32768, 32767},
		{"huge amplitude", []float64{1000}, 1e12, -32768, 32767},
		{"no tones", nil, 1000, 0, 0},
		{"zero amplitude", []float64{1000}, 0, 0, 0},
		{"NaN frequency", []float64{math.NaN()}, 1000, 0, 0},
		{"infinite frequency", []float64{math.Inf(1)}, 1000, 0, 0},
		{"NaN amplitude", []float64{1000}, math.NaN(), 0, 0},
		{"full scale", []float64{2000}, 32767, -32767, 32767}, // 2 kHz at 8 kHz hits the peaks
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := make([]int16, 800)
			for i := range x {
				x[i] = 123 // must be overwritten
			}
			NewGenerator(8000, tt.freqs, tt.amp).Fill(x)
			lo, hi := x[0], x[0]
			for _, v := range x {
				lo, hi = min(lo, v), max(hi, v)
			}
			if lo != tt.wantLo || hi != tt.wantHi {
				t.Errorf("range [%d, %d], want [%d, %d]", lo, hi, tt.wantLo, tt.wantHi)
			}
		})
	}
}

func TestNewGeneratorPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for rate 0")
		}
	}()
	NewGenerator(0, []float64{440}, 1)
}

func TestFillAllocs(t *testing.T) {
	g := NewGenerator(8000, []float64{350, 440, 480, 620, 1000}, 3000)
	dst := make([]int16, 160)
	if a := testing.AllocsPerRun(100, func() { g.Fill(dst) }); a != 0 {
		t.Errorf("Fill allocates %v times", a)
	}
}

func BenchmarkFill(b *testing.B) {
	for _, bm := range []struct {
		name  string
		freqs []float64
	}{
		{"1tone", []float64{1000}},
		{"2tones", []float64{697, 1209}},
	} {
		b.Run(bm.name, func(b *testing.B) {
			g := NewGenerator(8000, bm.freqs, 8000)
			dst := make([]int16, 160)
			b.SetBytes(2 * 160)
			b.ReportAllocs()
			for b.Loop() {
				g.Fill(dst)
			}
		})
	}
}
