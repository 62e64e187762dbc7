package rtp_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"github.com/voxgraph/voxgraph/internal/peer"
	"math"
	"net"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/voxgraph/voxgraph/dsp/wav"
	"github.com/voxgraph/voxgraph/elements/rtp"
	"github.com/voxgraph/voxgraph/graphs"
)

func requireGStreamer(t *testing.T) string {
	return peer.Require(t, "gst-launch-1.0", "gstreamer1.0-tools gstreamer1.0-plugins-good gstreamer1.0-plugins-bad")
}

// toneWav writes 1 s of a linear chirp from 200 to 3400 Hz at 8 kHz: not
// periodic, so it aligns with a copy of itself at exactly one offset.
func toneWav(t *testing.T, path string) []int16 {
	pcm := make([]int16, 8000)
	for i := range pcm {
		x := float64(i) / 8000
		pcm[i] = int16(8000 * math.Sin(2*math.Pi*(200*x+1600*x*x)))
	}
	w, err := wav.Create(path, 8000, 1)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(pcm)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return pcm
}

// snr compares got against want after finding the best alignment within
// ±200 samples (a peer may add a few samples of delay), over the overlap.
func snr(want, got []int16) (db float64, shift int) {
	best := math.Inf(-1)
	for s := -200; s <= 200; s++ {
		var sig, noise float64
		n := 0
		for i := range want {
			j := i + s
			if j < 0 || j >= len(got) || i < 400 || i > len(want)-400 {
				continue
			}
			d := float64(want[i]) - float64(got[j])
			sig += float64(want[i]) * float64(want[i])
			noise += d * d
			n++
		}
		if n < len(want)/2 {
			continue
		}
		v := 10 * math.Log10(sig/math.Max(noise, 1))
		if v > best {
			best, shift = v, s
		}
	}
	return best, shift
}

func srtpKey(t *testing.T) (inline, hexKey string) {
	b := make([]byte, 30)
	rand.Read(b)
	return rtp.Inline(b, nil), hex.EncodeToString(b)
}

// TestGStreamerSendsVoxgraphReceives: GStreamer's rtppcmupay + srtpenc send
// SRTP; srtp-src → decode → wav-sink receives it, and the audio is the
// input through G.711 (SNR of μ-law, well above 30 dB).
func TestGStreamerSendsVoxgraphReceives(t *testing.T) {
	gst := requireGStreamer(t)
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.wav"), filepath.Join(dir, "out.wav")
	src := toneWav(t, in)
	inline, hexKey := srtpKey(t)
	rg, addr, done := receiver(t, "srtp-src name=rx listen=127.0.0.1:0 timeout=1s key="+graphs.Quote(inline)+" ! decode ! wav-sink path="+graphs.Quote(out))
	cmd := exec.Command(gst, "-q", "filesrc", "location="+in, "!", "wavparse", "!", "audioconvert", "!",
		"audio/x-raw,format=S16LE,rate=8000,channels=1", "!", "mulawenc", "!",
		"rtppcmupay", "min-ptime=20000000", "max-ptime=20000000", "!",
		"srtpenc", "key="+hexKey, "rtp-cipher=aes-128-icm", "rtp-auth=hmac-sha1-80", "rtcp-cipher=aes-128-icm", "rtcp-auth=hmac-sha1-80", "!",
		"udpsink", "host=127.0.0.1", fmt.Sprintf("port=%d", addr.Port()))
	if outb, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gst-launch: %v\n%s", err, outb)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if af := stat(rg, "rx", "auth_failures"); af != 0 {
		t.Fatalf("%v authentication failures on GStreamer's packets", af)
	}
	got := readAll(t, out)
	if len(got) < len(src)-160 || len(got) > len(src)+160 {
		t.Fatalf("received %d samples, GStreamer sent %d", len(got), len(src))
	}
	db, shift := snr(src, got)
	if db < 30 || shift != 0 {
		t.Fatalf("SNR %.1f dB at shift %d, want > 30 dB (G.711) at shift 0", db, shift)
	}
	t.Logf("%d samples, SNR %.1f dB at shift %d", len(got), db, shift)
}

// TestVoxgraphSendsGStreamerReceives: wav-src → encode → srtp-sink sends;
// GStreamer's srtpdec + rtppcmudepay + mulawdec receives to a WAV file.
func TestVoxgraphSendsGStreamerReceives(t *testing.T) {
	gst := requireGStreamer(t)
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.wav"), filepath.Join(dir, "out.wav")
	src := toneWav(t, in)
	inline, hexKey := srtpKey(t)
	// Reserve a free port for GStreamer's udpsrc.
	l, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	port := l.LocalAddr().(*net.UDPAddr).Port
	l.Close()
	const ssrc = 0x1234abcd
	caps := fmt.Sprintf("application/x-srtp,media=(string)audio,clock-rate=(int)8000,encoding-name=(string)PCMU,payload=(int)0,ssrc=(uint)%d,"+
		"srtp-key=(buffer)%s,srtp-cipher=(string)aes-128-icm,srtp-auth=(string)hmac-sha1-80,srtcp-cipher=(string)aes-128-icm,srtcp-auth=(string)hmac-sha1-80,roc=(uint)0", ssrc, hexKey)
	cmd := exec.Command(gst, "-q", "-e", "udpsrc", "address=127.0.0.1", fmt.Sprintf("port=%d", port), "caps="+caps, "!",
		"srtpdec", "!", "rtppcmudepay", "!", "mulawdec", "!", "wavenc", "!", "filesink", "location="+out)
	var gstOut safeBuffer
	cmd.Stdout, cmd.Stderr = &gstOut, &gstOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	time.Sleep(time.Second) // let GStreamer bind its socket
	tx := build(t, fmt.Sprintf("wav-src path=%s ! encode codec=PCMU ! srtp-sink name=tx ssrc=%d remote=127.0.0.1:%d key=%s", graphs.Quote(in), ssrc, port, graphs.Quote(inline)))
	if err := tx.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGINT) // -e: EOS, so wavenc finishes the file
	waitErr := make(chan error, 1)
	go func() { waitErr <- cmd.Wait() }()
	select {
	case <-waitErr:
	case <-time.After(10 * time.Second):
		t.Fatalf("gst-launch did not stop:\n%s", gstOut.String())
	}
	got := readAll(t, out)
	if len(got) < len(src)-160 || len(got) > len(src)+160 {
		t.Fatalf("GStreamer wrote %d samples, we sent %d\n%s", len(got), len(src), gstOut.String())
	}
	db, shift := snr(src, got)
	if db < 30 || shift != 0 {
		t.Fatalf("SNR %.1f dB at shift %d, want > 30 dB (G.711) at shift 0", db, shift)
	}
	t.Logf("%d samples, SNR %.1f dB at shift %d", len(got), db, shift)
}
