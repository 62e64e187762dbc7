// Package jitter provides the `jitter` element: an adaptive jitter buffer
// for one RTP stream of encoded frames, pushed as packets arrive and popped
// once per graph tick (dsp/jitter holds the algorithm). Importing the
// package registers the element in pipeline.DefaultRegistry.
package jitter

import (
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"

	jb "github.com/voxgraph/voxgraph/dsp/jitter"
	"github.com/voxgraph/voxgraph/dsp/quality"
	"github.com/voxgraph/voxgraph/pipeline"
)

// Jitter reorders encoded RTP frames, drops duplicates and late packets,
// and plays them at their own pace after an adaptive delay: one per tick
// when the sender's packet time is the graph's, otherwise one per packet
// time (learnt from the timestamps: a peer sending 30 ms packets to a 20 ms
// graph gets two packets played every three ticks, decode reframes the
// audio). A lost packet becomes a frame flagged missing, which decode
// conceals.
type Jitter struct {
	Min      time.Duration `prop:"min" default:"20ms" doc:"smallest playout delay"`
	Max      time.Duration `prop:"max" default:"200ms" doc:"largest playout delay; also how long an underrun is concealed and how far behind schedule a packet may still play"`
	Target   time.Duration `prop:"target" default:"40ms" doc:"playout delay to start with, until jitter is measured"`
	Capacity int           `prop:"capacity" default:"0" doc:"ring slots, a power of two; 0 sizes the ring from max"`
	PLC      bool          `prop:"plc" default:"true" doc:"call quality (r_factor, mos): the decoder conceals lost frames (decode plc=true, its default); false rates them as silence"`
	Network  time.Duration `prop:"network-delay" default:"0s" doc:"call quality (r_factor, mos): one-way network delay to add to the mouth-to-ear delay, which the buffer cannot measure"`

	buf    *jb.Buffer[*pipeline.Frame]
	format pipeline.Format
	cfg    jb.Config

	// The stream's packet time and the playout pace.
	frame     time.Duration // packet time played (starts as the graph's)
	tick      time.Duration // graph period
	credit    time.Duration // playout time owed: one Pop per frame of it
	last      lastPacket
	candidate uint32 // a different timestamp step seen…
	seen      int    // …this many times in a row

	log      *slog.Logger
	retimed  atomic.Uint64        // packet time changes followed
	clock    func() time.Duration // tests: replaces both clocks
	clockSet bool                 // the clock was chosen (by the first frame)
	wall     bool                 // frames carry Arrival: run on pipeline.Now, else on the media clock
	declared bool
	latency  time.Duration // last declared with SetLatency

	lastStats [nStats]uint64
	pub       [nStats]atomic.Uint64 // read by Stats from other goroutines

	// Call quality (dsp/quality): losses followed as runs in play order.
	codec                 quality.Codec
	loss                  quality.LossEstimator
	seenLost, seenPlayed  uint64        // buffer counters already fed to loss
	lastQ                 [3]uint64     // loss's counts last published
	qRecv, qLost, qBursts atomic.Uint64 // loss's counts, for Stats
	qPTime                atomic.Int64  // packet time played
}

func init() {
	pipeline.Register(pipeline.ElementInfo{
		Name:    "jitter",
		Summary: "adaptive jitter buffer: reorders RTP frames and plays them at their packet time, lost ones flagged missing",
		Doc: "Buffers encoded frames by RTP sequence number and plays them in order, one per packet time (learnt from the " +
			"timestamps: one per tick for 20 ms packets in a 20 ms graph, two every three ticks for 30 ms ones, which decode reframes), `delay` after their " +
			"mean arrival. The delay adapts between `min` and `max` to the RFC 3550 interarrival jitter and to delay " +
			"spikes, changing only at talkspurt starts (marker bit) and when the buffer runs dry, and is declared to the " +
			"graph (Graph.Latency). A lost packet becomes one frame flagged missing, with its sequence number and " +
			"timestamp, which decode conceals; while the buffer is dry, missing frames keep the cadence for up to `max`. " +
			"Duplicates, late packets and packets beyond the ring are dropped and counted; a new SSRC or a sequence or " +
			"timestamp jump restarts the stream. Frames from the network carry Arrival (pipeline.Now); if the first frame " +
			"has none, the buffer runs on the graph's media clock instead (offline graphs). At end-of-stream the " +
			"buffered frames are played out at once. Stats `r_factor` and `mos` rate what it played with the ITU-T G.107 E-model " +
			"(dsp/quality): the packets lost among those due and their burst ratio, the playout delay plus packet time, codec " +
			"look-ahead and `network-delay`, and the codec's G.113 impairment with or without PLC (`plc`).",
		Inputs:  []pipeline.PortInfo{{Name: "in", Caps: pipeline.EncodedCaps, Doc: "encoded frames with RTP headers, one stream"}},
		Outputs: []pipeline.PortInfo{{Name: "out", Doc: "the same format, in sequence, one frame per tick"}},
		New:     func() pipeline.Element { return &Jitter{} },
	})
}

// Negotiate checks the delays and the input and creates the buffer.
func (e *Jitter) Negotiate(n *pipeline.Negotiation) error {
	in := n.In[0]
	if in.Rate <= 0 {
		return fmt.Errorf("input %s has no RTP clock rate", in)
	}
	ptime := in.PTime
	if ptime == 0 {
		ptime = n.PTime
	}
	e.cfg = jb.Config{ClockRate: in.Rate, FrameDuration: ptime, Min: e.Min, Max: e.Max, Target: e.Target, Capacity: e.Capacity}
	buf, err := jb.New[*pipeline.Frame](e.cfg)
	if err != nil {
		return err
	}
	e.buf = buf
	e.format = in
	e.format.PTime = ptime
	e.frame, e.tick, e.credit = ptime, n.PTime, 0
	e.last, e.candidate, e.seen = lastPacket{}, 0, 0
	e.log = n.Logger
	if err := e.negotiateQuality(in.Codec); err != nil {
		return err
	}
	e.publish()
	n.SetAllOut(in)
	return nil
}

// negotiateQuality checks the quality properties and picks the codec's
// E-model values (an unknown codec is rated as G.711).
func (e *Jitter) negotiateQuality(codec string) error {
	if e.Network < 0 {
		return fmt.Errorf("network-delay %s is negative", e.Network)
	}
	c, ok := quality.LookupCodec(codec)
	if !ok {
		c, _ = quality.LookupCodec("PCMU")
		c.Name = codec
	}
	e.codec = c
	e.loss.Reset()
	e.seenLost, e.seenPlayed, e.lastQ = 0, 0, [3]uint64{}
	e.qRecv.Store(0)
	e.qLost.Store(0)
	e.qBursts.Store(0)
	e.qPTime.Store(int64(e.frame))
	return nil
}

// lastPacket is the last packet pushed, for learning the packet time.
type lastPacket struct {
	ok   bool
	seq  uint16
	ts   uint32
	ssrc uint32
}

// maxPacketTime bounds a learnt packet time (RFC 3551 allows up to 200 ms
// for G.711; anything longer is a timestamp jump, not a packet).
const maxPacketTime = 200 * time.Millisecond

// learn watches the timestamp step between consecutive packets: one that
// differs from the packet time played switches the buffer to it at the
// start of a stream (fewer than five packets played), three in a row later.
func (e *Jitter) learn(f *pipeline.Frame, out *pipeline.Output) {
	h := &f.RTP
	prev := e.last
	e.last = lastPacket{true, h.SequenceNumber, h.Timestamp, h.SSRC}
	if !prev.ok || prev.ssrc != h.SSRC || h.SequenceNumber != prev.seq+1 {
		return
	}
	step := h.Timestamp - prev.ts
	d := time.Duration(step) * time.Second / time.Duration(e.format.Rate)
	if step == 0 || d > maxPacketTime || time.Duration(step)*time.Second%time.Duration(e.format.Rate) != 0 {
		return
	}
	if d == e.frame {
		e.seen = 0
		return
	}
	if step != e.candidate {
		e.candidate, e.seen = step, 0
	}
	e.seen++
	if e.seen < 3 && e.buf.Stats().Played >= 5 {
		return
	}
	// The sender's packet time is d: a new buffer paced by it, holding what
	// the old one held.
	cfg := e.cfg
	cfg.FrameDuration = d
	buf, err := jb.New[*pipeline.Frame](cfg)
	if err != nil {
		return
	}
	e.observeLoss(e.buf.Stats()) // before the drain below counts the moved packets as played
	for {
		old, st := e.buf.Drain()
		if st == jb.StatusWaiting {
			break
		}
		if st == jb.StatusOK {
			ev, has, v := buf.Push(old.RTP.SequenceNumber, old.RTP.Timestamp, old.RTP.SSRC, old.RTP.Marker, e.arrival(old, out), old)
			if has {
				out.Drop(ev)
			}
			if v == jb.VerdictDuplicate || v == jb.VerdictLate || v == jb.VerdictTooEarly {
				out.Drop(old)
			}
		}
	}
	e.dropFlushed(out)
	e.seenLost, e.seenPlayed = 0, 0 // the new buffer counts from zero
	e.qPTime.Store(int64(d))
	if e.log != nil {
		e.log.Info("jitter buffer follows the sender's packet time", "ptime", d, "graph_ptime", e.tick)
	}
	e.buf, e.cfg, e.frame, e.format.PTime, e.credit, e.seen = buf, cfg, d, d, 0, 0
	e.retimed.Add(1)
}

// arrival is when f arrived, on the clock the buffer runs on.
func (e *Jitter) arrival(f *pipeline.Frame, out *pipeline.Output) time.Duration {
	if !e.clockSet {
		e.clockSet, e.wall = true, f.Arrival != 0
	}
	switch {
	case e.clock != nil:
		if f.Arrival != 0 {
			return f.Arrival
		}
		return e.clock()
	case e.wall:
		if f.Arrival != 0 {
			return f.Arrival
		}
		return out.Now()
	default:
		return out.Time()
	}
}

func (e *Jitter) now(out *pipeline.Output) time.Duration {
	switch {
	case e.clock != nil:
		return e.clock()
	case e.wall:
		return out.Now()
	default:
		return out.Time()
	}
}

// Process buffers one frame; what the buffer does not keep is dropped.
func (e *Jitter) Process(_ int, f *pipeline.Frame, out *pipeline.Output) error {
	if f.Flags&pipeline.FlagMissing != 0 {
		out.Drop(f) // a placeholder, not a packet: the buffer finds its own gaps
		return nil
	}
	e.learn(f, out)
	evicted, has, v := e.buf.Push(f.RTP.SequenceNumber, f.RTP.Timestamp, f.RTP.SSRC, f.RTP.Marker, e.arrival(f, out), f)
	if has {
		out.Drop(evicted)
	}
	switch v {
	case jb.VerdictDuplicate, jb.VerdictLate, jb.VerdictTooEarly:
		out.Drop(f)
	}
	e.dropFlushed(out)
	e.declare(out)
	e.publish()
	return nil
}

// Tick plays what is due: at the sender's packet time, none, one or more
// packets (or missing frames) per tick. Each Pop sees the time its frame
// period ends, so they stay exactly one packet time apart.
func (e *Jitter) Tick(out *pipeline.Output) error {
	now := e.now(out)
	e.credit += e.tick
	for e.credit >= e.frame {
		e.credit -= e.frame
		f, st := e.buf.Pop(now - e.credit)
		e.dropFlushed(out)
		e.emit(st, f, out)
	}
	e.declare(out)
	e.publish()
	return nil
}

// EndOfStream plays out everything buffered, in order, with missing frames
// for the holes; the element ends when this returns.
func (e *Jitter) EndOfStream(_ int, out *pipeline.Output) error {
	for {
		f, st := e.buf.Drain()
		if st == jb.StatusWaiting {
			break
		}
		e.emit(st, f, out)
	}
	e.dropFlushed(out)
	e.publish()
	return nil
}

func (e *Jitter) emit(st jb.Status, f *pipeline.Frame, out *pipeline.Output) {
	switch st {
	case jb.StatusOK:
		if f.RTP.Marker {
			f.Flags |= pipeline.FlagTalkspurt
		}
		f.Format.PTime = e.frame // what the packet holds, for decode to reframe
		out.Emit(0, f)
	case jb.StatusMissing:
		m := out.NewFrame()
		seq, ts := e.buf.Popped()
		m.Format = e.format
		m.Flags = pipeline.FlagMissing
		m.Time = out.Time()
		m.RTP = rtp.Header{Version: 2, PayloadType: e.format.PayloadType, SequenceNumber: seq, Timestamp: ts, SSRC: e.buf.SSRC()}
		out.Emit(0, m)
	}
}

func (e *Jitter) dropFlushed(out *pipeline.Output) {
	for {
		f, ok := e.buf.Flushed()
		if !ok {
			return
		}
		out.Drop(f)
	}
}

// declare tells the graph the playout delay when it changes.
func (e *Jitter) declare(out *pipeline.Output) {
	if d := e.buf.Delay(); !e.declared || d != e.latency {
		out.SetLatency(d)
		e.latency, e.declared = d, true
	}
}

const (
	sReceived = iota
	sPlayed
	sLost
	sConcealed
	sUnderrun
	sLate
	sDuplicate
	sReordered
	sOverflow
	sTooEarly
	sSkipped
	sFlushed
	sResyncs
	sBuffered
	sDelay
	sTarget
	sJitter
	nStats
)

var statInfo = [nStats]struct{ name, unit string }{
	sReceived:  {"received", ""},
	sPlayed:    {"played", ""},
	sLost:      {"lost", ""},
	sConcealed: {"concealed", ""},
	sUnderrun:  {"underrun", ""},
	sLate:      {"late", ""},
	sDuplicate: {"duplicate", ""},
	sReordered: {"reordered", ""},
	sOverflow:  {"overflow", ""},
	sTooEarly:  {"too_early", ""},
	sSkipped:   {"skipped", ""},
	sFlushed:   {"flushed", ""},
	sResyncs:   {"resyncs", ""},
	sBuffered:  {"buffered", ""},
	sDelay:     {"delay", "ms"},
	sTarget:    {"target", "ms"},
	sJitter:    {"jitter", "ms"},
}

// observeLoss feeds the packets lost and played since the last call to
// the loss estimator, as a lost run then a received run: losses are
// settled when the buffer reaches their place (or, for a dry spell, when
// the next packet comes), before the packets after them play. Sequence
// numbers passed over unplayed (skipped) count as lost.
func (e *Jitter) observeLoss(s jb.Stats) {
	lost := s.Lost + s.Skipped
	if lost < e.seenLost || s.Played < e.seenPlayed { // counters restarted
		e.seenLost, e.seenPlayed = 0, 0
	}
	e.loss.Lost(lost - e.seenLost)
	e.loss.Received(s.Played - e.seenPlayed)
	e.seenLost, e.seenPlayed = lost, s.Played
}

// publish copies the buffer's counters that changed to the atomics.
func (e *Jitter) publish() {
	s := e.buf.Stats()
	e.observeLoss(s)
	if r, l, b := e.loss.Counts(); [3]uint64{r, l, b} != e.lastQ {
		e.lastQ = [3]uint64{r, l, b}
		e.qRecv.Store(r)
		e.qLost.Store(l)
		e.qBursts.Store(b)
	}
	v := [nStats]uint64{
		sReceived: s.Received, sPlayed: s.Played, sLost: s.Lost, sConcealed: s.Concealed, sUnderrun: s.Underrun,
		sLate: s.Late, sDuplicate: s.Duplicate, sReordered: s.Reordered, sOverflow: s.Overflow, sTooEarly: s.TooEarly,
		sSkipped: s.Skipped, sFlushed: s.Flushed, sResyncs: s.Resyncs, sBuffered: uint64(s.Buffered),
		sDelay: uint64(s.Delay), sTarget: uint64(s.Target), sJitter: uint64(s.Jitter),
	}
	for i := range v {
		if v[i] != e.lastStats[i] {
			e.lastStats[i] = v[i]
			e.pub[i].Store(v[i])
		}
	}
}

// Stats reports the buffer's counters, its delay, target and jitter, how
// often it followed a change of the sender's packet time, and the call
// quality of what it played (see Quality).
func (e *Jitter) Stats() []pipeline.Stat {
	out := make([]pipeline.Stat, nStats, nStats+3)
	for i := range out {
		v := float64(e.pub[i].Load())
		if statInfo[i].unit == "ms" {
			v /= float64(time.Millisecond)
		}
		out[i] = pipeline.Stat{Name: statInfo[i].name, Value: v, Unit: statInfo[i].unit}
	}
	out = append(out, pipeline.Stat{Name: "ptime_changes", Value: float64(e.retimed.Load())})
	q, err := e.Quality()
	if err != nil { // not reachable with validated properties; reported as 0
		q = quality.Rating{}
	}
	return append(out, pipeline.Stat{Name: "r_factor", Value: q.R}, pipeline.Stat{Name: "mos", Value: q.MOS})
}

// Quality rates the call as heard after this buffer with the E-model
// (dsp/quality): the packets lost or skipped among those due to play and
// their burst ratio, and a mouth-to-ear delay of the buffer's playout
// delay, the packet time, the codec's look-ahead and the network-delay
// property; the codec's Ie and Bpl (with or without PLC, per the plc
// property) from the format's codec. Safe to call from any goroutine.
func (e *Jitter) Quality() (quality.Rating, error) {
	r, l, b := e.qRecv.Load(), e.qLost.Load(), e.qBursts.Load()
	ptime := time.Duration(e.qPTime.Load())
	c := quality.Call{Codec: e.codec, PLC: e.PLC, PTime: ptime, Network: e.Network,
		Buffer:      time.Duration(e.pub[sDelay].Load()),
		LossPercent: quality.LossPercent(l, r+l), BurstR: quality.BurstRatio(r, l, b)}
	return c.Rate() // Buffer 0 (min=0, empty): Call counts one packet time
}

func (e *Jitter) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "jitter min=%s max=%s target=%s", e.Min, e.Max, e.Target)
	if e.Capacity != 0 {
		fmt.Fprintf(&b, " capacity=%d", e.Capacity)
	}
	return b.String()
}
