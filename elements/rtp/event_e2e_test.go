package rtp_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/voxgraph/voxgraph/elements/rtp"
	"github.com/voxgraph/voxgraph/graphs"
	"github.com/voxgraph/voxgraph/pipeline"
)

// TestTelephoneEventsOverSRTP sends digits as RFC 4733 events between two
// graphs over loopback SRTP and checks each arrives once, whole, and that
// the audio around them still flows.
func TestTelephoneEventsOverSRTP(t *testing.T) {
	k := newKey(t, "AES_CM_128_HMAC_SHA1_80")
	rg, addr, done := receiver(t, "srtp-src name=rx listen=127.0.0.1:0 event-pt=101 timeout=300ms key="+graphs.Quote(k)+" ! jitter ! decode ! null-sink")
	var mu sync.Mutex
	var digits []string
	rx, _ := rg.Element("rx")
	rx.(*rtp.Src).OnEvent(func(e rtp.Event) {
		if e.End {
			d, _ := rtp.EventDigit(e.Code)
			mu.Lock()
			digits = append(digits, fmt.Sprintf("%c/%s", d, e.Duration))
			mu.Unlock()
		}
	})
	tx := build(t, fmt.Sprintf("tone freqs=440 realtime=true duration=1.5s ! encode codec=PCMU ! srtp-sink name=tx event-pt=101 remote=%s key=%s", addr, graphs.Quote(k)))
	sink, _ := tx.Element("tx")
	for _, d := range "1#9" {
		code, _ := rtp.DigitEvent(d)
		if err := sink.(*rtp.Sink).SendEvent(rtp.Event{Code: code, Volume: 10, Duration: 100 * time.Millisecond, End: true}); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{"1/100ms", "#/100ms", "9/100ms"}
	if fmt.Sprint(digits) != fmt.Sprint(want) {
		t.Fatalf("digits %v, want %v", digits, want)
	}
	if ev := stat(rg, "rx", "events"); ev != 3 {
		t.Fatalf("events stat %v, want 3", ev)
	}
	if bad := stat(rg, "rx", "unexpected_pt"); bad != 0 {
		t.Fatalf("unexpected_pt %v", bad)
	}
	// 75 audio frames, 3 digits of 5 ticks + 2 end retransmits each held
	// some back: audio still arrived before, between and after.
	if p := stat(rg, "rx", "packets"); p < 40 || p > 75 {
		t.Fatalf("audio packets %v, want most of 75", p)
	}
}

func TestSendEventWithoutEventPT(t *testing.T) {
	g := build(t, "tone duration=20ms ! encode ! rtp-sink name=tx remote=127.0.0.1:9")
	e, _ := g.Element("tx")
	if err := e.(*rtp.Sink).SendEvent(rtp.Event{Code: 1, End: true}); err != rtp.ErrNoEvents {
		t.Fatalf("err = %v, want ErrNoEvents", err)
	}
	for _, line := range []string{
		"tone ! encode ! rtp-sink remote=127.0.0.1:9 pt=101 event-pt=101",
		"tone ! encode ! rtp-sink remote=127.0.0.1:9 event-pt=128",
		"rtp-src event-pt=0 ! null-sink",
	} {
		spec, err := graphs.ParseLine(line)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pipeline.Build(spec); err == nil {
			t.Errorf("%q built; want an event-pt error", line)
		}
	}
}
