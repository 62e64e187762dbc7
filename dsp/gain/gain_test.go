package gain

import (
	"math"
	"testing"
)

func TestFromDB(t *testing.T) {
	tests := []struct {
		db, want float64
	}{
		{0, 1},
		{20, 10},
		{-20, 0.1},
		{-40, 0.01},
		{6.020599913279624, 2},
		{-6.020599913279624, 0.5},
		{math.Inf(-1), 0},
	}
	for _, tt := range tests {
		if got := FromDB(tt.db); math.Abs(got-tt.want) > 1e-12*tt.want {
			t.Errorf("FromDB(%v) = %v, want %v", tt.db, got, tt.want)
		}
	}
}

func TestApply(t *testing.T) {
	in := []int16{0, 1, -1, 2, -2, 3, 100, -100, 1000, 16383, 16384, -16384, -16385, 32767, -32768}
	tests := []struct {
		name string
		g    float64
		want []int16
	}{
		{"0 dB identity", 1, in},
		{"zero", 0, make([]int16, len(in))},
		{"NaN", math.NaN(), make([]int16, len(in))},
		{"half rounds halves up", 0.5,
			[]int16{0, 1, 0, 1, -1, 2, 50, -50, 500, 8192, 8192, -8192, -8192, 16384, -16384}},
		{"double saturates", 2,
			[]int16{0, 2, -2, 4, -4, 6, 200, -200, 2000, 32766, 32767, -32768, -32768, 32767, -32768}},
		{"invert", -1,
			[]int16{0, -1, 1, -2, 2, -3, -100, 100, -1000, -16383, -16384, 16384, 16385, -32767, 32767}},
		{"huge", 1e9,
			[]int16{0, 32767, -32768, 32767, -32768, 32767, 32767, -32768, 32767, 32767, 32767, -32768, -32768, 32767, -32768}},
		{"-huge", math.Inf(-1),
			[]int16{0, -32768, 32767, -32768, 32767, -32768, -32768, 32767, -32768, -32768, -32768, 32767, 32767, -32768, 32767}},
		{"-20 dB", 0.1,
			// -16385·0.1 = -1638.5 exactly, but 0.1 in Q32 is 0.1000000000931: -1639.
			[]int16{0, 0, 0, 0, 0, 0, 10, -10, 100, 1638, 1638, -1638, -1639, 3277, -3277}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pcm := append([]int16(nil), in...)
			Apply(pcm, tt.g)
			for i := range pcm {
				if pcm[i] != tt.want[i] {
					t.Errorf("%d * %v = %d, want %d", in[i], tt.g, pcm[i], tt.want[i])
				}
			}
		})
	}
}

// TestApplyMatchesFloat checks every sample value against the float
// reference round-half-up(x·g), saturated, for a set of gains, allowing
// either neighbour only where x·g is within Q32 precision of a half.
func TestApplyMatchesFloat(t *testing.T) {
	all := make([]int16, 65536)
	for _, g := range []float64{FromDB(-6), FromDB(-0.1), FromDB(3), FromDB(-60), 0.7071, 1.5, -0.3} {
		for i := range all {
			all[i] = int16(i - 32768)
		}
		Apply(all, g)
		for i, got := range all {
			x := float64(i - 32768)
			want := math.Max(-32768, math.Min(32767, math.Floor(x*g+0.5)))
			if frac := x*g - math.Floor(x*g); math.Abs(frac-0.5) < 32768*0x1p-32 &&
				math.Abs(float64(got)-want) <= 1 {
				continue // within the documented Q32 precision of a rounding boundary
			}
			if float64(got) != want {
				t.Fatalf("g=%v: %v -> %d, want %v", g, x, got, want)
			}
		}
	}
}

func TestApplyAllocs(t *testing.T) {
	pcm := make([]int16, 160)
	if a := testing.AllocsPerRun(100, func() { Apply(pcm, 0.5) }); a != 0 {
		t.Errorf("Apply allocates %v times", a)
	}
}

func BenchmarkApply(b *testing.B) {
	pcm := make([]int16, 160)
	for i := range pcm {
		pcm[i] = int16(i*400 - 32000)
	}
	g := FromDB(-6)
	b.SetBytes(2 * 160)
	b.ReportAllocs()
	for b.Loop() {
		Apply(pcm, g)
	}
}

func TestSaturate(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want int16
	}{
		{0, 0}, {0.49, 0}, {0.5, 1}, {-0.5, -1}, {-0.49, 0},
		{1234.6, 1235}, {-1234.6, -1235},
		{32766.5, 32767}, {32767, 32767}, {1e9, 32767}, {math.Inf(1), 32767},
		{-32767.5, -32768}, {-32768, -32768}, {-1e9, -32768}, {math.Inf(-1), -32768},
		{math.NaN(), 0},
	} {
		if got := Saturate(tc.in); got != tc.want {
			t.Errorf("Saturate(%v) = %d, want %d", tc.in, got, tc.want)
		}
	}
}
