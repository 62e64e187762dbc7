package sip

import (
	"context"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/voxgraph/voxgraph/internal/graphtest"
)

type phoneSetup struct {
	play, record string
}

func newTestPhone(t *testing.T, ports *Ports, codecs []string, ps phoneSetup) *Phone {
	p, err := NewPhone(PhoneConfig{Ports: ports, Codecs: codecs, Play: ps.play, Record: ps.record, Loop: true, RTPTimeout: 2 * time.Second, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func toneFile(t *testing.T, hz string) string {
	path := filepath.Join(t.TempDir(), hz+".wav")
	graphtest.Run(t, "tone freqs="+hz+" duration=1s ! wav-sink path="+path)
	return path
}

// callAnswered places a call from caller to target and returns it with the
// callee's side of it, failing the test unless callee answers within 3 s.
func callAnswered(t *testing.T, ctx context.Context, caller, callee *Phone, target string) (call, answered *Call) {
	t.Helper()
	call, err := caller.Call(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case answered = <-callee.Answered():
	case <-time.After(3 * time.Second):
		t.Fatal("the callee did not answer")
	}
	return call, answered
}

func waitDone(t *testing.T, c *Call, what string) {
	t.Helper()
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: call did not end", what)
	}
}

func TestPhoneToPhone(t *testing.T) {
	ports, err := NewPorts(netip.MustParseAddr("127.0.0.1"), 43000, 43999)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	aRec, bRec := filepath.Join(dir, "a.wav"), filepath.Join(dir, "b.wav")
	callee := newTestPhone(t, ports, []string{"PCMA", "PCMU"}, phoneSetup{toneFile(t, "1000"), bRec})
	caller := newTestPhone(t, ports, []string{"PCMU", "PCMA"}, phoneSetup{toneFile(t, "440"), aRec})

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	call, answered := callAnswered(t, ctx, caller, callee, callee.URI())
	if got := call.Negotiated.Codec.Name; got != "PCMA" {
		t.Fatalf("negotiated %s: the answerer prefers PCMA", got)
	}
	time.Sleep(1200 * time.Millisecond)
	if err := call.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	waitDone(t, call, "caller")
	waitDone(t, answered, "callee")
	if answered.Reason() != "remote hangup" {
		t.Fatalf("callee ended with %q", answered.Reason())
	}
	for _, c := range []struct {
		path string
		hz   float64
	}{{bRec, 440}, {aRec, 1000}} {
		_, _, pcm := graphtest.ReadWav(t, c.path)
		if len(pcm) < 4000 {
			t.Fatalf("%s: heard only %d samples", c.path, len(pcm))
		}
		if f := peakHz(pcm, 8000); f != c.hz {
			t.Fatalf("%s: heard %v Hz, want %v", c.path, f, c.hz)
		}
	}
	if n := ports.InUse(); n != 0 {
		t.Fatalf("%d RTP ports still allocated after the call", n)
	}
}
