package elements

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/voxgraph/voxgraph/dsp/level"
	"github.com/voxgraph/voxgraph/dsp/vad"
	"github.com/voxgraph/voxgraph/pipeline"
)

// VAD detects voice activity (dsp/vad) and marks each PCM frame: speech
// frames lose pipeline.FlagSilence, the others get it, and the first
// speech frame of a talkspurt gets pipeline.FlagTalkspurt. The audio
// passes through unchanged.
type VAD struct {
	Hangover  time.Duration `prop:"hangover" default:"200ms" doc:"how long a talkspurt lasts after its last speech, so word endings and short pauses are kept (rounded up to 10 ms; 0: none)"`
	Threshold float64       `prop:"threshold" default:"3.5" doc:"dB of smoothed likelihood ratio of speech over noise (0 dB in steady noise) that starts a talkspurt; inside one, 0.3 of it keeps it going"`
	Onset     time.Duration `prop:"onset" default:"10ms" doc:"how long a signal must be loud before a talkspurt starts (rounded up to 10 ms; 0 or 10ms: at once; 70ms or more: a click does not start one)"`
	MinLevel  float64       `prop:"min-level" default:"-55" doc:"level in dBov under which nothing is speech (-120: no limit)"`

	d           *vad.Detector
	block       int           // samples per 10 ms block
	end         time.Duration // media time at the end of the last frame
	onTalkspurt atomic.Pointer[func(start bool, at time.Duration)]

	talkspurts, speech, silence atomic.Uint64
	floor                       atomic.Uint64 // float64 bits, dBov
	active                      atomic.Bool
}

func init() {
	pipeline.Register(pipeline.ElementInfo{
		Name:    "vad",
		Summary: "detects speech: flags silent frames and talkspurt starts; passes audio through",
		Doc: "Decides on every 10 ms block whether it is speech by a likelihood-ratio test on the spectrum (100 Hz to 3 kHz) against " +
			"the noise it tracks in each frequency bin (so steady noise is not speech), ignores background talk 20 dB under the talker, " +
			"with an onset and a hangover. A frame with no speech block gets " +
			"FlagSilence; the first speech frame of a talkspurt gets FlagTalkspurt (replacing any from upstream), on which encode " +
			"sets the RTP marker bit. The samples are not changed. Frames without samples (missing) pass untouched. " +
			"Stats: talkspurts (started), speech_frames, silence_frames, noise_floor (dBov, a minimum: up to 1.5 dB under steady white noise), " +
			"active (1 in a talkspurt). Go callers can watch talkspurts with (*elements.VAD).OnTalkspurt.",
		Inputs:  []pipeline.PortInfo{{Name: "in", Caps: pipeline.Caps{Kind: pipeline.KindPCM, Rates: []int{8000, 16000, 32000, 48000}}, Doc: "PCM mono at 8, 16, 32 or 48 kHz; ptime a multiple of 10 ms"}},
		Outputs: []pipeline.PortInfo{{Name: "out", Doc: "the same audio, flagged"}},
		New:     func() pipeline.Element { return &VAD{} },
	})
}

// Negotiate checks the input (mono, a rate the detector knows, whole
// 10 ms blocks per frame) and the properties, and sets up the detector.
func (e *VAD) Negotiate(n *pipeline.Negotiation) error {
	in := n.In[0]
	if in.Channels != 1 {
		return fmt.Errorf("vad analyses mono PCM, input %s", in)
	}
	ptime := in.PTime
	if ptime == 0 {
		ptime = n.PTime
	}
	if ptime%vad.BlockDuration != 0 {
		return fmt.Errorf("vad decides on 10 ms blocks: ptime %s is not a multiple of 10ms, input %s", ptime, in)
	}
	switch {
	case e.Hangover < 0:
		return fmt.Errorf("hangover %s is negative", e.Hangover)
	case e.Onset < 0:
		return fmt.Errorf("onset %s is negative", e.Onset)
	case !(e.Threshold > 0): // 0 would mean the default to vad.New
		return fmt.Errorf("threshold %g dB must be positive", e.Threshold)
	case !(e.MinLevel < 0): // likewise
		return fmt.Errorf("min-level %g dBov must be below 0", e.MinLevel)
	}
	cfg := vad.Config{Rate: in.Rate, Hangover: e.Hangover, Onset: max(e.Onset, vad.BlockDuration), Threshold: e.Threshold, MinLevel: e.MinLevel}
	if cfg.Hangover == 0 {
		cfg.Hangover = vad.NoHangover
	}
	d, err := vad.New(cfg)
	if err != nil {
		return fmt.Errorf("input %s: %w", in, err)
	}
	e.d, e.block, e.end = d, d.BlockSize(), 0
	e.talkspurts.Store(0)
	e.speech.Store(0)
	e.silence.Store(0)
	storeF(&e.floor, level.Floor)
	e.active.Store(false)
	n.SetAllOut(in)
	return nil
}

// Process judges the frame block by block, sets its flags and forwards it.
func (e *VAD) Process(_ int, f *pipeline.Frame, out *pipeline.Output) error {
	if len(f.PCM) == 0 { // a missing frame: nothing to judge
		out.Emit(0, f)
		return nil
	}
	speech, started := false, false
	at := f.Time
	for pcm := f.PCM; len(pcm) >= e.block; pcm = pcm[e.block:] {
		was := e.d.Active()
		s := e.d.Process(pcm[:e.block])
		if s != was {
			e.edge(s, at)
			started = started || s
		}
		speech = speech || s
		at += vad.BlockDuration
	}
	if len(f.PCM) < e.block { // a short last frame: too little to judge
		speech = e.d.Active()
	}
	e.end = f.Time + time.Duration(len(f.PCM))*vad.BlockDuration/time.Duration(e.block)
	f.Flags &^= pipeline.FlagSilence | pipeline.FlagTalkspurt
	if speech {
		e.speech.Add(1)
		if started {
			f.Flags |= pipeline.FlagTalkspurt
		}
	} else {
		e.silence.Add(1)
		f.Flags |= pipeline.FlagSilence
	}
	storeF(&e.floor, e.d.NoiseFloor())
	out.Emit(0, f)
	return nil
}

// edge records a talkspurt starting or ending at media time at.
func (e *VAD) edge(start bool, at time.Duration) {
	if start {
		e.talkspurts.Add(1)
	}
	e.active.Store(start)
	if fn := e.onTalkspurt.Load(); fn != nil {
		(*fn)(start, at)
	}
}

// EndOfStream ends a talkspurt still going, for OnTalkspurt's listener.
func (e *VAD) EndOfStream(int, *pipeline.Output) error {
	if e.active.Load() {
		e.edge(false, e.end)
	}
	return nil
}

// OnTalkspurt sets the function told when a talkspurt starts (start true)
// and ends (false, also at end of stream), with the media time
// (Frame.Time plus the block's offset in the frame) of the 10 ms block
// where it did. It runs on the graph's worker, inside Process: it must not
// block. Safe from any goroutine; nil removes it.
func (e *VAD) OnTalkspurt(f func(start bool, at time.Duration)) {
	if f == nil {
		e.onTalkspurt.Store(nil)
		return
	}
	e.onTalkspurt.Store(&f)
}

// Stats reports the talkspurts started, the frames judged speech and
// silence, the noise floor and whether a talkspurt is going on.
func (e *VAD) Stats() []pipeline.Stat {
	active := 0.0
	if e.active.Load() {
		active = 1
	}
	return []pipeline.Stat{
		{Name: "talkspurts", Value: float64(e.talkspurts.Load())},
		{Name: "speech_frames", Value: float64(e.speech.Load())},
		{Name: "silence_frames", Value: float64(e.silence.Load())},
		{Name: "noise_floor", Value: loadF(&e.floor), Unit: "dBov"},
		{Name: "active", Value: active},
	}
}

func (e *VAD) String() string {
	return fmt.Sprintf("vad hangover=%s threshold=%g onset=%s min-level=%g", e.Hangover, e.Threshold, e.Onset, e.MinLevel)
}
