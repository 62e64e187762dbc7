package jitter_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/voxgraph/voxgraph/dsp/quality"
	"github.com/voxgraph/voxgraph/elements/jitter"
	"github.com/voxgraph/voxgraph/graphs"
	"github.com/voxgraph/voxgraph/pipeline"
)

// TestQualityStats plays 80 PCMU packets through a real graph with losses
// and checks the jitter buffer's r_factor and mos against the E-model run
// on the figures worked out by hand: losses 7-8, 35-36 and 50 are 5 of 80
// (Ppl 6.25 %) in 3 bursts (BurstR = 5/3 · 75/80 = 1.5625); the buffer
// plays 40 ms after arrival, so Ta = 40 ms + 20 ms packet time (+ the
// network-delay property), T = Ta, Tr = 2·Ta.
func TestQualityStats(t *testing.T) {
	lost := []int{7, 8, 35, 36, 50}
	for _, tc := range []struct {
		name, props string
		lost        []int
		ppl, burstR float64
		ta          float64
		approxR     float64 // worked by hand from G.107's equations
	}{
		{"no loss", "", nil, 0, 1, 60, 91.54},
		{"loss, silence", "plc=false", lost, 6.25, 1.5625, 60, 20.0},
		{"loss, PLC", "", lost, 6.25, 1.5625, 60, 71.14},
		{"loss, PLC, 200 ms network", "network-delay=200ms", lost, 6.25, 1.5625, 260, 57.42},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, "jittertest-src name=src ! jitter name=jb "+tc.props+" ! decode name=dec ! jittertest-sink name=sink")
			r.src.script = scripted(80, tc.lost, nil, nil)
			r.src.eos = true
			r.run(t, 5*time.Second)

			pcmu, _ := quality.LookupCodec("PCMU")
			p := quality.Defaults()
			p.Ie, p.Bpl, p.Ppl, p.BurstR = pcmu.Ie, pcmu.Bpl(!strings.Contains(tc.props, "plc=false")), tc.ppl, tc.burstR
			p.Ta, p.T, p.Tr = tc.ta, tc.ta, 2*tc.ta
			want, err := quality.Rate(p)
			if err != nil {
				t.Fatal(err)
			}
			gotR, gotMOS := stat(t, r.g, "jb", "r_factor"), stat(t, r.g, "jb", "mos")
			if math.Abs(gotR-want.R) > 1e-6 || math.Abs(gotMOS-want.MOS) > 1e-6 {
				t.Errorf("r_factor %.3f mos %.3f, want %.3f %.3f", gotR, gotMOS, want.R, want.MOS)
			}
			if math.Abs(gotR-tc.approxR) > 0.3 {
				t.Errorf("r_factor %.2f, hand-worked %.2f", gotR, tc.approxR)
			}
			t.Logf("r_factor %.2f mos %.2f", gotR, gotMOS)
		})
	}
}

func TestQualityBadProperty(t *testing.T) {
	spec, err := graphs.ParseLine("jittertest-src name=src ! jitter network-delay=-5ms ! decode ! jittertest-sink")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pipeline.Build(spec); err == nil || !strings.Contains(err.Error(), "network-delay") {
		t.Fatalf("negative network-delay built: %v", err)
	}
}

// TestQualityAfterPacketTimeChange: a sender of 30 ms packets makes the
// buffer switch to a new ring paced at 30 ms (the packets it held move
// over); losses are still counted once: 3 of 60 in 2 bursts (Ppl 5 %,
// BurstR = 3/2 · 57/60 = 1.425), and Ta uses the 30 ms packet time.
func TestQualityAfterPacketTimeChange(t *testing.T) {
	r := newRig(t, "jittertest-src name=src ! jitter name=jb ! decode name=dec ! jittertest-sink name=sink")
	var script []pkt
	for k := range 60 {
		if k == 10 || k == 11 || k == 40 {
			continue
		}
		script = append(script, pkt{seq: uint16(1000 + k), ts: uint32(k * 240), ssrc: 9, marker: k == 0, at: time.Duration(k) * 30 * ms})
	}
	r.src.script = script
	r.src.eos = true
	r.run(t, 5*time.Second)
	if c := stat(t, r.g, "jb", "ptime_changes"); c != 1 {
		t.Fatalf("ptime_changes %v, want 1", c)
	}
	if played, lost := stat(t, r.g, "jb", "played"), stat(t, r.g, "jb", "lost"); played+lost != 60 || lost != 3 {
		t.Fatalf("played %v lost %v (counters of the buffer after the switch)", played, lost)
	}
	pcmu, _ := quality.LookupCodec("PCMU")
	ta := stat(t, r.g, "jb", "delay") + 30
	p := quality.Defaults()
	p.Ie, p.Bpl, p.Ppl, p.BurstR = pcmu.Ie, pcmu.Bpl(true), 5, 1.425 // plc defaults to true, as decode's
	p.Ta, p.T, p.Tr = ta, ta, 2*ta
	want, err := quality.Rate(p)
	if err != nil {
		t.Fatal(err)
	}
	if got := stat(t, r.g, "jb", "r_factor"); math.Abs(got-want.R) > 1e-6 {
		t.Errorf("r_factor %.3f, want %.3f (Ta %g ms)", got, want.R, ta)
	}
}

// BenchmarkQuality is what the r_factor and mos stats cost a Stats call:
// reading the published counters and one E-model evaluation.
func BenchmarkQuality(b *testing.B) {
	r := newRig(b, "jittertest-src name=src ! jitter name=jb ! decode name=dec ! jittertest-sink name=sink")
	r.src.script = scripted(80, []int{7, 8, 35}, nil, nil)
	r.src.eos = true
	r.run(b, 5*time.Second)
	el, _ := r.g.Element("jb")
	jb := el.(*jitter.Jitter)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := jb.Quality(); err != nil {
			b.Fatal(err)
		}
	}
}
