package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/voxgraph/voxgraph/codecs"
	"github.com/voxgraph/voxgraph/dsp/tone"
	_ "github.com/voxgraph/voxgraph/elements"
	"github.com/voxgraph/voxgraph/graphs"
	"github.com/voxgraph/voxgraph/internal/graphtest"
	"github.com/voxgraph/voxgraph/internal/peer"
	"github.com/voxgraph/voxgraph/internal/plugintest"
	"github.com/voxgraph/voxgraph/plugins"
	"github.com/voxgraph/voxgraph/sip"
)

// TestGatewayOpusCall: a PCMU phone calls an Opus-only phone through
// `voxgraph gateway --plugins DIR`, run as its own process. The gateway
// offers opus/48000/2 (RFC 7587) on leg B, transcodes PCMU ⇄ Opus with the
// codec in its plugin process (batched), and each phone hears the other's
// tone. The callee, in this test process, runs Opus through the same
// plugin binary (its own host, unbatched).
func TestGatewayOpusCall(t *testing.T) {
	voxgraph, pluginDir := plugintest.Build(t, ".", "voxgraph-codec-opus")
	plugintest.Open(t, plugins.Config{Dirs: []string{pluginDir}, Timeout: 5 * time.Second, Logger: slog.New(slog.DiscardHandler)}, codecs.Default)

	dir := t.TempDir()
	ports, err := sip.NewPorts(netip.MustParseAddr("127.0.0.1"), 46000, 46999)
	if err != nil {
		t.Fatal(err)
	}
	phone := func(codec, play, record string) *sip.Phone {
		p, err := sip.NewPhone(sip.PhoneConfig{Ports: ports, Codecs: []string{codec}, Play: play, Record: record,
			Loop: true, RTPTimeout: 3 * time.Second, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		return p
	}
	toneFile := func(hz string, rate int) string {
		path := filepath.Join(dir, hz+".wav")
		graphtest.Run(t, fmt.Sprintf("tone freqs=%s rate=%d duration=1s ! wav-sink path=%s", hz, rate, graphs.Quote(path)))
		return path
	}
	aHeard, bHeard := filepath.Join(dir, "caller-heard.wav"), filepath.Join(dir, "callee-heard.wav")
	callee := phone("opus", toneFile("1000", 48000), bHeard)
	caller := phone("PCMU", toneFile("440", 8000), aHeard)

	sipPort := peer.FreeUDPPort(t)
	config := filepath.Join(dir, "gateway.yaml")
	if err := os.WriteFile(config, fmt.Appendf(nil, `
listen: [{transport: udp, addr: "127.0.0.1:%d"}]
media: {address: 127.0.0.1, ports: 47000-47999, rtp_timeout: 3s}
codecs: [PCMU, opus]
routes:
  - name: callee
    request_uri: '^sip:(1\d*)@'
    forward: 'sip:$1@%s'
    open: true
    codecs: [opus]
`, sipPort, callee.Addr()), 0o600); err != nil {
		t.Fatal(err)
	}
	var gwOut strings.Builder
	gw := exec.Command(voxgraph, "gateway", "--plugins", pluginDir, "--config", config, "--log-level", "warn")
	gw.Stdout, gw.Stderr = &gwOut, &gwOut
	if err := gw.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		gw.Process.Signal(os.Interrupt)
		gw.Wait()
		if t.Failed() {
			t.Logf("gateway output:\n%s", gwOut.String())
		}
	}()

	// The INVITE is retransmitted until the gateway listens.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	call, err := caller.Call(ctx, fmt.Sprintf("sip:1234@127.0.0.1:%d", sipPort))
	if err != nil {
		t.Fatal(err)
	}
	var answered *sip.Call
	select {
	case answered = <-callee.Answered():
	case <-time.After(5 * time.Second):
		t.Fatal("the callee did not answer")
	}
	if c := answered.Negotiated.Codec; c.Name != "opus" || c.ClockRate != 48000 || c.Channels != 2 {
		t.Errorf("leg B negotiated %+v, want opus/48000/2", c)
	}
	if c := call.Negotiated.Codec; c.Name != "PCMU" {
		t.Errorf("leg A negotiated %+v, want PCMU", c)
	}
	time.Sleep(2 * time.Second)
	if pid := plugintest.ChildRunning(gw.Process.Pid, filepath.Join(pluginDir, "voxgraph-codec-opus")); pid == 0 {
		t.Error("no Opus plugin process under the gateway during the call")
	}
	if err := call.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-answered.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the callee's call did not end")
	}
	checkHeard(t, bHeard, 48000, 440)
	checkHeard(t, aHeard, 8000, 1000)
}

// checkHeard checks that the recording holds at least a second of audio
// whose strongest component, among the two tones of the call, is hz.
func checkHeard(t *testing.T, path string, rate int, hz float64) {
	t.Helper()
	_, _, pcm := graphtest.ReadWav(t, path)
	if len(pcm) < rate {
		t.Fatalf("%s: heard only %d samples", path, len(pcm))
	}
	pcm = pcm[len(pcm)/4:] // past the call's start
	other := 440.0
	if hz == 440 {
		other = 1000
	}
	if p, q := tone.Power(pcm, rate, hz), tone.Power(pcm, rate, other); p < 100*q || p == 0 {
		t.Fatalf("%s: power at %v Hz %.3g, at %v Hz %.3g; want the first 20 dB above the second", path, hz, p, other, q)
	}
}
