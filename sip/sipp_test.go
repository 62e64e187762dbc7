package sip

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/voxgraph/voxgraph/internal/peer"
)

func requireSIPp(t *testing.T) string { return peer.Require(t, "sipp", "sip-tester") }

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// sippProc is a running SIPp instance.
type sippProc struct {
	cmd  *exec.Cmd
	out  *lockedBuffer
	port int
	done chan struct{} // closed when SIPp has exited, with err set
	err  error
}

// startSIPp runs SIPp with the scenario (a testdata file, or "-sn NAME" for a
// built-in one) on a free local port, in the background.
func startSIPp(t *testing.T, bin, scenario string, args ...string) *sippProc {
	t.Helper()
	port := peer.FreeUDPPort(t)
	full := []string{"-i", "127.0.0.1", "-p", strconv.Itoa(port), "-mi", "127.0.0.1", "-mp", strconv.Itoa(peer.FreeUDPPort(t)),
		"-nostdin", "-nd", "-timeout", "60s", "-timeout_error", "-trace_err", "-error_file", filepath.Join(t.TempDir(), "errors.log")}
	if len(scenario) > 4 && scenario[:4] == "-sn " {
		full = append(full, "-sn", scenario[4:])
	} else {
		full = append(full, "-sf", filepath.Join("testdata", "sipp", scenario))
	}
	full = append(full, args...)
	p := &sippProc{cmd: exec.Command(bin, full...), out: &lockedBuffer{}, port: port, done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.Dir, _ = os.Getwd()
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.cmd.Process.Kill() })
	// Wait until SIPp has bound its SIP port: a UAS that is not listening
	// yet when the gateway's INVITE goes out would make a loaded machine's
	// run depend on retransmission timing.
	deadline := time.Now().Add(10 * time.Second)
	for !udpBound(port) {
		select {
		case <-p.done:
			return p // already finished (a short UAC scenario)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("sipp did not bind 127.0.0.1:%d\n%s", port, p.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return p
}

// udpBound reports whether a UDP socket is bound to port (from /proc/net/udp).
func udpBound(port int) bool {
	b, err := os.ReadFile("/proc/net/udp")
	if err != nil {
		return true // not Linux: nothing to wait on
	}
	return strings.Contains(string(b), fmt.Sprintf(":%04X ", port))
}

// wait waits for SIPp to exit and fails the test unless every call succeeded (exit 0).
func (p *sippProc) wait(t *testing.T, what string, limit time.Duration) {
	t.Helper()
	select {
	case <-p.done:
		if err := p.err; err != nil {
			errs, _ := os.ReadFile(p.cmd.Args[indexOf(p.cmd.Args, "-error_file")+1])
			t.Fatalf("%s: sipp %v\n%s\n%s", what, err, p.out.String(), errs)
		}
	case <-time.After(limit):
		t.Fatalf("%s: sipp still running after %s\n%s", what, limit, p.out.String())
	}
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// sippGateway starts a gateway routing sip:service@… to target (ip:port),
// with more configuration lines if given.
func sippGateway(t *testing.T, target string, more ...string) *Gateway {
	t.Helper()
	return startGateway(t, fmt.Sprintf(`
listen: [{transport: udp, addr: "127.0.0.1:0"}]
media: {address: 127.0.0.1, ports: 30000-39999, rtp_timeout: 30s}
codecs: [PCMU, PCMA]
routes:
  - {name: sipp, request_uri: '^sip:service@', forward: 'sip:service@%s', open: true}
  - {name: rest, reject: 404}
`, target)+strings.Join(more, "\n"))
}

// shortTimers makes session timers testable: a 2 s interval (RFC 4028's
// 90 s minimum would make each scenario last minutes).
const shortTimers = "session_timer: {expires: 2s, min_se: 2s}"

func (gw *Gateway) waitIdle(t *testing.T) {
	t.Helper()
	waitFor(t, "gateway idle (no calls, no ports, no dialogs)", func() bool {
		return gw.ActiveCalls() == 0 && gw.PortsInUse() == 0 && gw.ep.dialogs() == 0
	})
}

// TestSIPpScenarios runs SIPp, a SIP implementation no one here wrote,
// against the gateway on both sides of calls.
func TestSIPpScenarios(t *testing.T) {
	bin := requireSIPp(t)
	// svc is the UAC arguments of n calls at n per second to sip:service@.
	svc := func(n int, more ...string) []string {
		return append([]string{"-s", "service", "-m", strconv.Itoa(n), "-r", strconv.Itoa(n)}, more...)
	}
	tests := []struct {
		name string
		// uas is the scenario of the SIPp UAS the gateway forwards calls to
		// ("-sn NAME" for a built-in one), "" for none (the gateway then
		// forwards to the discard port); it takes uasCalls calls.
		uas      string
		uasCalls int
		uac      string   // scenario of the SIPp UAC calling the gateway
		uacArgs  []string // after the gateway's address
		// registrar: the gateway is the registrar of registrarGateway
		// instead of forwarding to the UAS.
		registrar bool
		config    string // more gateway configuration
		idle      bool   // wait until the gateway has no call and no port left
		answered  uint64 // calls the gateway must have answered, if not 0
		// check, if not nil, runs further checks after the SIPp runs.
		check func(t *testing.T, gw *Gateway)
	}{
		{name: "basic call", uas: "-sn uas", uasCalls: 3, uac: "-sn uac", uacArgs: svc(3, "-d", "500"), idle: true, answered: 3},
		{name: "CANCEL before answer", uas: "uas_ring.xml", uasCalls: 2, uac: "uac_cancel.xml", uacArgs: svc(2), idle: true},
		{name: "BYE from the callee", uas: "uas_bye.xml", uasCalls: 2, uac: "uac_wait_bye.xml", uacArgs: svc(2), idle: true},
		{name: "unsupported codec gets 488", uac: "uac_488.xml", uacArgs: svc(2), idle: true},
		// uas_hold.xml checks the hold is passed on.
		{name: "re-INVITE hold and resume", uas: "uas_hold.xml", uasCalls: 2, uac: "uac_hold.xml", uacArgs: svc(2), idle: true},
		{name: "REGISTER with digest", registrar: true, uac: "uac_register.xml", uacArgs: []string{"-au", "alice", "-ap", "wonderland", "-m", "2", "-r", "2"},
			check: func(t *testing.T, gw *Gateway) {
				if _, ok := gw.reg.Lookup("alice"); !ok {
					t.Fatal("alice is not registered after SIPp's REGISTER")
				}
				bad := startSIPp(t, bin, "uac_register_wrong.xml", gw.Addr().String(), "-au", "alice", "-ap", "nope", "-m", "1")
				bad.wait(t, "wrong password", 20*time.Second)
			}},
		{name: "early media (183 with SDP)", uas: "uas_early.xml", uasCalls: 2, uac: "uac_early.xml", uacArgs: svc(2), idle: true},
		{name: "late offer (INVITE without SDP)", uas: "-sn uas", uasCalls: 2, uac: "uac_late_offer.xml", uacArgs: svc(2), idle: true, answered: 2},
		{name: "INFO (DTMF) relayed", uas: "uas_info.xml", uasCalls: 2, uac: "uac_info.xml", uacArgs: svc(2), idle: true},
		{name: "codec change by re-INVITE", uas: "-sn uas", uasCalls: 2, uac: "uac_codec_change.xml", uacArgs: svc(2), idle: true},
		// The UPDATE hold reaches uas_hold.xml as re-INVITEs.
		{name: "UPDATE hold and resume", uas: "uas_hold.xml", uasCalls: 2, uac: "uac_update.xml", uacArgs: svc(2), idle: true},
		{name: "OPTIONS", uac: "uac_options.xml", uacArgs: []string{"-m", "3", "-r", "3"}},
		// Session timers (RFC 4028) on a 2 s interval: the caller refreshes
		// leg A by UPDATE (the 3 s calls outlive the interval), the gateway
		// refreshes leg B where uas_timer.xml made it the refresher.
		{name: "session timer refreshed on both legs", uas: "uas_timer.xml", uasCalls: 2, uac: "uac_timer.xml", uacArgs: svc(2), config: shortTimers,
			idle: true, answered: 2, check: func(t *testing.T, gw *Gateway) {
				// 2 calls × (2 UPDATEs from the caller + 2 or 3 by the gateway on leg B).
				if n := gw.Stats().SessionRefreshes.Load(); n < 8 {
					t.Fatalf("%d session refreshes, want at least 8", n)
				}
			}},
		{name: "session timer expires without refresh", uas: "-sn uas", uasCalls: 2, uac: "uac_timer_expire.xml", uacArgs: svc(2), config: shortTimers,
			idle: true, answered: 2},
		// 100rel (RFC 3262) on both legs: the callee's reliable 183 is
		// PRACKed by the gateway, whose own 183 to the caller is reliable.
		{name: "100rel and PRACK on both legs", uas: "uas_100rel.xml", uasCalls: 2, uac: "uac_100rel.xml", uacArgs: svc(2), idle: true, answered: 2},
		{name: "unsupported Require gets 420", uac: "uac_420.xml", uacArgs: svc(2), idle: true},
		// UPDATE in the early dialog (RFC 3311): answered once early media
		// has answered the caller's offer, 500 + Retry-After before that.
		{name: "early UPDATE hold", uas: "uas_early.xml", uasCalls: 2, uac: "uac_early_update.xml", uacArgs: svc(2), idle: true, answered: 2},
		{name: "early UPDATE before any answer gets 500", uas: "uas_ring.xml", uasCalls: 2, uac: "uac_early_update_500.xml", uacArgs: svc(2), idle: true},
		// Both parties behind NAT (Via and Contact name an unreachable port):
		// rport and in-dialog requests to the source.
		{name: "caller and callee behind NAT", uas: "uas_nat.xml", uasCalls: 2, uac: "uac_nat.xml", uacArgs: svc(2), idle: true, answered: 2},
		// The callee's 422 (Min-SE 3 s): the gateway retries with 3 s; the
		// SIPp uas sees each INVITE as a call, so 2 calls make 4.
		{name: "callee's 422 retried with its Min-SE", uas: "uas_422.xml", uasCalls: 4, uac: "-sn uac", uacArgs: svc(2, "-d", "300"), config: shortTimers,
			idle: true, answered: 2},
		{name: "session interval below Min-SE gets 422", uac: "uac_timer_422.xml", uacArgs: svc(2), config: shortTimers, idle: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var uas *sippProc
			var gw *Gateway
			switch {
			case tt.registrar:
				gw = registrarGateway(t, "")
			case tt.uas != "":
				uas = startSIPp(t, bin, tt.uas, "-m", strconv.Itoa(tt.uasCalls))
				gw = sippGateway(t, fmt.Sprintf("127.0.0.1:%d", uas.port), tt.config)
			default:
				gw = sippGateway(t, "127.0.0.1:9", tt.config)
			}
			uac := startSIPp(t, bin, tt.uac, append([]string{gw.Addr().String()}, tt.uacArgs...)...)
			uac.wait(t, "uac "+tt.uac, 20*time.Second)
			if uas != nil {
				uas.wait(t, "uas "+tt.uas, 10*time.Second)
			}
			if tt.idle {
				gw.waitIdle(t)
			}
			if tt.answered != 0 {
				if n := gw.Stats().Answered.Load(); n != tt.answered {
					t.Fatalf("gateway answered %d calls, want %d", n, tt.answered)
				}
			}
			if tt.check != nil {
				tt.check(t, gw)
			}
		})
	}
}

// TestSIPpLoad: 200 calls at 20 calls per second from SIPp through the
// gateway to SIPp; zero failed calls, and afterwards no call, RTP port or
// goroutine left behind.
func TestSIPpLoad(t *testing.T) {
	bin := requireSIPp(t)
	uas := startSIPp(t, bin, "-sn uas", "-m", "200")
	gw := sippGateway(t, fmt.Sprintf("127.0.0.1:%d", uas.port))
	before := runtime.NumGoroutine()
	uac := startSIPp(t, bin, "-sn uac", gw.Addr().String(), "-s", "service", "-m", "200", "-r", "20", "-l", "60", "-d", "1000")
	uac.wait(t, "uac", 60*time.Second)
	uas.wait(t, "uas", 20*time.Second)
	gw.waitIdle(t)
	if n := gw.Stats().Answered.Load(); n != 200 {
		t.Fatalf("gateway answered %d of 200 calls (failed %d)", n, gw.Stats().Failed.Load())
	}
	// Transactions linger for their RFC 3261 timers (up to 32 s after the
	// last message); what must not linger are the calls' own goroutines.
	waitFor(t, "goroutines back to where they were", func() bool { return runtime.NumGoroutine() <= before+20 })
}
