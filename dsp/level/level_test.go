package level

import (
	"math"
	"testing"
)

func TestRMS(t *testing.T) {
	tests := []struct {
		name string
		pcm  []int16
		want float64
	}{
		{"empty", nil, 0},
		{"silence", make([]int16, 160), 0},
		{"3 4", []int16{3, 4}, math.Sqrt(12.5)},
		{"constant", []int16{-7, -7, -7}, 7},
		{"full square", []int16{32767, -32768, 32767, -32768}, math.Sqrt((32767.0*32767 + 32768.0*32768) / 2)},
		{"min only", []int16{-32768}, 32768},
	}
	for _, tt := range tests {
		if got := RMS(tt.pcm); got != tt.want {
			t.Errorf("%s: RMS = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestPeak(t *testing.T) {
	tests := []struct {
		pcm  []int16
		want int
	}{
		{nil, 0},
		{[]int16{0, 0}, 0},
		{[]int16{1, -2, 3}, 3},
		{[]int16{1, -5, 3}, 5},
		{[]int16{32767}, 32767},
		{[]int16{-32768, 32767}, 32768},
	}
	for _, tt := range tests {
		if got := Peak(tt.pcm); got != tt.want {
			t.Errorf("Peak(%v) = %d, want %d", tt.pcm, got, tt.want)
		}
	}
}

func TestDBov(t *testing.T) {
	tests := []struct {
		name string
		rms  float64
		want float64
	}{
		{"full-scale square", 32768, 0},
		{"full-scale sine", 32768 / math.Sqrt2, -3.010299956639812},
		{"half", 16384, -6.020599913279624},
		{"tenth", 3276.8, -20},
		{"one LSB", 1, -90.30899869919435},
		{"silence", 0, Floor},
		{"below floor", 1e-7, Floor},
		{"negative", -1, Floor},
		{"NaN", math.NaN(), Floor},
	}
	for _, tt := range tests {
		if got := DBov(tt.rms); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("%s: DBov(%v) = %.15f, want %.15f", tt.name, tt.rms, got, tt.want)
		}
	}
}

func TestSineAmplitude(t *testing.T) {
	tests := []struct {
		dbov float64
		want float64
	}{
		{0, 32768 * math.Sqrt2},
		{-3.010299956639812, 32768},
		{-20, 3276.8 * math.Sqrt2},
		{-6.020599913279624, 16384 * math.Sqrt2},
	}
	for _, tt := range tests {
		if got := SineAmplitude(tt.dbov); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("SineAmplitude(%v) = %.12f, want %.12f", tt.dbov, got, tt.want)
		}
	}
}

// TestSineLevel measures generated sines: their RMS level in dBov must be
// the level asked of SineAmplitude.
func TestSineLevel(t *testing.T) {
	for _, dbov := range []float64{-3.0103, -10, -20, -40} {
		a := SineAmplitude(dbov)
		pcm := make([]int16, 8000)
		for i := range pcm {
			pcm[i] = int16(math.Round(a * math.Sin(2*math.Pi*1000*float64(i)/8000+0.3)))
		}
		if got := DBov(RMS(pcm)); math.Abs(got-dbov) > 0.01 {
			t.Errorf("sine at %v dBov measures %v", dbov, got)
		}
	}
}

func BenchmarkRMS(b *testing.B) {
	pcm := make([]int16, 160)
	for i := range pcm {
		pcm[i] = int16(i * 200)
	}
	b.SetBytes(2 * 160)
	b.ReportAllocs()
	for b.Loop() {
		RMS(pcm)
	}
}

func BenchmarkPeak(b *testing.B) {
	pcm := make([]int16, 160)
	for i := range pcm {
		pcm[i] = int16(i * 200)
	}
	b.SetBytes(2 * 160)
	b.ReportAllocs()
	for b.Loop() {
		Peak(pcm)
	}
}
