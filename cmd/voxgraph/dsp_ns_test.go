package main

import (
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/voxgraph/voxgraph/dsp/level"
	"github.com/voxgraph/voxgraph/dsp/vad/vadtest"
	"github.com/voxgraph/voxgraph/internal/graphtest"
)

// talkInNoise writes d of synthetic talk at talk dBov in white noise at
// noise dBov at rate Hz and returns the path and the samples.
func talkInNoise(t *testing.T, rate int, d time.Duration, talk, noise float64) (string, []int16) {
	t.Helper()
	x, _ := vadtest.Talk(rate, d, 31)
	sum := make([]float64, len(x))
	vadtest.Add(sum, vadtest.White(len(x), 32), noise)
	vadtest.Add(sum, x, talk)
	pcm := vadtest.Quantize(sum)
	path := filepath.Join(t.TempDir(), "in.wav")
	graphtest.WriteWav(t, path, rate, 1, pcm)
	return path, pcm
}

// TestDSPNS: the output has the input's rate and length, is aligned with
// it (talk comes out where it went in) and has less noise in the lead-in.
func TestDSPNS(t *testing.T) {
	in, pcm := talkInNoise(t, 16000, 5*time.Second+3*time.Millisecond, -26, -45)
	out := filepath.Join(t.TempDir(), "out.wav")
	code, _, stderr := voxgraph("dsp", "ns", "--in", in, "--out", out, "--level", "20")
	if code != 0 || !strings.HasPrefix(stderr, "ns: 5.00 s of audio at 16000 Hz in ") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	rate, ch, got := graphtest.ReadWav(t, out)
	if rate != 16000 || ch != 1 || len(got) != len(pcm) {
		t.Fatalf("%d Hz, %d channels, %d samples; want 16000 Hz mono, %d", rate, ch, len(got), len(pcm))
	}
	lead := level.DBov(level.RMS(pcm[8000:16000])) - level.DBov(level.RMS(got[8000:16000]))
	// Aligned: the correlation with the input over the talk is highest
	// at lag 0.
	best, bestLag := math.Inf(-1), 0
	for lag := -200; lag <= 200; lag++ {
		var c float64
		for i := 20000; i < 70000; i++ {
			c += float64(pcm[i]) * float64(got[i+lag])
		}
		if c > best {
			best, bestLag = c, lag
		}
	}
	if lead < 12 || bestLag != 0 { // 0.5 to 1 s: the tracker is still settling
		t.Errorf("lead-in attenuated %.1f dB (want 12 or more), best alignment at lag %d (want 0)", lead, bestLag)
	}
}

func TestDSPNSErrors(t *testing.T) {
	dir := t.TempDir()
	odd := filepath.Join(dir, "odd.wav")
	graphtest.WriteWav(t, odd, 44100, 1, make([]int16, 4410))
	stereo := filepath.Join(dir, "stereo.wav")
	graphtest.WriteWav(t, stereo, 8000, 2, make([]int16, 1600))
	good := filepath.Join(dir, "good.wav")
	graphtest.WriteWav(t, good, 8000, 1, make([]int16, 800))
	out := filepath.Join(dir, "out.wav")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--in", odd}, 2, "want --in X.wav --out Y.wav"},
		{[]string{"--out", out}, 2, "want --in X.wav --out Y.wav"},
		{[]string{"--in", odd, "--out", out, "extra"}, 2, "no arguments"},
		{[]string{"--in", odd, "--out", out, "--level", "0"}, 2, "level 0 dB must be positive"},
		{[]string{"--in", good, "--out", out, "--level", "90"}, 2, "ns: level 90 dB must be in (0, 60]"},
		{[]string{"--in", odd, "--out", out}, 2, "ns: 44100 Hz: unsupported sample rate"},
		{[]string{"--in", stereo, "--out", out}, 1, "not mono"},
		{[]string{"--in", filepath.Join(dir, "missing.wav"), "--out", out}, 1, "missing.wav"},
		{[]string{"--in", odd, "--out", out, "--bogus"}, 2, "flag provided but not defined"},
	} {
		code, _, stderr := voxgraph(append([]string{"dsp", "ns"}, tc.args...)...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("dsp ns %v: exit %d, stderr %q; want %d and %q", tc.args, code, stderr, tc.code, tc.want)
		}
	}
}
