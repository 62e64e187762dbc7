package rtp

import (
	"math"
	"testing"
	"time"
)

// TestReceptionLossAndWrap checks loss counting (RFC 3550 A.3) across the
// 16-bit wrap, with duplicates and reordering, and fraction lost per report.
func TestReceptionLossAndWrap(t *testing.T) {
	r := Reception{clockRate: 8000}
	seqs := []uint16{65530, 65531, 65533, 65534, 65535, 0, 0, 2, 1, 4} // lost: 65532, 3; dup: 0; reordered: 1
	for i, s := range seqs {
		r.update(7, s, uint32(i)*160, time.Duration(i)*20*time.Millisecond)
	}
	rep, ok := r.Report()
	if !ok {
		t.Fatal("no report")
	}
	if rep.HighestSeq != 1<<16+4 {
		t.Errorf("highest extended seq %d, want %d", rep.HighestSeq, 1<<16+4)
	}
	if rep.Expected != 11 || rep.Received != 10 || rep.CumulativeLost != 1 {
		// 11 expected (65530..4), 10 received including one duplicate: A.3 counts 1 lost.
		t.Errorf("expected %d received %d lost %d, want 11, 10, 1", rep.Expected, rep.Received, rep.CumulativeLost)
	}
	if want := uint8(1 * 256 / 11); rep.FractionLost != want {
		t.Errorf("fraction lost %d, want %d", rep.FractionLost, want)
	}
	// The next interval: 10 more in order, none lost.
	for i := 0; i < 10; i++ {
		r.update(7, uint16(5+i), 0, 0)
	}
	if rep, _ = r.Report(); rep.FractionLost != 0 || rep.CumulativeLost != 1 {
		t.Errorf("second interval: fraction %d cumulative %d, want 0 and 1", rep.FractionLost, rep.CumulativeLost)
	}
	// A new SSRC starts over.
	r.update(8, 100, 0, 0)
	if rep, _ = r.Report(); rep.SSRC != 8 || rep.Expected != 1 || rep.CumulativeLost != 0 {
		t.Errorf("after SSRC change: %+v", rep)
	}
}

// TestReceptionJitter compares the A.8 estimator with the formula computed
// independently on a synthetic arrival pattern.
func TestReceptionJitter(t *testing.T) {
	r := Reception{clockRate: 8000}
	delays := []int{0, 5, 1, 12, 3, 3, 20, 0, 7, 2} // ms of network delay per packet
	var want, lastTransit float64
	for i, d := range delays {
		ts := uint32(i * 160)
		arrival := time.Duration(i*20+d) * time.Millisecond
		r.update(1, uint16(i), ts, arrival)
		transit := float64(arrival)*8000/float64(time.Second) - float64(ts)
		if i > 0 {
			want += (math.Abs(transit-lastTransit) - want) / 16
		}
		lastTransit = transit
	}
	rep, _ := r.Report()
	if math.Abs(float64(rep.Jitter)-want) > 1 {
		t.Fatalf("jitter %d timestamp units, want %.1f", rep.Jitter, want)
	}
	if got := rep.JitterTime; math.Abs(float64(got)-want/8000*float64(time.Second)) > float64(time.Millisecond) {
		t.Fatalf("jitter time %v, want %.2fms", got, want/8)
	}
}
