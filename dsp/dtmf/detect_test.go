package dtmf

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/voxgraph/voxgraph/dsp/level"
	"github.com/voxgraph/voxgraph/dsp/tone"
	"github.com/voxgraph/voxgraph/dsp/vad/vadtest"
)

// signal describes a test signal: silence, a digit, silence.
type signal struct {
	rate          int
	digit         rune
	level, twist  float64 // dBov of the digit, high minus low group dB
	offLo, offHi  float64 // relative frequency offsets
	lead, on, end time.Duration
	noise         float64 // dBov of white noise added, 0: none
	seed          uint64
}

// make renders the signal and returns it with the digit's start sample.
func (s signal) make() ([]int16, int) {
	k := Index(s.digit)
	lo, hi := amplitudes(s.level, s.twist)
	nLead, nOn, nEnd := samples(s.lead, s.rate), samples(s.on, s.rate), samples(s.end, s.rate)
	x := make([]float64, nLead+nOn+nEnd)
	a := make([]int16, nOn)
	b := make([]int16, nOn)
	tone.NewGenerator(s.rate, []float64{grid[k/4] * (1 + s.offLo)}, lo).Fill(a)
	tone.NewGenerator(s.rate, []float64{grid[4+k%4] * (1 + s.offHi)}, hi).Fill(b)
	for i := range a {
		x[nLead+i] = float64(a[i]) + float64(b[i])
	}
	if s.noise != 0 {
		n := vadtest.White(len(x), s.seed+1)
		g := level.SineAmplitude(s.noise) / math.Sqrt2 // unit RMS to the level
		for i := range x {
			x[i] += g * n[i]
		}
	}
	pcm := make([]int16, len(x))
	for i, v := range x {
		pcm[i] = int16(max(math.MinInt16, min(math.MaxInt16, math.Round(v))))
	}
	return pcm, nLead
}

// detect runs a Detector over pcm in chunks of chunk samples and returns
// the events.
func detect(t testing.TB, rate int, pcm []int16, chunk int) []Event {
	d, err := New(Config{Rate: rate})
	if err != nil {
		t.Fatal(err)
	}
	var ev []Event
	for len(pcm) > 0 {
		k := min(chunk, len(pcm))
		ev = d.Process(pcm[:k], ev)
		pcm = pcm[k:]
	}
	return d.Flush(ev)
}

// ends keeps the End events.
func ends(ev []Event) []Event {
	var out []Event
	for _, e := range ev {
		if e.End {
			out = append(out, e)
		}
	}
	return out
}

func digitsOf(ev []Event) string {
	var b strings.Builder
	for _, e := range ends(ev) {
		b.WriteRune(e.Digit)
	}
	return b.String()
}

// TestEveryDigit: every digit at -5 to -30 dBov, twist at the limits
// and ±1.5 % frequency offsets is found exactly once, with its start
// within a block and its duration within two blocks, at 8 and 16 kHz.
func TestEveryDigit(t *testing.T) {
	offsets := [][2]float64{{0, 0}, {0.015, 0.015}, {-0.015, -0.015}, {0.015, -0.015}, {-0.015, 0.015}}
	n := 0
	for _, rate := range []int{8000, 16000} {
		block := time.Duration(samples(blockTime, rate)) * time.Second / time.Duration(rate)
		for _, lvl := range []float64{-5, -10, -20, -30} {
			for _, twist := range []float64{-8, 0, 4} {
				for oi, off := range offsets {
					for _, digit := range keys {
						n++
						lead := 100*time.Millisecond + time.Duration(n%53)*time.Millisecond
						s := signal{rate: rate, digit: digit, level: lvl, twist: twist, offLo: off[0], offHi: off[1],
							lead: lead, on: 60 * time.Millisecond, end: 100 * time.Millisecond}
						pcm, _ := s.make()
						ev := detect(t, rate, pcm, 80+n%300)
						name := fmt.Sprintf("%d Hz %c %g dBov twist %g off %v", rate, digit, lvl, twist, offsets[oi])
						e := ends(ev)
						if len(e) != 1 || e[0].Digit != digit || len(ev) != 2 {
							t.Errorf("%s: events %v, want one %c", name, ev, digit)
							continue
						}
						if d := e[0].Start - lead; d < -block || d > block {
							t.Errorf("%s: start %s, want %s ± %s", name, e[0].Start, lead, block)
						}
						if d := e[0].Duration - s.on; d < -2*block || d > 2*block {
							t.Errorf("%s: duration %s, want %s", name, e[0].Duration, s.on)
						}
					}
				}
			}
		}
	}
}

// dBm0 is the dBov of a sine at dBm0 (ITU-T G.711: a 0 dBm0 sine peaks
// 3.14 dB under full scale, and a sine's power is 3.01 dB under its peak).
const dBm0 = -6.15

// digitLevel returns the dBov of a digit (both tones) whose low-group tone
// is at low dBm0 and whose high-group tone is twist dB above it.
func digitLevel(low, twist float64) float64 {
	return 10*math.Log10(1+math.Pow(10, twist/10)) + low + dBm0
}

// TestLimitTwist: a digit at exactly the ITU-T Q.24 twist limits (high
// group 8 dB under the low group, or 4 dB over it) is valid, at every
// level from the stronger tone at -4 dBm0 down to the weaker one at
// -33 dBm0 (the detector's MinLevel is about -36 dBm0), 40 and 100 ms
// long, frequencies on or 1 % off: each is found exactly once (one End
// event, and at most one before it: a 40 ms digit may be known only when
// it ends), with its start within a block and its duration
// within two blocks.
func TestLimitTwist(t *testing.T) {
	offsets := [][2]float64{{0, 0}, {0.01, 0.01}, {-0.01, -0.01}, {0.01, -0.01}}
	n := 0
	for _, rate := range []int{8000, 16000} {
		block := time.Duration(samples(blockTime, rate)) * time.Second / time.Duration(rate)
		for _, tc := range []struct {
			twist float64
			low   []float64 // dBm0 of the low-group tone
		}{
			{-8, []float64{-4, -10, -17, -25}}, // high group -12 ... -33 dBm0
			{4, []float64{-8, -16, -25, -33}},  // high group -4 ... -29 dBm0
		} {
			for _, low := range tc.low {
				for _, on := range []time.Duration{40 * time.Millisecond, 100 * time.Millisecond} {
					for _, digit := range keys {
						n++
						off := offsets[n%len(offsets)]
						lead := 100*time.Millisecond + time.Duration(n%29)*time.Millisecond/2
						s := signal{rate: rate, digit: digit, level: digitLevel(low, tc.twist), twist: tc.twist,
							offLo: off[0], offHi: off[1], lead: lead, on: on, end: 100 * time.Millisecond}
						pcm, _ := s.make()
						ev := detect(t, rate, pcm, 80+n%240)
						name := fmt.Sprintf("%d Hz %c low %g dBm0 twist %+g dB %s off %v", rate, digit, low, tc.twist, on, off)
						e := ends(ev)
						if len(e) != 1 || e[0].Digit != digit || len(ev) > 2 {
							t.Errorf("%s: events %v, want one %c", name, ev, digit)
							continue
						}
						if d := e[0].Start - lead; d < -block || d > block {
							t.Errorf("%s: start %s, want %s ± %s", name, e[0].Start, lead, block)
						}
						if d := e[0].Duration - on; d < -2*block || d > 2*block {
							t.Errorf("%s: duration %s, want %s", name, e[0].Duration, on)
						}
					}
				}
			}
		}
	}
}

// TestLimitTwistNoise: long digits (1 s) at the twist limits in white
// noise, 20 dB under the weaker tone, at each frequency offset of
// TestLimitTwist, are each found exactly once: no check flickers long
// enough to split them.
func TestLimitTwistNoise(t *testing.T) {
	n := 0
	for _, rate := range []int{8000, 16000} {
		for _, twist := range []float64{-8, 4} {
			for i, digit := range keys {
				n++
				low := -10.0
				weak := min(low, low+twist) + dBm0
				off := 0.01 * float64(n%3-1)
				s := signal{rate: rate, digit: digit, level: digitLevel(low, twist), twist: twist, offLo: off, offHi: -off,
					noise: weak - 20, seed: uint64(n),
					lead: 100 * time.Millisecond, on: time.Second, end: 100 * time.Millisecond}
				pcm, _ := s.make()
				ev := ends(detect(t, rate, pcm, 160))
				if len(ev) != 1 || ev[0].Digit != digit || ev[0].Duration < 950*time.Millisecond {
					t.Errorf("%d Hz %c (%d) twist %+g dB in noise: %v, want one %c of 1 s", rate, digit, i, twist, ev, digit)
				}
			}
		}
	}
}

// TestTwistOutOfRange: a tone is not flagged as DTMF when its twist is
// out of range: high group 3 or more dB beyond the 8 dB normal-twist
// limit, or low group 3 or more dB beyond the 4 dB reverse-twist limit
// (the check refuses beyond the limits plus twistMargin, 2 dB), at any
// level, for 200 ms.
func TestTwistOutOfRange(t *testing.T) {
	for _, rate := range []int{8000, 16000} {
		for _, twist := range []float64{-11, -12, -14, 7, 8, 10} {
			for _, lvl := range []float64{-5, -15, -25} {
				for _, digit := range keys {
					s := signal{rate: rate, digit: digit, level: lvl, twist: twist, lead: 50 * time.Millisecond, on: 200 * time.Millisecond, end: 50 * time.Millisecond}
					pcm, _ := s.make()
					if ev := detect(t, rate, pcm, 160); len(ev) != 0 {
						t.Errorf("%d Hz %c at %g dBov, twist %+g dB: %v, want nothing", rate, digit, lvl, twist, ev)
					}
				}
			}
		}
	}
}

// TestFrequencyOffset sweeps the offset of the low tone, the high tone
// and both from -5 % to +5 %: within ±1.5 % the digit is found, from
// ±3.5 % on it is not (ITU-T Q.24).
func TestFrequencyOffset(t *testing.T) {
	for _, rate := range []int{8000, 16000} {
		for _, which := range []string{"low", "high", "both"} {
			for _, digit := range keys {
				var accepted []string
				for step := -20; step <= 20; step++ {
					off := float64(step) * 0.0025
					s := signal{rate: rate, digit: digit, level: -15, lead: 30 * time.Millisecond, on: 100 * time.Millisecond, end: 50 * time.Millisecond}
					if which != "high" {
						s.offLo = off
					}
					if which != "low" {
						s.offHi = off
					}
					pcm, _ := s.make()
					got := digitsOf(detect(t, rate, pcm, 160))
					switch {
					case math.Abs(off) <= 0.015+1e-9 && got != string(digit):
						t.Errorf("%d Hz %c, %s tone %+.2f %%: got %q, want it", rate, digit, which, off*100, got)
					case math.Abs(off) >= 0.035-1e-9 && got != "":
						t.Errorf("%d Hz %c, %s tone %+.2f %%: got %q, want nothing", rate, digit, which, off*100, got)
					}
					if got != "" {
						accepted = append(accepted, fmt.Sprintf("%+.2f", off*100))
					}
				}
				if testing.Verbose() && digit == '5' {
					t.Logf("%d Hz %c, %s tone: accepted at %v %%", rate, digit, which, accepted)
				}
			}
		}
	}
}

// TestDuration: a tone of 40 ms or more is a digit, one of 23 ms or less
// is not, wherever it falls against the blocks.
func TestDuration(t *testing.T) {
	for _, rate := range []int{8000, 16000} {
		for _, tc := range []struct {
			on   time.Duration
			want bool
		}{{10 * time.Millisecond, false}, {20 * time.Millisecond, false}, {23 * time.Millisecond, false},
			{40 * time.Millisecond, true}, {45 * time.Millisecond, true}, {1 * time.Second, true}} {
			for shift := range 14 {
				for _, digit := range "159#D" {
					s := signal{rate: rate, digit: digit, level: -12, twist: -2, lead: 40*time.Millisecond + time.Duration(shift)*time.Millisecond,
						on: tc.on, end: 60 * time.Millisecond}
					pcm, _ := s.make()
					got := digitsOf(detect(t, rate, pcm, 160))
					if (got == string(digit)) != tc.want || len(got) > 1 {
						t.Errorf("%d Hz %c for %s at +%d ms: got %q, want found=%v", rate, digit, tc.on, shift, got, tc.want)
					}
				}
			}
		}
	}
}

// TestSequence: digits separated by 40 ms pauses are all found, each
// once, repeated digits too; one long digit is reported once, even with a
// 10 ms drop-out in it.
func TestSequence(t *testing.T) {
	for _, rate := range []int{8000, 16000} {
		for _, digits := range []string{"0123456789*#ABCD", "1111", "5555599999", "#*#*"} {
			pcm, err := Sequence(make([]int16, samples(33*time.Millisecond, rate)), rate, digits, 40*time.Millisecond, 40*time.Millisecond, -10, -1)
			if err != nil {
				t.Fatal(err)
			}
			ev := detect(t, rate, pcm, 160)
			if got := digitsOf(ev); got != digits {
				t.Errorf("%d Hz: got %q, want %q", rate, got, digits)
			}
		}
		s := signal{rate: rate, digit: '7', level: -10, lead: 20 * time.Millisecond, on: 3 * time.Second, end: 50 * time.Millisecond}
		pcm, at := s.make()
		if got := digitsOf(detect(t, rate, pcm, 160)); got != "7" {
			t.Errorf("%d Hz long digit: got %q, want one 7", rate, got)
		}
		clear(pcm[at+rate : at+rate+rate/100]) // a 10 ms drop-out
		if ev := ends(detect(t, rate, pcm, 160)); len(ev) != 1 || ev[0].Duration < 2900*time.Millisecond {
			t.Errorf("%d Hz long digit with a drop-out: %v, want one 7 of 3 s", rate, ev)
		}
	}
}

// TestNoise: every digit at -5 dBov in white noise at -20 dBov (15 dB SNR)
// is found once.
func TestNoise(t *testing.T) {
	for _, rate := range []int{8000, 16000} {
		for i, digit := range keys {
			for _, twist := range []float64{-4, 0, 2} {
				s := signal{rate: rate, digit: digit, level: -5, twist: twist, offLo: 0.01, offHi: -0.01, noise: -20, seed: uint64(i),
					lead: 300 * time.Millisecond, on: 50 * time.Millisecond, end: 300 * time.Millisecond}
				pcm, _ := s.make()
				if got := digitsOf(detect(t, rate, pcm, 160)); got != string(digit) {
					t.Errorf("%d Hz %c twist %g in noise: got %q", rate, digit, twist, got)
				}
			}
		}
	}
}

// TestTwoRows: a third tone in a group (two keys pressed) is not a digit.
func TestTwoRows(t *testing.T) {
	for _, rate := range []int{8000, 16000} {
		pcm := make([]int16, rate/4)
		tone.NewGenerator(rate, []float64{697, 852, 1336}, level.SineAmplitude(-15)).Fill(pcm)
		if ev := detect(t, rate, pcm, 160); len(ev) != 0 {
			t.Errorf("%d Hz two rows and a column: %v", rate, ev)
		}
		tone.NewGenerator(rate, []float64{770, 1209, 1477}, level.SineAmplitude(-15)).Fill(pcm)
		if ev := detect(t, rate, pcm, 160); len(ev) != 0 {
			t.Errorf("%d Hz a row and two columns: %v", rate, ev)
		}
	}
}

// TestTalkOff: synthetic talk (vadtest.Talk: voiced syllables with
// formants, several voices), 4 minutes at each rate and level, gives no
// digit.
func TestTalkOff(t *testing.T) {
	total := 0
	for _, rate := range []int{8000, 16000} {
		for seed := range uint64(4) {
			x, _ := vadtest.Talk(rate, time.Minute, 100+seed)
			for _, lvl := range []float64{-10, -25} {
				sum := make([]float64, len(x))
				vadtest.Add(sum, x, lvl)
				if seed%2 == 1 {
					vadtest.Add(sum, vadtest.White(len(x), seed), lvl-25)
				}
				ev := detect(t, rate, vadtest.Quantize(sum), 160)
				total += len(ev)
				if len(ev) != 0 {
					t.Errorf("%d Hz talk seed %d at %g dBov: %v", rate, seed, lvl, ev)
				}
			}
		}
	}
	t.Logf("talk-off: %d detections in 16 minutes of synthetic talk", total)
}

// TestLevel: the reported level is the digit's, within 0.5 dB.
func TestLevel(t *testing.T) {
	for _, lvl := range []float64{-8, -20, -35} {
		s := signal{rate: 8000, digit: '8', level: lvl, twist: -3, lead: 50 * time.Millisecond, on: 80 * time.Millisecond, end: 50 * time.Millisecond}
		pcm, _ := s.make()
		ev := ends(detect(t, 8000, pcm, 160))
		if len(ev) != 1 || math.Abs(ev[0].Level-lvl) > 0.5 {
			t.Errorf("digit at %g dBov: %+v", lvl, ev)
		}
	}
}

// TestHarmonics: a digit whose tones carry second harmonics 6 dB under
// them (a sung or played note pair, not a keypad) is refused; harmonics
// 20 dB under them (a distorting line) are tolerated.
func TestHarmonics(t *testing.T) {
	for _, rate := range []int{8000, 16000} {
		for _, tc := range []struct {
			harmonic float64 // dB under each tone
			want     bool
		}{{6, false}, {20, true}} {
			for k, digit := range keys {
				lo, hi := grid[k/4], grid[4+k%4]
				n := rate / 5
				a := make([]int16, n)
				b := make([]int16, n)
				tone.NewGenerator(rate, []float64{lo, hi}, level.SineAmplitude(-15)).Fill(a)
				tone.NewGenerator(rate, []float64{2 * lo, 2 * hi}, level.SineAmplitude(-15-tc.harmonic)).Fill(b)
				for i := range a {
					a[i] += b[i]
				}
				got := digitsOf(detect(t, rate, a, 160))
				if (got == string(digit)) != tc.want {
					t.Errorf("%d Hz %c with harmonics %g dB under: got %q, want found=%v", rate, digit, tc.harmonic, got, tc.want)
				}
			}
		}
	}
}

// TestOtherRates: a sequence of every digit is found at 11.025, 22.05,
// 32, 44.1 and 48 kHz too.
func TestOtherRates(t *testing.T) {
	for _, rate := range []int{11025, 22050, 32000, 44100, 48000} {
		pcm, err := Sequence(make([]int16, rate/10), rate, "0123456789*#ABCD", 50*time.Millisecond, 50*time.Millisecond, -15, -2)
		if err != nil {
			t.Fatal(err)
		}
		if got := digitsOf(detect(t, rate, pcm, rate/50)); got != "0123456789*#ABCD" {
			t.Errorf("%d Hz: got %q", rate, got)
		}
	}
}
