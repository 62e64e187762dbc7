package plugins_test

import (
	"bytes"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/voxgraph/voxgraph/codecs"
	"github.com/voxgraph/voxgraph/codecs/g722"
)

// TestBatchedSessions: 40 encoders on one plugin, called tick by tick as
// graphs would. Each tick's frames travel in one exchange, and each
// encoder gets back, one tick later, exactly what in-process G.722 makes
// of its previous frame.
func TestBatchedSessions(t *testing.T) {
	const sessions, ticks = 40, 15
	h, reg := hostWith(t, true, "g722")
	f, _ := reg.Lookup("X-G722-PLUGIN")
	encs := make([]codecs.Encoder, sessions)
	locals := make([]*g722.Encoder, sessions)
	want := make([][]byte, sessions) // in-process result of the previous frame
	for i := range encs {
		encs[i], _ = f.NewEncoder(nil)
		locals[i] = g722.NewEncoder()
	}
	pcm := tone(320 * ticks)
	buf := make([]byte, 400)
	var ex0, fr0 uint64
	for k := range ticks {
		if k == 2 {
			ex0, fr0 = h.Plugins()[0].Exchanges() // the first tick also opened the sessions
		}
		for i, enc := range encs {
			frame := pcm[320*k : 320*(k+1)]
			if i%2 == 1 { // sessions send different audio
				frame = pcm[320*(ticks-1-k) : 320*(ticks-k)]
			}
			n, err := enc.Encode(buf, frame)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case k == 0 && n != 0:
				t.Fatalf("session %d returned %d bytes at the first tick: nothing can be back yet", i, n)
			case k > 0 && !bytes.Equal(buf[:n], want[i]):
				t.Fatalf("tick %d session %d: %d bytes differ from in-process G.722 of its previous frame", k, i, n)
			}
			local := make([]byte, 400)
			m, _ := locals[i].Encode(local, frame)
			want[i] = local[:m]
		}
		time.Sleep(20 * time.Millisecond) // the graph's tick
	}
	ex, frames := h.Plugins()[0].Exchanges()
	// One exchange a tick on an idle machine; a slow one (the race
	// detector, a loaded CI) may split a tick's round when its calls take
	// longer than the round waits, so ask for a fraction of that.
	if frames != sessions*ticks || frames-fr0 != sessions*(ticks-2) || (frames-fr0)/(ex-ex0) < sessions/4 {
		t.Fatalf("%d frames in %d exchanges, %d in %d after the first two ticks; want about one exchange of %d frames a tick",
			frames, ex, frames-fr0, ex-ex0, sessions)
	}
	t.Logf("%d frames in %d exchanges (%d per exchange after the first ticks)", frames, ex, (frames-fr0)/(ex-ex0))
}

// TestBatchedPluginKilled: 20 batched decoders when the plugin is
// SIGKILLed: every call still returns a frame (concealed while the plugin
// is down), the plugin is back within a second, real audio returns.
func TestBatchedPluginKilled(t *testing.T) {
	const sessions = 20
	h, reg := hostWith(t, true, "g722")
	p := h.Plugins()[0]
	f, _ := reg.Lookup("X-G722-PLUGIN")
	enc := g722.NewEncoder()
	payload := make([]byte, 400)
	n, _ := enc.Encode(payload, tone(320))
	decs := make([]codecs.Decoder, sessions)
	for i := range decs {
		decs[i], _ = f.NewDecoder(nil)
	}
	out := make([]int16, 640)
	tick := func() (audible int) {
		for _, d := range decs {
			got, err := d.Decode(out, payload[:n])
			if err != nil {
				t.Fatal(err)
			}
			if got == 320 && out[100] != 0 {
				audible++
			}
		}
		time.Sleep(20 * time.Millisecond)
		return audible
	}
	for range 5 {
		tick()
	}
	pid := p.Pid()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	for {
		a := tick()
		if p.Pid() != 0 && p.Pid() != pid && a == sessions {
			break
		}
		if time.Since(killed) > time.Second {
			t.Fatalf("not all %d streams back 1 s after SIGKILL (%d audible; stats %+v)", sessions, a, p.Stats())
		}
	}
	if p.Pid() == os.Getpid() || p.Stats().Concealed == 0 {
		t.Fatalf("stats %+v: want concealed frames", p.Stats())
	}
	t.Logf("all streams back %s after SIGKILL; %d frames concealed", time.Since(killed).Round(time.Millisecond), p.Stats().Concealed)
}
