// Package plugintest builds a codec plugin binary and loads it in a
// plugins.Host, for the end-to-end tests of the plugin modules.
package plugintest

import (
	"log/slog"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/voxgraph/voxgraph/codecs"
	"github.com/voxgraph/voxgraph/plugins"
)

// Load builds the main package at mainDir as binary (a voxgraph-codec-*
// name) into a temporary plugin directory, loads it with a plugins.Host
// and registers its codecs in a registry of their own. The host, closed
// when the test ends, holds exactly that one plugin. Its timeout is
// generous: a loaded machine (the race detector, other tests) is not a
// hung plugin; the 250 ms default is for production. opts may change the
// configuration (Batch, for instance) before the host is made.
func Load(t testing.TB, mainDir, binary string, opts ...func(*plugins.Config)) (*plugins.Host, *codecs.Registry) {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build the plugin: %v", err)
	}
	dir := t.TempDir()
	if out, err := exec.Command(goTool, "build", "-o", filepath.Join(dir, binary), mainDir).CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", mainDir, err, out)
	}
	cfg := plugins.Config{Dirs: []string{dir}, Timeout: 5 * time.Second, Logger: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(&cfg)
	}
	h, err := plugins.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	if err := h.Load(); err != nil {
		t.Fatal(err)
	}
	reg := codecs.NewRegistry()
	if err := h.Register(reg); err != nil {
		t.Fatal(err)
	}
	if n := len(h.Plugins()); n != 1 {
		t.Fatalf("%d plugins, want 1", n)
	}
	return h, reg
}
