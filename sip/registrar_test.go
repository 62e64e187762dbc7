package sip

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

func registrarGateway(t *testing.T, extraRoutes string) *Gateway {
	t.Helper()
	return startGateway(t, `
listen: [{transport: udp, addr: "127.0.0.1:0"}]
media: {address: 127.0.0.1, ports: 44000-44999, rtp_timeout: 3s}
codecs: [PCMU, PCMA]
registrar: {realm: test, users: {alice: wonderland, bob: builder}, max_failures: 3, ban_time: 1m}
routes:
  - {name: users, request_uri: '^sip:(alice|bob)@', registered: '$1'}
`+extraRoutes+`
  - {name: rest, reject: 404}
`)
}

func regPhone(t *testing.T, ports *Ports, user, password string, ps phoneSetup) *Phone {
	p, err := NewPhone(PhoneConfig{Ports: ports, Codecs: []string{"PCMU"}, User: user, Password: password,
		Play: ps.play, Record: ps.record, Loop: true, RTPTimeout: 2 * time.Second, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// TestRegisterAndCallUser: alice registers (digest), bob calls sip:alice@gw
// and reaches her phone through the location service.
func TestRegisterAndCallUser(t *testing.T) {
	ports, _ := NewPorts(netip.MustParseAddr("127.0.0.1"), 45000, 45999)
	gw := registrarGateway(t, "")
	rec := filepath.Join(t.TempDir(), "alice-heard.wav")
	alice := regPhone(t, ports, "alice", "wonderland", phoneSetup{record: rec})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	regURI := fmt.Sprintf("sip:%s", gw.Addr())
	if err := alice.Register(ctx, regURI, time.Hour); err != nil {
		t.Fatal(err)
	}
	bob := regPhone(t, ports, "bob", "", phoneSetup{play: toneFile(t, "440")})
	call, err := bob.Call(ctx, fmt.Sprintf("sip:alice@%s", gw.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(800 * time.Millisecond)
	call.Hangup(ctx)
	waitFor(t, "call released", func() bool { return gw.ActiveCalls() == 0 && gw.PortsInUse() == 0 })
	checkHeard(t, rec, 8000, 440)
	// Unregistering makes her unreachable: 480.
	if err := alice.Register(ctx, regURI, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Call(ctx, fmt.Sprintf("sip:alice@%s", gw.Addr())); err == nil || !strings.Contains(err.Error(), "480") {
		t.Fatalf("call to unregistered alice: %v, want 480", err)
	}
}

// TestRegisterWrongPasswordAndLockout: wrong passwords fail, and after
// max_failures the source is refused with 403 even with the right one.
func TestRegisterWrongPasswordAndLockout(t *testing.T) {
	ports, _ := NewPorts(netip.MustParseAddr("127.0.0.1"), 45000, 45999)
	gw := registrarGateway(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	regURI := fmt.Sprintf("sip:%s", gw.Addr())
	mallory := regPhone(t, ports, "alice", "guess", phoneSetup{})
	for i := 0; i < 3; i++ {
		if err := mallory.Register(ctx, regURI, time.Hour); err == nil || !strings.Contains(err.Error(), "401") {
			t.Fatalf("attempt %d with a wrong password: %v, want 401", i+1, err)
		}
	}
	alice := regPhone(t, ports, "alice", "wonderland", phoneSetup{})
	if err := alice.Register(ctx, regURI, time.Hour); err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("right password from a banned address: %v, want 403", err)
	}
}

// TestTrunkRoutesNeedAuthentication: a forward route without open: true
// challenges callers (407) and lets only registrar users through.
func TestTrunkRoutesNeedAuthentication(t *testing.T) {
	ports, _ := NewPorts(netip.MustParseAddr("127.0.0.1"), 45000, 45999)
	callee := newTestPhone(t, ports, []string{"PCMU"}, phoneSetup{})
	gw := registrarGateway(t, fmt.Sprintf("  - {name: trunk, request_uri: '^sip:(\\d+)@', forward: 'sip:$1@%s'}", callee.Addr()))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	anon := regPhone(t, ports, "eve", "", phoneSetup{})
	if _, err := anon.Call(ctx, fmt.Sprintf("sip:1000@%s", gw.Addr())); err == nil || !strings.Contains(err.Error(), "407") {
		t.Fatalf("unauthenticated trunk call: %v, want 407", err)
	}
	bob := regPhone(t, ports, "bob", "builder", phoneSetup{})
	call, err := bob.Call(ctx, fmt.Sprintf("sip:1000@%s", gw.Addr()))
	if err != nil {
		t.Fatalf("authenticated trunk call: %v", err)
	}
	call.Hangup(ctx)
	waitFor(t, "call released", func() bool { return gw.ActiveCalls() == 0 && gw.PortsInUse() == 0 })
}

// TestDigestReplayAndStale checks the nonce rules directly.
func TestDigestReplayAndStale(t *testing.T) {
	r, err := NewRegistrar(RegistrarConfig{Realm: "test", Users: map[string]string{"alice": "pw"}, MaxFailures: 100})
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Now()
	r.now = func() time.Time { return clock }
	nonce := r.nonce()
	request := func(nc int, alg string) *sip.Request {
		uri := sip.Uri{Scheme: "sip", Host: "127.0.0.1", Port: 5060}
		req := sip.NewRequest(sip.REGISTER, uri)
		req.SetSource("127.0.0.1:5555")
		cred, err := digest.Digest(&digest.Challenge{Realm: "test", Nonce: nonce, Algorithm: alg, QOP: []string{"auth"}},
			digest.Options{Method: "REGISTER", URI: "sip:127.0.0.1:5060", Username: "alice", Password: "pw", Count: nc, Cnonce: "abc"})
		if err != nil {
			t.Fatal(err)
		}
		req.AppendHeader(sip.NewHeader("Authorization", cred.String()))
		return req
	}
	for _, alg := range []string{"MD5", "SHA-256"} {
		nonce = r.nonce()
		if user, res := r.Authenticate(request(1, alg), false); res != authOK || user != "alice" {
			t.Fatalf("%s nc=1: %v %q", alg, res, user)
		}
		if _, res := r.Authenticate(request(1, alg), false); res != authFailed {
			t.Fatalf("%s replay of nc=1: %v, want failure", alg, res)
		}
		if _, res := r.Authenticate(request(2, alg), false); res != authOK {
			t.Fatalf("%s nc=2: %v", alg, res)
		}
	}
	clock = clock.Add(10 * time.Minute)
	if _, res := r.Authenticate(request(3, "MD5"), false); res != authStale {
		t.Fatalf("old nonce: %v, want stale", res)
	}
	nonce = "1234.forged"
	if _, res := r.Authenticate(request(1, "MD5"), false); res != authFailed {
		t.Fatalf("forged nonce: %v, want failure", res)
	}
}
