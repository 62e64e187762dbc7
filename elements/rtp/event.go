package rtp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Event is one update of an RFC 4733 telephone event (a DTMF digit or
// flash): what rtp-src reports as packets arrive and what rtp-sink is asked
// to send.
type Event struct {
	Code   uint8 // 0-9 digits, 10 '*', 11 '#', 12-15 'A'-'D', 16 flash (RFC 4733 §3.2)
	Volume uint8 // power level in dBm0 below zero, 0-63 (typically 10)
	// Duration is how long the event has lasted so far; with End, its
	// whole length.
	Duration time.Duration
	End      bool // the event has ended (E bit)
}

// ErrNoEvents is returned by SendEvent on a sink without an event-pt.
var ErrNoEvents = errors.New("rtp-sink: telephone-events not negotiated (event-pt unset)")

// eventSize is the length of a single-event payload (RFC 4733 §2.3).
const eventSize = 4

// maxEventCode is the largest event code carried (16: flash).
const maxEventCode = 16

// eventDigits maps event codes 0-16 to the characters SIP INFO and users
// write them with ('!' is hook flash).
const eventDigits = "0123456789*#ABCD!"

// DigitEvent returns the RFC 4733 event code of a DTMF character
// (0-9, *, #, A-D, case-insensitive; '!' for flash).
func DigitEvent(d rune) (uint8, bool) {
	i := strings.IndexRune(eventDigits, d)
	if i < 0 {
		i = strings.IndexRune(eventDigits, d-'a'+'A') // a-d
		if i < 12 {
			return 0, false
		}
	}
	return uint8(i), true
}

// EventDigit returns the character of an RFC 4733 event code (0-16).
func EventDigit(code uint8) (rune, bool) {
	if code > maxEventCode {
		return 0, false
	}
	return rune(eventDigits[code]), true
}

// parseEvent reads a telephone-event payload at clockRate.
func parseEvent(p []byte, clockRate int) (Event, error) {
	if len(p) < eventSize {
		return Event{}, fmt.Errorf("telephone-event payload of %d bytes, want %d", len(p), eventSize)
	}
	d := binary.BigEndian.Uint16(p[2:4])
	return Event{Code: p[0], End: p[1]&0x80 != 0, Volume: p[1] & 0x3f,
		Duration: time.Duration(d) * time.Second / time.Duration(clockRate)}, nil
}

// putEvent writes a telephone-event payload; duration is in clock units.
func putEvent(p []byte, code, volume uint8, end bool, duration uint16) {
	p[0] = code
	p[1] = volume & 0x3f
	if end {
		p[1] |= 0x80
	}
	binary.BigEndian.PutUint16(p[2:4], duration)
}

// eventReceiver turns the packets of a telephone-event stream into one
// report per change (RFC 4733 §2.5.2): an event is identified by its RTP
// timestamp, its updates repeat with growing durations, and its end packet
// is sent three times. Duplicates, reordered updates and end retransmits
// are absorbed; a new event starting before the old one's end was seen
// reports the old one's end first.
type eventReceiver struct {
	on       bool // an event is in progress (or the last one's end was seen)
	ended    bool
	ts       uint32
	last     Event
	received atomic.Uint64 // events started (read by Stats)
}

// packet handles one event packet; it returns the reports to make, in order.
func (r *eventReceiver) packet(ts uint32, e Event, report func(Event)) {
	if r.on && ts == r.ts {
		switch {
		case r.ended:
			return // end retransmit or late duplicate
		case e.End:
			r.ended, r.last = true, e
			report(e)
		case e.Duration > r.last.Duration:
			r.last = e
			report(e)
		}
		return
	}
	if r.on && !r.ended && r.last.Code != e.Code {
		end := r.last
		end.End = true
		report(end) // its end packets were lost
	}
	r.on, r.ended, r.ts, r.last = true, e.End, ts, e
	r.received.Add(1)
	report(e)
}

// eventSender generates a telephone-event stream for rtp-sink: events are
// queued from any goroutine and sent by the sink's tick, one update per
// tick with the duration so far, then the end packet three times
// (RFC 4733 §2.5.1). An event whose end is not known yet (relayed from a
// peer as it happens) runs until its end is queued, or maxOpenEvent.
type eventSender struct {
	mu     sync.Mutex
	queue  []Event      // pending, FIFO; guarded by mu
	queued atomic.Int32 // len(queue), read without the lock

	active   bool
	code     uint8
	volume   uint8
	startTS  uint32        // RTP timestamp of the event
	started  time.Duration // pipeline.Now at its first packet
	end      time.Duration // its length, or -1 while unknown
	endsLeft int           // end packets still to send
	dur      uint16        // last duration sent, clock units
	first    bool          // next packet is the event's first (marker)
}

// maxOpenEvent ends an event whose end never arrived (the peer's end
// packets or its BYE lost): a key held longer than this is not a digit.
const maxOpenEvent = 8 * time.Second

// add queues an update. An end for the event being sent, or for the last
// queued one with the same code, completes it; anything else is a new event.
func (s *eventSender) add(e Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := len(s.queue); n > 0 && !s.queue[n-1].End && s.queue[n-1].Code == e.Code {
		if e.End {
			s.queue[n-1] = e
		}
		return
	}
	if len(s.queue) >= 64 {
		return // a flood of events: keep the first ones
	}
	s.queue = append(s.queue, e)
	s.queued.Store(int32(len(s.queue)))
}

// busy reports whether anything is queued or being sent.
func (s *eventSender) busy() bool { return s.active || s.queued.Load() > 0 }

// next returns the packet to send at now (payload written to p), or false.
// ts is the stream's current RTP timestamp, used when an event starts;
// ptime is the update interval (the first packet already covers one).
func (s *eventSender) next(p []byte, now, ptime time.Duration, ts uint32, clockRate int) (timestamp uint32, marker, ok bool) {
	s.mu.Lock()
	if s.active && s.end < 0 && len(s.queue) > 0 && s.queue[0].Code == s.code {
		if s.queue[0].End { // the end of the event being sent
			s.end = max(s.queue[0].Duration, now-s.started)
			s.queue = s.queue[1:]
		}
	}
	if !s.active && len(s.queue) > 0 {
		e := s.queue[0]
		s.queue = s.queue[1:]
		s.active, s.code, s.volume, s.startTS, s.started, s.first, s.endsLeft = true, e.Code, e.Volume, ts, now-ptime, true, 0
		s.end = -1
		if e.End {
			s.end = e.Duration
		}
	}
	s.queued.Store(int32(len(s.queue)))
	s.mu.Unlock()
	if !s.active {
		return 0, false, false
	}
	units := func(d time.Duration) uint16 {
		return uint16(min(int64(d)*int64(clockRate)/int64(time.Second), 0xffff))
	}
	elapsed := now - s.started
	switch {
	case s.endsLeft > 0:
		s.endsLeft--
		if s.endsLeft == 0 {
			s.active = false
		}
		putEvent(p, s.code, s.volume, true, s.dur)
	case s.end >= 0 && elapsed >= s.end, s.end < 0 && elapsed >= maxOpenEvent:
		if s.end < 0 {
			s.end = elapsed
		}
		s.dur = units(s.end)
		s.endsLeft = 2 // this one and two retransmits
		putEvent(p, s.code, s.volume, true, s.dur)
	default:
		s.dur = units(elapsed)
		putEvent(p, s.code, s.volume, false, s.dur)
	}
	marker = s.first
	s.first = false
	return s.startTS, marker, true
}
