package sip

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/voxgraph/voxgraph/dsp/tone"
	"github.com/voxgraph/voxgraph/elements/rtp"
	"github.com/voxgraph/voxgraph/internal/graphtest"
)

func appGateway(t *testing.T, routes string) *Gateway {
	t.Helper()
	return startGateway(t, `
listen: [{transport: udp, addr: "127.0.0.1:0"}]
media: {address: 127.0.0.1, ports: 44000-44999, rtp_timeout: 3s}
codecs: [PCMU, PCMA, G722]
routes:
`+routes+`
  - {name: rest, reject: 404}
`)
}

// TestAppRoutes calls the echo, play and record graph templates.
func TestAppRoutes(t *testing.T) {
	dir := t.TempDir()
	prompt := toneFile(t, "1000")
	recorded := filepath.Join(dir, "voicemail.wav")
	gw := appGateway(t, fmt.Sprintf(`
  - {name: echo, request_uri: '^sip:echo@', app: echo}
  - {name: play, request_uri: '^sip:play@', app: play, file: '%s'}
  - {name: record, request_uri: '^sip:record@', app: record, file: '%s'}`, prompt, recorded))
	ports, _ := NewPorts(netip.MustParseAddr("127.0.0.1"), 45000, 45999)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, tc := range []struct {
		user  string
		hear  float64 // what the caller must hear; 0: nothing checked
		codec string
	}{{"echo", 440, "PCMU"}, {"play", 1000, "G722"}, {"record", 0, "PCMA"}} {
		t.Run(tc.user, func(t *testing.T) {
			rec := filepath.Join(dir, tc.user+"-heard.wav")
			caller := newTestPhone(t, ports, []string{tc.codec}, phoneSetup{play: toneFile(t, "440"), record: rec})
			call, err := caller.Call(ctx, fmt.Sprintf("sip:%s@%s", tc.user, gw.Addr()))
			if err != nil {
				t.Fatal(err)
			}
			if call.Negotiated.Codec.Name != tc.codec {
				t.Fatalf("codec %s, want %s", call.Negotiated.Codec.Name, tc.codec)
			}
			time.Sleep(1200 * time.Millisecond)
			call.Hangup(ctx)
			waitFor(t, "call released", func() bool { return gw.ActiveCalls() == 0 && gw.PortsInUse() == 0 })
			if tc.hear != 0 {
				rate := 8000
				if tc.codec == "G722" {
					rate = 16000
				}
				checkHeard(t, rec, rate, tc.hear)
			}
		})
	}
	checkHeard(t, recorded, 8000, 440) // the record app wrote what the caller said
}

// TestConference: three callers (one wideband) in one room each hear the
// two others and not themselves; the room closes when the last one leaves.
func TestConference(t *testing.T) {
	gw := appGateway(t, `  - {name: conf, request_uri: '^sip:conf-(\w+)@', app: conference, room: '$1'}`)
	ports, _ := NewPorts(netip.MustParseAddr("127.0.0.1"), 45000, 45999)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	members := []struct {
		hz    string
		codec string
		rate  int
	}{{"300", "PCMU", 8000}, {"700", "PCMA", 8000}, {"1300", "G722", 16000}}
	var calls []*Call
	for i, m := range members {
		p := newTestPhone(t, ports, []string{m.codec}, phoneSetup{play: toneFile(t, m.hz), record: filepath.Join(dir, fmt.Sprintf("m%d.wav", i))})
		c, err := p.Call(ctx, fmt.Sprintf("sip:conf-blue@%s", gw.Addr()))
		if err != nil {
			t.Fatal(err)
		}
		calls = append(calls, c)
	}
	time.Sleep(1500 * time.Millisecond)
	for _, c := range calls {
		c.Hangup(ctx)
	}
	waitFor(t, "room closed, calls and ports released", func() bool {
		gw.mu.Lock()
		rooms := len(gw.rooms)
		gw.mu.Unlock()
		return rooms == 0 && gw.ActiveCalls() == 0 && gw.PortsInUse() == 0
	})
	for i, m := range members {
		_, _, pcm := graphtestRead(t, filepath.Join(dir, fmt.Sprintf("m%d.wav", i)))
		pcm = pcm[len(pcm)/3:] // skip the joins
		own := tone.Power(pcm, m.rate, atof(m.hz))
		for j, o := range members {
			if j == i {
				continue
			}
			other := tone.Power(pcm, m.rate, atof(o.hz))
			if other < 100*own || other < 2e4 { // amplitude 200
				t.Errorf("member %d (%s Hz): hears %s Hz at %.3g, its own tone at %.3g; want the others loud and itself absent", i, m.hz, o.hz, other, own)
			}
		}
	}
}

func atof(s string) float64 {
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

func graphtestRead(t *testing.T, path string) (int, int, []int16) { return graphtest.ReadWav(t, path) }

// TestConferenceMemberTimeout: a member whose RTP stops is hung up after the
// RTP timeout and its branch leaves the room; the others stay.
func TestConferenceMemberTimeout(t *testing.T) {
	gw := appGateway(t, `  - {name: conf, request_uri: '^sip:conf-(\w+)@', app: conference, room: '$1'}`)
	ports, _ := NewPorts(netip.MustParseAddr("127.0.0.1"), 45000, 45999)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	stays := newTestPhone(t, ports, []string{"PCMU"}, phoneSetup{play: toneFile(t, "300")})
	quiet := newTestPhone(t, ports, []string{"PCMU"}, phoneSetup{play: toneFile(t, "700")})
	c1, err := stays.Call(ctx, fmt.Sprintf("sip:conf-red@%s", gw.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	c2, err := quiet.Call(ctx, fmt.Sprintf("sip:conf-red@%s", gw.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	// The phone goes silent without hanging up (a phone that lost its network).
	e, _ := c2.Graph.Element("tx")
	e.(*rtp.Sink).SetMuted(true)
	start := time.Now()
	deadline := time.Now().Add(8 * time.Second)
	for gw.ActiveCalls() != 1 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if gw.ActiveCalls() != 1 {
		t.Fatal("the silent member was not hung up")
	}
	if waited := time.Since(start); waited < 2*time.Second {
		t.Fatalf("hung up after %v, before the 3 s RTP timeout: not by the timeout", waited)
	}
	select {
	case <-c2.Done():
	case <-time.After(3 * time.Second):
		t.Fatal("the silent member's phone did not get the BYE")
	}
	select {
	case <-c1.Done():
		t.Fatal("the member who kept talking was hung up too")
	default:
	}
	c1.Hangup(ctx)
	waitFor(t, "room closed", func() bool { return gw.ActiveCalls() == 0 && gw.PortsInUse() == 0 })
}
