package rtp_test

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/zaf/g711"

	"github.com/voxgraph/voxgraph/dsp/wav"
	_ "github.com/voxgraph/voxgraph/elements/jitter"
	"github.com/voxgraph/voxgraph/graphs"
	"github.com/voxgraph/voxgraph/internal/udpimpair"
)

// speechLike is a deterministic signal with speech-like variety (voiced
// harmonics with a moving pitch under a syllable envelope, plus noise), so
// that no two 20 ms frames are alike and no frame is silent.
func speechLike(n int) []int16 {
	rng := rand.New(rand.NewPCG(7, 11))
	out := make([]int16, n)
	phase := 0.0
	for i := range out {
		t := float64(i) / 8000
		f0 := 120 + 40*math.Sin(2*math.Pi*0.7*t)
		phase += 2 * math.Pi * f0 / 8000
		env := 0.55 + 0.45*math.Sin(2*math.Pi*3.3*t)
		v := env * (5000*math.Sin(phase) + 2500*math.Sin(2*phase+0.5) + 1200*math.Sin(5*phase+1))
		v += rng.NormFloat64() * 400
		out[i] = int16(max(min(v, 32767), -32768))
	}
	return out
}

// frameKey identifies a frame by its samples.
func frameKey(f []int16) string {
	b := make([]byte, 2*len(f))
	for i, x := range f {
		b[2*i], b[2*i+1] = byte(x), byte(x>>8)
	}
	return string(b)
}

func silent(frame []int16) bool {
	for _, x := range frame {
		if x != 0 {
			return false
		}
	}
	return true
}

// impairedRun sends 4 s of speech through srtp-sink → impairment proxy →
// srtp-src → jitter → decode → wav-sink and returns what it needs to check
// (decode plc=false: lost frames are silence, all others bit-exact).
func impairedRun(t *testing.T, rxKey, txKey, timeout string) (in, out []int16, log []udpimpair.Event, stats func(elem, name string) float64) {
	t.Helper()
	dir := t.TempDir()
	inPath, outPath := filepath.Join(dir, "in.wav"), filepath.Join(dir, "out.wav")
	in = speechLike(4 * 8000)
	w, _ := wav.Create(inPath, 8000, 1)
	w.Write(in)
	w.Close()

	rg, addr, done := receiver(t, "srtp-src name=rx listen=127.0.0.1:0 timeout="+timeout+" key="+graphs.Quote(rxKey)+
		" ! jitter name=jb min=20ms max=200ms target=60ms ! decode name=dec plc=false ! wav-sink path="+graphs.Quote(outPath))
	proxy, err := udpimpair.New("127.0.0.1:0", addr.String(), udpimpair.Config{
		Seed: 20261123, Loss: 0.05, Jitter: 30 * time.Millisecond, Reorder: 0.03,
	})
	if err != nil {
		t.Fatal(err)
	}
	tx := build(t, "wav-src path="+graphs.Quote(inPath)+" realtime=true ! encode codec=PCMU ! srtp-sink name=tx remote="+proxy.Addr().String()+" key="+graphs.Quote(txKey))
	if err := tx.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	proxy.Close()
	out = readAll(t, outPath)
	return in, out, proxy.Log(), func(elem, name string) float64 { return stat(rg, elem, name) }
}

// TestImpairedSRTPLoopback is the media path's acceptance test: the output
// matches the input's G.711 round trip everywhere except concealed frames,
// and the concealed frames are exactly the packets the proxy dropped (plus
// any the jitter buffer reports as too late to play).
func TestImpairedSRTPLoopback(t *testing.T) {
	key := newKey(t, "AES_CM_128_HMAC_SHA1_80")
	in, out, log, st := impairedRun(t, key, key, "1s")

	const frame = 160
	frames := len(in) / frame
	expected := make([][]int16, frames)
	for i := range expected {
		expected[i] = make([]int16, frame)
		for j := range expected[i] {
			expected[i][j] = g711.DecodeUlawFrame(g711.EncodeUlawFrame(in[i*frame+j]))
		}
	}
	// Which input frames never reached the receiver (the proxy's log: RTP
	// headers are not encrypted by SRTP, so sequence numbers are readable).
	if len(log) < frames {
		t.Fatalf("proxy logged %d packets, sender sent %d frames", len(log), frames)
	}
	base := log[0].Seq()
	forwarded := make([]bool, frames)
	dropped := 0
	for _, e := range log {
		i := int(e.Seq() - base)
		if i < 0 || i >= frames {
			t.Fatalf("log has seq %d outside the stream", e.Seq())
		}
		if e.Action&udpimpair.Forwarded != 0 {
			forwarded[i] = true
		}
	}
	for _, f := range forwarded {
		if !f {
			dropped++
		}
	}
	if dropped < 4 {
		t.Fatalf("only %d of %d packets dropped: the impairment is too weak to test concealment", dropped, frames)
	}

	if len(out)%frame != 0 {
		t.Fatalf("output has %d samples, not whole frames", len(out))
	}
	// Every input frame is unique (speech-like signal with noise), so each
	// audible output frame can be found in the input whatever timeline
	// slips the jitter buffer made under load.
	index := make(map[string]int, frames)
	for i, e := range expected {
		index[frameKey(e)] = i
	}
	outFrames := len(out) / frame
	played := make([]bool, frames)
	silentFrames, prev := 0, -1
	for k := 0; k < outFrames; k++ {
		got := out[k*frame : (k+1)*frame]
		if silent(got) {
			silentFrames++
			continue
		}
		i, ok := index[frameKey(got)]
		switch {
		case !ok:
			t.Fatalf("output frame %d is not a G.711 round trip of any input frame", k)
		case i <= prev:
			t.Fatalf("output frame %d is input frame %d, after input frame %d: out of order or repeated", k, i, prev)
		case !forwarded[i]:
			t.Fatalf("output frame %d is input frame %d, which the proxy dropped", k, i)
		}
		played[i], prev = true, i
	}
	first, last := -1, -1
	for i := range played {
		if played[i] {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	droppedInRange, notPlayed := 0, 0
	for i := first; i <= last; i++ {
		switch {
		case !forwarded[i]:
			droppedInRange++
		case !played[i]:
			notPlayed++ // arrived after its playout time
		}
	}
	late, underrun := int(st("jb", "late")), int(st("jb", "underrun"))
	if notPlayed > late {
		t.Fatalf("%d forwarded packets were never heard, but the jitter buffer counts only %d late", notPlayed, late)
	}
	// Silent frames: each dropped packet, each late one, each underrun tick,
	// and up to 10 ticks (max 200 ms) of concealment after the last packet.
	if silentFrames < droppedInRange || silentFrames > droppedInRange+notPlayed+underrun+10 {
		t.Fatalf("%d silent frames; %d dropped in range, %d late, %d underrun ticks", silentFrames, droppedInRange, notPlayed, underrun)
	}
	if dc := int(st("dec", "concealed")); dc != silentFrames {
		t.Fatalf("decode concealed %d frames, output has %d silent frames", dc, silentFrames)
	}
	if jl := int(st("jb", "lost")); jl < droppedInRange {
		t.Fatalf("jitter buffer reports %d lost, the proxy dropped %d in the played range", jl, droppedInRange)
	}
	t.Logf("%d frames sent, %d dropped by the proxy (%d in the played range), %d heard, %d silent (concealed), %d late, %d underrun ticks; jitter buffer delay %.0f ms, jitter %.1f ms",
		frames, dropped, droppedInRange, last-first+1-droppedInRange-notPlayed, silentFrames, notPlayed, underrun, st("jb", "delay"), st("jb", "jitter"))
}

// TestImpairedSRTPWrongKey: the same path with a wrong key delivers nothing
// and counts every packet that reached the receiver as an authentication failure.
func TestImpairedSRTPWrongKey(t *testing.T) {
	_, out, log, st := impairedRun(t, newKey(t, "AES_CM_128_HMAC_SHA1_80"), newKey(t, "AES_CM_128_HMAC_SHA1_80"), "5s")
	if len(out) != 0 {
		t.Fatalf("received %d samples with a wrong key", len(out))
	}
	reached := 0
	for _, e := range log {
		if e.Action&udpimpair.Forwarded != 0 {
			reached++
			if e.Action&udpimpair.Duplicated != 0 {
				reached++
			}
		}
	}
	if af := int(st("rx", "auth_failures")); af != reached {
		t.Fatalf("auth_failures = %d, want every packet that reached the receiver (%d)", af, reached)
	}
	if p := st("rx", "packets"); p != 0 {
		t.Fatalf("%v packets accepted with a wrong key", p)
	}
}
