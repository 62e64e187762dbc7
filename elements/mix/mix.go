// Package mix provides the conference mixer element "mix": participants'
// PCM enters on request inputs in_N, everybody's sum leaves on out, and each
// participant's return audio — everybody except that participant — leaves on
// minus_N. Importing the package (a blank import is enough) registers it in
// pipeline.DefaultRegistry.
//
// The summing itself is package dsp/mix; this package is the glue that
// queues each input, ticks the mix and handles participants joining and
// leaving a running graph.
package mix

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	pcmmix "github.com/voxgraph/voxgraph/dsp/mix"
	"github.com/voxgraph/voxgraph/dsp/pcmq"
	"github.com/voxgraph/voxgraph/pipeline"
)

// Port name prefixes; the number after them pairs an input with its
// minus-one output.
const (
	inPrefix    = "in_"
	minusPrefix = "minus_"
)

// MaxQueue is the largest per-input queue, in frames (a second at 20 ms).
const MaxQueue = 50

// Mixer sums the PCM of its participants once per tick.
//
// Inputs are request ports in_0, in_1, …; output out carries everybody and
// request outputs minus_0, minus_1, … carry everybody except the
// participant with the same number: minus_3 is what participant in_3
// hears. Numbers pair by name, not by link order; a minus_N without an in_N
// (yet, or any more) carries everybody, as for a listener.
//
// Each input has its own queue of up to Queue frames. Every tick the mixer
// takes at most one frame from each queue; an input with less than a frame
// queued contributes silence and is counted as starved, and an input whose
// queue is full loses its oldest frame, counted as overflow. Neither ever
// stalls or restarts the mix, and participants joining or leaving a running
// graph (Graph.Attach, Graph.Detach) change only their own queue and
// output. The mixer emits every tick even with no participants, so
// downstream keeps its clock.
type Mixer struct {
	Rate  int `prop:"rate" default:"0" doc:"sample rate in Hz; 0 takes the first input's rate at build time (8000 when built without inputs). Every input must match: insert resample otherwise"`
	Queue int `prop:"queue" default:"5" doc:"frames queued per input before the oldest is dropped (5 frames = 100 ms at 20 ms ptime): the slack for bursty arrival"`

	f       pipeline.Format
	frame   int       // samples per tick, all channels
	acc     []int32   // this tick's sum
	ins     []*input  // by input slot; nil where no participant
	active  []*input  // participants, in join order
	minus   []minusTo // minus-one outputs
	deepest int       // most frames left queued on one input after the last tick

	participants atomic.Int64
	minusCount   atomic.Int64
	starved      atomic.Uint64
	overflow     atomic.Uint64
	ticks        atomic.Uint64
	queued       atomic.Int64
}

// input is one participant's state; nothing else changes when it comes or goes.
type input struct {
	num   int // N of in_N
	q     *pcmq.Queue
	cur   []int16 // this tick's frame
	heard bool    // cur holds audio this tick
	ended bool    // end-of-stream: play out what is queued, then stay silent uncounted
	arr   arrivals
}

// arrivalSlots bounds the frames whose arrival an input remembers; older
// ones are forgotten (their audio then counts as arrived with the oldest
// remembered frame).
const arrivalSlots = 64

// arrivals remembers when the audio in an input's queue arrived, so the
// mix can stamp its output with the arrival of the oldest audio in it and
// the graph's end-to-end latency spans the mixer. Positions count samples
// ever pushed into and taken out of the queue.
type arrivals struct {
	end          [arrivalSlots]uint64 // pushed count at the end of each remembered frame
	at           [arrivalSlots]time.Duration
	head, n      int
	pushed, gone uint64
}

// push records samples that arrived at `at` (0: not from the network).
func (a *arrivals) push(samples int, at time.Duration) {
	a.pushed += uint64(samples)
	if a.n == arrivalSlots {
		a.head = (a.head + 1) % arrivalSlots
		a.n--
	}
	i := (a.head + a.n) % arrivalSlots
	a.end[i], a.at[i] = a.pushed, at
	a.n++
}

// oldest is the arrival of the next sample to leave the queue.
func (a *arrivals) oldest() time.Duration {
	for a.n > 0 && a.end[a.head] <= a.gone {
		a.head = (a.head + 1) % arrivalSlots
		a.n--
	}
	if a.n == 0 {
		return 0
	}
	return a.at[a.head]
}

// take records samples leaving the queue (played or dropped).
func (a *arrivals) take(samples int) { a.gone = min(a.gone+uint64(samples), a.pushed) }

// minusTo is one minus_N output and the participant it leaves out.
type minusTo struct {
	port int    // output slot
	num  int    // N of minus_N
	in   *input // participant in_N; nil when absent
}

func init() {
	pipeline.Register(pipeline.ElementInfo{
		Name:    "mix",
		Summary: "conference mixer: everybody on out, everybody-but-N on minus_N",
		Doc: "Sums the PCM of its inputs in_N once per tick with saturation. `out` carries everybody; " +
			"minus_N carries everybody except in_N (link mix.minus_3 to participant 3's return path; numbers pair by name). " +
			"Each input has its own queue of `queue` frames that absorbs bursty arrival: a tick with nothing queued mixes " +
			"silence for that input (counted as starved), a full queue drops its oldest frame (counted as overflow); " +
			"the mix never stalls. Participants can join and leave a running graph. All inputs share one rate and " +
			"channel count, fixed by `rate` or the first input. Output flows every tick, even with no inputs.",
		Inputs: []pipeline.PortInfo{{Name: inPrefix + "%d", Caps: pipeline.PCMCaps, Presence: pipeline.Request,
			Doc: "a participant's PCM (frames flagged concealed are mixed as given)"}},
		Outputs: []pipeline.PortInfo{
			{Name: "out", Doc: "everybody, PCM at the mix's format"},
			{Name: minusPrefix + "%d", Presence: pipeline.Request, Doc: "everybody except participant in_N"},
		},
		New: func() pipeline.Element { return &Mixer{} },
	})
}

// Negotiate fixes the mix format from `rate` or the first input, checks
// every input against it and prepares the queues.
func (m *Mixer) Negotiate(n *pipeline.Negotiation) error {
	if m.Queue < 1 || m.Queue > MaxQueue {
		return fmt.Errorf("queue %d out of range 1..%d frames", m.Queue, MaxQueue)
	}
	if m.Rate != 0 && (m.Rate < 8000 || m.Rate > 192000) {
		return fmt.Errorf("rate %d out of range 8000..192000 (or 0 to follow the first input)", m.Rate)
	}
	rate, channels := m.Rate, 1
	for i, p := range n.InPorts {
		if p.Active && p.Linked && !n.In[i].IsZero() {
			if rate == 0 {
				rate = n.In[i].Rate
			}
			channels = max(n.In[i].Channels, 1)
			break
		}
	}
	if rate == 0 {
		rate = 8000
	}
	m.f = pipeline.PCM(rate, channels, n.PTime)
	m.frame = m.f.Samples() * channels
	if m.frame <= 0 {
		return fmt.Errorf("ptime %s holds no samples at %d Hz", n.PTime, rate)
	}
	m.acc = make([]int32, m.frame)
	m.ins, m.active, m.minus = nil, nil, nil
	for i, p := range n.InPorts {
		if p.Active && p.Linked {
			if err := m.addInput(p, n.In[i]); err != nil {
				return err
			}
		}
	}
	n.SetAllOut(m.f)
	for _, p := range n.OutPorts {
		if p.Active && p.Linked {
			if err := m.addMinus(p); err != nil {
				return err
			}
		}
	}
	return nil
}

// AddPort adds a participant (in_N) or a minus-one output (minus_N) to a
// running mix. It touches only the new port's own state.
func (m *Mixer) AddPort(p pipeline.Port, n *pipeline.Negotiation) error {
	if p.Dir == pipeline.In {
		return m.addInput(p, n.In[p.Index])
	}
	n.Out[p.Index] = m.f
	return m.addMinus(p)
}

// RemovePort removes a participant or a minus-one output. Its queued audio
// is discarded; the rest of the mix carries on with the next tick.
func (m *Mixer) RemovePort(p pipeline.Port) {
	if p.Dir == pipeline.In {
		if p.Index >= len(m.ins) || m.ins[p.Index] == nil {
			return
		}
		in := m.ins[p.Index]
		m.ins[p.Index] = nil
		for i, a := range m.active {
			if a == in {
				m.active = slices.Delete(m.active, i, i+1)
				break
			}
		}
		for i := range m.minus {
			if m.minus[i].in == in {
				m.minus[i].in = nil
			}
		}
		m.participants.Store(int64(len(m.active)))
		return
	}
	for i, mo := range m.minus {
		if mo.port == p.Index {
			m.minus = slices.Delete(m.minus, i, i+1)
			m.minusCount.Store(int64(len(m.minus)))
			return
		}
	}
}

func portNumber(name, prefix string) (int, bool) {
	num, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return 0, false
	}
	v, err := strconv.Atoi(num)
	return v, err == nil && v >= 0
}

func (m *Mixer) addInput(p pipeline.Port, f pipeline.Format) error {
	num, ok := portNumber(p.Name, inPrefix)
	if !ok {
		return fmt.Errorf("input %q is not named in_N", p.Name)
	}
	if f.Kind != pipeline.KindPCM {
		return fmt.Errorf("%s gets %s: the mix takes PCM (insert decode before mix.%s)", p.Name, f, p.Name)
	}
	if f.Rate != m.f.Rate {
		return fmt.Errorf("%s is %s but the mix runs at %s: insert resample rate=%d before mix.%s",
			p.Name, f, m.f, m.f.Rate, p.Name)
	}
	if max(f.Channels, 1) != m.f.Channels {
		return fmt.Errorf("%s is %s but the mix runs at %s: all inputs need the same channel count",
			p.Name, f, m.f)
	}
	in := &input{num: num, q: pcmq.New(m.Queue, m.frame), cur: make([]int16, m.frame)}
	for len(m.ins) <= p.Index {
		m.ins = append(m.ins, nil)
	}
	m.ins[p.Index] = in
	m.active = append(m.active, in)
	for i := range m.minus {
		if m.minus[i].num == num {
			m.minus[i].in = in
		}
	}
	m.participants.Store(int64(len(m.active)))
	return nil
}

func (m *Mixer) addMinus(p pipeline.Port) error {
	if p.Name == "out" {
		return nil // the always output: everybody, emitted on slot 0
	}
	num, ok := portNumber(p.Name, minusPrefix)
	if !ok {
		return fmt.Errorf("output %q is not named minus_N", p.Name)
	}
	mo := minusTo{port: p.Index, num: num}
	for _, in := range m.active {
		if in.num == num {
			mo.in = in
		}
	}
	m.minus = append(m.minus, mo)
	m.minusCount.Store(int64(len(m.minus)))
	return nil
}

// Process queues a participant's frame; the mix happens in Tick.
func (m *Mixer) Process(port int, f *pipeline.Frame, out *pipeline.Output) error {
	if port >= len(m.ins) || m.ins[port] == nil {
		out.Drop(f) // cannot happen with the runtime's port bookkeeping; never crash on it
		return nil
	}
	in := m.ins[port]
	var dropped int
	if len(f.PCM) == 0 && f.Flags&pipeline.FlagMissing != 0 {
		dropped = in.q.PushSilence() // a lost frame still fills its slot in time
		in.arr.push(m.frame, 0)
	} else {
		dropped = in.q.Push(f.PCM)
		in.arr.push(len(f.PCM), f.Arrival)
	}
	if dropped > 0 {
		m.overflow.Add(uint64(dropped))
		in.arr.take(dropped * m.frame)
	}
	f.Release()
	return nil
}

// EndOfStream lets an ended participant play out what it has queued; after
// that it contributes silence without counting as starved.
func (m *Mixer) EndOfStream(port int, _ *pipeline.Output) error {
	if port < len(m.ins) && m.ins[port] != nil {
		m.ins[port].ended = true
	}
	return nil
}

// Tick takes at most one frame from each participant's queue, sums them and
// emits out and every minus_N.
func (m *Mixer) Tick(out *pipeline.Output) error {
	clear(m.acc)
	var starved, queued, deepest int
	var arrival time.Duration // of the oldest network audio in this mix
	for _, in := range m.active {
		at := in.arr.oldest()
		in.heard = in.q.Pop(in.cur) || (in.ended && in.q.Flush(in.cur))
		if in.heard {
			in.arr.take(len(in.cur))
			if at > 0 && (arrival == 0 || at < arrival) {
				arrival = at
			}
			pcmmix.Accumulate(m.acc, in.cur)
		} else if !in.ended {
			starved++
		}
		queued += in.q.Frames()
		deepest = max(deepest, in.q.Frames())
	}
	if starved > 0 {
		m.starved.Add(uint64(starved))
	}
	m.queued.Store(int64(queued))
	if deepest != m.deepest {
		m.deepest = deepest // the audio still queued is delay the mix adds
		out.SetLatency(time.Duration(deepest) * m.f.PTime)
	}

	f := m.newFrame(out)
	f.Arrival = arrival
	pcmmix.Saturate(f.PCM, m.acc)
	out.Emit(0, f)
	for i := range m.minus {
		mo := &m.minus[i]
		f := m.newFrame(out)
		f.Arrival = arrival
		if mo.in != nil && mo.in.heard {
			pcmmix.MinusOne(f.PCM, m.acc, mo.in.cur)
		} else {
			pcmmix.Saturate(f.PCM, m.acc)
		}
		out.Emit(mo.port, f)
	}
	m.ticks.Add(1)
	return nil
}

func (m *Mixer) newFrame(out *pipeline.Output) *pipeline.Frame {
	f := out.NewFrame()
	f.Format = m.f
	f.Time = out.Time()
	f.SetPCMLen(m.frame)
	return f
}

// Stats reports the participants and the queues' health.
func (m *Mixer) Stats() []pipeline.Stat {
	return []pipeline.Stat{
		{Name: "participants", Value: float64(m.participants.Load())},
		{Name: "minus_outputs", Value: float64(m.minusCount.Load())},
		{Name: "starved", Value: float64(m.starved.Load()), Unit: "frames"},
		{Name: "overflow", Value: float64(m.overflow.Load()), Unit: "frames"},
		{Name: "queued", Value: float64(m.queued.Load()), Unit: "frames"},
		{Name: "ticks", Value: float64(m.ticks.Load())},
	}
}

// Counters is a snapshot of a Mixer's counters, for Go callers and tests.
type Counters struct {
	Participants int    // linked inputs
	Minus        int    // linked minus_N outputs
	Starved      uint64 // input-ticks that had no full frame queued
	Overflow     uint64 // frames dropped from full queues
	Queued       int    // frames queued over all inputs after the last tick
	Ticks        uint64 // mix ticks
}

// Counters reads the counters; it is safe while the graph runs.
func (m *Mixer) Counters() Counters {
	return Counters{
		Participants: int(m.participants.Load()),
		Minus:        int(m.minusCount.Load()),
		Starved:      m.starved.Load(),
		Overflow:     m.overflow.Load(),
		Queued:       int(m.queued.Load()),
		Ticks:        m.ticks.Load(),
	}
}

func (m *Mixer) String() string {
	rate := "auto"
	if m.f.Rate != 0 {
		rate = m.f.String()
	} else if m.Rate != 0 {
		rate = strconv.Itoa(m.Rate) + "Hz"
	}
	return fmt.Sprintf("mix %s queue=%d participants=%d minus=%d", rate, m.Queue, m.participants.Load(), m.minusCount.Load())
}
