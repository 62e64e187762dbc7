// Package plugintest builds a codec plugin binary and loads it in a
// plugins.Host, for the end-to-end tests of the plugin modules.
package plugintest

import (
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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
	dir := t.TempDir()
	build(t, ".", mainDir, filepath.Join(dir, binary))
	cfg := plugins.Config{Dirs: []string{dir}, Timeout: 5 * time.Second, Logger: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(&cfg)
	}
	reg := codecs.NewRegistry()
	h := Open(t, cfg, reg)
	if n := len(h.Plugins()); n != 1 {
		t.Fatalf("%d plugins, want 1", n)
	}
	return h, reg
}

// Open is plugins.Open for a test: the host is closed when the test ends.
func Open(t testing.TB, cfg plugins.Config, reg *codecs.Registry) *plugins.Host {
	t.Helper()
	h, err := plugins.Open(cfg, reg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// build runs go build -o out pkg in dir.
func build(t testing.TB, dir, pkg, out string) {
	t.Helper()
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
}

// CheckContained checks a plugin whose codec fac has just run a round
// trip: it ran in another process (named voxgraph-codec-*); a lost packet
// (empty payload) decodes in the plugin to lostLen samples; the plugin
// started twice (Load's start, to learn the codecs, and the first
// session's) with no failure, concealment or drop; a garbage payload,
// which the codec refuses in the plugin, is concealed by the host with
// lostLen samples of silence, counted, without a restart.
func CheckContained(t *testing.T, p *plugins.Plugin, fac *codecs.Factory, garbage []byte, lostLen int) {
	t.Helper()
	pid := p.Pid()
	if pid == 0 || pid == os.Getpid() {
		t.Errorf("plugin pid %d (test process %d): the codec did not run in a plugin process", pid, os.Getpid())
	}
	dec, err := fac.NewDecoder(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := dec.(io.Closer); ok {
		defer c.Close()
	}
	dst := make([]int16, dec.MaxDecodedLen(0))
	if n, err := dec.Decode(dst, nil); n != lostLen || err != nil {
		t.Errorf("lost packet through the plugin: %d samples, %v; want %d", n, err, lostLen)
	}
	st := p.Stats()
	if st.Failures != 0 || st.Concealed != 0 || st.Dropped != 0 || st.Starts != 2 {
		t.Errorf("plugin stats %+v: want two starts and no failure, concealment or drop", st)
	}
	dst = make([]int16, dec.MaxDecodedLen(len(garbage)))
	if n, err := dec.Decode(dst, garbage); err != nil || n != lostLen {
		t.Errorf("garbage through the plugin: %d samples, %v; want %d concealed", n, err, lostLen)
	}
	if st := p.Stats(); st.Concealed != 1 || st.Failures != 0 || p.Pid() != pid {
		t.Errorf("after garbage: stats %+v, pid %d (was %d); want 1 concealed, the same process", st, p.Pid(), pid)
	}
	if !strings.HasPrefix(filepath.Base(p.Path), plugins.FilePrefix) {
		t.Errorf("plugin path %s", p.Path)
	}
}
