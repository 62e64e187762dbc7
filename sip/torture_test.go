package sip

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tortureMessages are malformed requests in the spirit of RFC 4475, written
// here. Each must get one of the allowed responses or none at all.
func tortureMessages(gw netip.AddrPort, from string) []struct {
	name    string
	msg     string
	allowed []string // status codes; empty: must be dropped or get 400
} {
	sdpBody := func(media string) string {
		return "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" + media + "\r\n"
	}
	invite := func(extra, body string, omit ...string) string {
		hdrs := []string{
			fmt.Sprintf("Via: SIP/2.0/UDP %s;branch=z9hG4bK-%d", from, time.Now().UnixNano()),
			"From: <sip:t@127.0.0.1>;tag=1",
			fmt.Sprintf("To: <sip:service@%s>", gw),
			fmt.Sprintf("Call-ID: torture-%d", time.Now().UnixNano()),
			"CSeq: 1 INVITE",
			fmt.Sprintf("Contact: <sip:t@%s>", from),
			"Max-Forwards: 70",
			"Content-Type: application/sdp",
		}
		var keep []string
	next:
		for _, h := range hdrs {
			for _, o := range omit {
				if strings.HasPrefix(h, o+":") {
					continue next
				}
			}
			keep = append(keep, h)
		}
		if extra != "" {
			keep = append(keep, extra)
		}
		return fmt.Sprintf("INVITE sip:service@%s SIP/2.0\r\n%s\r\nContent-Length: %d\r\n\r\n%s", gw, strings.Join(keep, "\r\n"), len(body), body)
	}
	good := sdpBody("m=audio 4000 RTP/AVP 0")
	return []struct {
		name    string
		msg     string
		allowed []string
	}{
		{"garbage", "\x00\x01\x02 this is not SIP \xff\xfe", nil},
		{"empty lines", "\r\n\r\n\r\n\r\n", nil},
		{"oversized", invite("X-Padding: "+strings.Repeat("a", 60000), good), nil},
		{"no Call-ID", invite("", good, "Call-ID"), nil},
		{"no Via", invite("", good, "Via"), nil},
		{"no CSeq", invite("", good, "CSeq"), nil},
		{"bad version", strings.Replace(invite("", good), "SIP/2.0\r\n", "SIP/7.0\r\n", 1), []string{"400", "505"}},
		{"header without colon", invite("ThisHeaderHasNoColon", good), nil},
		{"CSeq method mismatch", strings.Replace(invite("", good), "CSeq: 1 INVITE", "CSeq: 1 OPTIONS", 1), []string{"400"}},
		{"Content-Length too long", strings.Replace(invite("", good), fmt.Sprintf("Content-Length: %d", len(good)), "Content-Length: 9999", 1), nil},
		{"negative Content-Length", strings.Replace(invite("", good), fmt.Sprintf("Content-Length: %d", len(good)), "Content-Length: -5", 1), nil},
		{"Max-Forwards 0", strings.Replace(invite("", good), "Max-Forwards: 70", "Max-Forwards: 0", 1), []string{"483"}},
		{"SDP port not a number", invite("", sdpBody("m=audio abc RTP/AVP 0")), []string{"400", "488"}},
		{"SDP no formats", invite("", sdpBody("m=audio 4000 RTP/AVP")), []string{"400", "488"}},
		{"SDP unknown transport", invite("", sdpBody("m=audio 4000 TCP/MSRP *")), []string{"400", "488"}},
		{"SDP garbage", invite("", "this is not sdp at all"), []string{"400", "488"}},
		{"SDP huge port", invite("", sdpBody("m=audio 99999999 RTP/AVP 0")), []string{"400", "488"}},
		{"request URI garbage", strings.Replace(invite("", good), "INVITE sip:service@", "INVITE ::::@@@", 1), []string{"400", "416"}},
		{"tel URI", strings.Replace(invite("", good), "INVITE sip:service@", "INVITE tel:+15551234;x=", 1), []string{"416"}},
	}
}

// TestTortureKeepsServing sends each malformed message to the gateway over
// UDP, checks the answer (or silence), and then places a normal call that
// must still work.
func TestTortureKeepsServing(t *testing.T) {
	ports, err := NewPorts(netip.MustParseAddr("127.0.0.1"), 45000, 45999)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	rec := filepath.Join(dir, "heard.wav")
	callee := newTestPhone(t, ports, []string{"PCMU"}, phoneSetup{record: rec})
	gw := newTestGateway(t, callee.Addr(), "[PCMU]")
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	from := conn.LocalAddr().String()
	buf := make([]byte, 65536)
	for _, tc := range tortureMessages(gw.Addr(), from) {
		tc.msg = strings.ReplaceAll(tc.msg, "service@", "1000@") // routed to the callee, were it valid
		if _, err := conn.WriteToUDPAddrPort([]byte(tc.msg), gw.Addr()); err != nil {
			t.Logf("%s: send: %v (the kernel refused the datagram)", tc.name, err)
			continue
		}
		allowed := tc.allowed
		if len(allowed) == 0 {
			allowed = []string{"400"}
		}
		callID := ""
		for _, l := range strings.Split(tc.msg, "\r\n") {
			if v, ok := strings.CutPrefix(l, "Call-ID: "); ok {
				callID = v
			}
		}
		conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		for {
			n, _, err := conn.ReadFromUDPAddrPort(buf)
			if err != nil {
				break // dropped: fine
			}
			resp := string(buf[:n])
			line, _, _ := strings.Cut(resp, "\r\n")
			if strings.Contains(line, " 100 ") || callID != "" && !strings.Contains(resp, callID) {
				continue // Trying, or a retransmission answering an earlier message
			}
			ok := false
			for _, code := range allowed {
				if strings.HasPrefix(line, "SIP/2.0 "+code+" ") {
					ok = true
				}
			}
			if !ok {
				t.Errorf("%s: answered %q, want one of %v or nothing", tc.name, line, allowed)
			}
			break
		}
	}
	waitFor(t, "no half-made calls left", func() bool { return gw.ActiveCalls() == 0 && gw.PortsInUse() == 0 })
	// The gateway still serves a real call.
	caller := newTestPhone(t, ports, []string{"PCMU"}, phoneSetup{play: toneFile(t, "440")})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	call, err := caller.Call(ctx, fmt.Sprintf("sip:1000@%s", gw.Addr()))
	if err != nil {
		t.Fatalf("call after the torture messages: %v", err)
	}
	time.Sleep(800 * time.Millisecond)
	call.Hangup(ctx)
	waitFor(t, "call released", func() bool { return gw.ActiveCalls() == 0 && gw.PortsInUse() == 0 })
	checkHeard(t, rec, 8000, 440)
}
