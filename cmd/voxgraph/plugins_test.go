package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/voxgraph/voxgraph/graphs"
	"github.com/voxgraph/voxgraph/internal/codectest"
	"github.com/voxgraph/voxgraph/internal/graphtest"
)

// TestMain lets the test binary stand in for the voxgraph binary when a
// plugin host runs it as `plugin serve` (the built-in plugin re-executes
// its own executable).
func TestMain(m *testing.M) {
	if len(os.Args) == 3 && os.Args[1] == "plugin" && os.Args[2] == "serve" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestRunThroughBuiltinPlugin: a graph whose codec runs in the built-in
// plugin's own process writes the same audio as the in-process codec.
func TestRunThroughBuiltinPlugin(t *testing.T) {
	dir := t.TempDir()
	viaPlugin, inProcess := filepath.Join(dir, "plugin.wav"), filepath.Join(dir, "local.wav")
	line := "tone freqs=700 rate=16000 duration=1s ! encode codec=%s ! decode ! wav-sink path=%s"
	code, out, errs := voxgraph("run", "--builtin-plugin", "--quiet", strings.Replace(strings.Replace(line, "%s", BuiltinPluginCodec, 1), "%s", graphs.Quote(viaPlugin), 1))
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, errs)
	}
	if code, _, errs := voxgraph("run", "--quiet", strings.Replace(strings.Replace(line, "%s", "G722", 1), "%s", graphs.Quote(inProcess), 1)); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	a, _ := os.ReadFile(viaPlugin)
	b, _ := os.ReadFile(inProcess)
	if len(a) < 32000 || string(a) != string(b) {
		t.Fatalf("through the plugin: %d bytes; in process: %d bytes; they must be the same audio", len(a), len(b))
	}
}

func TestPluginsListsBuiltin(t *testing.T) {
	code, out, errs := voxgraph("plugins", "--builtin-plugin")
	if code != 0 || !strings.Contains(out, BuiltinPluginCodec) || !strings.Contains(out, "voxgraph-builtin") {
		t.Fatalf("exit %d: %s %s", code, out, errs)
	}
	code, out, _ = voxgraph("plugins", "--plugins", t.TempDir())
	if code != 0 || !strings.Contains(out, "no plugins found") {
		t.Fatalf("empty dir: exit %d: %s", code, out)
	}
}

// TestRunG722InProcess is the acceptance command for the in-process codec:
// a 16 kHz speech file through G.722 and back, compared with the input
// after alignment (codectest.Measure: r = 0.998 measured, floor 0.95).
func TestRunG722InProcess(t *testing.T) {
	dir := t.TempDir()
	in := codectest.SpeechLike(3*16000, 16000, 7)
	graphtest.WriteWav(t, filepath.Join(dir, "speech16k.wav"), 16000, 1, in)
	o := filepath.Join(dir, "o.wav")
	code, out, errs := voxgraph("run", "wav-src path="+graphs.Quote(filepath.Join(dir, "speech16k.wav"))+" ! encode codec=G722 ! decode ! wav-sink path="+graphs.Quote(o))
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, errs)
	}
	rate, _, got := graphtest.ReadWav(t, o)
	if rate != 16000 || len(got) != len(in) {
		t.Fatalf("output %d Hz, %d samples; want 16000 Hz, %d", rate, len(got), len(in))
	}
	q := codectest.Measure(in, got, codectest.WarmupMS*16, 0, 16000/25, 320)
	t.Logf("r = %.4f, segmental SNR %.1f dB, delay %d samples", q.Corr, q.SegSNR, q.Lag)
	if q.Corr < 0.95 {
		t.Errorf("r = %.4f, want at least 0.95", q.Corr)
	}
}
