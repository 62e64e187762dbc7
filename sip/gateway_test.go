package sip

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sipgosip "github.com/emiago/sipgo/sip"

	"github.com/voxgraph/voxgraph/internal/graphtest"
	"github.com/voxgraph/voxgraph/internal/peer"
	"github.com/voxgraph/voxgraph/sip/sdp"
)

// newTestGateway starts a gateway whose route 1xx forwards to target.
func newTestGateway(t *testing.T, target netip.AddrPort, routeCodecs string) *Gateway {
	t.Helper()
	cfg := fmt.Sprintf(`
listen: [{transport: udp, addr: "127.0.0.1:0"}]
media: {address: 127.0.0.1, ports: 44000-44999, rtp_timeout: 3s}
codecs: [PCMU, PCMA, G722]
routes:
  - name: callee
    request_uri: '^sip:(1\d*)@'
    forward: 'sip:$1@%s'
    open: true
    codecs: %s
  - name: rest
    reject: 404
`, target, routeCodecs)
	return startGateway(t, cfg)
}

// startGateway parses a configuration and runs a gateway until the test ends.
func startGateway(t *testing.T, config string) *Gateway {
	t.Helper()
	c, err := ParseConfig("test", []byte(config))
	if err != nil {
		t.Fatal(err)
	}
	gw, err := NewGateway(c, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gw.Close() })
	return gw
}

func checkHeard(t *testing.T, path string, rate int, hz float64) {
	t.Helper()
	_, _, pcm := graphtest.ReadWav(t, path)
	if len(pcm) < rate/2 {
		t.Fatalf("%s: heard only %d samples", path, len(pcm))
	}
	if f := peakHz(pcm, rate); f != hz {
		t.Fatalf("%s: heard %v Hz, want %v", path, f, hz)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestGatewayTranscodes drives full calls through the gateway with our own
// UA on both sides and checks the audio arrived, transcoded, both ways.
func TestGatewayTranscodes(t *testing.T) {
	tests := []struct {
		name                       string
		callerCodecs, calleeCodecs []string
		routeCodecs                string
		wantA, wantB               string // codecs on leg A and leg B
		calleeRate                 int
		byeFromCallee              bool
	}{
		{"PCMU-PCMA", []string{"PCMU"}, []string{"PCMA"}, "[PCMA]", "PCMU", "PCMA", 8000, false},
		{"PCMU-G722", []string{"PCMU"}, []string{"G722"}, "[G722, PCMU]", "PCMU", "G722", 16000, true},
		{"PCMU-relay", []string{"PCMU"}, []string{"PCMU", "PCMA"}, "[PCMU, PCMA]", "PCMU", "PCMU", 8000, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ports, err := NewPorts(netip.MustParseAddr("127.0.0.1"), 45000, 45999)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			aRec, bRec := filepath.Join(dir, "caller-heard.wav"), filepath.Join(dir, "callee-heard.wav")
			callee := newTestPhone(t, ports, tc.calleeCodecs, phoneSetup{toneFile(t, "1000"), bRec})
			caller := newTestPhone(t, ports, tc.callerCodecs, phoneSetup{toneFile(t, "440"), aRec})
			gw := newTestGateway(t, callee.Addr(), tc.routeCodecs)

			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			call, answered := callAnswered(t, ctx, caller, callee, fmt.Sprintf("sip:1234@%s", gw.Addr()))
			if a, b := call.Negotiated.Codec.Name, answered.Negotiated.Codec.Name; a != tc.wantA || b != tc.wantB {
				t.Fatalf("leg A %s, leg B %s; want %s and %s", a, b, tc.wantA, tc.wantB)
			}
			if gw.ActiveCalls() != 1 {
				t.Fatalf("gateway has %d calls", gw.ActiveCalls())
			}
			time.Sleep(1500 * time.Millisecond)
			hangup, other := call, answered
			if tc.byeFromCallee {
				hangup, other = answered, call
			}
			if err := hangup.Hangup(ctx); err != nil {
				t.Fatal(err)
			}
			waitDone(t, other, "other side")
			waitFor(t, "gateway to release the call", func() bool { return gw.ActiveCalls() == 0 && gw.PortsInUse() == 0 })
			checkHeard(t, bRec, tc.calleeRate, 440)
			checkHeard(t, aRec, 8000, 1000)
		})
	}
}

func TestGatewayRejects(t *testing.T) {
	ports, err := NewPorts(netip.MustParseAddr("127.0.0.1"), 45000, 45999)
	if err != nil {
		t.Fatal(err)
	}
	callee := newTestPhone(t, ports, []string{"PCMU"}, phoneSetup{})
	caller := newTestPhone(t, ports, []string{"PCMU"}, phoneSetup{})
	gw := newTestGateway(t, callee.Addr(), "[PCMA]") // the route offers only PCMA; the callee has only PCMU
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, tc := range []struct{ uri, want string }{
		{fmt.Sprintf("sip:alice@%s", gw.Addr()), "404"},
		{fmt.Sprintf("sip:1000@%s", gw.Addr()), "488"},
	} {
		_, err := caller.Call(ctx, tc.uri)
		if err == nil || !containsStatus(err, tc.want) {
			t.Errorf("call %s: error %v, want %s", tc.uri, err, tc.want)
		}
	}
	waitFor(t, "no calls", func() bool { return gw.ActiveCalls() == 0 && gw.PortsInUse() == 0 })
}

func containsStatus(err error, code string) bool {
	return err != nil && (len(code) == 0 || contains(err.Error(), code))
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// testLog logs to the test at debug level when VOXGRAPH_TEST_LOG is set.
func testLog(t *testing.T) *slog.Logger {
	if os.Getenv("VOXGRAPH_TEST_LOG") == "" {
		return quiet
	}
	l := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	sipgosip.SetDefaultLogger(l)
	return l
}

// TestRoutingLoopEnds: a route that forwards to the gateway itself makes a
// chain of calls that Max-Forwards ends (483); every hop is released.
func TestRoutingLoopEnds(t *testing.T) {
	// Reserve a port for the gateway so its own route can point at it.
	port := peer.FreeUDPPort(t)
	gw := startGateway(t, fmt.Sprintf(`
listen: [{transport: udp, addr: "127.0.0.1:%d"}]
media: {address: 127.0.0.1, ports: 44000-44999, rtp_timeout: 3s}
routes:
  - {name: loop, request_uri: '^sip:loop@', forward: 'sip:loop@127.0.0.1:%d', open: true}
`, port, port))
	ports, _ := NewPorts(netip.MustParseAddr("127.0.0.1"), 45000, 45999)
	caller := newTestPhone(t, ports, []string{"PCMU"}, phoneSetup{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := caller.Call(ctx, fmt.Sprintf("sip:loop@%s", gw.Addr()))
	if err == nil || !contains(err.Error(), "483") {
		t.Fatalf("looping call: %v, want 483 Too Many Hops", err)
	}
	waitFor(t, "every hop released", func() bool { return gw.ActiveCalls() == 0 && gw.PortsInUse() == 0 })
	if n := gw.Stats().Calls.Load(); n < 60 {
		t.Fatalf("only %d hops before 483: Max-Forwards is not being decremented", n)
	}
}

// TestGatewaySRTPLeg: the caller offers SDES SRTP; the gateway answers with
// the strongest suite both have (not the default profile) and the callee's
// leg stays plain RTP. Audio must flow both ways, so each leg's graph uses
// the profile the SDP settled.
func TestGatewaySRTPLeg(t *testing.T) {
	ports, err := NewPorts(netip.MustParseAddr("127.0.0.1"), 45000, 45999)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	aRec, bRec := filepath.Join(dir, "caller-heard.wav"), filepath.Join(dir, "callee-heard.wav")
	callee := newTestPhone(t, ports, []string{"PCMU"}, phoneSetup{toneFile(t, "1000"), bRec})
	caller, err := NewPhone(PhoneConfig{Ports: ports, Codecs: []string{"PCMU"}, SRTP: sdp.SRTPOptional, Play: toneFile(t, "440"),
		Record: aRec, Loop: true, RTPTimeout: 2 * time.Second, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer caller.Close()
	gw := newTestGateway(t, callee.Addr(), "[PCMU]")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	call, err := caller.Call(ctx, fmt.Sprintf("sip:1234@%s", gw.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	if call.Negotiated.SRTP == nil || call.Negotiated.SRTP.Suite == "AES_CM_128_HMAC_SHA1_80" {
		t.Fatalf("leg A SRTP = %+v; want a suite other than the default profile", call.Negotiated.SRTP)
	}
	time.Sleep(1200 * time.Millisecond)
	call.Hangup(ctx)
	waitFor(t, "call released", func() bool { return gw.ActiveCalls() == 0 && gw.PortsInUse() == 0 })
	checkHeard(t, bRec, 8000, 440)
	checkHeard(t, aRec, 8000, 1000)
}

// TestMaxCalls: with max_calls 1 a second call while the first is up gets
// 503 with Retry-After; once the first ends, calls are taken again.
func TestMaxCalls(t *testing.T) {
	ports, err := NewPorts(netip.MustParseAddr("127.0.0.1"), 49000, 49999)
	if err != nil {
		t.Fatal(err)
	}
	callee := newTestPhone(t, ports, []string{"PCMU"}, phoneSetup{})
	caller := newTestPhone(t, ports, []string{"PCMU"}, phoneSetup{})
	gw := startGateway(t, fmt.Sprintf(`
listen: [{transport: udp, addr: "127.0.0.1:0"}]
media: {address: 127.0.0.1, ports: 44000-44999, rtp_timeout: 3s}
max_calls: 1
routes:
  - {name: callee, request_uri: '^sip:1', forward: 'sip:1@%s', open: true}
`, callee.Addr()))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	target := fmt.Sprintf("sip:1@%s", gw.Addr())
	first, _ := callAnswered(t, ctx, caller, callee, target)
	if _, err := caller.Call(ctx, target); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("second call: %v, want 503", err)
	}
	if err := first.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "first call released", func() bool { return gw.ActiveCalls() == 0 })
	again, _ := callAnswered(t, ctx, caller, callee, target)
	again.Hangup(ctx)
	waitFor(t, "gateway idle", func() bool { return gw.ActiveCalls() == 0 && gw.PortsInUse() == 0 })
}
