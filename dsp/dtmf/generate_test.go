package dtmf

import (
	"math"
	"testing"
	"time"

	"github.com/voxgraph/voxgraph/dsp/level"
	"github.com/voxgraph/voxgraph/dsp/tone"
	"github.com/voxgraph/voxgraph/dsp/vad/vadtest"
)

// TestGeneratorLevelAndTwist: the two tones of a generated digit have the
// asked level together and the asked twist, measured with tone.Power.
func TestGeneratorLevelAndTwist(t *testing.T) {
	for _, rate := range []int{8000, 16000, 48000} {
		for _, tc := range []struct{ level, twist float64 }{{-10, 0}, {-20, -6}, {-7, 3}} {
			g, err := NewGenerator(rate, tc.level, tc.twist)
			if err != nil {
				t.Fatal(err)
			}
			if err := g.Start('6'); err != nil {
				t.Fatal(err)
			}
			pcm := make([]int16, rate) // 1 s: whole cycles of 770 and 1477 Hz
			g.Fill(pcm)
			lo, hi := tone.Power(pcm, rate, 770), tone.Power(pcm, rate, 1477)
			if got := level.DBov(math.Sqrt(lo + hi)); math.Abs(got-tc.level) > 0.05 {
				t.Errorf("%d Hz %+v: level %.2f dBov", rate, tc, got)
			}
			if got := 10 * math.Log10(hi/lo); math.Abs(got-tc.twist) > 0.05 {
				t.Errorf("%d Hz %+v: twist %.2f dB", rate, tc, got)
			}
		}
	}
}

func TestGeneratorStopAndAdd(t *testing.T) {
	g, _ := NewGenerator(8000, -10, 0)
	pcm := make([]int16, 400)
	g.Fill(pcm)
	if level.Peak(pcm) != 0 || g.Playing() != 0 {
		t.Fatal("idle generator not silent")
	}
	if err := g.Start('x'); err == nil {
		t.Fatal("Start('x') succeeded")
	}
	_ = g.Start('b')
	if g.Playing() != 'B' {
		t.Fatalf("Playing %q", g.Playing())
	}
	for i := range pcm {
		pcm[i] = 1000
	}
	g.Add(pcm)
	if tone.Power(pcm, 8000, 0)/2 < 900*900 || tone.Power(pcm, 8000, 770) < 1e6 {
		t.Fatal("Add lost the signal or the tone")
	}
	g.Stop()
	before := append([]int16(nil), pcm...)
	g.Add(pcm)
	for i := range pcm {
		if pcm[i] != before[i] {
			t.Fatal("Add after Stop changed the signal")
		}
	}
}

func TestSequenceErrors(t *testing.T) {
	for _, tc := range []struct {
		digits  string
		on, off time.Duration
		rate    int
		level   float64
	}{{"12x", 50 * time.Millisecond, 50 * time.Millisecond, 8000, -10},
		{"1", 0, 50 * time.Millisecond, 8000, -10},
		{"1", 50 * time.Millisecond, -1, 8000, -10},
		{"1", 50 * time.Millisecond, 50 * time.Millisecond, 4000, -10},
		{"1", 50 * time.Millisecond, 50 * time.Millisecond, 8000, math.NaN()}} {
		if _, err := Sequence(nil, tc.rate, tc.digits, tc.on, tc.off, tc.level, 0); err == nil {
			t.Errorf("Sequence(%+v) succeeded", tc)
		}
	}
	pcm, err := Sequence(nil, 8000, "1,2", 50*time.Millisecond, 50*time.Millisecond, -10, 0)
	if err != nil || len(pcm) != 3*800 {
		t.Fatalf("len %d, err %v", len(pcm), err)
	}
}

func TestNewErrors(t *testing.T) {
	for _, cfg := range []Config{{Rate: 0}, {Rate: 7999}, {Rate: 96000}, {Rate: 8000, MinLevel: 3},
		{Rate: 8000, MinLevel: math.NaN()}, {Rate: 8000, MaxTwist: -1}, {Rate: 8000, FreqTolerance: 0.2},
		{Rate: 8000, MinDuration: -time.Second}} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) succeeded", cfg)
		}
	}
}

// FuzzDetector feeds arbitrary bytes as PCM in arbitrary chunks: no panic,
// events well formed and in order.
func FuzzDetector(f *testing.F) {
	seq, _ := Sequence(nil, 8000, "19#", 50*time.Millisecond, 50*time.Millisecond, -10, 0)
	b := make([]byte, 2*len(seq))
	for i, v := range seq {
		b[2*i], b[2*i+1] = byte(v), byte(v>>8)
	}
	f.Add(b, uint16(160), false)
	f.Add([]byte{0xff, 0x7f, 0, 0x80}, uint16(1), true)
	f.Fuzz(func(t *testing.T, data []byte, chunk uint16, wide bool) {
		rate := 8000
		if wide {
			rate = 16000
		}
		d, err := New(Config{Rate: rate})
		if err != nil {
			t.Fatal(err)
		}
		pcm := make([]int16, len(data)/2)
		for i := range pcm {
			pcm[i] = int16(uint16(data[2*i]) | uint16(data[2*i+1])<<8)
		}
		c := max(1, int(chunk)%1000)
		var ev []Event
		for len(pcm) > 0 {
			k := min(c, len(pcm))
			ev = d.Process(pcm[:k], ev)
			pcm = pcm[k:]
		}
		ev = d.Flush(ev)
		for _, e := range ev {
			if Index(e.Digit) < 0 || e.Start < 0 || e.Duration < 0 {
				t.Fatalf("bad event %+v", e)
			}
		}
	})
}

// BenchmarkDetect measures a 10 ms frame of the per-frame path on a
// digit sequence (the costlier case: every block is a candidate).
func BenchmarkDetect(b *testing.B) {
	for _, rate := range []int{8000, 16000} {
		b.Run(map[int]string{8000: "8kHz", 16000: "16kHz"}[rate], func(b *testing.B) {
			pcm, _ := Sequence(nil, rate, "123456789*0#ABCD", 60*time.Millisecond, 40*time.Millisecond, -10, 0)
			d, _ := New(Config{Rate: rate})
			frame := rate / 100
			ev := make([]Event, 0, 16)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				off := (i * frame) % (len(pcm) - frame)
				ev = d.Process(pcm[off:off+frame], ev[:0])
			}
		})
	}
}

// BenchmarkDetectTalk measures a 10 ms frame of speech-like signal, the
// usual case (few blocks pass the energy check).
func BenchmarkDetectTalk(b *testing.B) {
	x, _ := vadtest.Talk(8000, 20*time.Second, 1)
	sum := make([]float64, len(x))
	vadtest.Add(sum, x, -20)
	pcm := vadtest.Quantize(sum)
	d, _ := New(Config{Rate: 8000})
	ev := make([]Event, 0, 16)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		off := (i * 80) % (len(pcm) - 80)
		ev = d.Process(pcm[off:off+80], ev[:0])
	}
}
