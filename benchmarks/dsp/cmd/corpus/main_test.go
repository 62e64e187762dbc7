package main

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/voxgraph/voxgraph/benchmarks/dsp/corpus"
	"github.com/voxgraph/voxgraph/benchmarks/dsp/synth"
)

// TestEchoERL checks that the echo of a far end sits exactly erl dB below
// it (active levels) and arrives after the bulk delay.
func TestEchoERL(t *testing.T) {
	const rate = 8000
	far := make([]float64, 2*rate)
	for i := rate / 2; i < rate; i++ {
		far[i] = 3000 * math.Sin(2*math.Pi*440*float64(i)/rate)
	}
	g := &gen{}
	for _, tt := range []struct{ erl, delayMs float64 }{{6, 10}, {12, 60}, {20, 150}} {
		e := g.echo(far, rate, aecPath{rt60: 0.2, delayMs: tt.delayMs}, tt.erl, 1)
		got := synth.DBov(synth.ActiveLevel(far, rate)) - synth.DBov(synth.ActiveLevel(e, rate))
		if math.Abs(got-tt.erl) > 1e-6 {
			t.Errorf("ERL %v: measured %v dB", tt.erl, got)
		}
		d := int(tt.delayMs * rate / 1000)
		for i := 0; i < rate/2+d; i++ {
			if e[i] != 0 && math.Abs(e[i]) > 1e-6 {
				t.Fatalf("delay %v ms: echo at sample %d before the far end + delay (%d)", tt.delayMs, i, rate/2+d)
			}
		}
	}
}

// TestDTMFFiles checks the DTMF part of the corpus: every file holds all
// sixteen digits, the tones are at least 40 ms long and 40 ms apart, and the
// twists and levels stay within the stated acceptance ranges.
func TestDTMFFiles(t *testing.T) {
	g := &gen{dir: t.TempDir()}
	if err := g.dtmf(8000); err != nil {
		t.Fatal(err)
	}
	if len(g.m.Items) != 18 {
		t.Fatalf("%d DTMF files, want 18", len(g.m.Items))
	}
	for _, it := range g.m.Items {
		if it.Family != corpus.DTMF || len(it.Tones) != 16 {
			t.Fatalf("%s: family %s, %d tones", it.ID, it.Family, len(it.Tones))
		}
		var digits []string
		for i, tn := range it.Tones {
			digits = append(digits, tn.Digit)
			if tn.Duration < 0.040 {
				t.Errorf("%s: tone %d lasts %v s", it.ID, i, tn.Duration)
			}
			if i > 0 && tn.Start-(it.Tones[i-1].Start+it.Tones[i-1].Duration) < 0.040-1e-9 {
				t.Errorf("%s: pause before tone %d under 40 ms", it.ID, i)
			}
		}
		for _, d := range synth.DTMFDigits {
			if !strings.Contains(strings.Join(digits, ""), string(d)) {
				t.Errorf("%s: digit %c missing", it.ID, d)
			}
		}
		hi := it.ToneDBm0 + it.Twist
		if it.Twist > 4 || it.Twist < -8 || it.ToneDBm0 < -25 || it.ToneDBm0 > -4 || hi < -25 || hi > -4 {
			t.Errorf("%s: low %v dBm0, twist %v dB out of range", it.ID, it.ToneDBm0, it.Twist)
		}
		if pcm, rate, err := readWAV(filepath.Join(g.dir, it.In)); err != nil || rate != 8000 || float64(len(pcm)) != it.Seconds*8000 {
			t.Errorf("%s: %d samples at %d Hz, %v", it.ID, len(pcm), rate, err)
		}
	}
}
