package sip

import (
	"context"
	"log/slog"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/voxgraph/voxgraph/dsp/tone"
	_ "github.com/voxgraph/voxgraph/elements"
	"github.com/voxgraph/voxgraph/internal/graphtest"
	"github.com/voxgraph/voxgraph/pipeline"
)

var quiet = slog.New(slog.DiscardHandler)

func testPorts(t *testing.T) *Ports {
	p, err := NewPorts(netip.MustParseAddr("127.0.0.1"), 41000, 41999)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func allocate(t *testing.T, p *Ports) netip.AddrPort {
	port, err := p.Allocate()
	if err != nil {
		t.Fatal(err)
	}
	return netip.AddrPortFrom(p.Addr(), uint16(port))
}

// peakHz finds the strongest frequency (10 Hz steps) of a recording.
func peakHz(pcm []int16, rate int) float64 {
	best, bestP := 0.0, -1.0
	for f := 100.0; f < float64(rate)/2; f += 10 {
		if p := tone.Power(pcm, rate, f); p > bestP {
			best, bestP = f, p
		}
	}
	return best
}

// TestCallGraphTranscodes runs the b2bua template between two phones on
// different codecs, with real sockets, and checks each hears the other.
func TestCallGraphTranscodes(t *testing.T) {
	ports := testPorts(t)
	dir := t.TempDir()
	aPlay, bPlay := filepath.Join(dir, "a.wav"), filepath.Join(dir, "b.wav")
	aRec, bRec := filepath.Join(dir, "a-heard.wav"), filepath.Join(dir, "b-heard.wav")
	graphtest.Run(t, "tone freqs=440 duration=1500ms ! wav-sink path="+aPlay)
	graphtest.Run(t, "tone freqs=1000 duration=1500ms ! wav-sink path="+bPlay)
	pa, ga, gb, pb := allocate(t, ports), allocate(t, ports), allocate(t, ports), allocate(t, ports)

	s := pipeline.NewScheduler()
	s.Start()
	defer s.Close()
	gw, err := buildCallGraph("call", Leg{Codec: "PCMU", PT: 0, RecvPT: 0, Local: ga, Remote: pa}, Leg{Codec: "PCMA", PT: 8, RecvPT: 8, Local: gb, Remote: pb}, 500*time.Millisecond, quiet)
	if err != nil {
		t.Fatal(err)
	}
	phoneA, err := phoneGraph("a", Leg{Codec: "PCMU", PT: 0, RecvPT: 0, Local: pa, Remote: ga}, aPlay, aRec, false, 500*time.Millisecond, quiet)
	if err != nil {
		t.Fatal(err)
	}
	phoneB, err := phoneGraph("b", Leg{Codec: "PCMA", PT: 8, RecvPT: 8, Local: pb, Remote: gb}, bPlay, bRec, false, 500*time.Millisecond, quiet)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, g := range []*pipeline.Graph{gw, phoneA, phoneB} {
		if err := runGraph(ctx, g, s); err != nil {
			t.Fatal(err)
		}
	}
	for _, g := range []*pipeline.Graph{phoneA, phoneB, gw} {
		select {
		case <-g.Done():
		case <-time.After(10 * time.Second):
			t.Fatalf("graph %s did not end", g.Name())
		}
		g.Stop()
	}
	for _, c := range []struct {
		path string
		want float64
	}{{bRec, 440}, {aRec, 1000}} {
		_, _, pcm := graphtest.ReadWav(t, c.path)
		if len(pcm) < 8000 {
			t.Fatalf("%s: only %d samples heard", c.path, len(pcm))
		}
		if f := peakHz(pcm, 8000); f != c.want {
			t.Fatalf("%s: peak at %v Hz, want %v", c.path, f, c.want)
		}
	}
}
