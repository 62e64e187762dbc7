package rtp_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/voxgraph/voxgraph/elements/rtp"
	"github.com/voxgraph/voxgraph/internal/peer"
	"github.com/voxgraph/voxgraph/pipeline"
)

// TestRTCPSessions runs two endpoints that send media to each other with
// RTCP every 200 ms, and checks what each learns: a small round-trip time,
// no loss, sender reports sent, and BYE ending both when media stops.
func TestRTCPSessions(t *testing.T) {
	ports := map[string]int{}
	for _, k := range []string{"a_rtp", "a_rtcp", "b_rtp", "b_rtcp"} {
		ports[k] = peer.FreeUDPPort(t)
	}
	side := func(me, peer string, dur string) string {
		return fmt.Sprintf("tone duration=%s realtime=true ! encode ! rtp-sink name=tx remote=127.0.0.1:%d "+
			" rtp-src name=rx listen=127.0.0.1:%d timeout=400ms ! decode ! null-sink "+
			" rtcp name=ctl sender=tx receiver=rx listen=127.0.0.1:%d remote=127.0.0.1:%d interval=200ms",
			dur, ports[peer+"_rtp"], ports[me+"_rtp"], ports[me+"_rtcp"], ports[peer+"_rtcp"])
	}
	a := build(t, side("a", "b", "1500ms"))
	b := build(t, side("b", "a", "1500ms"))
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, g := range []*pipeline.Graph{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			errs[i] = g.Run(ctx)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("side %d: %v", i, err)
		}
	}
	for side, g := range map[string]*pipeline.Graph{"a": a, "b": b} {
		e, _ := g.Element("ctl")
		rep := e.(*rtp.RTCP).Report()
		sr := stat(g, "ctl", "sr_sent")
		if rep.PeerReports < 3 {
			t.Errorf("%s: %d peer reports about our stream, want at least 3", side, rep.PeerReports)
		}
		if rep.RTT <= 0 || rep.RTT > 100*time.Millisecond {
			t.Errorf("%s: RTT %v, want a small positive value on loopback", side, rep.RTT)
		}
		if rep.RemoteCumulativeLost != 0 || rep.LocalCumulativeLost != 0 {
			t.Errorf("%s: lost remote %d local %d, want 0 on loopback", side, rep.RemoteCumulativeLost, rep.LocalCumulativeLost)
		}
		if rep.LocalJitter > 20*time.Millisecond {
			t.Errorf("%s: local jitter %v implausibly high on loopback", side, rep.LocalJitter)
		}
		// No loss, loopback delay, 20 ms G.711: Ta ≈ 40 ms, near G.107's 93.2.
		if rep.RFactor < 91 || rep.RFactor > 93.21 || rep.MOS < 4.35 || stat(g, "ctl", "r_factor") != rep.RFactor {
			t.Errorf("%s: r_factor %.2f mos %.2f (stat %v), want about 92 and 4.4 on loopback", side, rep.RFactor, rep.MOS, stat(g, "ctl", "r_factor"))
		}
		if sr < 3 {
			t.Errorf("%s: %v sender reports sent", side, sr)
		}
		t.Logf("%s: rtt=%v local jitter=%v peer reports=%d r_factor=%.2f", side, rep.RTT, rep.LocalJitter, rep.PeerReports, rep.RFactor)
	}
}
