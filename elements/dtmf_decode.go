package elements

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/voxgraph/voxgraph/dsp/dtmf"
	"github.com/voxgraph/voxgraph/elements/rtp"
	"github.com/voxgraph/voxgraph/pipeline"
)

// DTMFDecode reports the RFC 4733 telephone-events received by an rtp-src
// (or srtp-src) of the same graph as DTMF digits, and with render plays
// them as in-band tones into the PCM passing through it.
//
// Design: rtp-src takes the telephone-event packets out of the audio
// stream itself (they share its SSRC and sequence numbers, so only it can
// tell them from loss) and tells each change once: duplicates and the end
// packet's retransmits removed, an event whose start packets were lost
// reported from its first packet received (with the duration it already
// had), one whose end was lost ended when the next starts. dtmf-decode
// listens to it (rtp.Src.ListenEvents, beside any OnEvent listener such as
// the gateway's) and, on the
// graph's worker, turns the updates into digits: each is reported once,
// when it ends, with its duration as the sender measured it and its start
// on the graph's media clock (pipeline.Output.Time of the tick that took
// its first update, less the duration it already had then), so starts are
// as exact as the arrival of the packets. Updates are taken on the graph's
// tick, so digits are reported even when no audio arrives. The PCM input
// is where render writes: while an event lasts (its whole duration,
// sample-exact, from the frame where it began) the frames carry the
// digit's tones at the event's volume (with 2 dB of normal twist, as
// telephones send) instead of the audio, which the sender holds back
// during events anyway.
type DTMFDecode struct {
	Src    string `prop:"src" doc:"name of the rtp-src or srtp-src of this graph that receives the events (it needs event-pt)"`
	Render bool   `prop:"render" default:"false" doc:"play each event as in-band DTMF tones in the output, replacing the audio while it lasts"`

	stopListening func() // removes the listener added at Start
	rate          int
	log           *slog.Logger
	onDigit       atomic.Pointer[func(dtmf.Event)]

	mu     sync.Mutex
	queue  [queueLen]rtp.Event // updates from the receiver goroutine; guarded by mu
	queued int
	lost   atomic.Uint64 // updates dropped on a full queue

	active   bool // an event is in progress
	code     uint8
	start    time.Duration // its start on the media clock
	dur      time.Duration // its duration so far
	gen      *dtmf.Generator
	gens     [64]*dtmf.Generator // per volume, made on first use
	renderAt int64               // samples still to render of the event, -1 until its end is known
	rendered int64

	digits, updates, renderedFrames atomic.Uint64
	last                            atomic.Int64
}

// queueLen bounds the event updates taken per frame (a few arrive per ptime).
const queueLen = 32

func init() {
	pipeline.Register(pipeline.ElementInfo{
		Name:    "dtmf-decode",
		Summary: "reports the RFC 4733 telephone-events an rtp-src receives as DTMF digits; optionally plays them as tones",
		Doc: "Listens to the telephone-events received by the rtp-src or srtp-src named by src (event-pt set; end retransmits and " +
			"duplicates already removed there, lost starts and ends handled) and reports each digit once, when it ends: a log line, " +
			"the stats and (*elements.DTMFDecode).OnDigit, with its duration and its start on the media clock. With render=true the " +
			"digit's tones (at the event's volume) replace the audio for the event's duration. Link it after decode: " +
			"rtp-src name=rx event-pt=101 ! jitter ! decode ! dtmf-decode src=rx render=true ! wav-sink. " +
			"Stats: digits, last_digit (RFC 4733 code, -1 none), updates (event updates taken), rendered_frames, lost_updates.",
		Inputs:  []pipeline.PortInfo{{Name: "in", Caps: pipeline.Caps{Kind: pipeline.KindPCM, Rates: []int{8000, 16000, 32000, 48000}}, Doc: "PCM mono (the decoded audio of the same stream)"}},
		Outputs: []pipeline.PortInfo{{Name: "out", Doc: "the same audio, with the events' tones when render is set"}},
		New:     func() pipeline.Element { return &DTMFDecode{} },
	})
}

// Negotiate checks the properties and the input.
func (e *DTMFDecode) Negotiate(n *pipeline.Negotiation) error {
	if e.Src == "" {
		return errors.New("src is required: the name of the rtp-src that receives the events (src=NAME)")
	}
	in := n.In[0]
	if in.Channels != 1 {
		return fmt.Errorf("dtmf-decode takes mono PCM, input %s", in)
	}
	if _, err := dtmf.NewGenerator(in.Rate, -10, 0); err != nil {
		return fmt.Errorf("input %s: %w", in, err)
	}
	e.rate, e.log = in.Rate, n.Logger
	e.gens = [64]*dtmf.Generator{}
	e.active, e.queued = false, 0
	e.digits.Store(0)
	e.updates.Store(0)
	e.renderedFrames.Store(0)
	e.lost.Store(0)
	e.last.Store(-1)
	n.SetAllOut(in)
	return nil
}

// Start finds the rtp-src and listens to its events.
func (e *DTMFDecode) Start(_ context.Context, in *pipeline.Injector) error {
	el, ok := in.Element(e.Src)
	if !ok {
		return fmt.Errorf("src %q: no such element in this graph", e.Src)
	}
	s, ok := el.(*rtp.Src)
	if !ok {
		return fmt.Errorf("src %q is not an rtp-src or srtp-src", e.Src)
	}
	if s.EventPT < 0 {
		return fmt.Errorf("src %q has no event-pt: it receives no telephone-events", e.Src)
	}
	if e.Render { // generators for the usual volumes, so the first events do not allocate
		for _, v := range []int{0, 5, 10, 15, 20} {
			e.generator(uint8(v))
		}
	}
	e.stopListening = s.ListenEvents(e.receive)
	return nil
}

// Stop stops listening.
func (e *DTMFDecode) Stop() error {
	if e.stopListening != nil {
		e.stopListening()
		e.stopListening = nil
	}
	return nil
}

// receive queues an update; it runs on the rtp-src's reader goroutine.
func (e *DTMFDecode) receive(ev rtp.Event) {
	e.mu.Lock()
	if e.queued < len(e.queue) {
		e.queue[e.queued] = ev
		e.queued++
	} else {
		e.lost.Add(1)
	}
	e.mu.Unlock()
}

// Tick takes the updates received since the last tick and reports the
// digits that ended, whether or not audio flows.
func (e *DTMFDecode) Tick(out *pipeline.Output) error {
	var pending [queueLen]rtp.Event
	e.mu.Lock()
	n := copy(pending[:], e.queue[:e.queued])
	e.queued = 0
	e.mu.Unlock()
	for _, ev := range pending[:n] {
		e.update(ev, out.Time())
	}
	return nil
}

// Process renders the digit playing into the frame and forwards it.
func (e *DTMFDecode) Process(_ int, f *pipeline.Frame, out *pipeline.Output) error {
	if e.Render && e.gen != nil {
		e.render(f)
	}
	out.Emit(0, f)
	return nil
}

// update applies one event update taken at media time now.
func (e *DTMFDecode) update(ev rtp.Event, now time.Duration) {
	e.updates.Add(1)
	if e.active && ev.Code != e.code { // the last one's end was lost (rtp-src reports it; a safeguard)
		e.end(e.dur, 0)
	}
	if !e.active {
		e.active, e.code, e.dur = true, ev.Code, 0
		e.start = max(now-ev.Duration, 0)
		if e.Render {
			d, _ := rtp.EventDigit(ev.Code)
			e.gen = nil
			if d != '!' {
				e.gen = e.generator(ev.Volume)
				_ = e.gen.Start(d)
			}
			e.rendered, e.renderAt = 0, -1
		}
	}
	e.dur = max(e.dur, ev.Duration)
	if ev.End {
		e.end(ev.Duration, ev.Volume)
	}
}

// end ends the event in progress, of duration dur, and reports its digit.
func (e *DTMFDecode) end(dur time.Duration, volume uint8) {
	e.active = false
	if e.Render && e.gen != nil {
		e.renderAt = int64(dur.Seconds()*float64(e.rate) + 0.5)
	}
	ev := rtp.Event{Code: e.code, Volume: volume, Duration: dur}
	d, _ := rtp.EventDigit(ev.Code)
	if d == '!' {
		return // hook flash: not a digit
	}
	e.digits.Add(1)
	e.last.Store(int64(ev.Code))
	digit := dtmf.Event{Digit: d, Start: e.start, Duration: dur, End: true, Level: -float64(ev.Volume) - 6.15}
	e.log.Info("DTMF digit", "digit", string(d), "start", digit.Start, "duration", digit.Duration, "volume_dbm0", -int(ev.Volume))
	if fn := e.onDigit.Load(); fn != nil {
		(*fn)(digit)
	}
}

// generator returns the tone generator for an event volume (-dBm0).
func (e *DTMFDecode) generator(volume uint8) *dtmf.Generator {
	v := min(volume, 63)
	if e.gens[v] == nil {
		g, err := dtmf.NewGenerator(e.rate, -float64(v)-6.15, -2) // a usual telephone's twist
		if err != nil {
			return nil // rate checked in Negotiate
		}
		e.gens[v] = g
	}
	return e.gens[v]
}

// render writes the digit playing over the frame's audio, up to the
// event's duration once its end is known.
func (e *DTMFDecode) render(f *pipeline.Frame) {
	pcm := f.PCM
	if len(pcm) == 0 {
		return
	}
	n := int64(len(pcm))
	if e.renderAt >= 0 {
		n = min(n, e.renderAt-e.rendered)
	}
	if n <= 0 {
		e.gen.Stop()
		e.gen = nil
		return
	}
	e.gen.Fill(pcm[:n])
	e.rendered += n
	e.renderedFrames.Add(1)
}

// OnDigit sets the function told of each digit when its event ends
// (dtmf.Event with End true; Start on the media clock, Level from the
// event's volume). It runs on the graph's worker, inside Process: it must
// not block. Safe from any goroutine; nil removes it.
func (e *DTMFDecode) OnDigit(f func(dtmf.Event)) {
	if f == nil {
		e.onDigit.Store(nil)
		return
	}
	e.onDigit.Store(&f)
}

// Stats reports the digits, the last one, the updates taken, the frames
// rendered and the updates lost on a full queue.
func (e *DTMFDecode) Stats() []pipeline.Stat {
	return []pipeline.Stat{
		{Name: "digits", Value: float64(e.digits.Load())},
		{Name: "last_digit", Value: float64(e.last.Load())},
		{Name: "updates", Value: float64(e.updates.Load())},
		{Name: "rendered_frames", Value: float64(e.renderedFrames.Load())},
		{Name: "lost_updates", Value: float64(e.lost.Load())},
	}
}

func (e *DTMFDecode) String() string {
	return fmt.Sprintf("dtmf-decode src=%s render=%t", e.Src, e.Render)
}
