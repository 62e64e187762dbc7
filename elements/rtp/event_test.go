package rtp

import (
	"encoding/binary"
	"testing"
	"time"
)

func TestDigitEvent(t *testing.T) {
	for i, d := range "0123456789*#ABCD!" {
		code, ok := DigitEvent(d)
		if !ok || int(code) != i {
			t.Fatalf("DigitEvent(%q) = %d, %v; want %d", d, code, ok, i)
		}
		if back, ok := EventDigit(code); !ok || back != d {
			t.Fatalf("EventDigit(%d) = %q, want %q", code, back, d)
		}
	}
	if c, ok := DigitEvent('c'); !ok || c != 14 {
		t.Fatalf("DigitEvent('c') = %d, %v", c, ok)
	}
	for _, d := range "eEx P/" {
		if _, ok := DigitEvent(d); ok {
			t.Fatalf("DigitEvent(%q) accepted", d)
		}
	}
	if _, ok := EventDigit(17); ok {
		t.Fatal("EventDigit(17) accepted")
	}
}

func TestEventReceiver(t *testing.T) {
	type pkt struct {
		ts  uint32
		dur time.Duration
		end bool
	}
	cases := []struct {
		name string
		code []uint8 // per packet; nil: all 5
		pkts []pkt
		want []string // "code:duration:E"
	}{
		{"updates then end retransmits", nil,
			[]pkt{{100, 20e6, false}, {100, 40e6, false}, {100, 60e6, true}, {100, 60e6, true}, {100, 60e6, true}},
			[]string{"5:20ms:", "5:40ms:", "5:60ms:E"}},
		{"duplicate and reordered updates absorbed", nil,
			[]pkt{{100, 40e6, false}, {100, 40e6, false}, {100, 20e6, false}, {100, 60e6, true}},
			[]string{"5:40ms:", "5:60ms:E"}},
		{"lost end: the next event ends it", []uint8{5, 5, 7, 7},
			[]pkt{{100, 20e6, false}, {100, 40e6, false}, {900, 20e6, false}, {900, 40e6, true}},
			[]string{"5:20ms:", "5:40ms:", "5:40ms:E", "7:20ms:", "7:40ms:E"}},
		{"same digit twice", nil,
			[]pkt{{100, 60e6, true}, {100, 60e6, true}, {900, 60e6, true}},
			[]string{"5:60ms:E", "5:60ms:E"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var r eventReceiver
			var got []string
			for i, p := range tc.pkts {
				code := uint8(5)
				if tc.code != nil {
					code = tc.code[i]
				}
				r.packet(p.ts, Event{Code: code, Duration: p.dur, End: p.end}, func(e Event) {
					s := ""
					if e.End {
						s = "E"
					}
					got = append(got, string(rune('0'+e.Code))+":"+e.Duration.String()+":"+s)
				})
			}
			if len(got) != len(tc.want) {
				t.Fatalf("reports %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("reports %v, want %v", got, tc.want)
				}
			}
		})
	}
}

// sent runs an eventSender tick by tick and returns its packets.
type sentPkt struct {
	ts     uint32
	marker bool
	code   uint8
	end    bool
	dur    uint16
}

func drive(s *eventSender, ticks int, during func(tick int)) []sentPkt {
	var out []sentPkt
	var p [eventSize]byte
	ptime := 20 * time.Millisecond
	for i := range ticks {
		if during != nil {
			during(i)
		}
		now := time.Duration(i) * ptime
		ts, marker, ok := s.next(p[:], now, ptime, uint32(1000+160*i), 8000)
		if ok {
			out = append(out, sentPkt{ts, marker, p[0], p[1]&0x80 != 0, binary.BigEndian.Uint16(p[2:])})
		}
	}
	return out
}

func TestEventSenderWholeEvent(t *testing.T) {
	var s eventSender
	s.add(Event{Code: 1, Volume: 10, Duration: 100 * time.Millisecond, End: true})
	s.add(Event{Code: 11, Volume: 10, Duration: 60 * time.Millisecond, End: true})
	got := drive(&s, 20, nil)
	// Digit 1: updates at 20..80 ms, the end at 100 ms three times; then
	// '#' starts on the next tick with its own timestamp.
	want := []sentPkt{
		{1000, true, 1, false, 160}, {1000, false, 1, false, 320}, {1000, false, 1, false, 480}, {1000, false, 1, false, 640},
		{1000, false, 1, true, 800}, {1000, false, 1, true, 800}, {1000, false, 1, true, 800},
		{1000 + 7*160, true, 11, false, 160}, {1000 + 7*160, false, 11, false, 320},
		{1000 + 7*160, false, 11, true, 480}, {1000 + 7*160, false, 11, true, 480}, {1000 + 7*160, false, 11, true, 480},
	}
	if len(got) != len(want) {
		t.Fatalf("sent %d packets %+v, want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("packet %d = %+v, want %+v (all: %+v)", i, got[i], want[i], got)
		}
	}
	if s.busy() {
		t.Fatal("still busy after both events")
	}
}

func TestEventSenderRelayedEvent(t *testing.T) {
	var s eventSender
	// A relayed key press: start, a duplicate-looking update (ignored: the
	// sender keeps its own pace), then the end at 70 ms, learnt at tick 5.
	got := drive(&s, 12, func(tick int) {
		switch tick {
		case 0:
			s.add(Event{Code: 9, Duration: 20 * time.Millisecond})
		case 2:
			s.add(Event{Code: 9, Duration: 40 * time.Millisecond})
		case 5:
			s.add(Event{Code: 9, Duration: 70 * time.Millisecond, End: true})
		}
	})
	var ends, updates int
	for _, p := range got {
		if p.ts != 1000 || p.code != 9 {
			t.Fatalf("packet %+v: want timestamp 1000, code 9", p)
		}
		if p.end {
			ends++
			if p.dur < 560 {
				t.Fatalf("end duration %d, want at least the peer's 560", p.dur)
			}
		} else {
			updates++
		}
	}
	if ends != 3 || updates < 4 || !got[0].marker {
		t.Fatalf("got %d updates, %d ends, first marker %v: %+v", updates, ends, got[0].marker, got)
	}
}

func TestEventSenderOpenEventTimesOut(t *testing.T) {
	var s eventSender
	s.add(Event{Code: 3}) // its end never comes
	got := drive(&s, int(maxOpenEvent/(20*time.Millisecond))+10, nil)
	last := got[len(got)-1]
	if !last.end || s.busy() {
		t.Fatalf("open event not ended after %s: last %+v", maxOpenEvent, last)
	}
}
