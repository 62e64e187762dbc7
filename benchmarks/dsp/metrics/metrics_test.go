package metrics

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func noise(seed uint64, n int, amp float64) []float64 {
	r := rand.New(rand.NewPCG(seed, 1))
	x := make([]float64, n)
	for i := range x {
		x[i] = amp * r.NormFloat64()
	}
	return x
}

func all(n int) []bool {
	a := make([]bool, n)
	for i := range a {
		a[i] = true
	}
	return a
}

func TestERLE(t *testing.T) {
	const n = 80
	mic := noise(1, 100*n, 1000)
	for _, want := range []float64{0, 6, 20, 40} {
		out := make([]float64, len(mic))
		g := math.Pow(10, -want/20)
		for i, v := range mic {
			out[i] = v * g
		}
		got, err := ERLE(mic, out, n, all(100), 0, 100)
		if err != nil || math.Abs(got-want) > 1e-9 {
			t.Errorf("attenuation %v dB: ERLE %v, %v", want, got, err)
		}
	}
	// Only the active blocks inside the window count: make the inactive
	// half of the output loud and check it is ignored.
	out := make([]float64, len(mic))
	for i := range out {
		out[i] = mic[i] * 0.1
		if i >= 50*n {
			out[i] = mic[i] * 10
		}
	}
	if got, _ := ERLE(mic, out, n, all(100), 0, 50); math.Abs(got-20) > 1e-9 {
		t.Errorf("window [0,50): ERLE %v, want 20", got)
	}
	act := all(100)
	for b := 50; b < 100; b++ {
		act[b] = false
	}
	if got, _ := ERLE(mic, out, n, act, 0, 100); math.Abs(got-20) > 1e-9 {
		t.Errorf("inactive blocks: ERLE %v, want 20", got)
	}
	if _, err := ERLE(mic, out, n, make([]bool, 100), 0, 100); !errors.Is(err, ErrNoBlocks) {
		t.Errorf("no active block: err %v, want ErrNoBlocks", err)
	}
}

func TestSegSNR(t *testing.T) {
	const n = 160
	ref := make([]float64, 200*n)
	for i := range ref {
		ref[i] = 1000 * math.Sin(2*math.Pi*440*float64(i)/16000)
	}
	tests := []struct {
		snr  float64
		want float64
	}{{10, 10}, {0, 0}, {20, 20}, {50, SegSNRMax}, {-30, SegSNRMin}}
	for _, tt := range tests {
		// Error with exactly the wanted power in every block: a sine of
		// another frequency with a whole number of periods per block.
		out := make([]float64, len(ref))
		pe := 1000 * 1000 / 2 * math.Pow(10, -tt.snr/10)
		a := math.Sqrt(2 * pe)
		for i := range out {
			out[i] = ref[i] + a*math.Sin(2*math.Pi*1000*float64(i)/16000)
		}
		got, err := SegSNR(ref, out, n, all(200))
		if err != nil || math.Abs(got-tt.want) > 0.05 {
			t.Errorf("SNR %v: SegSNR %v, %v; want %v", tt.snr, got, err, tt.want)
		}
	}
	if got, _ := SegSNR(ref, ref, n, all(200)); got != SegSNRMax {
		t.Errorf("identical: %v, want %v", got, SegSNRMax)
	}
}

func TestBestLagShift(t *testing.T) {
	ref := noise(3, 4000, 1000)
	for _, d := range []int{0, 1, 17, 64} {
		out := make([]float64, len(ref))
		copy(out[d:], ref)
		if got := BestLag(ref, out, 80); got != d {
			t.Errorf("delay %d: BestLag %d", d, got)
		}
		s := Shift(out, d)
		for i := 0; i < len(ref)-d; i++ {
			if s[i] != ref[i] {
				t.Fatalf("delay %d: Shift differs at %d", d, i)
			}
		}
	}
}

func TestConfusion(t *testing.T) {
	tests := []struct {
		truth, labels  []byte
		p, r, f1       float64
		tp, fp, fn, tn int
	}{
		{[]byte{1, 1, 0, 0}, []byte{1, 1, 0, 0}, 1, 1, 1, 2, 0, 0, 2},
		{[]byte{1, 1, 1, 1, 0, 0}, []byte{1, 1, 0, 0, 1, 0}, 2.0 / 3, 0.5, 4.0 / 7, 2, 1, 2, 1},
		{[]byte{1, 0}, []byte{0, 0}, 0, 0, 0, 0, 0, 1, 1},
		{[]byte{1, 1, 0}, []byte{1}, 1, 0.5, 2.0 / 3, 1, 0, 1, 1}, // missing decisions are 0
	}
	for i, tt := range tests {
		var c Confusion
		c.Add(tt.truth, tt.labels)
		if c.TP != tt.tp || c.FP != tt.fp || c.FN != tt.fn || c.TN != tt.tn {
			t.Errorf("%d: counts %+v", i, c)
		}
		if math.Abs(c.Precision()-tt.p) > 1e-12 || math.Abs(c.Recall()-tt.r) > 1e-12 || math.Abs(c.F1()-tt.f1) > 1e-12 {
			t.Errorf("%d: P %v R %v F1 %v, want %v %v %v", i, c.Precision(), c.Recall(), c.F1(), tt.p, tt.r, tt.f1)
		}
	}
}

func TestMatchDTMF(t *testing.T) {
	sent := []Tone{{0.2, "1", 0.05}, {0.4, "2", 0.05}, {0.6, "#", 0.05}, {0.8, "D", 0.05}}
	det := []Tone{
		{0.215, "1", 0.04}, // within 20 ms
		{0.43, "2", 0.05},  // 30 ms late: miss, and extra
		{0.6, "*", 0.05},   // wrong digit: extra
		{0.79, "D", 0.05},  // hit
		{0.81, "D", 0.05},  // duplicate: extra
	}
	hits, extra := MatchDTMF(sent, det)
	if hits != 2 || extra != 3 {
		t.Errorf("hits %d extra %d, want 2 3", hits, extra)
	}
	if h, e := MatchDTMF(nil, det); h != 0 || e != len(det) {
		t.Errorf("talk-off: hits %d extra %d", h, e)
	}
}

func TestSchroederRT60Exact(t *testing.T) {
	// A noiseless exponential with energy falling 60 dB in rt60.
	for _, rt60 := range []float64{0.1, 0.25, 0.4} {
		const rate = 16000
		h := make([]float64, int(2*rt60*rate))
		for i := range h {
			h[i] = math.Exp(-3 * math.Ln10 * float64(i) / (rt60 * rate))
		}
		got, err := SchroederRT60(h, rate)
		if err != nil || math.Abs(got-rt60)/rt60 > 0.02 {
			t.Errorf("rt60 %v: measured %v, %v", rt60, got, err)
		}
	}
	if _, err := SchroederRT60(make([]float64, 100), 8000); err == nil {
		t.Error("silence: want error")
	}
}

func TestMeanMedian(t *testing.T) {
	xs := []float64{3, 1, 2, 10}
	if Mean(xs) != 4 || Median(xs) != 2.5 || Median(xs[:3]) != 2 || xs[0] != 3 {
		t.Errorf("Mean %v Median %v", Mean(xs), Median(xs))
	}
	if !math.IsNaN(Mean(nil)) || !math.IsNaN(Median(nil)) {
		t.Error("empty: want NaN")
	}
}

func ExampleERLE() {
	mic := []float64{1000, -1000, 1000, -1000}
	out := []float64{100, -100, 100, -100} // 20 dB quieter
	erle, _ := ERLE(mic, out, 2, []bool{true, true}, 0, 2)
	fmt.Printf("%.1f dB\n", erle)
	// Output: 20.0 dB
}
