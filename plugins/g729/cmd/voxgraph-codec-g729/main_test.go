package main

import (
	"testing"

	"github.com/voxgraph/voxgraph/internal/codectest"
	"github.com/voxgraph/voxgraph/internal/plugintest"
)

// TestRunThroughPlugin is the acceptance command for G.729, run as
// a user would: voxgraph run encodes an 8 kHz speech file with G.729 and
// decodes it, the codec running in this plugin's process (seen as a child
// of voxgraph in the process table). The output is compared with the
// input after alignment (codectest.Measure: correlation coefficient; the
// run measures r = 0.76, floor 0.70 as in
// g729codec's tests).
func TestRunThroughPlugin(t *testing.T) {
	in, o, rate, ch := plugintest.RunFile(t, ".", "voxgraph-codec-g729", "G729", 8000)
	if rate != 8000 || ch != 1 || len(o) != len(in) {
		t.Fatalf("output %d Hz, %d channel(s), %d samples; want 8000 Hz mono, %d", rate, ch, len(o), len(in))
	}
	q := codectest.Measure(in, o, codectest.WarmupMS*8, 0, 8000/25, 160)
	t.Logf("r = %.4f, segmental SNR %.1f dB, delay %d samples", q.Corr, q.SegSNR, q.Lag)
	if q.Corr < 0.70 {
		t.Errorf("r = %.4f, want at least 0.70", q.Corr)
	}
}
