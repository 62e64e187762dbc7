package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/voxgraph/voxgraph/dsp/level"
	"github.com/voxgraph/voxgraph/internal/graphtest"
)

// TestDSPAGC: quiet talk comes out near the target, with the input's
// rate and length.
func TestDSPAGC(t *testing.T) {
	in, pcm := talkInNoise(t, 8000, 12*time.Second, -40, -70)
	out := filepath.Join(t.TempDir(), "out.wav")
	code, _, stderr := voxgraph("dsp", "agc", "--in", in, "--out", out, "--target", "-20")
	if code != 0 || !strings.HasPrefix(stderr, "agc: 12.00 s of audio at 8000 Hz in ") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	rate, ch, got := graphtest.ReadWav(t, out)
	if rate != 8000 || ch != 1 || len(got) != len(pcm) {
		t.Fatalf("%d Hz, %d channels, %d samples; want 8000 Hz mono, %d", rate, ch, len(got), len(pcm))
	}
	// Over 6 to 12 s, pauses included (which pull it 1 to 3 dB down).
	before := level.DBov(level.RMS(pcm[48000:]))
	after := level.DBov(level.RMS(got[48000:]))
	if after-before < 16 || after > -20 || after < -24 {
		t.Errorf("6-12 s at %.2f dBov, was %.2f; want about -20 dBov (1 to 3 dB under with the pauses)", after, before)
	}
}

func TestDSPAGCErrors(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.wav")
	graphtest.WriteWav(t, in, 8000, 1, make([]int16, 800))
	odd := filepath.Join(dir, "odd.wav")
	graphtest.WriteWav(t, odd, 22050, 1, make([]int16, 2205))
	out := filepath.Join(dir, "out.wav")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--in", in}, 2, "want --in X.wav --out Y.wav"},
		{[]string{"--in", in, "--out", out, "--target", "0"}, 2, "--target must not be 0"},
		{[]string{"--in", in, "--out", out, "--target", "-1"}, 2, "agc: target -1 dBov must be in (-60, -3)"},
		{[]string{"--in", in, "--out", out, "--target", "NaN"}, 2, "agc: target NaN dBov"},
		{[]string{"--in", in, "--out", out, "--ceiling", "2"}, 2, "agc: ceiling 2 dBFS"},
		{[]string{"--in", odd, "--out", out}, 2, "agc: 22050 Hz: unsupported sample rate"},
		{[]string{"--in", filepath.Join(dir, "missing.wav"), "--out", out}, 1, "missing.wav"},
		{[]string{"--in", in, "--out", filepath.Join(dir, "no", "such", "dir.wav")}, 1, "dir.wav"},
	} {
		code, _, stderr := voxgraph(append([]string{"dsp", "agc"}, tc.args...)...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("dsp agc %v: exit %d, stderr %q; want %d and %q", tc.args, code, stderr, tc.code, tc.want)
		}
	}
}
