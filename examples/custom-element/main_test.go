package main

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/voxgraph/voxgraph/dsp/level"
	"github.com/voxgraph/voxgraph/dsp/wav"
)

// TestTremoloModulates runs the example and checks that the 440 Hz tone's
// loudness swings at 5 Hz with the configured depth.
func TestTremoloModulates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tremolo.wav")
	if err := run(path); err != nil {
		t.Fatal(err)
	}
	r, err := wav.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	pcm := make([]int16, 16000)
	n, _ := r.Read(pcm)
	if n != 16000 {
		t.Fatalf("got %d samples, want 16000", n)
	}
	// RMS per 10 ms window; with depth 0.8 the gain swings 0.2..1, so the
	// loudest and quietest windows differ by about 14 dB.
	lo, hi := math.Inf(1), math.Inf(-1)
	for w := 0; w+80 <= n; w += 80 {
		db := level.DBov(level.RMS(pcm[w : w+80]))
		lo, hi = math.Min(lo, db), math.Max(hi, db)
	}
	if swing := hi - lo; swing < 11 || swing > 16 {
		t.Fatalf("level swings %.1f dB, want about 14 dB (depth 0.8)", swing)
	}
}
