package elements

import (
	"fmt"
	"log/slog"
	"math"
	"sync/atomic"
	"time"

	"github.com/voxgraph/voxgraph/dsp/dtmf"
	"github.com/voxgraph/voxgraph/elements/rtp"
	"github.com/voxgraph/voxgraph/pipeline"
)

// DTMFDetect finds in-band DTMF digits in the PCM passing through it
// (dsp/dtmf, ITU-T Q.24 checks) and reports each: a log line, the stats and
// the OnDigit listener. With mute, the frames holding a digit's tones are
// silenced in the output, so a peer that receives the digit another way
// (RFC 4733 events, SIP INFO) does not hear it twice.
//
// Design: the detector runs on the frames as they come (any ptime; its
// own blocks are 13.25 ms) and stamps digits on the graph's media clock: a
// digit's Start is the Frame.Time of the first frame plus the samples
// since. A missing frame (no samples) counts as its ptime of silence, so
// the stamps stay on the media clock across losses. Muting is per frame
// and starts with the first 13.25 ms block found to hold a digit's tones,
// so up to about two blocks of a digit's start pass before it.
type DTMFDetect struct {
	Mute     bool    `prop:"mute" default:"false" doc:"silence the frames that hold a digit's tones in the output"`
	MinLevel float64 `prop:"min-level" default:"-42" doc:"dBov each of a digit's two tones must reach (-42 dBov: about -36 dBm0)"`

	detector
}

// detector is the in-band detection shared by dtmf-detect and dtmf-encode.
type detector struct {
	d       *dtmf.Detector
	rate    int
	ptime   time.Duration
	base    time.Duration // media time of the detector's first sample
	started bool
	events  []dtmf.Event // reused per frame
	zeros   []int16      // a missing frame's silence
	log     *slog.Logger
	onDigit atomic.Pointer[func(dtmf.Event)]

	digits atomic.Uint64
	last   atomic.Int64 // RFC 4733 code of the last digit, -1: none
	muted  atomic.Uint64
}

func init() {
	pipeline.Register(pipeline.ElementInfo{
		Name:    "dtmf-detect",
		Summary: "finds in-band DTMF digits and reports them; passes audio through (optionally muting the tones)",
		Doc: "Runs the dsp/dtmf detector (Goertzel on the 8 DTMF frequencies, ITU-T Q.24 checks: frequency within 1.5 % accepted and " +
			"3.5 % refused, twist up to 8 dB normal and 4 dB reverse accepted (refused 2 dB beyond), level, relative peaks, second harmonics, 40 ms digits and pauses) " +
			"on the PCM passing through. Each digit is logged, counted and told to (*elements.DTMFDetect).OnDigit once, when it ends, " +
			"with its start on the media clock and its duration. With mute=true the frames holding a digit's tones leave silent. " +
			"Stats: digits, last_digit (RFC 4733 event code: 0-9, 10 *, 11 #, 12-15 A-D; -1 none), muted_frames.",
		Inputs:  []pipeline.PortInfo{{Name: "in", Caps: pipeline.Caps{Kind: pipeline.KindPCM, Rates: []int{8000, 16000, 32000, 48000}}, Doc: "PCM mono at 8, 16, 32 or 48 kHz"}},
		Outputs: []pipeline.PortInfo{{Name: "out", Doc: "the same audio (tones silenced with mute)"}},
		New:     func() pipeline.Element { return &DTMFDetect{} },
	})
}

// Negotiate checks the input and sets up the detector.
func (e *DTMFDetect) Negotiate(n *pipeline.Negotiation) error {
	if err := e.setup(n, e.MinLevel); err != nil {
		return err
	}
	n.SetAllOut(n.In[0])
	return nil
}

// setup makes the detector for the negotiated input.
func (e *detector) setup(n *pipeline.Negotiation, minLevel float64) error {
	in := n.In[0]
	if in.Channels != 1 {
		return fmt.Errorf("DTMF detection takes mono PCM, input %s", in)
	}
	if !(minLevel < 0) || minLevel < -90 {
		return fmt.Errorf("min-level %g dBov: want -90 to 0", minLevel)
	}
	d, err := dtmf.New(dtmf.Config{Rate: in.Rate, MinLevel: minLevel})
	if err != nil {
		return fmt.Errorf("input %s: %w", in, err)
	}
	e.d, e.rate, e.log, e.started = d, in.Rate, n.Logger, false
	e.ptime = in.PTime
	if e.ptime == 0 {
		e.ptime = n.PTime
	}
	e.events = make([]dtmf.Event, 0, 8)
	e.zeros = make([]int16, int(e.ptime*time.Duration(in.Rate)/time.Second))
	e.digits.Store(0)
	e.last.Store(-1)
	e.muted.Store(0)
	return nil
}

// detect runs the detector over a frame and returns the events it gave,
// with their starts on the media clock, and whether a digit's tones were
// in the frame.
func (e *detector) detect(f *pipeline.Frame) (events []dtmf.Event, tone bool) {
	if !e.started {
		e.base, e.started = f.Time, true
	}
	pcm := f.PCM
	if len(pcm) == 0 {
		pcm = e.zeros // a missing frame: its ptime of silence
	}
	tone = e.d.Tone() != 0
	e.events = e.d.Process(pcm, e.events[:0])
	tone = tone || e.d.Tone() != 0
	for i := range e.events {
		e.events[i].Start += e.base
	}
	return e.events, tone
}

// report tells of a digit that ended: stats, log, listener.
func (e *detector) report(ev dtmf.Event) {
	e.digits.Add(1)
	if c, ok := rtp.DigitEvent(ev.Digit); ok {
		e.last.Store(int64(c))
	}
	e.log.Info("DTMF digit", "digit", string(ev.Digit), "start", ev.Start, "duration", ev.Duration, "level_dbov", math.Round(ev.Level*10)/10)
	if fn := e.onDigit.Load(); fn != nil {
		(*fn)(ev)
	}
}

// flush reports the digit still going at the end of the stream.
func (e *detector) flush() {
	if e.d == nil {
		return
	}
	for _, ev := range e.d.Flush(e.events[:0]) {
		if ev.End {
			ev.Start += e.base
			e.report(ev)
		}
	}
}

// Process detects digits in the frame, mutes it if asked and forwards it.
func (e *DTMFDetect) Process(_ int, f *pipeline.Frame, out *pipeline.Output) error {
	events, tone := e.detect(f)
	for _, ev := range events {
		if ev.End {
			e.report(ev)
		}
	}
	if e.Mute && tone && len(f.PCM) > 0 {
		clear(f.PCM)
		e.muted.Add(1)
	}
	out.Emit(0, f)
	return nil
}

// EndOfStream reports a digit still going.
func (e *DTMFDetect) EndOfStream(int, *pipeline.Output) error {
	e.flush()
	return nil
}

// OnDigit sets the function told of each digit when it ends (dtmf.Event
// with End true; Start on the media clock). It runs on the graph's worker,
// inside Process: it must not block. Safe from any goroutine; nil removes it.
func (e *detector) OnDigit(f func(dtmf.Event)) {
	if f == nil {
		e.onDigit.Store(nil)
		return
	}
	e.onDigit.Store(&f)
}

// Stats reports the digits found, the last one and the frames muted.
func (e *detector) Stats() []pipeline.Stat {
	return []pipeline.Stat{
		{Name: "digits", Value: float64(e.digits.Load())},
		{Name: "last_digit", Value: float64(e.last.Load())},
		{Name: "muted_frames", Value: float64(e.muted.Load())},
	}
}

func (e *DTMFDetect) String() string {
	return fmt.Sprintf("dtmf-detect mute=%t min-level=%g", e.Mute, e.MinLevel)
}
