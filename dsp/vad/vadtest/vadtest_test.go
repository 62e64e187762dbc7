package vadtest

import (
	"math"
	"testing"
	"time"

	"github.com/voxgraph/voxgraph/dsp/tone"
)

func rms(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v * v
	}
	return math.Sqrt(s / float64(len(x)))
}

// TestTalk checks what Talk promises: the lead pause, talkspurts and
// pauses of the stated lengths on block boundaries, silence between them
// and unit RMS over them.
func TestTalk(t *testing.T) {
	for _, rate := range []int{8000, 16000, 32000, 48000} {
		x, speech := Talk(rate, 30*time.Second, 9)
		bs := rate / 100
		if len(speech) != 3000 || len(x) != 3000*bs {
			t.Fatalf("%d Hz: %d blocks, %d samples; want 3000 blocks of %d", rate, len(speech), len(x), bs)
		}
		var on []float64
		run, spurts := 0, 0
		for b, s := range speech {
			blk := x[b*bs : (b+1)*bs]
			switch {
			case s:
				on = append(on, blk...)
				run++
			case rms(blk) != 0:
				t.Fatalf("%d Hz: block %d is a pause but not silent", rate, b)
			}
			if run > 0 && (!s || b == len(speech)-1) {
				spurts++
				if (run < 60 && b != len(speech)-1) || run > 200 {
					t.Errorf("%d Hz: talkspurt of %d blocks ending at %d, want 60 to 200", rate, run, b)
				}
				run = 0
			}
			if s && b < int(Lead/Block) {
				t.Fatalf("%d Hz: block %d is speech, inside the lead", rate, b)
			}
		}
		if spurts < 10 {
			t.Errorf("%d Hz: %d talkspurts in 30 s, want at least 10", rate, spurts)
		}
		if r := rms(on); math.Abs(r-1) > 1e-9 {
			t.Errorf("%d Hz: RMS over the talkspurts %v, want 1", rate, r)
		}
	}
}

// TestNoise: unit RMS, and pink falls 3 dB per octave (6 dB from 250 Hz to
// 1 kHz) where white is flat.
func TestNoise(t *testing.T) {
	const rate, seg = 16000, 1600 // 10 Hz bins
	for _, tc := range []struct {
		name string
		x    []float64
		want float64 // dB from 250 Hz to 1 kHz
	}{
		{"white", White(400*seg, 1), 0},
		{"pink", Pink(400*seg, 1), 6},
	} {
		if r := rms(tc.x); math.Abs(r-1) > 1e-9 {
			t.Errorf("%s: RMS %v, want 1", tc.name, r)
		}
		var lo, hi float64
		sum := make([]float64, len(tc.x))
		Add(sum, tc.x, -20)
		pcm := Quantize(sum)
		for i := 0; i+seg <= len(pcm); i += seg {
			lo += tone.Power(pcm[i:i+seg], rate, 250)
			hi += tone.Power(pcm[i:i+seg], rate, 1000)
		}
		if got := 10 * math.Log10(lo/hi); math.Abs(got-tc.want) > 1 {
			t.Errorf("%s: %.1f dB more at 250 Hz than at 1 kHz, want %g", tc.name, got, tc.want)
		}
	}
}

func TestAddQuantize(t *testing.T) {
	sum := make([]float64, 3)
	Add(sum, []float64{1, -1, 2}, 0)
	Add(sum, []float64{0.5, 0, 0}, -6.0206)
	got := Quantize(append(sum, 0.4, -0.6))
	want := []int16{32767, -32768, 32767, 0, -1}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Quantize = %v, want %v", got, want)
		}
	}
	sum = make([]float64, 1)
	Add(sum, []float64{1}, -20)
	if q := Quantize(sum); q[0] != 3277 {
		t.Fatalf("1 at -20 dBov = %d, want 3277 (32768/10)", q[0])
	}
}
