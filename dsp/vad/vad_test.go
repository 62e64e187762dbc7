package vad_test

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/voxgraph/voxgraph/dsp/level"
	"github.com/voxgraph/voxgraph/dsp/vad"
	"github.com/voxgraph/voxgraph/dsp/vad/vadtest"
)

var rates = []int{8000, 16000, 32000, 48000}

func newDetector(t testing.TB, cfg vad.Config) *vad.Detector {
	t.Helper()
	d, err := vad.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// decide runs pcm through d block by block and returns the decisions.
func decide(d *vad.Detector, pcm []int16) []bool {
	n := d.BlockSize()
	out := make([]bool, len(pcm)/n)
	for i := range out {
		out[i] = d.Process(pcm[i*n : (i+1)*n])
	}
	return out
}

// noise returns n samples of white or pink noise at dbov dBov.
func noise(kind string, n int, dbov float64, seed uint64) []float64 {
	x := vadtest.White(n, seed)
	if kind == "pink" {
		x = vadtest.Pink(n, seed)
	}
	out := make([]float64, n)
	vadtest.Add(out, x, dbov)
	return out
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		cfg  vad.Config
		want string
	}{
		{vad.Config{}, "vad: 0 Hz: unsupported sample rate (supported: 8000, 16000, 32000, 48000 Hz)"},
		{vad.Config{Rate: 11025}, "vad: 11025 Hz: unsupported sample rate"},
		{vad.Config{Rate: 44100}, "vad: 44100 Hz: unsupported sample rate"},
		{vad.Config{Rate: -8000}, "vad: -8000 Hz: unsupported sample rate"},
		{vad.Config{Rate: 8000, Hangover: 11 * time.Second}, "vad: hangover 11s is over 10s"},
		{vad.Config{Rate: 8000, Onset: -time.Millisecond}, "vad: onset -1ms must be between 0 and 1s"},
		{vad.Config{Rate: 8000, Onset: 2 * time.Second}, "vad: onset 2s must be between 0 and 1s"},
		{vad.Config{Rate: 8000, Threshold: -3}, "vad: threshold -3 dB must be in (0, 60]"},
		{vad.Config{Rate: 8000, Threshold: 61}, "vad: threshold 61 dB must be in (0, 60]"},
		{vad.Config{Rate: 8000, Threshold: math.NaN()}, "vad: threshold NaN dB must be in (0, 60]"},
		{vad.Config{Rate: 8000, MinLevel: 3}, "vad: min level 3 dBov must be in [-120, 0)"},
		{vad.Config{Rate: 8000, MinLevel: -121}, "vad: min level -121 dBov must be in [-120, 0)"},
		{vad.Config{Rate: 8000, MinLevel: math.NaN()}, "vad: min level NaN dBov must be in [-120, 0)"},
	}
	for _, tc := range tests {
		d, err := vad.New(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) = %v, %v; want error containing %q", tc.cfg, d, err, tc.want)
		}
		if strings.Contains(tc.want, "sample rate") && !errors.Is(err, vad.ErrUnsupportedRate) {
			t.Errorf("New(%+v): %v is not ErrUnsupportedRate", tc.cfg, err)
		}
	}
}

func TestConfigDefaults(t *testing.T) {
	tests := []struct {
		in, want vad.Config
	}{
		{vad.Config{Rate: 16000}, vad.Config{Rate: 16000, Hangover: 80 * time.Millisecond, Onset: 10 * time.Millisecond, Threshold: 3.5, MinLevel: -55}},
		{vad.Config{Rate: 8000, Hangover: -5, Onset: time.Millisecond, Threshold: 6, MinLevel: -120},
			vad.Config{Rate: 8000, Hangover: vad.NoHangover, Onset: time.Millisecond, Threshold: 6, MinLevel: -120}},
	}
	for _, tc := range tests {
		d := newDetector(t, tc.in)
		if got := d.Config(); got != tc.want {
			t.Errorf("New(%+v).Config() = %+v, want %+v", tc.in, got, tc.want)
		}
		if got := d.BlockSize(); got != tc.in.Rate/100 {
			t.Errorf("BlockSize = %d, want %d", got, tc.in.Rate/100)
		}
	}
}

func TestSilence(t *testing.T) {
	for _, rate := range rates {
		d := newDetector(t, vad.Config{Rate: rate})
		if f := d.NoiseFloor(); f != level.Floor {
			t.Errorf("%d Hz: noise floor before any block %v, want %v", rate, f, level.Floor)
		}
		for i, s := range decide(d, make([]int16, 5*rate)) {
			if s {
				t.Fatalf("%d Hz: digital silence is speech at block %d", rate, i)
			}
		}
		if f := d.NoiseFloor(); f != level.Floor {
			t.Errorf("%d Hz: noise floor of digital silence %v, want %v", rate, f, level.Floor)
		}
	}
}

// score compares decisions with the truth per block. Recall is the share
// of speech blocks detected. Precision is the share of detections that are
// speech or within hangover of the end of a talkspurt: the hangover holds
// on past a word's end on purpose, so those blocks are the design, not
// false alarms; rawPrecision counts them as false.
func score(got, truth []bool, hangover int) (recall, precision, rawPrecision float64) {
	var tp, fn, hang, fp int
	last := -1 << 30
	for i, s := range got {
		if truth[i] {
			last = i
		}
		switch {
		case s && truth[i]:
			tp++
		case s && i-last <= hangover:
			hang++
		case s:
			fp++
		case truth[i]:
			fn++
		}
	}
	return float64(tp) / float64(tp+fn), float64(tp+hang) / float64(tp+hang+fp), float64(tp) / float64(tp+hang+fp)
}

// TestSpeechInNoise buries a minute of synthetic talk (vadtest.Talk) in
// stationary noise and scores the decisions against the truth: recall and
// precision must both exceed 0.9 at 20 and 10 dB SNR (full-band speech
// level over the talkspurts against the noise level).
func TestSpeechInNoise(t *testing.T) {
	for _, rate := range rates {
		for _, tc := range []struct {
			noise      string
			snr, level float64 // dB; noise level, dBov
		}{
			{"white", 20, -50},
			{"white", 10, -50},
			{"white", 10, -30},
			{"pink", 20, -50},
			{"pink", 10, -40},
		} {
			name := fmt.Sprintf("%d/%s/%gdB/%gdBov", rate, tc.noise, tc.snr, tc.level)
			t.Run(name, func(t *testing.T) {
				x, truth := vadtest.Talk(rate, time.Minute, 1)
				sum := noise(tc.noise, len(x), tc.level, 2)
				vadtest.Add(sum, x, tc.level+tc.snr)
				d := newDetector(t, vad.Config{Rate: rate})
				got := decide(d, vadtest.Quantize(sum))
				recall, precision, raw := score(got, truth, 20)
				t.Logf("recall %.3f precision %.3f (%.3f counting the hangover as false), noise floor %.1f dBov", recall, precision, raw, d.NoiseFloor())
				if recall <= 0.9 || precision <= 0.9 {
					t.Errorf("recall %.3f, precision %.3f: want both > 0.9", recall, precision)
				}
			})
		}
	}
}

// TestNoiseAlone: stationary noise, after a second to learn it, is not
// speech (false positives under 2%), and the noise floor reads its level.
func TestNoiseAlone(t *testing.T) {
	for _, rate := range rates {
		for _, kind := range []string{"white", "pink"} {
			for _, lvl := range []float64{-60, -50, -40, -30, -20, -10} {
				d := newDetector(t, vad.Config{Rate: rate})
				got := decide(d, vadtest.Quantize(noise(kind, 20*rate, lvl, uint64(-lvl))))
				fp := 0
				for _, s := range got[100:] {
					if s {
						fp++
					}
				}
				rateFP := float64(fp) / float64(len(got)-100)
				floor := d.NoiseFloor()
				t.Logf("%5d Hz %s %g dBov: false positives %.2f%%, noise floor %.1f dBov", rate, kind, lvl, 100*rateFP, floor)
				if rateFP >= 0.03 {
					t.Errorf("%d Hz %s noise at %g dBov: %.1f%% false positives, want < 3%%", rate, kind, lvl, 100*rateFP)
				}
				// A minimum reads under the mean, more so for pink noise,
				// whose level fluctuates more from block to block.
				if under := map[string]float64{"white": 1.5, "pink": 4}[kind]; floor > lvl || floor < lvl-under {
					t.Errorf("%d Hz %s noise at %g dBov: noise floor %.1f dBov, want within %g dB under", rate, kind, lvl, floor, under)
				}
			}
		}
	}
}

// TestNoiseStep: the floor follows noise that gets louder within the
// tracking window (2.25 s) and noise that gets quieter within 200 ms (the
// smoothing); the louder noise is speech only until the floor has caught
// up.
func TestNoiseStep(t *testing.T) {
	for _, rate := range rates {
		quiet, loud := noise("white", 3*rate, -50, 1), noise("white", 5*rate, -30, 2)
		d := newDetector(t, vad.Config{Rate: rate})
		up := decide(d, vadtest.Quantize(append(quiet, loud...)))
		// Within the tracking window (225 blocks), the quantile's
		// last steps and the hangover (75 blocks), the louder noise is no more speech than
		// steady noise is (TestNoiseAlone).
		fp := 0
		for _, s := range up[300+300:] {
			if s {
				fp++
			}
		}
		if r := float64(fp) / float64(len(up)-600); r >= 0.03 {
			t.Errorf("%d Hz: noise 20 dB louder at block 300 is speech in %.1f%% of the blocks from 600 on, want < 3%%", rate, 100*r)
		}
		if f := d.NoiseFloor(); f < -31 || f > -30 {
			t.Errorf("%d Hz: floor %.1f dBov after the step up, want -30 dBov (up to 1 dB under)", rate, f)
		}
		down := decide(d, vadtest.Quantize(quiet[:rate/5]))
		if f := d.NoiseFloor(); f < -51 || f > -49 {
			t.Errorf("%d Hz: floor %.1f dBov 200 ms after a step down to -50 dBov", rate, f)
		}
		for i, s := range down {
			if s {
				t.Errorf("%d Hz: quieter noise is speech at block %d", rate, i)
			}
		}
	}
}

// burst returns background noise at -50 dBov with a 500 Hz sine at
// -20 dBov over blocks [from, to) of a 10 ms grid, total blocks long.
func burst(rate, total, from, to int) []int16 {
	bs := rate / 100
	x := noise("white", total*bs, -50, 7)
	a := level.SineAmplitude(-20)
	for i := from * bs; i < to*bs; i++ {
		x[i] += a * math.Sin(2*math.Pi*500*float64(i)/float64(rate))
	}
	return vadtest.Quantize(x)
}

// TestHangover: a talkspurt outlasts its last loud block by exactly the
// hangover, rounded up to blocks, then ends; a pause shorter than the
// hangover does not end it.
func TestHangover(t *testing.T) {
	for _, rate := range rates {
		for _, tc := range []struct {
			hangover time.Duration
			blocks   int
		}{
			{0, 8}, // DefaultHangover
			{vad.NoHangover, 0},
			{10 * time.Millisecond, 1},
			{15 * time.Millisecond, 2},
			{100 * time.Millisecond, 10},
			{350 * time.Millisecond, 35},
			{time.Second, 100},
		} {
			d := newDetector(t, vad.Config{Rate: rate, Hangover: tc.hangover})
			got := decide(d, burst(rate, 400, 150, 200))
			for i, s := range got {
				want := i >= 150 && i < 200+tc.blocks // onset: the first loud block starts it
				if s != want {
					t.Fatalf("%d Hz, hangover %v: block %d speech=%v, want %v (tone over blocks 150-199)", rate, tc.hangover, i, s, want)
				}
			}
		}
		// Two tones 150 ms apart: one talkspurt with a 200 ms hangover,
		// two with 100 ms.
		x := burst(rate, 400, 100, 150)
		copy(x[165*rate/100:], burst(rate, 400, 165, 200)[165*rate/100:])
		for _, tc := range []struct {
			hangover time.Duration
			spurts   int
		}{{200 * time.Millisecond, 1}, {100 * time.Millisecond, 2}} {
			spurts, was := 0, false
			for _, s := range decide(newDetector(t, vad.Config{Rate: rate, Hangover: tc.hangover}), x) {
				if s && !was {
					spurts++
				}
				was = s
			}
			if spurts != tc.spurts {
				t.Errorf("%d Hz, hangover %v: %d talkspurts over a 150 ms pause, want %d", rate, tc.hangover, spurts, tc.spurts)
			}
		}
	}
}

// TestClicks: a 10 ms click on a block, or an impulse anywhere in a block,
// does not start a talkspurt with the default onset; a click across two
// blocks does not with a 30 ms onset. The same click with a one-block
// onset does, which shows the click is loud enough to matter.
func TestClicks(t *testing.T) {
	for _, rate := range rates {
		bs := rate / 100
		type click struct {
			name  string
			onset time.Duration
			at    int // first sample
			n     int // samples
			want  bool
		}
		tests := []click{
			{"10ms on a block, onset 70ms", 70 * time.Millisecond, 150 * bs, bs, false},
			{"10ms on a block", 0, 150 * bs, bs, true},
			{"10ms across two blocks, onset 70ms", 70 * time.Millisecond, 150*bs + bs/2, bs, false},
			{"80ms, onset 70ms", 70 * time.Millisecond, 150 * bs, 8 * bs, true},
		}
		for _, pos := range []int{0, 1, bs / 2, bs - 2, bs - 1} {
			tests = append(tests, click{fmt.Sprintf("impulse at sample %d of a block, onset 70ms", pos), 70 * time.Millisecond, 150*bs + pos, 1, false})
		}
		for _, tc := range tests {
			x := noise("white", 300*bs, -50, 3)
			loud := noise("white", tc.n, -6, 4) // broadband
			if tc.n == 1 {
				loud[0] = 30000
			}
			copy(x[tc.at:], loud)
			got := false
			for _, s := range decide(newDetector(t, vad.Config{Rate: rate, Onset: tc.onset}), vadtest.Quantize(x)) {
				got = got || s
			}
			if got != tc.want {
				t.Errorf("%d Hz, %s: talkspurt %v, want %v", rate, tc.name, got, tc.want)
			}
		}
	}
}

func TestMinLevel(t *testing.T) {
	for _, tc := range []struct {
		level, minLevel float64
		want            bool
	}{
		{-50, 0, true},     // -50 dBov talk over digital silence
		{-66, 0, false},    // under the default -55 dBov, peaks included
		{-60, -70, true},   // a lower limit lets it through
		{-95, -120, true},  // none
		{-40, -30, false},  // a higher one stops louder talk
		{-20, -30, true},   // and lets louder through
		{-100, -120, true}, // tiny but still over digital silence
	} {
		x, _ := vadtest.Talk(8000, 4*time.Second, 5)
		sum := make([]float64, len(x))
		vadtest.Add(sum, x, tc.level)
		got := false
		for _, s := range decide(newDetector(t, vad.Config{Rate: 8000, MinLevel: tc.minLevel}), vadtest.Quantize(sum)) {
			got = got || s
		}
		if got != tc.want {
			t.Errorf("talk at %g dBov, min level %g: speech %v, want %v", tc.level, tc.minLevel, got, tc.want)
		}
	}
}

// TestBlockLength: a block of the wrong length is not analysed and
// changes nothing; ProcessFrame analyses whole blocks and ignores the rest.
func TestBlockLength(t *testing.T) {
	pcm := burst(8000, 300, 100, 200)
	d := newDetector(t, vad.Config{Rate: 8000})
	decide(d, pcm[:120*80]) // in a talkspurt
	floor := d.NoiseFloor()
	for _, n := range []int{0, 1, 79, 81, 160} {
		if d.Process(pcm[:n]) {
			t.Errorf("Process of %d samples = true, want false", n)
		}
		if !d.Active() || d.NoiseFloor() != floor {
			t.Errorf("Process of %d samples changed the detector", n)
		}
	}
	if !d.ProcessFrame(nil) || !d.ProcessFrame(pcm[:79]) {
		t.Error("ProcessFrame without a whole block does not report Active (true)")
	}

	// ProcessFrame over frames of 2.5 blocks decides as Process does on
	// the whole blocks and skips the half.
	a, b := newDetector(t, vad.Config{Rate: 8000}), newDetector(t, vad.Config{Rate: 8000})
	for f := 0; f+200 <= len(pcm); f += 200 {
		want := false
		for i := 0; i < 2; i++ {
			want = b.Process(pcm[f+i*80:f+(i+1)*80]) || want
		}
		if got := a.ProcessFrame(pcm[f : f+200]); got != want {
			t.Fatalf("frame at %d: ProcessFrame %v, blocks %v", f, got, want)
		}
	}
}

func TestReset(t *testing.T) {
	pcm := burst(16000, 300, 100, 200)
	d := newDetector(t, vad.Config{Rate: 16000})
	first := decide(d, pcm)
	d.Reset()
	if d.Active() || d.NoiseFloor() != level.Floor {
		t.Fatalf("after Reset: active %v, floor %v", d.Active(), d.NoiseFloor())
	}
	second := decide(d, pcm)
	for i := range first {
		if first[i] != second[i] {
			t.Fatalf("block %d: %v after Reset, %v before", i, second[i], first[i])
		}
	}
}

func TestNoAllocs(t *testing.T) {
	for _, rate := range rates {
		d := newDetector(t, vad.Config{Rate: rate})
		pcm := burst(rate, 10, 2, 8)
		if n := testing.AllocsPerRun(100, func() { d.ProcessFrame(pcm); d.Process(pcm[:rate/100]) }); n != 0 {
			t.Errorf("%d Hz: %v allocations per call", rate, n)
		}
	}
}

// BenchmarkProcess is one 10 ms block of talk in noise.
func BenchmarkProcess(b *testing.B) {
	for _, rate := range rates {
		b.Run(fmt.Sprintf("rate=%d", rate), func(b *testing.B) {
			x, _ := vadtest.Talk(rate, 3*time.Second, 1)
			sum := noise("white", len(x), -50, 2)
			vadtest.Add(sum, x, -30)
			pcm := vadtest.Quantize(sum)
			d := newDetector(b, vad.Config{Rate: rate})
			bs := d.BlockSize()
			b.SetBytes(int64(2 * bs))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				d.Process(pcm[i : i+bs])
				if i += bs; i+bs > len(pcm) {
					i = 0
				}
			}
		})
	}
}
