package sip

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"
)

func TestParseSessionExpires(t *testing.T) {
	tests := []struct {
		in        string
		d         time.Duration
		refresher string
		ok        bool
	}{
		{"1800", 1800 * time.Second, "", true},
		{"90;refresher=uac", 90 * time.Second, "uac", true},
		{" 600 ; Refresher=UAS ; x=y", 600 * time.Second, "uas", true},
		{"90;refresher=both", 0, "", false},
		{"-5", 0, "", false},
		{"abc", 0, "", false},
		{"", 0, "", false},
	}
	for _, tc := range tests {
		d, r, err := parseSessionExpires(tc.in)
		if (err == nil) != tc.ok || d != tc.d || r != tc.refresher {
			t.Errorf("parseSessionExpires(%q) = %s, %q, %v", tc.in, d, r, err)
		}
	}
}

// TestSessionTimerRefreshes: with a 2 s session interval and callers that
// do not support timers, the gateway refreshes leg A itself (RFC 4028
// §9: refresher=uas) every second and the call outlives the interval.
func TestSessionTimerRefreshes(t *testing.T) {
	ports, err := NewPorts(netip.MustParseAddr("127.0.0.1"), 47000, 47999)
	if err != nil {
		t.Fatal(err)
	}
	callee := newTestPhone(t, ports, []string{"PCMA"}, phoneSetup{})
	caller := newTestPhone(t, ports, []string{"PCMU"}, phoneSetup{})
	gw := startGateway(t, fmt.Sprintf(`
listen: [{transport: udp, addr: "127.0.0.1:0"}]
media: {address: 127.0.0.1, ports: 44000-44999, rtp_timeout: 3s}
session_timer: {expires: 2s, min_se: 1s}
routes:
  - {name: callee, request_uri: '^sip:1', forward: 'sip:1@%s', open: true}
`, callee.Addr()))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	call, err := caller.Call(ctx, fmt.Sprintf("sip:1@%s", gw.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-call.Done():
		t.Fatalf("call ended: %s", call.Reason())
	case <-time.After(3500 * time.Millisecond):
	}
	if n := gw.Stats().SessionRefreshes.Load(); n < 2 {
		t.Fatalf("%d session refreshes in 3.5 s with a 2 s interval, want at least 2", n)
	}
	if gw.ActiveCalls() != 1 {
		t.Fatalf("gateway has %d calls", gw.ActiveCalls())
	}
	if err := call.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "call released", func() bool { return gw.ActiveCalls() == 0 && gw.PortsInUse() == 0 })
}
