package rtp_test

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/voxgraph/voxgraph/dsp/wav"
	"github.com/voxgraph/voxgraph/graphs"
)

// TestEndToEndLatency relays real-time RTP through a jitter buffer with a
// 60 ms target and checks that the graph measures every relayed packet's
// time from arrival to send, and that the figure is the buffer's delay
// (not zero, not the media clock).
func TestEndToEndLatency(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.wav")
	w, _ := wav.Create(in, 8000, 1)
	w.Write(speechLike(8000))
	w.Close()

	drain, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer drain.Close()
	rg, addr, done := receiver(t, "rtp-src name=rx listen=127.0.0.1:0 timeout=300ms ! jitter min=60ms target=60ms max=200ms "+
		"! rtp-sink name=tx remote="+drain.LocalAddr().String())
	tx := build(t, "wav-src path="+graphs.Quote(in)+" realtime=true ! encode codec=PCMU ! rtp-sink remote="+addr.String())
	if err := tx.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	sent := stat(rg, "tx", "packets")
	h := rg.EndToEnd()
	if sent < 45 || float64(h.Count()) != sent {
		t.Fatalf("end-to-end samples = %d, packets sent = %v: want one per packet", h.Count(), sent)
	}
	p50 := h.Quantile(0.5)
	if p50 < 40*time.Millisecond || p50 > 150*time.Millisecond {
		t.Fatalf("end-to-end p50 = %v, want about the 60 ms jitter target (stats %s)", p50, fmt.Sprint(rg.Stats()))
	}
}
