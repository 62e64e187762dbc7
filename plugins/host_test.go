package plugins_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	goplugin "github.com/hashicorp/go-plugin"

	"github.com/voxgraph/voxgraph/codecs"
	"github.com/voxgraph/voxgraph/codecs/g722"
	"github.com/voxgraph/voxgraph/internal/codectest"
	"github.com/voxgraph/voxgraph/internal/plugintest"
	"github.com/voxgraph/voxgraph/plugins"
	pluginpb "github.com/voxgraph/voxgraph/plugins/proto"
	"github.com/voxgraph/voxgraph/plugins/sdk"
)

// The test binary is also the plugin: run with VOXGRAPH_TEST_PLUGIN set,
// it serves instead of testing (a real plugin process, no extra build).
func TestMain(m *testing.M) {
	switch os.Getenv("VOXGRAPH_TEST_PLUGIN") {
	case "":
		os.Exit(m.Run())
	case "g722":
		sdk.Serve("test-g722", pluginG722())
	case "hang": // a decoder that never returns on a payload starting 0xEE
		f := pluginG722()
		newDec := f.NewDecoder
		f.NewDecoder = func(p codecs.Params) (codecs.Decoder, error) {
			d, err := newDec(p)
			return hangingDecoder{d}, err
		}
		sdk.Serve("test-hang", f)
	case "garbage": // answers every batch with an oversized frame
		goplugin.Serve(&goplugin.ServeConfig{HandshakeConfig: sdk.Handshake, GRPCServer: goplugin.DefaultGRPCServer,
			Plugins: map[string]goplugin.Plugin{sdk.PluginName: &sdk.Plugin{Impl: garbage{sdk.NewServer("test-garbage", pluginG722())}}}})
	case "env": // reports its environment as its name
		sdk.Serve(strings.Join(os.Environ(), " "), pluginG722())
	}
	os.Exit(0)
}

// pluginG722 is G.722 under a name of its own, beside the in-process one.
func pluginG722() codecs.Factory {
	f := g722.Factory()
	f.Name, f.PayloadType, f.Dynamic = "X-G722-PLUGIN", 96, true
	return f
}

type hangingDecoder struct{ codecs.Decoder }

func (h hangingDecoder) Decode(dst []int16, p []byte) (int, error) {
	if len(p) > 0 && p[0] == 0xEE {
		select {}
	}
	return h.Decoder.Decode(dst, p)
}

type garbage struct{ *sdk.Server }

func (g garbage) Process(context.Context, *pluginpb.Batch) (*pluginpb.Batch, error) {
	return &pluginpb.Batch{Frames: []*pluginpb.Frame{{Session: 1, Data: make([]byte, 50000)}, {Session: 2}}}, nil
}

var quiet = slog.New(slog.DiscardHandler)

// host runs the test binary as plugin mode, loaded and registered in a
// registry of its own.
func host(t testing.TB, mode string, env ...string) (*plugins.Host, *codecs.Registry) {
	return hostWith(t, false, mode, env...)
}

// hostWith is host, batched or not.
func hostWith(t testing.TB, batch bool, mode string, env ...string) (*plugins.Host, *codecs.Registry) {
	t.Helper()
	reg := codecs.NewRegistry()
	h := plugintest.Open(t, plugins.Config{Logger: quiet, Timeout: 300 * time.Millisecond, Batch: batch, Commands: []plugins.Command{{
		Name: "test-" + mode, Path: os.Args[0], Args: []string{"-test.run=^$"},
		Env: append([]string{"VOXGRAPH_TEST_PLUGIN=" + mode}, env...)}}}, reg)
	return h, reg
}

// tone is n samples of 440 Hz at 16 kHz.
func tone(n int) []int16 { return codectest.MultiTone(n, 16000, 8000, 440) }

// TestPluginMatchesInProcess: G.722 through the plugin process gives the
// same bytes and samples as G.722 in process, frame for frame.
func TestPluginMatchesInProcess(t *testing.T) {
	h, reg := host(t, "g722")
	f, ok := reg.Lookup("X-G722-PLUGIN")
	if !ok {
		t.Fatalf("plugin codec not registered; plugins: %+v", h.Plugins()[0].Codecs)
	}
	if h.Plugins()[0].Pid() != 0 {
		t.Fatal("the plugin runs before any session: it should start lazily")
	}
	enc, _ := f.NewEncoder(nil)
	dec, _ := f.NewDecoder(nil)
	lenc := g722.NewEncoder()
	ldec, _ := g722.NewDecoder(g722.Bitrate64k)
	pcm := tone(16000)
	for off := 0; off < len(pcm); off += 320 {
		frame := pcm[off : off+320]
		a, b := make([]byte, 400), make([]byte, 400)
		na, err := enc.Encode(a, frame)
		if err != nil {
			t.Fatal(err)
		}
		nb, _ := lenc.Encode(b, frame)
		if string(a[:na]) != string(b[:nb]) {
			t.Fatalf("frame at %d: plugin and in-process encodings differ", off)
		}
		x, y := make([]int16, 640), make([]int16, 640)
		nx, _ := dec.Decode(x, a[:na])
		ny, _ := ldec.Decode(y, b[:nb])
		if nx != ny || fmt.Sprint(x[:nx]) != fmt.Sprint(y[:ny]) {
			t.Fatalf("frame at %d: plugin and in-process decodings differ", off)
		}
	}
	if pid := h.Plugins()[0].Pid(); pid == 0 || pid == os.Getpid() {
		t.Fatalf("plugin pid %d: the codec did not run in a process of its own", pid)
	}
}

// TestPluginKilledIsRestarted: SIGKILL the plugin mid-stream; the decoder
// conceals the frames it cannot get and the plugin is back within a second.
func TestPluginKilledIsRestarted(t *testing.T) {
	h, reg := host(t, "g722")
	p := h.Plugins()[0]
	f, _ := reg.Lookup("X-G722-PLUGIN")
	enc, _ := f.NewEncoder(nil)
	dec, _ := f.NewDecoder(nil)
	frame := tone(320)
	payload := make([]byte, 400)
	n, err := enc.Encode(payload, frame)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int16, 640)
	if _, err := dec.Decode(out, payload[:n]); err != nil {
		t.Fatal(err)
	}
	pid := p.Pid()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	for p.Pid() == pid || p.Pid() == 0 {
		got, err := dec.Decode(out, payload[:n])
		if err != nil || got != 320 {
			t.Fatalf("decode while the plugin is down: %d samples, %v; want 320 concealed", got, err)
		}
		if time.Since(killed) > time.Second {
			t.Fatalf("plugin not back 1 s after SIGKILL (stats %+v)", p.Stats())
		}
		time.Sleep(20 * time.Millisecond) // a 20 ms stream
	}
	back := time.Since(killed)
	got, err := dec.Decode(out, payload[:n])
	if err != nil || got != 320 || out[100] == 0 {
		t.Fatalf("after the restart: %d samples, %v, sample 100 = %d", got, err, out[100])
	}
	st := p.Stats()
	if st.Starts < 2 || st.Failures < 1 || st.Concealed < 1 {
		t.Fatalf("stats %+v: want a restart, a failure and concealed frames", st)
	}
	t.Logf("plugin back %s after SIGKILL, %d frames concealed", back.Round(time.Millisecond), st.Concealed)
}

// TestPluginHangIsReplaced: a plugin that stops answering is killed after
// the timeout and replaced; the frame is concealed.
func TestPluginHangIsReplaced(t *testing.T) {
	h, reg := host(t, "hang")
	p := h.Plugins()[0]
	f, _ := reg.Lookup("X-G722-PLUGIN")
	dec, _ := f.NewDecoder(nil)
	out := make([]int16, 640)
	if _, err := dec.Decode(out, make([]byte, 160)); err != nil {
		t.Fatal(err)
	}
	first := p.Pid()
	start := time.Now()
	got, err := dec.Decode(out, append([]byte{0xEE}, make([]byte, 159)...))
	if err != nil || got != 320 {
		t.Fatalf("hung frame: %d, %v; want 320 concealed", got, err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("a hung call took %s", d)
	}
	time.Sleep(100 * time.Millisecond) // the backoff
	if _, err := dec.Decode(out, make([]byte, 160)); err != nil {
		t.Fatal(err)
	}
	if p.Pid() == first || p.Pid() == 0 {
		t.Fatalf("the hung plugin (pid %d) was not replaced (now %d)", first, p.Pid())
	}
}

// TestPluginGarbageIsContained: a plugin answering with an oversized frame
// and a wrong batch is treated as failed; the caller gets concealment, not
// the garbage.
func TestPluginGarbageIsContained(t *testing.T) {
	h, reg := host(t, "garbage")
	f, _ := reg.Lookup("X-G722-PLUGIN")
	dec, _ := f.NewDecoder(nil)
	out := make([]int16, 640)
	got, err := dec.Decode(out, make([]byte, 160))
	if err != nil || got != 320 {
		t.Fatalf("decode: %d, %v; want 320 samples of concealment", got, err)
	}
	for _, v := range out[:got] {
		if v != 0 {
			t.Fatal("garbage reached the caller")
		}
	}
	if h.Plugins()[0].Stats().Failures == 0 {
		t.Fatal("garbage not counted as a failure")
	}
}

// TestPluginInheritsNoSecret: the plugin's environment is only what its
// configuration gives, nothing of the host's.
func TestPluginInheritsNoSecret(t *testing.T) {
	t.Setenv("VOXGRAPH_TEST_SECRET", "hunter2")
	h, _ := host(t, "env")
	p := h.Plugins()[0]
	if len(p.Codecs) != 1 {
		t.Fatalf("codecs %+v", p.Codecs)
	}
	env := pluginName(t, p)
	if strings.Contains(env, "hunter2") || strings.Contains(env, "HOME=") || !strings.Contains(env, "VOXGRAPH_TEST_PLUGIN=env") {
		t.Fatalf("plugin environment %q: want only its configured variables", env)
	}
}

// pluginName is the name the plugin reported at Load.
func pluginName(t *testing.T, p *plugins.Plugin) string {
	t.Helper()
	return p.Reported
}

// TestPinsAndDirs: only voxgraph-codec-* executables in the directories
// load, a symlink leading out of the directory is refused, and a pin that
// does not match refuses the plugin.
func TestPinsAndDirs(t *testing.T) {
	dir, outside := t.TempDir(), t.TempDir()
	self, _ := os.ReadFile(os.Args[0])
	os.WriteFile(dir+"/voxgraph-codec-test", self, 0o755)
	os.WriteFile(dir+"/not-a-plugin", self, 0o755)
	os.WriteFile(dir+"/voxgraph-codec-notexec", []byte("x"), 0o644)
	os.WriteFile(outside+"/voxgraph-codec-evil", self, 0o755)
	os.Symlink(outside+"/voxgraph-codec-evil", dir+"/voxgraph-codec-link")
	h, err := plugins.New(plugins.Config{Dirs: []string{dir}, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range h.Plugins() {
		names = append(names, p.Name)
	}
	if fmt.Sprint(names) != "[voxgraph-codec-test]" {
		t.Fatalf("plugins found %v, want only voxgraph-codec-test", names)
	}
	_, err = plugins.New(plugins.Config{Dirs: []string{dir}, Logger: quiet,
		Pins: map[string]string{"voxgraph-codec-test": strings.Repeat("00", 32)}})
	if err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("a wrong pin gave %v, want the plugin refused", err)
	}
}

func osArgs0() string { return os.Args[0] }
