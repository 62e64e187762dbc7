package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/voxgraph/voxgraph/dsp/dtmf"
)

// TestDSPDTMF runs voxgraph dsp dtmf on a WAV file of known digits and
// checks its lines: START DIGIT DURATION, seconds with 3 decimals.
func TestDSPDTMF(t *testing.T) {
	for _, rate := range []int{8000, 16000} {
		pcm, err := dtmf.Sequence(make([]int16, rate/2), rate, "15#,9", 100*time.Millisecond, 100*time.Millisecond, -12, -2)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "digits.wav")
		if err := writeMono(path, rate, pcm); err != nil {
			t.Fatal(err)
		}
		var out, errb bytes.Buffer
		if code := run([]string{"dsp", "dtmf", "--in", path}, &out, &errb); code != exitOK {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
		want := "0.500 1 0.100\n0.700 5 0.100\n0.900 # 0.100\n1.300 9 0.100\n"
		if got := out.String(); !sameDigits(got, want) {
			t.Errorf("%d Hz: got\n%swant (±2 ms)\n%s", rate, got, want)
		}
		if !strings.Contains(errb.String(), "dtmf: 1.50 s of audio at") {
			t.Errorf("stderr %q: want the run-time line", errb.String())
		}
	}
}

// sameDigits compares the tool's lines, allowing 2 ms on times.
func sameDigits(got, want string) bool {
	g, w := strings.Fields(got), strings.Fields(want)
	if len(g) != len(w) {
		return false
	}
	for i := range g {
		if i%3 == 1 {
			if g[i] != w[i] {
				return false
			}
			continue
		}
		a, errA := time.ParseDuration(g[i] + "s")
		b, errB := time.ParseDuration(w[i] + "s")
		if errA != nil || errB != nil || a-b > 2*time.Millisecond || b-a > 2*time.Millisecond || len(g[i]) != len(w[i]) {
			return false
		}
	}
	return true
}

func TestDSPDTMFErrors(t *testing.T) {
	dir := t.TempDir()
	low := filepath.Join(dir, "low.wav")
	if err := writeMono(low, 4000, make([]int16, 400)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"dsp", "dtmf"}, exitUsage, "want --in"},
		{[]string{"dsp", "dtmf", "--in", low, "extra"}, exitUsage, "want --in"},
		{[]string{"dsp", "dtmf", "--in", filepath.Join(dir, "missing.wav")}, exitError, "missing.wav"},
		{[]string{"dsp", "dtmf", "--in", low}, exitUsage, "sample rate"},
		{[]string{"dsp", "dtmf", "--in", low, "--tolerance", "0.5"}, exitUsage, "sample rate"},
	} {
		var out, errb bytes.Buffer
		code := run(tc.args, &out, &errb)
		if code != tc.code || !strings.Contains(errb.String(), tc.msg) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, errb.String(), tc.code, tc.msg)
		}
	}
}
