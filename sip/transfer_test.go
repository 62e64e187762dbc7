package sip

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/voxgraph/voxgraph/internal/graphtest"
)

// TestGatewayBlindTransfer: A calls B through the gateway, then one of them
// transfers the other to C with REFER. The gateway calls C, joins the
// staying party to it (C hears them, they hear C), reports 200 by NOTIFY
// and hangs the transferor up. Refused and failed transfers leave the
// call as it was.
func TestGatewayBlindTransfer(t *testing.T) {
	tests := []struct {
		name       string
		transferor string // "a" (the caller) or "b" (the callee)
		target     string // user part of the Refer-To at the gateway
		wantErr    string // "" for a transfer that completes
		hangUp     bool   // the transferor hangs up right after the 202
	}{
		{"callee transfers the caller", "b", "2", "", false},
		{"caller transfers the callee", "a", "2", "", false},
		{"transferor hangs up after 202", "b", "2", "", true},
		{"target no route allows", "b", "404", "403", false},
		{"trunk target needs an authenticated REFER", "b", "9", "407", false},
		{"target refuses the call", "b", "3", "488", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ports, err := NewPorts(netip.MustParseAddr("127.0.0.1"), 48000, 48999)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			aRec, bRec, cRec := filepath.Join(dir, "a.wav"), filepath.Join(dir, "b.wav"), filepath.Join(dir, "c.wav")
			a := newTestPhone(t, ports, []string{"PCMU"}, phoneSetup{toneFile(t, "440"), aRec})
			b := newTestPhone(t, ports, []string{"PCMU"}, phoneSetup{toneFile(t, "1000"), bRec})
			c := newTestPhone(t, ports, []string{"PCMA"}, phoneSetup{toneFile(t, "700"), cRec})
			l16 := newTestPhone(t, ports, []string{"L16"}, phoneSetup{}) // shares no codec with the gateway
			gw := startGateway(t, fmt.Sprintf(`
listen: [{transport: udp, addr: "127.0.0.1:0"}]
media: {address: 127.0.0.1, ports: 44000-44999, rtp_timeout: 3s}
codecs: [PCMU, PCMA]
registrar: {realm: test, users: {alice: wonderland}}
routes:
  - {name: b, request_uri: '^sip:1@', forward: 'sip:1@%s', open: true}
  - {name: c, request_uri: '^sip:2@', forward: 'sip:2@%s', open: true}
  - {name: l16, request_uri: '^sip:3@', forward: 'sip:3@%s', open: true}
  - {name: trunk, request_uri: '^sip:9@', forward: 'sip:9@%s'}
  - {name: rest, reject: 404}
`, b.Addr(), c.Addr(), l16.Addr(), c.Addr()))
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			callA, callB := callAnswered(t, ctx, a, b, fmt.Sprintf("sip:1@%s", gw.Addr()))
			time.Sleep(300 * time.Millisecond)
			transferor, stays := callB, callA
			if tc.transferor == "a" {
				transferor, stays = callA, callB
			}
			referTo := fmt.Sprintf("sip:%s@%s", tc.target, gw.Addr())
			if tc.hangUp {
				err = transferor.Refer(ctx, referTo)
				if err == nil {
					err = transferor.Hangup(ctx)
				}
			} else {
				err = transferor.Transfer(ctx, referTo)
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("transfer error %v, want one with %s", err, tc.wantErr)
				}
				time.Sleep(300 * time.Millisecond)
				select {
				case <-callA.Done():
					t.Fatalf("caller's call ended: %s", callA.Reason())
				case <-callB.Done():
					t.Fatalf("callee's call ended: %s", callB.Reason())
				default:
				}
				if gw.ActiveCalls() != 1 || gw.Stats().Transfers.Load() != 0 {
					t.Fatalf("after a refused transfer: %d calls, %d transfers", gw.ActiveCalls(), gw.Stats().Transfers.Load())
				}
				callA.Hangup(ctx)
				waitFor(t, "gateway idle", func() bool { return gw.ActiveCalls() == 0 && gw.PortsInUse() == 0 })
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var callC *Call
			select {
			case callC = <-c.Answered():
			case <-time.After(3 * time.Second):
				t.Fatal("C did not answer")
			}
			waitDone(t, transferor, "transferor")
			time.Sleep(1500 * time.Millisecond) // the staying party and C talk
			select {
			case <-stays.Done():
				t.Fatalf("the staying party's call ended: %s", stays.Reason())
			default:
			}
			if gw.ActiveCalls() != 1 || gw.Stats().Transfers.Load() != 1 {
				t.Fatalf("after the transfer: %d calls, %d transfers", gw.ActiveCalls(), gw.Stats().Transfers.Load())
			}
			if err := stays.Hangup(ctx); err != nil {
				t.Fatal(err)
			}
			waitDone(t, callC, "target")
			waitFor(t, "gateway idle", func() bool { return gw.ActiveCalls() == 0 && gw.PortsInUse() == 0 })
			// C heard the staying party; the staying party heard C at the end.
			stayHz, stayRec := 440.0, aRec
			if tc.transferor == "a" {
				stayHz, stayRec = 1000, bRec
			}
			checkHeard(t, cRec, 8000, stayHz)
			_, _, pcm := graphtest.ReadWav(t, stayRec)
			if tail := pcm[max(0, len(pcm)-4000):]; peakHz(tail, 8000) != 700 {
				t.Fatalf("the staying party's last 0.5 s peaks at %v Hz, want C's 700", peakHz(tail, 8000))
			}
		})
	}
}
