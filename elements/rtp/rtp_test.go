package rtp_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pion/srtp/v3"
	"github.com/zaf/g711"

	"github.com/voxgraph/voxgraph/dsp/wav"
	_ "github.com/voxgraph/voxgraph/elements"
	"github.com/voxgraph/voxgraph/elements/rtp"
	"github.com/voxgraph/voxgraph/graphs"
	"github.com/voxgraph/voxgraph/internal/graphtest"
	"github.com/voxgraph/voxgraph/internal/peer"
	"github.com/voxgraph/voxgraph/pipeline"
)

func build(t testing.TB, line string) *pipeline.Graph {
	return graphtest.Build(t, line, graphtest.Quiet)
}

func readAll(t testing.TB, path string) []int16 {
	_, _, pcm := graphtest.ReadWav(t, path)
	return pcm
}

// stat is an element's measurement, or -1 when it has none by that name.
func stat(g *pipeline.Graph, elem, name string) float64 {
	if v, ok := graphtest.Stat(g, elem, name); ok {
		return v
	}
	return -1
}

func newKey(t testing.TB, profile string) string {
	keys := map[string]int{"AES_CM_128_HMAC_SHA1_80": 30, "AES_CM_128_HMAC_SHA1_32": 30, "AES_256_CM_HMAC_SHA1_80": 46,
		"AES_256_CM_HMAC_SHA1_32": 46, "AEAD_AES_128_GCM": 28, "AEAD_AES_256_GCM": 44}
	b := make([]byte, keys[profile])
	rand.Read(b)
	return rtp.Inline(b, nil)
}

// receiver starts a receiving graph whose source is named rx and returns it
// with its bound address.
func receiver(t testing.TB, line string) (*pipeline.Graph, netip.AddrPort, chan error) {
	t.Helper()
	g := build(t, line)
	done := make(chan error, 1)
	if err := g.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	e, _ := g.Element("rx")
	var addr netip.AddrPort
	addr = e.(*rtp.Src).LocalAddr()
	s := pipeline.NewScheduler(pipeline.WithWorkers(1))
	s.Start()
	s.Add(g)
	go func() {
		<-g.Done()
		s.Close()
		done <- g.Stop()
	}()
	return g, addr, done
}

func TestRTPAndSRTPLoopback(t *testing.T) {
	cases := []struct{ name, rx, tx string }{
		{"rtp", "rtp-src name=rx listen=127.0.0.1:0 timeout=300ms", "rtp-sink remote=%s"},
	}
	for _, p := range []string{"AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32", "AES_256_CM_HMAC_SHA1_80", "AEAD_AES_128_GCM", "AEAD_AES_256_GCM"} {
		k := newKey(t, p)
		cases = append(cases, struct{ name, rx, tx string }{p,
			"srtp-src name=rx listen=127.0.0.1:0 timeout=300ms profile=" + p + " key=" + graphs.Quote(k),
			"srtp-sink remote=%s profile=" + p + " key=" + graphs.Quote(k)})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			in, out := filepath.Join(dir, "in.wav"), filepath.Join(dir, "out.wav")
			w, _ := wav.Create(in, 8000, 1)
			src := make([]int16, 8000) // 1 s: a chirp, so misordering would show
			for i := range src {
				src[i] = int16((i * i / 7) % 20000)
			}
			w.Write(src)
			w.Close()
			rg, addr, done := receiver(t, tc.rx+" ! decode ! wav-sink path="+graphs.Quote(out))
			tx := build(t, "wav-src path="+graphs.Quote(in)+" ! encode codec=PCMU ! "+fmt.Sprintf(tc.tx, addr))
			if err := tx.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			got := readAll(t, out)
			if len(got) != len(src) {
				t.Fatalf("received %d samples, sent %d (stats %+v)", len(got), len(src), rg.Stats()[0].Extra)
			}
			for i := range src {
				if want := g711.DecodeUlawFrame(g711.EncodeUlawFrame(src[i])); got[i] != want {
					t.Fatalf("sample %d: %d, want %d", i, got[i], want)
				}
			}
			if stat(rg, "rx", "packets") != 50 {
				t.Fatalf("rx packets = %v, want 50", stat(rg, "rx", "packets"))
			}
		})
	}
}

func TestSRTPWrongKeyReceivesNothing(t *testing.T) {
	p := "AES_CM_128_HMAC_SHA1_80"
	// The idle timeout counts from the last accepted packet, and none is accepted here.
	rg, addr, done := receiver(t, "srtp-src name=rx listen=127.0.0.1:0 timeout=1s key="+graphs.Quote(newKey(t, p))+" ! decode ! null-sink name=sink")
	tx := build(t, "tone duration=400ms ! encode ! srtp-sink name=tx remote="+addr.String()+" key="+graphs.Quote(newKey(t, p)))
	if err := tx.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-done
	sent := stat(tx, "tx", "packets")
	if sent != 20 {
		t.Fatalf("sent %v packets, want 20", sent)
	}
	if got := stat(rg, "rx", "auth_failures"); got != sent {
		t.Fatalf("auth_failures = %v, want every packet (%v)", got, sent)
	}
	for _, s := range rg.Stats() {
		if s.Name == "sink" && s.In != 0 {
			t.Fatalf("sink received %d frames with a wrong key", s.In)
		}
	}
}

// TestBadPacketsAreCountedAndDropped sends garbage, then valid packets, and
// checks each kind of garbage lands in its counter and the valid ones pass.
func TestBadPacketsAreCountedAndDropped(t *testing.T) {
	rg, addr, done := receiver(t, "rtp-src name=rx listen=127.0.0.1:0 ssrc=1234 timeout=300ms ! decode ! null-sink name=sink")
	conn, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	pkt := func(v, pt byte, ssrc uint32, payload int) []byte {
		b := make([]byte, 12+payload)
		b[0] = v << 6
		b[1] = pt
		b[8], b[9], b[10], b[11] = byte(ssrc>>24), byte(ssrc>>16), byte(ssrc>>8), byte(ssrc)
		return b
	}
	padded := pkt(2, 0, 1234, 160)
	padded[0] |= 0x20
	padded[len(padded)-1] = 200 // padding longer than the payload
	sends := [][]byte{
		{1, 2, 3},               // too short
		pkt(1, 0, 1234, 160),    // version 1
		pkt(2, 8, 1234, 160),    // PCMA on a PCMU receiver
		pkt(2, 0, 999, 160),     // wrong SSRC
		padded,                  // bad padding
		pkt(2, 0x80|0, 1234, 0), // valid, marker, empty payload
	}
	for _, b := range sends {
		conn.Write(b)
	}
	for i := 0; i < 5; i++ {
		b := pkt(2, 0, 1234, 160)
		b[3] = byte(i + 1)
		conn.Write(b)
		time.Sleep(2 * time.Millisecond)
	}
	<-done
	want := map[string]float64{"malformed": 2, "bad_version": 1, "unexpected_pt": 1, "unexpected_ssrc": 1, "packets": 6}
	for k, v := range want {
		if got := stat(rg, "rx", k); got != v {
			t.Errorf("%s = %v, want %v", k, got, v)
		}
	}
}

// TestSRTPReplayIsDropped resends a captured SRTP packet.
func TestSRTPReplayIsDropped(t *testing.T) {
	p := "AES_CM_128_HMAC_SHA1_80"
	key := newKey(t, p)
	rg, addr, done := receiver(t, "srtp-src name=rx listen=127.0.0.1:0 timeout=300ms key="+graphs.Quote(key)+" ! decode ! null-sink")
	k, err := rtp.ParseKeys(p, key)
	if err != nil {
		t.Fatal(err)
	}
	ctx, err := srtp.CreateContext(k.Key, k.Salt, k.Profile)
	if err != nil {
		t.Fatal(err)
	}
	conn, _ := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(addr))
	defer conn.Close()
	plain := make([]byte, 12+160)
	plain[0] = 0x80
	plain[8] = 7
	for i := 0; i < 3; i++ {
		plain[3] = byte(i)
		enc, err := ctx.EncryptRTP(nil, plain, nil)
		if err != nil {
			t.Fatal(err)
		}
		conn.Write(enc)
		conn.Write(enc) // replay
		time.Sleep(2 * time.Millisecond)
	}
	<-done
	if got := stat(rg, "rx", "replayed"); got != 3 {
		t.Fatalf("replayed = %v, want 3", got)
	}
	if got := stat(rg, "rx", "packets"); got != 3 {
		t.Fatalf("packets = %v, want 3", got)
	}
}

func TestParseKeys(t *testing.T) {
	k30 := make([]byte, 30)
	tests := []struct {
		suite, param string
		ok           bool
	}{
		{"AES_CM_128_HMAC_SHA1_80", rtp.Inline(k30, nil), true},
		{"AES_CM_128_HMAC_SHA1_80", rtp.Inline(k30, nil) + "|2^20", true},
		{"AES_CM_128_HMAC_SHA1_80", rtp.Inline(k30, nil) + "|2^20|1:4", false},
		{"AES_CM_128_HMAC_SHA1_80", rtp.Inline(k30[:29], nil), false},
		{"AES_CM_128_HMAC_SHA1_80", "inline:not base64!", false},
		{"AEAD_AES_128_GCM", rtp.Inline(make([]byte, 28), nil), true},
		{"F8_128_HMAC_SHA1_80", rtp.Inline(k30, nil), false},
	}
	for _, tc := range tests {
		_, err := rtp.ParseKeys(tc.suite, tc.param)
		if (err == nil) != tc.ok {
			t.Errorf("ParseKeys(%s, %s) = %v, want ok=%v", tc.suite, tc.param, err, tc.ok)
		}
	}
}

func TestKeyRequirements(t *testing.T) {
	key := graphs.Quote(rtp.Inline(make([]byte, 30), nil))
	tests := []struct {
		line, err string
	}{
		{"srtp-src ! decode ! null-sink", "key is required"},
		{"tone ! encode ! srtp-sink remote=127.0.0.1:4000", "key is required"},
		{"rtp-src key=" + key + " ! decode ! null-sink", ""}, // rtp-src with a key is SRTP
		{"rtp-src key=inline:AAAA ! decode ! null-sink", "must be 30 bytes"},
		{"tone ! encode ! rtp-sink remote=127.0.0.1:4000 key=" + key, ""},
		{"tone ! encode ! rtp-sink remote=localhost:4000", "numeric IP"},
		{"tone ! encode ! rtp-sink", "remote is required"},
		{"rtp-src codec=OPUSS ! decode ! null-sink", `unknown codec "OPUSS"`},
		{"tone ! encode ! rtp-sink remote=127.0.0.1:4000 profile=AES_CM_128_NULL key=" + key, "must be one of"},
	}
	for _, tc := range tests {
		spec, err := graphs.ParseLine(tc.line)
		if err == nil {
			_, err = pipeline.Build(spec)
		}
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%s: error %v, want %q", tc.line, err, tc.err)
		}
	}
}

// TestSymmetricRTP: B knows only its own port. A sends from its receiving
// socket (via=rx); B learns A's address from A's packets and answers there,
// from its own receiving port. Both hear each other.
func TestSymmetricRTP(t *testing.T) {
	bPort := peer.FreeUDPPort(t)
	b := build(t, fmt.Sprintf("rtp-src name=rx listen=127.0.0.1:%d timeout=400ms ! decode ! null-sink name=heard "+
		" tone duration=1s realtime=true ! encode ! rtp-sink name=tx via=rx", bPort))
	a := build(t, fmt.Sprintf("rtp-src name=rx listen=127.0.0.1:0 timeout=400ms ! decode ! null-sink name=heard "+
		" tone duration=1s realtime=true ! encode ! rtp-sink name=tx via=rx remote=127.0.0.1:%d", bPort))
	errs := make(chan error, 2)
	for _, g := range []*pipeline.Graph{b, a} {
		go func() { errs <- g.Run(context.Background()) }()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	heard := func(g *pipeline.Graph) uint64 {
		for _, s := range g.Stats() {
			if s.Name == "heard" {
				return s.In
			}
		}
		return 0
	}
	if n := heard(b); n < 45 {
		t.Fatalf("B heard %d frames of A's 50", n)
	}
	// B could only answer once it had heard A: it skips what it could not send.
	if n := heard(a); n < 40 {
		t.Fatalf("A heard %d frames from B (B not_sent=%v)", n, stat(b, "tx", "not_sent"))
	}
	ea, _ := a.Element("rx")
	eb, _ := b.Element("rx")
	if from, _ := eb.(*rtp.Src).Remote(); from != ea.(*rtp.Src).LocalAddr() {
		t.Fatalf("B heard A from %v, want A's receiving socket %v", from, ea.(*rtp.Src).LocalAddr())
	}
}

// TestHoldControls: a held source does not time out while silent and does
// after it is resumed; a muted sink sends nothing.
func TestHoldControls(t *testing.T) {
	rx := build(t, "rtp-src name=rx listen=127.0.0.1:0 timeout=200ms ! decode ! null-sink")
	if err := rx.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer rx.Stop()
	e, _ := rx.Element("rx")
	src := e.(*rtp.Src)
	src.SetHeld(true)
	s := pipeline.NewScheduler(pipeline.WithWorkers(1))
	s.Start()
	defer s.Close()
	s.Add(rx)
	select {
	case <-rx.Done():
		t.Fatal("held source timed out")
	case <-time.After(500 * time.Millisecond):
	}
	src.SetHeld(false)
	select {
	case <-rx.Done():
	case <-time.After(2 * time.Second):
		t.Fatal("resumed source did not time out")
	}

	tx := build(t, "tone duration=200ms ! encode ! rtp-sink name=tx remote=127.0.0.1:9")
	if err := tx.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	e, _ = tx.Element("tx")
	e.(*rtp.Sink).SetMuted(true)
	for i := 0; i < 20; i++ {
		tx.Step()
	}
	tx.Stop()
	if sent, skipped := stat(tx, "tx", "packets"), stat(tx, "tx", "not_sent"); sent != 0 || skipped != 10 {
		t.Fatalf("muted sink sent %v packets, skipped %v; want 0 and 10", sent, skipped)
	}
}
