package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/voxgraph/voxgraph/graphs"
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
