package rtp_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"testing"
	"time"

	"github.com/pion/rtcp"

	"github.com/voxgraph/voxgraph/dsp/quality"
	"github.com/voxgraph/voxgraph/elements/rtp"
	"github.com/voxgraph/voxgraph/internal/peer"
)

// TestRTCPQuality plays the peer over real UDP: it answers each sender
// report of a PCMU sender with a receiver report saying 13/256 of the
// packets were lost and the jitter is 80 timestamp units (10 ms), and
// claims to have held the report 100 ms less than it did, so the sender
// measures RTT ≈ 100 ms more than loopback's. The rtcp element's r_factor
// and mos must be the E-model of exactly those figures.
func TestRTCPQuality(t *testing.T) {
	drain, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer drain.Close()
	go func() { // the media: read and discard
		buf := make([]byte, 1500)
		for {
			if _, _, err := drain.ReadFromUDP(buf); err != nil {
				return
			}
		}
	}()
	peerConn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer peerConn.Close()
	g := build(t, fmt.Sprintf("tone duration=1500ms realtime=true ! encode ! rtp-sink name=tx remote=%s "+
		"rtcp name=ctl sender=tx listen=127.0.0.1:%d remote=%s interval=200ms",
		drain.LocalAddr(), peer.FreeUDPPort(t), peerConn.LocalAddr()))

	const extra = 100 * time.Millisecond
	answered := make(chan int, 1)
	go func() {
		n := 0
		defer func() { answered <- n }()
		buf := make([]byte, 1500)
		for {
			k, from, err := peerConn.ReadFromUDP(buf)
			if err != nil {
				return
			}
			at := time.Now()
			pkts, err := rtcp.Unmarshal(buf[:k])
			if err != nil {
				continue
			}
			for _, p := range pkts {
				sr, ok := p.(*rtcp.SenderReport)
				if !ok {
					continue
				}
				time.Sleep(extra + 20*time.Millisecond)
				held := time.Since(at) - extra
				rr := &rtcp.ReceiverReport{SSRC: 0x5eed, Reports: []rtcp.ReceptionReport{{
					SSRC: sr.SSRC, FractionLost: 13, TotalLost: 40, Jitter: 80,
					LastSenderReport: uint32(sr.NTPTime >> 16), Delay: uint32(held * 65536 / time.Second)}}}
				raw, err := rtcp.Marshal([]rtcp.Packet{rr})
				if err != nil {
					return
				}
				if _, err := peerConn.WriteToUDP(raw, from); err != nil && !errors.Is(err, net.ErrClosed) {
					return
				}
				n++
			}
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := g.Run(ctx); err != nil {
		t.Fatal(err)
	}
	peerConn.Close()
	if n := <-answered; n < 3 {
		t.Fatalf("answered %d sender reports, want at least 3", n)
	}
	e, _ := g.Element("ctl")
	rep := e.(*rtp.RTCP).Report()
	if rep.RTT < extra || rep.RTT > extra+50*time.Millisecond {
		t.Fatalf("RTT %v, want 100 ms more than loopback's", rep.RTT)
	}
	if rep.RemoteFractionLost != 13.0/256 || rep.RemoteJitter != 10*time.Millisecond {
		t.Fatalf("peer's loss %v jitter %v", rep.RemoteFractionLost, rep.RemoteJitter)
	}
	pcmu, _ := quality.LookupCodec("PCMU")
	want, err := quality.Call{Codec: pcmu, PLC: true, PTime: 20 * time.Millisecond, RTT: rep.RTT,
		Jitter: 10 * time.Millisecond, LossPercent: 100 * 13.0 / 256}.Rate()
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(rep.RFactor-want.R) > 1e-9 || math.Abs(rep.MOS-want.MOS) > 1e-9 {
		t.Errorf("R %.3f MOS %.3f, want %.3f %.3f", rep.RFactor, rep.MOS, want.R, want.MOS)
	}
	// By hand, for RTT = 100 ms: Ta = 50 + (3·10 + 20) + 20 = 120 ms;
	// Ie,eff = 95·5.078/(5.078 + 25.1) = 15.99; Idte(T = 120) = 2.27,
	// Idle(Tr = 240) = 0.79, Idd = 0: R = 94.77 − 1.41 − 3.06 − 15.99.
	if math.Abs(rep.RFactor-74.3) > 1 {
		t.Errorf("R %.2f, hand-worked 74.3", rep.RFactor)
	}
	if r, m := stat(g, "ctl", "r_factor"), stat(g, "ctl", "mos"); r != rep.RFactor || m != rep.MOS {
		t.Errorf("stats r_factor %v mos %v, report %v %v", r, m, rep.RFactor, rep.MOS)
	}
	t.Logf("rtt %v: r_factor %.2f mos %.2f", rep.RTT, rep.RFactor, rep.MOS)
}
