package elements_test

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	pionrtp "github.com/pion/rtp"
	"github.com/voxgraph/voxgraph/dsp/dtmf"
	"github.com/voxgraph/voxgraph/dsp/vad/vadtest"
	"github.com/voxgraph/voxgraph/elements"
	"github.com/voxgraph/voxgraph/elements/rtp"
	"github.com/voxgraph/voxgraph/graphs"
	"github.com/voxgraph/voxgraph/internal/graphtest"
	"github.com/voxgraph/voxgraph/pipeline"
)

// digitLog collects the digits an element reports, from any goroutine.
type digitLog struct {
	mu sync.Mutex
	ev []dtmf.Event
}

func (l *digitLog) add(e dtmf.Event) {
	l.mu.Lock()
	l.ev = append(l.ev, e)
	l.mu.Unlock()
}

func (l *digitLog) events() []dtmf.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]dtmf.Event(nil), l.ev...)
}

func (l *digitLog) digits() string {
	var b strings.Builder
	for _, e := range l.events() {
		b.WriteRune(e.Digit)
	}
	return b.String()
}

// digitsWav writes digits (80 ms on, 120 ms off, after 300 ms of lead) in
// white noise at -45 dBov as a WAV file and returns its path and the
// digits' true starts.
func digitsWav(t *testing.T, rate int, digits string) (string, []time.Duration) {
	pcm, err := dtmf.Sequence(make([]int16, rate*3/10), rate, digits, 80*time.Millisecond, 120*time.Millisecond, -12, -2)
	if err != nil {
		t.Fatal(err)
	}
	sum := make([]float64, len(pcm))
	vadtest.Add(sum, vadtest.White(len(pcm), 3), -45)
	for i, v := range pcm {
		sum[i] += float64(v)
	}
	path := filepath.Join(t.TempDir(), "digits.wav")
	graphtest.WriteWav(t, path, rate, 1, vadtest.Quantize(sum))
	var starts []time.Duration
	for i := range digits {
		starts = append(starts, 300*time.Millisecond+time.Duration(i)*200*time.Millisecond)
	}
	return path, starts
}

// TestDTMFDetect runs dtmf-detect on a file of digits at 8 and 16 kHz
// with 20 ms frames: each digit reported once with its start (within a
// 13.25 ms block) and duration; the stats count them; with mute the tones
// are gone from the output.
func TestDTMFDetect(t *testing.T) {
	for _, rate := range []int{8000, 16000} {
		in, starts := digitsWav(t, rate, "0123456789*#ABCD")
		out := filepath.Join(t.TempDir(), "out.wav")
		g := graphtest.Build(t, fmt.Sprintf("wav-src path=%s ! dtmf-detect name=d mute=true ! wav-sink path=%s", graphs.Quote(in), graphs.Quote(out)), graphtest.Quiet)
		var log digitLog
		d, _ := g.Element("d")
		d.(*elements.DTMFDetect).OnDigit(log.add)
		if err := g.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := log.digits(); got != "0123456789*#ABCD" {
			t.Fatalf("%d Hz: digits %q", rate, got)
		}
		for i, e := range log.events() {
			if dt := e.Start - starts[i]; dt < -14*time.Millisecond || dt > 14*time.Millisecond || e.Duration < 70*time.Millisecond || e.Duration > 90*time.Millisecond {
				t.Errorf("%d Hz digit %c: start %s duration %s, want %s and 80ms", rate, e.Digit, e.Start, e.Duration, starts[i])
			}
		}
		if n, _ := graphtest.Stat(g, "d", "digits"); n != 16 {
			t.Errorf("digits stat %v", n)
		}
		if last, _ := graphtest.Stat(g, "d", "last_digit"); last != 15 { // D
			t.Errorf("last_digit stat %v, want 15 (D)", last)
		}
		// Muted: a detector on the output finds (almost) nothing left.
		_, _, pcm := graphtest.ReadWav(t, out)
		dd, _ := dtmf.New(dtmf.Config{Rate: rate})
		ev := dd.Flush(dd.Process(pcm, nil))
		if len(ev) != 0 {
			t.Errorf("%d Hz: muted output still holds %v", rate, ev)
		}
		if m, _ := graphtest.Stat(g, "d", "muted_frames"); m < 16*4 || m > 16*7 {
			t.Errorf("%d Hz: muted_frames %v, want 4 to 7 per digit", rate, m)
		}
	}
}

// TestDTMFDetectTalk: a minute of synthetic talk through dtmf-detect
// gives no digit, and the audio passes unchanged.
func TestDTMFDetectTalk(t *testing.T) {
	x, _ := vadtest.Talk(8000, time.Minute, 5)
	sum := make([]float64, len(x))
	vadtest.Add(sum, x, -15)
	in := filepath.Join(t.TempDir(), "talk.wav")
	out := filepath.Join(t.TempDir(), "out.wav")
	pcm := vadtest.Quantize(sum)
	graphtest.WriteWav(t, in, 8000, 1, pcm)
	g := graphtest.Run(t, fmt.Sprintf("wav-src path=%s ! dtmf-detect name=d mute=true ! wav-sink path=%s", graphs.Quote(in), graphs.Quote(out)), graphtest.Quiet)
	if n, _ := graphtest.Stat(g, "d", "digits"); n != 0 {
		t.Errorf("talk gave %v digits", n)
	}
	_, _, got := graphtest.ReadWav(t, out)
	for i := range pcm {
		if got[i] != pcm[i] {
			t.Fatalf("sample %d changed: %d, was %d", i, got[i], pcm[i])
		}
	}
}

func TestDTMFBadSettings(t *testing.T) {
	for _, line := range []string{
		"tone ! dtmf-detect min-level=5 ! null-sink",
		"tone rate=4000 ! dtmf-detect ! null-sink",
		"tone ! dtmf-encode ! encode ! rtp-sink remote=127.0.0.1:9 event-pt=101",
		"tone ! dtmf-encode sink=tx digits=12x ! encode ! rtp-sink name=tx remote=127.0.0.1:9 event-pt=101",
		"tone ! dtmf-encode sink=tx volume=64 ! encode ! rtp-sink name=tx remote=127.0.0.1:9 event-pt=101",
		"tone ! dtmf-encode sink=tx duration=10ms ! encode ! rtp-sink name=tx remote=127.0.0.1:9 event-pt=101",
		"rtp-src event-pt=101 ! decode ! dtmf-decode ! null-sink",
		"rtp-src event-pt=101 ! dtmf-decode src=x ! null-sink", // encoded input
	} {
		spec, err := graphs.ParseLine(line)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pipeline.Build(spec, graphtest.Quiet); err == nil {
			t.Errorf("%q built; want an error", line)
		}
	}
	// Peers checked at start: missing, of the wrong type, without event-pt.
	for _, line := range []string{
		"tone duration=20ms ! dtmf-encode sink=nope ! encode ! rtp-sink remote=127.0.0.1:9 event-pt=101",
		"tone duration=20ms ! dtmf-encode sink=enc ! encode name=enc ! rtp-sink remote=127.0.0.1:9 event-pt=101",
		"tone duration=20ms ! dtmf-encode sink=tx ! encode ! rtp-sink name=tx remote=127.0.0.1:9",
		"rtp-src name=rx listen=127.0.0.1:0 timeout=50ms ! decode ! dtmf-decode src=rx ! null-sink",
		"rtp-src name=rx listen=127.0.0.1:0 event-pt=101 timeout=50ms ! decode name=dec ! dtmf-decode src=dec ! null-sink",
	} {
		g := graphtest.Build(t, line, graphtest.Quiet)
		if err := g.Start(context.Background()); err == nil {
			g.Stop()
			t.Errorf("%q started; want an error", line)
		}
	}
}

// TestDTMFOverRTP is the end-to-end test over loopback UDP: in-band digits
// → dtmf-encode → rtp-sink (telephone-events) → rtp-src → dtmf-decode,
// which reports the same digits with their durations and renders them as
// tones that a dtmf-detect after it finds again. The audio carries no
// tone (muted at the sender).
func TestDTMFOverRTP(t *testing.T) {
	rx := graphtest.Build(t, "rtp-src name=rx listen=127.0.0.1:0 event-pt=101 timeout=400ms ! jitter ! decode ! "+
		"dtmf-detect name=raw ! dtmf-decode name=dec src=rx render=true ! dtmf-detect name=again ! null-sink", graphtest.Quiet)
	var decoded, again digitLog
	dec, _ := rx.Element("dec")
	dec.(*elements.DTMFDecode).OnDigit(decoded.add)
	ag, _ := rx.Element("again")
	ag.(*elements.DTMFDetect).OnDigit(again.add)
	// The rtp-src's own listener (the one the gateway sets) is told too:
	// dtmf-decode listens beside it, not instead of it.
	src, _ := rx.Element("rx")
	var ends atomic.Int32
	src.(*rtp.Src).OnEvent(func(e rtp.Event) {
		if e.End {
			ends.Add(1)
		}
	})
	if err := rx.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	addr := src.(*rtp.Src).LocalAddr()
	s := pipeline.NewScheduler(pipeline.WithWorkers(1))
	s.Start()
	defer s.Close()
	s.Add(rx)

	tx := graphtest.Build(t, fmt.Sprintf("tone digits=1,59# digit-on=120ms digit-off=120ms level=-13 realtime=true duration=1.5s ! "+
		"dtmf-encode name=enc sink=tx ! encode codec=PCMU ! rtp-sink name=tx event-pt=101 remote=%s", addr), graphtest.Quiet)
	var sent digitLog
	enc, _ := tx.Element("enc")
	enc.(*elements.DTMFEncode).OnDigit(sent.add)
	if err := tx.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-rx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("receiver did not end")
	}
	rx.Stop()

	if got := sent.digits(); got != "159#" {
		t.Fatalf("dtmf-encode found %q in-band, want 159#", got)
	}
	if got := decoded.digits(); got != "159#" {
		t.Fatalf("dtmf-decode reported %q, want 159#", got)
	}
	if n := ends.Load(); n != 4 {
		t.Errorf("the rtp-src's OnEvent listener saw %d event ends beside dtmf-decode, want 4", n)
	}
	for i, e := range decoded.events() {
		// The event lasts the tone's 120 ms as found in-band, or from its
		// start (40 ms into the tone) to when the sink's tick took the end,
		// whichever is longer: 120 ms and up to a few ptimes under load.
		if e.Duration < 100*time.Millisecond || e.Duration > 180*time.Millisecond {
			t.Errorf("digit %d %c: duration %s, want about 120ms", i, e.Digit, e.Duration)
		}
	}
	// Starts on the media clock keep the digits' spacing (480, 240, 240 ms).
	ev := decoded.events()
	for i, want := range []time.Duration{480 * time.Millisecond, 240 * time.Millisecond, 240 * time.Millisecond} {
		if d := ev[i+1].Start - ev[i].Start - want; d < -30*time.Millisecond || d > 30*time.Millisecond {
			t.Errorf("digits %c→%c %s apart, want %s", ev[i].Digit, ev[i+1].Digit, ev[i+1].Start-ev[i].Start, want)
		}
	}
	if got := again.digits(); got != "159#" {
		t.Errorf("rendered tones found as %q, want 159#", got)
	}
	if n, _ := graphtest.Stat(rx, "raw", "digits"); n != 0 {
		t.Errorf("the received audio held %v in-band digits; want none (muted, held back)", n)
	}
	if n, _ := graphtest.Stat(tx, "enc", "events_sent"); n != 4 {
		t.Errorf("events_sent %v, want 4", n)
	}
}

// TestDTMFSend: digits given as a property and through Send arrive as
// events of the duration asked, and are reported even though the audio
// (PCMA, while the receiver expects PCMU) never reaches dtmf-decode.
func TestDTMFSend(t *testing.T) {
	rx := graphtest.Build(t, "rtp-src name=rx listen=127.0.0.1:0 event-pt=96 timeout=400ms ! jitter ! decode ! dtmf-decode name=dec src=rx ! null-sink", graphtest.Quiet)
	var decoded digitLog
	dec, _ := rx.Element("dec")
	dec.(*elements.DTMFDecode).OnDigit(decoded.add)
	if err := rx.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	src, _ := rx.Element("rx")
	s := pipeline.NewScheduler(pipeline.WithWorkers(1))
	s.Start()
	defer s.Close()
	s.Add(rx)
	tx := graphtest.Build(t, fmt.Sprintf("tone freqs=440 realtime=true duration=1.2s ! dtmf-encode name=enc sink=tx digits=7* duration=80ms ! "+
		"encode codec=PCMA ! rtp-sink name=tx event-pt=96 remote=%s", src.(*rtp.Src).LocalAddr()), graphtest.Quiet)
	enc, _ := tx.Element("enc")
	if err := enc.(*elements.DTMFEncode).Send("x"); err == nil {
		t.Error("Send before start succeeded")
	}
	if err := tx.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := enc.(*elements.DTMFEncode).Send("A0"); err != nil {
		t.Fatal(err)
	}
	if err := enc.(*elements.DTMFEncode).Send("5!"); err == nil {
		t.Error("Send of a flash succeeded")
	}
	s.Add(tx)
	<-tx.Done()
	tx.Stop()
	select {
	case <-rx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("receiver did not end")
	}
	rx.Stop()
	if got := decoded.digits(); got != "7*A05" {
		t.Fatalf("decoded %q, want 7*A05", got)
	}
	for _, e := range decoded.events() {
		if e.Duration != 80*time.Millisecond {
			t.Errorf("%c: duration %s, want 80ms", e.Digit, e.Duration)
		}
	}
}

// TestDTMFDecodePackets sends hand-made telephone-event packets to an
// rtp-src: an event whose first packets are lost, end retransmits, an
// event whose end is lost, a flash and a malformed payload. dtmf-decode
// reports each digit once, with the duration the sender gave.
func TestDTMFDecodePackets(t *testing.T) {
	rx := graphtest.Build(t, "rtp-src name=rx listen=127.0.0.1:0 event-pt=101 timeout=300ms ! jitter ! decode ! dtmf-decode name=dec src=rx ! null-sink", graphtest.Quiet)
	var decoded digitLog
	dec, _ := rx.Element("dec")
	dec.(*elements.DTMFDecode).OnDigit(decoded.add)
	if err := rx.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := pipeline.NewScheduler(pipeline.WithWorkers(1))
	s.Start()
	defer s.Close()
	s.Add(rx)
	src, _ := rx.Element("rx")
	conn, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(src.(*rtp.Src).LocalAddr()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	seq := uint16(100)
	send := func(ts uint32, marker bool, payload []byte) {
		h := pionrtp.Header{Version: 2, PayloadType: 101, SequenceNumber: seq, Timestamp: ts, SSRC: 7, Marker: marker}
		seq++
		b, _ := h.Marshal()
		if _, err := conn.Write(append(b, payload...)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	ev := func(code byte, end bool, dur uint16) []byte {
		p := []byte{code, 10, byte(dur >> 8), byte(dur)}
		if end {
			p[1] |= 0x80
		}
		return p
	}
	// '3': its first two packets lost; updates at 480 and 640, end at 800 (100 ms) three times.
	send(8000, false, ev(3, false, 480))
	send(8000, false, ev(3, false, 640))
	for range 3 {
		send(8000, false, ev(3, true, 800))
	}
	// '#': updates, its end lost; then '6' whole, end sent three times.
	send(16000, true, ev(11, false, 160))
	send(16000, false, ev(11, false, 320))
	send(24000, true, ev(6, false, 160))
	send(24000, false, ev(6, true, 560))
	send(24000, false, ev(6, true, 560))
	send(24000, false, ev(6, true, 560))
	// A flash (not a digit) and a malformed payload.
	send(32000, true, ev(16, true, 800))
	send(40000, true, []byte{1, 2})
	select {
	case <-rx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("receiver did not end")
	}
	rx.Stop()
	got := decoded.events()
	want := []struct {
		d   rune
		dur time.Duration
	}{{'3', 100 * time.Millisecond}, {'#', 40 * time.Millisecond}, {'6', 70 * time.Millisecond}}
	if len(got) != len(want) {
		t.Fatalf("decoded %v, want 3 then # then 6", got)
	}
	for i, w := range want {
		if got[i].Digit != w.d || got[i].Duration != w.dur {
			t.Errorf("digit %d: %c for %s, want %c for %s", i, got[i].Digit, got[i].Duration, w.d, w.dur)
		}
	}
	if n, _ := graphtest.Stat(rx, "dec", "digits"); n != 3 {
		t.Errorf("digits stat %v", n)
	}
	if n, _ := graphtest.Stat(rx, "rx", "malformed"); n != 1 {
		t.Errorf("malformed stat %v", n)
	}
}

// TestDTMFDetectThroughCodecs: digits coded and decoded (G.711 µ-law and
// A-law at 8 kHz, G.722 at 16 kHz) are all found once by dtmf-detect.
func TestDTMFDetectThroughCodecs(t *testing.T) {
	for _, tc := range []struct {
		codec string
		rate  int
	}{{"PCMU", 8000}, {"PCMA", 8000}, {"G722", 16000}, {"L16", 16000}} {
		in, _ := digitsWav(t, tc.rate, "147*2580369#ABCD")
		g := graphtest.Run(t, fmt.Sprintf("wav-src path=%s ! encode codec=%s ! decode ! dtmf-detect name=d ! null-sink", graphs.Quote(in), tc.codec), graphtest.Quiet)
		if n, _ := graphtest.Stat(g, "d", "digits"); n != 16 {
			t.Errorf("%s: %v digits, want 16", tc.codec, n)
		}
	}
}

// FuzzDTMFElements builds and runs dtmf-detect and dtmf-encode with
// arbitrary property values on arbitrary digit tones: a build error or a
// run, never a panic or an empty error.
func FuzzDTMFElements(f *testing.F) {
	f.Add("123#", -42.0, true, "100ms", 10)
	f.Add("", 5.0, false, "1ns", -1)
	f.Add("9,9", -1e308, true, "9s", 64)
	f.Fuzz(func(t *testing.T, digits string, minLevel float64, mute bool, dur string, volume int) {
		for _, line := range []string{
			fmt.Sprintf("tone digits=%s digit-on=60ms digit-off=40ms duration=300ms ! dtmf-detect min-level=%g mute=%t ! null-sink", graphs.Quote(digits), minLevel, mute),
			fmt.Sprintf("tone digits=%s duration=200ms ! dtmf-encode sink=tx digits=%s duration=%s volume=%d min-level=%g ! encode ! rtp-sink name=tx remote=127.0.0.1:9 event-pt=101",
				graphs.Quote(digits), graphs.Quote(digits), graphs.Quote(dur), volume, minLevel),
		} {
			spec, err := graphs.ParseLine(line)
			if err != nil {
				continue
			}
			g, err := pipeline.Build(spec, graphtest.Quiet)
			if err != nil {
				if err.Error() == "" {
					t.Fatalf("empty error for %q", line)
				}
				continue
			}
			if err := g.Start(context.Background()); err != nil {
				continue
			}
			for range 20 {
				if done, _ := g.Step(); done {
					break
				}
			}
			g.Stop()
		}
	})
}

// TestDTMFEncodeWire reads the packets dtmf-encode has rtp-sink send for
// one digit on a plain UDP socket and checks them against RFC 4733: one
// RTP timestamp for the event, the marker on its first packet only,
// durations growing, the end packet sent three times with the whole
// duration, the stream's SSRC.
func TestDTMFEncodeWire(t *testing.T) {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	tx := graphtest.Build(t, fmt.Sprintf("tone freqs=440 realtime=true duration=600ms ! dtmf-encode sink=tx digits=5 duration=100ms detect=false ! "+
		"encode ! rtp-sink name=tx event-pt=101 remote=%s", conn.LocalAddr()), graphtest.Quiet)
	done := make(chan error, 1)
	go func() { done <- tx.Run(context.Background()) }()
	type pkt struct {
		h   pionrtp.Header
		end bool
		dur uint16
	}
	var events []pkt
	var audioSSRC uint32
	buf := make([]byte, 1500)
	_ = conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	for {
		n, err := conn.Read(buf)
		if err != nil {
			break // the deadline: the stream is over
		}
		var p pionrtp.Packet
		if p.Unmarshal(buf[:n]) != nil {
			t.Fatal("unparsable packet")
		}
		if p.PayloadType != 101 {
			audioSSRC = p.SSRC
			continue
		}
		if len(p.Payload) != 4 || p.Payload[0] != 5 {
			t.Fatalf("event payload %x, want code 5", p.Payload)
		}
		events = append(events, pkt{p.Header, p.Payload[1]&0x80 != 0, uint16(p.Payload[2])<<8 | uint16(p.Payload[3])})
		if len(events) > 0 && events[len(events)-1].end && len(events) >= 3 && events[len(events)-3].end {
			_ = conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(events) < 4 {
		t.Fatalf("%d event packets, want updates and three ends", len(events))
	}
	ends := 0
	for i, e := range events {
		if e.h.Timestamp != events[0].h.Timestamp || e.h.SSRC != audioSSRC {
			t.Errorf("packet %d: timestamp %d ssrc %d, want %d and the audio's %d", i, e.h.Timestamp, e.h.SSRC, events[0].h.Timestamp, audioSSRC)
		}
		if e.h.Marker != (i == 0) {
			t.Errorf("packet %d: marker %v", i, e.h.Marker)
		}
		if i > 0 && !e.end && e.dur <= events[i-1].dur {
			t.Errorf("packet %d: duration %d after %d, want growing", i, e.dur, events[i-1].dur)
		}
		if e.end {
			ends++
			if e.dur != 800 { // 100 ms at 8 kHz
				t.Errorf("end packet %d: duration %d, want 800", i, e.dur)
			}
		} else if ends > 0 {
			t.Errorf("packet %d: an update after the end", i)
		}
	}
	if ends != 3 {
		t.Errorf("%d end packets, want 3", ends)
	}
}
