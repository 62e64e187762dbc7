package rtp_test

import (
	"context"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/pion/srtp/v3"
	"github.com/voxgraph/voxgraph/elements/rtp"
	"github.com/voxgraph/voxgraph/graphs"
	"github.com/voxgraph/voxgraph/pipeline"
)

// discard is a bound UDP socket that is read and thrown away, so sends
// cost what a real peer's would.
func discard(b *testing.B) (addr string, stop func()) {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	go func() {
		buf := make([]byte, 2048)
		for {
			if _, _, err := c.ReadFromUDP(buf); err != nil {
				return
			}
		}
	}()
	return c.LocalAddr().String(), func() { c.Close() }
}

// BenchmarkSendPath is one 20 ms frame through encode → (s)rtp-sink, the
// send half of a call, including the sendto system call on loopback.
func BenchmarkSendPath(b *testing.B) {
	key := rtp.Inline(make([]byte, 30), nil)
	for _, tc := range []struct{ name, sink string }{
		{"rtp", "rtp-sink"},
		{"srtp-aes-cm-80", "srtp-sink key=" + key},
		{"srtp-aes-gcm-128", "srtp-sink profile=AEAD_AES_128_GCM key=" + rtp.Inline(make([]byte, 28), nil)},
	} {
		sink := tc.sink
		b.Run(tc.name, func(b *testing.B) {
			addr, stop := discard(b)
			defer stop()
			spec, err := graphs.ParseLine("tone ! encode codec=PCMU ! " + sink + " remote=" + addr)
			if err != nil {
				b.Fatal(err)
			}
			g, err := pipeline.Build(spec, pipeline.WithLogger(slog.New(slog.DiscardHandler)))
			if err != nil {
				b.Fatal(err)
			}
			g.Start(context.Background())
			defer g.Stop()
			for i := 0; i < 100; i++ {
				g.Step()
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				g.Step()
			}
		})
	}
}

// BenchmarkReceivePath is one packet through srtp-src → decode → null-sink:
// a loopback sendto from the benchmark, the reader goroutine's recvfrom,
// SRTP authentication and decryption, injection and decoding.
func BenchmarkReceivePath(b *testing.B) {
	key := make([]byte, 30)
	spec, err := graphs.ParseLine("srtp-src name=rx listen=127.0.0.1:0 key=" + rtp.Inline(key, nil) + " replay-window=0 ! decode ! null-sink")
	if err != nil {
		b.Fatal(err)
	}
	g, err := pipeline.Build(spec, pipeline.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		b.Fatal(err)
	}
	if err := g.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer g.Stop()
	e, _ := g.Element("rx")
	conn, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(e.(*rtp.Src).LocalAddr()))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	k, _ := rtp.ParseKeys("AES_CM_128_HMAC_SHA1_80", rtp.Inline(key, nil))
	ctx, _ := srtp.CreateContext(k.Key, k.Salt, k.Profile)
	const n = 256 // distinct packets, sent round robin (replay protection is off)
	pkts := make([][]byte, n)
	for i := range pkts {
		plain := make([]byte, 12+160)
		plain[0], plain[2], plain[3], plain[11] = 0x80, byte(i>>8), byte(i), 1
		pkts[i], _ = ctx.EncryptRTP(nil, plain, nil)
	}
	src := e.(*rtp.Src)
	received := src.Packets
	wait := func(want uint64) {
		deadline := time.Now().Add(5 * time.Second)
		for received() < want && time.Now().Before(deadline) {
			time.Sleep(10 * time.Microsecond)
		}
	}
	for i := 0; i < n; i++ {
		conn.Write(pkts[i])
	}
	wait(n)
	base := received()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		conn.Write(pkts[i%n])
		if i%32 == 31 { // keep the socket buffer from overflowing
			wait(base + uint64(i) - 16)
		}
	}
	wait(base + uint64(b.N))
	b.StopTimer()
	if got := received() - base; got != uint64(b.N) {
		b.Fatalf("received %d of %d", got, b.N)
	}
}
