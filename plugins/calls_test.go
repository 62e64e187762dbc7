package plugins_test

import (
	"context"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/voxgraph/voxgraph/codecs"
	dsptone "github.com/voxgraph/voxgraph/dsp/tone"
	_ "github.com/voxgraph/voxgraph/elements"
	"github.com/voxgraph/voxgraph/graphs"
	"github.com/voxgraph/voxgraph/internal/graphtest"
	"github.com/voxgraph/voxgraph/pipeline"
	"github.com/voxgraph/voxgraph/plugins"
)

// TestTwentyCallsSurvivePluginKill: 20 real-time graphs encode and decode
// through one batched plugin on a shared scheduler. The plugin is SIGKILLed
// mid-run: every graph runs to its end without error, the gap is concealed
// and counted, the plugin is back within a second, and every call's audio
// is the tone again at the end.
func TestTwentyCallsSurvivePluginKill(t *testing.T) {
	const calls = 20
	h, err := plugins.New(plugins.Config{Logger: quiet, Batch: true, Timeout: 300 * time.Millisecond, Commands: []plugins.Command{{
		Name: "test-g722", Path: osArgs0(), Args: []string{"-test.run=^$"}, Env: []string{"VOXGRAPH_TEST_PLUGIN=g722"}}}})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if err := h.Load(); err != nil {
		t.Fatal(err)
	}
	// The encode and decode elements look codecs up in codecs.Default.
	if _, ok := codecs.Default.Lookup("X-G722-PLUGIN"); !ok {
		if err := h.Register(codecs.Default); err != nil {
			t.Fatal(err)
		}
	}
	p := h.Plugins()[0]
	sched := pipeline.NewScheduler()
	sched.Start()
	defer sched.Close()
	dir := t.TempDir()
	var gs []*pipeline.Graph
	for i := range calls {
		out := filepath.Join(dir, fmt.Sprintf("call%d.wav", i))
		g := graphtest.Build(t, "tone freqs=440 rate=16000 realtime=true duration=2500ms ! encode codec=X-G722-PLUGIN ! decode name=dec ! wav-sink path="+graphs.Quote(out), graphtest.Quiet)
		if err := g.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		sched.Add(g)
		gs = append(gs, g)
	}
	time.Sleep(800 * time.Millisecond)
	pid := p.Pid()
	if pid == 0 {
		t.Fatal("the plugin is not running mid-call")
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	for p.Pid() == 0 || p.Pid() == pid {
		if time.Since(killed) > time.Second {
			t.Fatalf("plugin not back 1 s after SIGKILL (stats %+v)", p.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
	back := time.Since(killed)
	for i, g := range gs {
		select {
		case <-g.Done():
		case <-time.After(5 * time.Second):
			t.Fatalf("call %d did not end", i)
		}
		if err := g.Err(); err != nil {
			t.Fatalf("call %d failed: %v", i, err)
		}
		g.Stop()
		_, _, pcm := graphtest.ReadWav(t, filepath.Join(dir, fmt.Sprintf("call%d.wav", i)))
		if len(pcm) < 16000*2 {
			t.Fatalf("call %d: %d samples, want about 2.5 s", i, len(pcm))
		}
		tail := pcm[len(pcm)-8000:] // the last 0.5 s: after the restart
		if p440, p1k := dsptone.Power(tail, 16000, 440), dsptone.Power(tail, 16000, 1000); p440 < 1e5 || p440 < 100*p1k {
			t.Fatalf("call %d: the tone is not back at the end (440 Hz power %.0f)", i, p440)
		}
	}
	st := p.Stats()
	if st.Starts < 2 || st.Failures < 1 || st.Concealed < 1 {
		t.Fatalf("stats %+v: want a restart, a failure and concealed frames", st)
	}
	t.Logf("%d calls survived; plugin back %s after SIGKILL; %d frames concealed, %d dropped", calls, back.Round(time.Millisecond), st.Concealed, st.Dropped)
}
