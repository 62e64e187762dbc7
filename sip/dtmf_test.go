package sip

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"
)

func TestParseDTMFInfo(t *testing.T) {
	tests := []struct {
		ct, body string
		code     uint8
		d        time.Duration
		ok       bool
	}{
		{"application/dtmf-relay", "Signal=5\r\nDuration=160\r\n", 5, 160 * time.Millisecond, true},
		{"Application/DTMF-Relay; charset=x", "signal= #\nduration=250", 11, 250 * time.Millisecond, true},
		{"application/dtmf-relay", "Signal=*", 10, defaultDigitDuration, true},
		{"application/dtmf-relay", "Signal=11\r\nDuration=100", 11, 100 * time.Millisecond, true},
		{"application/dtmf-relay", "Signal=a\r\nDuration=-5", 12, defaultDigitDuration, true},
		{"application/dtmf", "7", 7, defaultDigitDuration, true},
		{"application/dtmf-relay", "Signal=X", 0, 0, false},
		{"application/dtmf-relay", "Duration=100", 0, 0, false},
		{"application/dtmf-relay", "Signal=99", 0, 0, false},
		{"application/dtmf", "12", 0, 0, false},
		{"text/plain", "Signal=5", 0, 0, false},
		{"", "", 0, 0, false},
	}
	for _, tc := range tests {
		code, d, ok := parseDTMFInfo(tc.ct, []byte(tc.body))
		if ok != tc.ok || code != tc.code || d != tc.d {
			t.Errorf("parseDTMFInfo(%q, %q) = %d, %s, %v; want %d, %s, %v", tc.ct, tc.body, code, d, ok, tc.code, tc.d, tc.ok)
		}
	}
}

// TestGatewayDTMF sends digits both ways through the gateway between our
// own UAs, with and without RFC 4733 telephone-events on each side: events
// are re-sent as events, converted to INFO for a leg without them, and an
// INFO becomes events for a leg that has them.
func TestGatewayDTMF(t *testing.T) {
	tests := []struct {
		name                   string
		callerNoTE, calleeNoTE bool
		callee                 []string
		route                  string
	}{
		{"events-transcoding", false, false, []string{"PCMA"}, "[PCMA]"},
		{"events-relay", false, false, []string{"PCMU"}, "[PCMU]"},
		{"events-to-INFO", false, true, []string{"PCMA"}, "[PCMA]"},
		{"INFO-to-events", true, false, []string{"G722"}, "[G722]"},
		{"INFO-relayed", true, true, []string{"PCMU"}, "[PCMU]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ports, err := NewPorts(netip.MustParseAddr("127.0.0.1"), 46000, 46999)
			if err != nil {
				t.Fatal(err)
			}
			phone := func(codecs []string, noTE bool) *Phone {
				p, err := NewPhone(PhoneConfig{Ports: ports, Codecs: codecs, RTPTimeout: 3 * time.Second, Logger: quiet, NoTelephoneEvent: noTE})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { p.Close() })
				return p
			}
			callee := phone(tc.callee, tc.calleeNoTE)
			caller := phone([]string{"PCMU"}, tc.callerNoTE)
			gw := newTestGateway(t, callee.Addr(), tc.route)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			call, answered := callAnswered(t, ctx, caller, callee, fmt.Sprintf("sip:1234@%s", gw.Addr()))
			if got := call.Negotiated.TelephoneEvent != nil; got == tc.callerNoTE {
				t.Fatalf("caller telephone-event agreed: %v", got)
			}
			if got := answered.Negotiated.TelephoneEvent != nil; got == tc.calleeNoTE {
				t.Fatalf("callee telephone-event agreed: %v", got)
			}
			time.Sleep(200 * time.Millisecond) // media flowing: symmetric RTP has learnt both legs
			if err := call.SendDTMF(ctx, "123#", 80*time.Millisecond); err != nil {
				t.Fatal(err)
			}
			waitDigits(t, "callee", answered, "123#")
			if err := answered.SendDTMF(ctx, "9*A", 0); err != nil {
				t.Fatal(err)
			}
			waitDigits(t, "caller", call, "9*A")
			time.Sleep(300 * time.Millisecond) // no repeats (end retransmits are absorbed)
			if call.Digits() != "9*A" || answered.Digits() != "123#" {
				t.Fatalf("digits caller %q callee %q", call.Digits(), answered.Digits())
			}
			if err := call.Hangup(ctx); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "call released", func() bool { return gw.ActiveCalls() == 0 && gw.PortsInUse() == 0 })
		})
	}
}

// waitDigits waits up to 5 s for c to have heard want, and fails the test
// with what it heard otherwise.
func waitDigits(t *testing.T, who string, c *Call, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for c.Digits() != want {
		if time.Now().After(deadline) {
			t.Fatalf("%s heard %q, want %q", who, c.Digits(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
