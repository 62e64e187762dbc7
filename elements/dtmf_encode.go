package elements

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"github.com/voxgraph/voxgraph/elements/rtp"
	"github.com/voxgraph/voxgraph/pipeline"
)

// DTMFEncode turns DTMF digits into RFC 4733 telephone-events sent in the
// RTP stream of an rtp-sink (or srtp-sink) of the same graph: the digits
// found in-band in its PCM input (dsp/dtmf) and those given as the digits
// property or by Send.
//
// Design: a telephone-event must ride in the audio's RTP stream (same
// SSRC, sequence numbers and timestamp clock, RFC 4733 §2.1), which only
// the sink owns, and rtp-sink already packetises events: the event's RTP
// timestamp held for all its packets, the marker bit on its first, one
// update per ptime with the duration so far, the end packet three times
// (§2.5.1), and the audio held back meanwhile. The sink paces events by
// the wall clock, so the graph should run in real time (a realtime source
// or a network input). So dtmf-encode sits on the
// PCM path before encode and feeds the sink named by its sink property
// (*rtp.Sink.SendEvent): an in-band digit starts an event as soon as it
// is certain, 32 to 40 ms into it (while the key is still held), and ends
// it with its whole duration; a digit of the digits property or Send is one complete
// event of the duration property. The PCM passes through; with mute (the
// default) the frames holding a digit's tones leave silent, so the peer
// does not get the digit twice (RFC 4733 §2.6).
type DTMFEncode struct {
	Sink     string        `prop:"sink" doc:"name of the rtp-sink or srtp-sink of this graph that sends the events (it needs event-pt)"`
	Digits   string        `prop:"digits" default:"" doc:"digits to send as events when the graph starts (0-9 * # A-D)"`
	Duration time.Duration `prop:"duration" default:"100ms" doc:"length of each event sent for digits and Send (40ms to 8s)"`
	Volume   int           `prop:"volume" default:"10" doc:"power level of the events sent for digits and Send, in -dBm0 (0-63); in-band digits carry their measured level"`
	Detect   bool          `prop:"detect" default:"true" doc:"find digits in the PCM input and send them as events"`
	Mute     bool          `prop:"mute" default:"true" doc:"with detect, silence the frames that hold a digit's tones in the output"`
	MinLevel float64       `prop:"min-level" default:"-42" doc:"dBov each of an in-band digit's tones must reach"`

	detector
	sink *rtp.Sink
	sent atomic.Uint64
}

func init() {
	pipeline.Register(pipeline.ElementInfo{
		Name:    "dtmf-encode",
		Summary: "sends DTMF digits as RFC 4733 telephone-events through an rtp-sink: in-band digits of its PCM input and given ones",
		Doc: "Finds in-band DTMF digits in the PCM passing through (as dtmf-detect) and sends each as an RFC 4733 telephone-event in the " +
			"RTP stream of the rtp-sink or srtp-sink named by sink (which needs event-pt): the event starts once the digit is certain " +
			"(32 to 40 ms into it) and ends with its whole duration; rtp-sink keeps the event's timestamp, grows its duration each ptime, sets the " +
			"marker on the first packet and sends the end three times. Digits in the digits property (at start) or given to " +
			"(*elements.DTMFEncode).Send are sent as events of duration. With mute (default) the tones are silenced in the audio. " +
			"Link it before encode: wav-src ! dtmf-encode sink=tx ! encode ! rtp-sink name=tx event-pt=101. " +
			"Stats: digits (found in-band), last_digit (RFC 4733 code), muted_frames, events_sent.",
		Inputs:  []pipeline.PortInfo{{Name: "in", Caps: pipeline.Caps{Kind: pipeline.KindPCM, Rates: []int{8000, 16000, 32000, 48000}}, Doc: "PCM mono at 8, 16, 32 or 48 kHz"}},
		Outputs: []pipeline.PortInfo{{Name: "out", Doc: "the same audio (tones silenced with mute)"}},
		New:     func() pipeline.Element { return &DTMFEncode{} },
	})
}

// Negotiate checks the properties and the input.
func (e *DTMFEncode) Negotiate(n *pipeline.Negotiation) error {
	switch {
	case e.Sink == "":
		return errors.New("sink is required: the name of the rtp-sink that sends the events (sink=NAME)")
	case e.Duration < 40*time.Millisecond || e.Duration > 8*time.Second:
		return fmt.Errorf("duration %s out of range 40ms..8s", e.Duration)
	case e.Volume < 0 || e.Volume > 63:
		return fmt.Errorf("volume %d out of range 0..63 (-dBm0)", e.Volume)
	}
	for _, d := range e.Digits {
		if _, ok := rtp.DigitEvent(d); !ok || d == '!' {
			return fmt.Errorf("digits: %q is not a DTMF digit (0-9 * # A-D)", d)
		}
	}
	if err := e.setup(n, e.MinLevel); err != nil {
		return err
	}
	e.sent.Store(0)
	n.SetAllOut(n.In[0])
	return nil
}

// Start finds the sink and queues the digits property.
func (e *DTMFEncode) Start(_ context.Context, in *pipeline.Injector) error {
	el, ok := in.Element(e.Sink)
	if !ok {
		return fmt.Errorf("sink %q: no such element in this graph", e.Sink)
	}
	s, ok := el.(*rtp.Sink)
	if !ok {
		return fmt.Errorf("sink %q is not an rtp-sink or srtp-sink", e.Sink)
	}
	if s.EventPT < 0 {
		return fmt.Errorf("sink %q: %w", e.Sink, rtp.ErrNoEvents)
	}
	e.sink = s
	return e.Send(e.Digits)
}

// Send queues digits (0-9 * # A-D) to send as telephone-events of the
// duration property, one after the other, after any event being sent.
// Safe from any goroutine once the graph has started.
func (e *DTMFEncode) Send(digits string) error {
	if e.sink == nil {
		return errors.New("dtmf-encode: Send before the graph started")
	}
	for _, d := range digits {
		code, ok := rtp.DigitEvent(d)
		if !ok || d == '!' {
			return fmt.Errorf("dtmf-encode: %q is not a DTMF digit (0-9 * # A-D)", d)
		}
		if err := e.sink.SendEvent(rtp.Event{Code: code, Volume: uint8(e.Volume), Duration: e.Duration, End: true}); err != nil {
			return fmt.Errorf("dtmf-encode: %w", err)
		}
		e.sent.Add(1)
	}
	return nil
}

// Process finds in-band digits, sends them as events, mutes and forwards
// the frame.
func (e *DTMFEncode) Process(_ int, f *pipeline.Frame, out *pipeline.Output) error {
	if !e.Detect {
		out.Emit(0, f)
		return nil
	}
	events, tone := e.detect(f)
	for _, ev := range events {
		code, _ := rtp.DigitEvent(ev.Digit)
		vol := uint8(min(63, max(0, math.Round(-(ev.Level+6.15))))) // dBov to -dBm0
		if err := e.sink.SendEvent(rtp.Event{Code: code, Volume: vol, Duration: ev.Duration, End: ev.End}); err != nil {
			return fmt.Errorf("dtmf-encode: %w", err)
		}
		if ev.End {
			e.report(ev)
		} else {
			e.sent.Add(1)
		}
	}
	if e.Mute && tone && len(f.PCM) > 0 {
		clear(f.PCM)
		e.muted.Add(1)
	}
	out.Emit(0, f)
	return nil
}

// EndOfStream ends an in-band digit still going, and its event.
func (e *DTMFEncode) EndOfStream(int, *pipeline.Output) error {
	if !e.Detect || e.d == nil {
		return nil
	}
	for _, ev := range e.d.Flush(e.events[:0]) {
		if ev.End {
			ev.Start += e.base
			code, _ := rtp.DigitEvent(ev.Digit)
			if e.sink != nil {
				_ = e.sink.SendEvent(rtp.Event{Code: code, Duration: ev.Duration, End: true})
			}
			e.report(ev)
		}
	}
	return nil
}

// Stats adds the events sent to the detector's stats.
func (e *DTMFEncode) Stats() []pipeline.Stat {
	return append(e.detector.Stats(), pipeline.Stat{Name: "events_sent", Value: float64(e.sent.Load())})
}

func (e *DTMFEncode) String() string {
	return fmt.Sprintf("dtmf-encode sink=%s detect=%t mute=%t", e.Sink, e.Detect, e.Mute)
}
