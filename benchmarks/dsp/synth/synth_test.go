package synth

import (
	"fmt"
	"math"
	"testing"

	"github.com/voxgraph/voxgraph/benchmarks/dsp/metrics"
)

func TestRIRRT60(t *testing.T) {
	for _, rate := range []int{8000, 16000} {
		for _, rt60 := range []float64{0.1, 0.2, 0.3, 0.4} {
			h := RIR(NewRand(uint64(rate)+uint64(rt60*1000)), rate, rt60)
			if e := Power(h) * float64(len(h)); math.Abs(e-1) > 1e-9 {
				t.Errorf("%d Hz %v s: energy %v, want 1", rate, rt60, e)
			}
			got, err := metrics.SchroederRT60(h, rate)
			if err != nil || math.Abs(got-rt60)/rt60 > 0.10 {
				t.Errorf("%d Hz: requested RT60 %v s, Schroeder measured %v s (%v)", rate, rt60, got, err)
			}
		}
	}
}

func TestRIRDeterministic(t *testing.T) {
	a, b := RIR(NewRand(7), 8000, 0.2), RIR(NewRand(7), 8000, 0.2)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("sample %d differs: %v %v", i, a[i], b[i])
		}
	}
}

func TestConvolve(t *testing.T) {
	x := White(NewRand(1), 1000)
	h := []float64{0.5, 0, -0.25, 0.125}
	got := Convolve(x, Delay(h, 3))
	for i := range x {
		var want float64
		for k, v := range h {
			if j := i - 3 - k; j >= 0 {
				want += v * x[j]
			}
		}
		if math.Abs(got[i]-want) > 1e-9 {
			t.Fatalf("sample %d: %v, want %v", i, got[i], want)
		}
	}
}

func TestPinkSlope(t *testing.T) {
	// First differences are a high-pass: their power relative to the
	// signal's is exactly 2 for white noise and far smaller for pink noise,
	// whose power is concentrated at low frequencies.
	p := Pink(NewRand(2), 1<<16)
	w := White(NewRand(2), 1<<16)
	ratio := func(x []float64) float64 {
		d := make([]float64, len(x)-1)
		for i := range d {
			d[i] = x[i+1] - x[i]
		}
		return Power(d) / Power(x)
	}
	if math.Abs(Power(p)-1) > 1e-9 {
		t.Errorf("pink power %v, want 1", Power(p))
	}
	if rw, rp := ratio(w), ratio(p); math.Abs(rw-2) > 0.05 || rp > 0.5 {
		t.Errorf("difference/signal power: white %v (want 2), pink %v (want < 0.5)", rw, rp)
	}
}

func TestMixSNR(t *testing.T) {
	const rate = 8000
	speech := make([]float64, rate*2)
	for i := rate / 2; i < rate; i++ { // 0.5 s of tone, rest silence
		speech[i] = 3000 * math.Sin(2*math.Pi*300*float64(i)/rate)
	}
	n := White(NewRand(3), len(speech))
	for _, snr := range []float64{20, 10, 5, 0} {
		mix := MixSNR(speech, n, rate, snr)
		noiseOnly := make([]float64, len(mix))
		for i := range mix {
			noiseOnly[i] = mix[i] - speech[i]
		}
		got := DB(ActiveLevel(speech, rate) / Power(noiseOnly))
		if math.Abs(got-snr) > 1e-6 {
			t.Errorf("SNR %v: got %v", snr, got)
		}
	}
	SetActiveLevel(speech, rate, -26)
	if got := DBov(ActiveLevel(speech, rate)); math.Abs(got+26) > 1e-9 {
		t.Errorf("active level %v dBov, want -26", got)
	}
}

func TestGroundTruth(t *testing.T) {
	const rate = 8000
	x := make([]float64, rate) // 100 blocks
	burst := func(from, to int, amp float64) {
		for i := from * 80; i < to*80; i++ {
			x[i] = amp * math.Sin(2*math.Pi*500*float64(i)/rate)
		}
	}
	burst(10, 30, 5000)
	burst(32, 40, 5000) // 2-block gap: bridged
	burst(60, 70, 5000) // 20-block gap: not bridged
	burst(80, 85, 10)   // 54 dB down: not speech
	g := GroundTruth(x, rate, 30, 3)
	for b, l := range g {
		want := byte(0)
		if (b >= 10 && b < 40) || (b >= 60 && b < 70) {
			want = 1
		}
		if l != want {
			t.Errorf("block %d: %d, want %d", b, l, want)
		}
	}
}

func TestAddDTMF(t *testing.T) {
	const rate = 8000
	x := make([]float64, rate/10)
	if !AddDTMF(x, rate, 0, len(x), '5', -10, 4, 0) {
		t.Fatal("digit 5 rejected")
	}
	if AddDTMF(x, rate, 0, len(x), 'x', -10, 0, 0) {
		t.Fatal("digit x accepted")
	}
	// Goertzel-free check: correlate with the two expected tones.
	amp := func(f float64) float64 {
		var re, im float64
		for i, v := range x {
			re += v * math.Cos(2*math.Pi*f*float64(i)/rate)
			im += v * math.Sin(2*math.Pi*f*float64(i)/rate)
		}
		return 2 * math.Hypot(re, im) / float64(len(x))
	}
	lo, hi := amp(770), amp(1336)
	if tw := 20 * math.Log10(hi/lo); math.Abs(tw-4) > 0.3 {
		t.Errorf("twist %v dB, want 4", tw)
	}
	if l := 20*math.Log10(lo/FullScale) + 3.14; math.Abs(l+10) > 0.5 {
		t.Errorf("low tone %v dBm0, want -10", l)
	}
	for _, d := range DTMFDigits {
		if _, _, ok := DTMFFreqs(byte(d)); !ok {
			t.Errorf("digit %c has no frequencies", d)
		}
	}
}

func TestToInt16(t *testing.T) {
	got, clipped := ToInt16([]float64{0.4, -0.6, 40000, -40000, 1.5})
	want := []int16{0, -1, 32767, -32768, 2}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%d: %d, want %d", i, got[i], want[i])
		}
	}
	if clipped != 2 {
		t.Errorf("clipped %d, want 2", clipped)
	}
}

func ExampleRIR() {
	h := RIR(NewRand(1), 8000, 0.3)
	rt60, _ := metrics.SchroederRT60(h, 8000)
	fmt.Printf("%d taps, RT60 within 10%%: %v\n", len(h), math.Abs(rt60-0.3) < 0.03)
	// Output: 2880 taps, RT60 within 10%: true
}
