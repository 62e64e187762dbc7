package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/voxgraph/voxgraph/benchmarks/harness"
)

// TestBench runs voxgraph bench end to end (its sender in this process:
// the test binary is not voxgraph, so it cannot be the child) and reads
// back the JSON and the plot.
func TestBench(t *testing.T) {
	dir := t.TempDir()
	js, png := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.png")
	code, out, errs := voxgraph("bench", "std:g711-transcode", "--calls", "5", "--duration", "1s", "--warmup", "500ms",
		"--sender", "in-process", "--json", js, "--plot", png)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"element", "jitter", "srtp-sink", "p99.9", "end to end", "per call-second", "calls per core", "late"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	b, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	var r harness.Result
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if r.Schema != harness.Schema || r.Calls != 5 || len(r.Elements) != 5 || r.CallsPerCore <= 0 || r.Elements[4].P99 <= 0 {
		t.Fatalf("JSON result %+v", r)
	}
	if st, err := os.Stat(png); err != nil || st.Size() == 0 {
		t.Fatalf("plot: %v", err)
	}
}

func TestBenchUsage(t *testing.T) {
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"bench"}, exitUsage, "want exactly one graph"},
		{[]string{"bench", "std:relay", "--ramp", "5:1:1"}, exitUsage, "above TO"},
		{[]string{"bench", "std:relay", "--sender", "elsewhere"}, exitUsage, "want process or in-process"},
		{[]string{"bench", "std:relay", "--max-speed", "--realtime"}, exitUsage, "exclude each other"},
		{[]string{"bench", "std:nope", "--sender", "in-process"}, exitError, "no benchmark or standard graph"},
		{[]string{"bench-sender"}, exitUsage, "--to"},
	}
	for _, tc := range cases {
		code, _, errs := voxgraph(tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d (%q), want %d with %q", tc.args, code, errs, tc.code, tc.want)
		}
	}
}
