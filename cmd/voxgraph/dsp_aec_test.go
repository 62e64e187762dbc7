package main

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/voxgraph/voxgraph/dsp/vad/vadtest"
	"github.com/voxgraph/voxgraph/dsp/wav"
)

// aecWavs writes a far end (synthetic talk) and a microphone holding its
// echo 30 ms later through a decaying random response, 10 dB down.
func aecWavs(t *testing.T, rate int, secs float64, refSecs float64) (mic, ref string, micPCM []int16) {
	t.Helper()
	x, _ := vadtest.Talk(rate, time.Duration(secs*float64(time.Second)), 5)
	far := make([]float64, len(x))
	vadtest.Add(far, x, -20)
	farPCM := vadtest.Quantize(far)
	rng := rand.New(rand.NewPCG(6, 0))
	h := make([]float64, rate/10)
	var e float64
	for i := range h {
		h[i] = rng.NormFloat64() * math.Exp(-7*float64(i)/float64(len(h)))
		e += h[i] * h[i]
	}
	d := rate * 30 / 1000
	echo := make([]float64, len(farPCM))
	for i := range echo {
		var s float64
		for j, v := range h {
			if k := i - d - j; k >= 0 {
				s += v * float64(farPCM[k])
			}
		}
		echo[i] = s * math.Sqrt(0.1/e)
	}
	micPCM = vadtest.Quantize(echo)
	dir := t.TempDir()
	mic, ref = filepath.Join(dir, "mic.wav"), filepath.Join(dir, "ref.wav")
	writeWav(t, mic, rate, micPCM)
	writeWav(t, ref, rate, farPCM[:int(refSecs*float64(rate))])
	return mic, ref, micPCM
}

func writeWav(t *testing.T, path string, rate int, pcm []int16) {
	t.Helper()
	if err := writeMono(path, rate, pcm); err != nil {
		t.Fatal(err)
	}
}

func TestDSPAEC(t *testing.T) {
	for _, rate := range []int{8000, 16000} {
		mic, ref, micPCM := aecWavs(t, rate, 6, 6)
		out := filepath.Join(t.TempDir(), "out.wav")
		code, _, stderr := voxgraph("dsp", "aec", "--mic", mic, "--ref", ref, "--out", out)
		if code != 0 {
			t.Fatalf("%d Hz: exit %d: %s", rate, code, stderr)
		}
		if !strings.Contains(stderr, "aec: 6.00 s of audio at") || !strings.Contains(stderr, "s per audio second") {
			t.Errorf("%d Hz: run-time line missing: %q", rate, stderr)
		}
		got, gotRate, err := readMono(out)
		if err != nil {
			t.Fatal(err)
		}
		if gotRate != rate || len(got) != len(micPCM) {
			t.Fatalf("%d Hz: out %d Hz, %d samples; want %d Hz, %d", rate, gotRate, len(got), rate, len(micPCM))
		}
		var em, eo float64
		for i := len(got) / 2; i < len(got); i++ {
			em += float64(micPCM[i]) * float64(micPCM[i])
			eo += float64(got[i]) * float64(got[i])
		}
		if erle := 10 * math.Log10(em/(eo+1)); erle < 20 {
			t.Errorf("%d Hz: ERLE over the last 3 s %.1f dB, want at least 20", rate, erle)
		}
	}
}

func TestDSPAECShortRefAndErrors(t *testing.T) {
	mic, ref, micPCM := aecWavs(t, 8000, 3, 1)
	dir := t.TempDir()
	out := filepath.Join(dir, "out.wav")
	if code, _, stderr := voxgraph("dsp", "aec", "--mic", mic, "--ref", ref, "--out", out); code != 0 {
		t.Fatalf("short ref: exit %d: %s", code, stderr)
	}
	if got, _, err := readMono(out); err != nil || len(got) != len(micPCM) {
		t.Fatalf("short ref: %d samples (%v), want %d", len(got), err, len(micPCM))
	}
	other := filepath.Join(dir, "16k.wav")
	writeWav(t, other, 16000, make([]int16, 1600))
	stereo := filepath.Join(dir, "stereo.wav")
	w, err := wav.Create(stereo, 8000, 2)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(make([]int16, 1600))
	w.Close()
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--mic", mic, "--ref", ref}, exitUsage, "want --mic"},
		{[]string{"--mic", mic, "--out", out}, exitUsage, "want --mic"},
		{[]string{"--mic", mic, "--ref", ref, "--out", out, "extra"}, exitUsage, "no arguments"},
		{[]string{"--mic", mic, "--ref", ref, "--out", out, "--tail", "2s"}, exitUsage, "tail"},
		{[]string{"--mic", mic, "--ref", ref, "--out", out, "--suppression", "NaN"}, exitUsage, "suppression"},
		{[]string{"--mic", mic, "--ref", other, "--out", out}, exitError, "must match"},
		{[]string{"--mic", filepath.Join(dir, "none.wav"), "--ref", ref, "--out", out}, exitError, "none.wav"},
		{[]string{"--mic", stereo, "--ref", ref, "--out", out}, exitError, "not mono"},
		{[]string{"--mic", other, "--ref", other, "--out", filepath.Join(dir, "no", "dir.wav")}, exitError, "dir.wav"},
	} {
		code, _, stderr := voxgraph(append([]string{"dsp", "aec"}, tt.args...)...)
		if code != tt.code || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, %q; want %d and %q", tt.args, code, stderr, tt.code, tt.want)
		}
	}
}
