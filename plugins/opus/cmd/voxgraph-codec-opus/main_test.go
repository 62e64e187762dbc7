package main

import (
	"testing"

	"github.com/voxgraph/voxgraph/dsp/resample"
	"github.com/voxgraph/voxgraph/internal/codectest"
	"github.com/voxgraph/voxgraph/internal/plugintest"
)

// TestRunThroughPlugin is the acceptance command, run as a user
// would: voxgraph run encodes a 16 kHz speech file with Opus and decodes
// it, the codec running in this plugin's process (seen as a child of
// voxgraph in the process table). The output, 48 kHz, is brought back to
// 16 kHz and compared with the input after alignment (codectest.Measure:
// correlation coefficient: r = 0.94 measured, floor 0.9; segmental SNR for the log).
func TestRunThroughPlugin(t *testing.T) {
	in, o, rate, ch := plugintest.RunFile(t, ".", "voxgraph-codec-opus", "opus", 16000)
	if rate != 48000 || ch != 1 || len(o) != 3*len(in) {
		t.Fatalf("output %d Hz, %d channel(s), %d samples; want 48000 Hz mono, %d", rate, ch, len(o), 3*len(in))
	}
	r, err := resample.New(48000, 16000, 1, resample.Medium)
	if err != nil {
		t.Fatal(err)
	}
	back := make([]int16, r.MaxOutput(len(o)))
	n, err := r.Process(back, o)
	if err != nil {
		t.Fatal(err)
	}
	q := codectest.Measure(in, back[:n], codectest.WarmupMS*16, 0, 16000/25, 320)
	t.Logf("r = %.4f, segmental SNR %.1f dB, delay %d samples at 16 kHz", q.Corr, q.SegSNR, q.Lag)
	if q.Corr < 0.9 {
		t.Errorf("r = %.4f, want at least 0.9", q.Corr)
	}
}
