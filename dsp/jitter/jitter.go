// Package jitter is an adaptive RTP playout (jitter) buffer, independent of
// the pipeline: packets are pushed as they arrive and popped once per frame
// period by the caller's clock tick.
//
// The buffer is a fixed ring indexed by extended sequence number, so push and
// pop are O(1) and allocate nothing; it is generic over the stored item so a
// caller keeps its own packet type (a *pipeline.Frame) without copying.
//
// # Playout
//
// Each packet has a due time on the caller's clock:
//
//	due(ts) = anchorAt + (ts - anchorTS)/rate
//
// The anchor is set when a stream starts, where a talkspurt (marker bit)
// starts after a timestamp gap, when the buffer resumes after running dry,
// and after a timestamp discontinuity; there
//
//	anchorAt = ts/rate + transit + delay
//
// where transit is a running mean (gain 1/16) of arrival - ts/rate, so a
// packet with the mean network delay waits `delay` in the buffer. Between
// anchors the schedule is fixed: speech is not cut or stretched mid-word.
//
// Pop(now), once per frame period, returns the next packet in sequence when
// now is within half a frame of its due time (StatusOK; up to 3/4 of a frame
// early when it follows the packet played at the previous tick, so a tick
// that comes a little early does not break the cadence). When the next packet
// is due but absent and a later one is buffered, it is lost: StatusMissing,
// once per lost packet, in its place, and the caller conceals one frame.
// When the buffer is empty at a due time (an underrun: a late burst, a loss
// longer than the delay, or a DTX silence) Pop keeps the cadence with
// StatusMissing concealment frames for up to Max, then StatusWaiting; the
// next packet decides what they stood for (lost packets, or silence: a DTX
// sender does not skip sequence numbers). Before the first packet plays
// (initial fill) Pop reports StatusWaiting.
//
// # Delay adaptation
//
// The delay target is
//
//	target = clamp(max(Factor·J, peak) + frame, Min, Max)
//
// with J the RFC 3550 (A.8) interarrival jitter and peak a slowly decaying
// maximum (1/256 per packet) of how far packets arrive behind the mean
// transit, which catches delay spikes that J, a mean, underrates. The delay
// changes only at an anchor: at a talkspurt start it rises to the target at
// once (fast increase) or falls by a quarter of the difference and by no more
// than the silence gap it is absorbed in (slow decrease); when the buffer
// resumes after an underrun it only rises, to the target or to what the late
// packet needs.
//
// # Robustness
//
// Sequence numbers and timestamps are extended to 64 bits, so the 16-bit
// sequence wrap and the 32-bit timestamp wrap are seamless. A new SSRC starts
// a new stream (resync). A sequence jump beyond the ring is confirmed by a
// second sequential packet, as RFC 3550 A.1 does, before the buffer resyncs to
// it (at once when the buffer is empty). A timestamp discontinuity (transit
// changing by more than max(4·Max, 1s)) restarts the transit estimate and the
// schedule from that packet on. Depth is bounded: beyond about 2·Max of
// buffered frames the oldest is evicted, and a packet overdue by more than
// Max is discarded.
package jitter

import (
	"fmt"
	"time"
)

// Verdict says what Push did with a packet.
type Verdict uint8

const (
	// VerdictStored: the packet is buffered; the buffer owns it.
	VerdictStored Verdict = iota
	// VerdictDuplicate: the same sequence number is already buffered; the
	// packet was not stored (the caller releases it).
	VerdictDuplicate
	// VerdictLate: the packet's turn has passed (played, concealed or
	// skipped), or it is far behind; not stored.
	VerdictLate
	// VerdictTooEarly: the packet is beyond the ring; not stored. A second
	// sequential packet beyond the ring resyncs to the new numbering.
	VerdictTooEarly
	// VerdictResync: the packet was stored as the start of a new stream
	// (SSRC change, confirmed sequence jump) or of a new timing (timestamp
	// discontinuity). Items of an old stream are available from Flushed.
	VerdictResync
)

func (v Verdict) String() string {
	switch v {
	case VerdictStored:
		return "stored"
	case VerdictDuplicate:
		return "duplicate"
	case VerdictLate:
		return "late"
	case VerdictTooEarly:
		return "too-early"
	case VerdictResync:
		return "resync"
	}
	return fmt.Sprintf("Verdict(%d)", uint8(v))
}

// Status says what Pop returned.
type Status uint8

const (
	// StatusOK: the item is the next packet in sequence; ownership passes to
	// the caller.
	StatusOK Status = iota
	// StatusMissing: play one concealed frame: a packet is lost, or the
	// buffer ran dry (Popped tells the position it stands for).
	StatusMissing
	// StatusWaiting: play nothing (initial fill, or the buffer has been dry
	// for longer than Max).
	StatusWaiting
)

func (s Status) String() string {
	switch s {
	case StatusOK:
		return "ok"
	case StatusMissing:
		return "missing"
	case StatusWaiting:
		return "waiting"
	}
	return fmt.Sprintf("Status(%d)", uint8(s))
}

// Stats are the buffer's counters. Every pushed packet is accounted for
// exactly once, and so is every concealment frame:
//
//	Received  = Played + Late + Duplicate + TooEarly + Overflow + Flushed + Buffered
//	Concealed = Lost + Underrun + Pending
type Stats struct {
	Received  uint64 // packets pushed
	Played    uint64 // packets returned with StatusOK
	Late      uint64 // packets that came after their turn, or far behind
	Duplicate uint64 // packets already buffered
	Reordered uint64 // packets stored behind a higher sequence number
	Overflow  uint64 // packets evicted (buffer over depth) or discarded (overdue by more than Max)
	TooEarly  uint64 // packets beyond the ring
	Flushed   uint64 // packets of an old stream dropped at a resync or Reset
	Buffered  int    // packets held now

	Concealed uint64 // StatusMissing returned
	Lost      uint64 // of which stood for packets that never came in time
	Underrun  uint64 // of which stood for no packet (the buffer ran dry: silence, a late packet)
	Pending   int    // of which are not known yet (the buffer is dry now)
	Skipped   uint64 // sequence numbers passed over with neither packet nor concealment
	Resyncs   uint64 // new streams or new timings after the first

	Delay  time.Duration // current playout delay
	Target time.Duration // delay the adaptation aims at
	Jitter time.Duration // RFC 3550 interarrival jitter
}

type slot[T any] struct {
	item   T
	seq    int64  // extended sequence number
	ts     int64  // extended RTP timestamp
	gen    uint32 // timing generation (bumped at a timestamp discontinuity)
	used   bool
	marker bool
}

// Buffer is an adaptive jitter buffer for one RTP stream at a time. It is
// not safe for concurrent use: one goroutine (the graph's worker) pushes and
// pops.
type Buffer[T any] struct {
	cfg      Config
	ring     []slot[T]
	mask     int64
	flush    []T // items the caller takes back with Flushed
	frameTS  int64
	tol      time.Duration // half a frame: a packet plays at the tick nearest its due time
	limit    int64         // depth (in sequence numbers) beyond which the oldest is evicted
	jump     time.Duration // transit change treated as a timestamp discontinuity
	misorder int64         // how far behind a packet may be and still count as late
	maxRun   int           // concealment frames in a row while dry, at most

	// stream
	started  bool
	playing  bool // something has been played: keep the cadence when dry
	fresh    bool // nothing of this stream has left the buffer yet
	ssrc     uint32
	hiSeq    int64 // highest extended sequence number stored in this stream
	lastTS   int64 // extended timestamp of the last accepted packet (extension reference)
	baseTS   int64 // timestamp origin of the stream's media time
	nextSeq  int64 // sequence number to play next
	nextTS   int64 // its (expected) timestamp
	count    int
	probing  bool
	probeSeq uint16
	gen      uint32

	// dry spell: positions after nextSeq passed while the buffer was empty
	underrun  bool
	cont      bool  // the last Pop played a packet
	ahead     int64 // positions passed
	aheadConc int64 // of which concealed (they come first)
	run       int   // concealment frames since the last packet played

	// timing
	anchorTS  int64
	anchorAt  time.Duration
	anchorSeq int64
	anchorGen uint32
	transit   time.Duration // running mean of arrival - media time
	peak      time.Duration // decaying maximum of transit above the mean
	haveLast  bool
	lastArr   time.Duration
	lastJTS   int64
	jitter    float64 // RFC 3550 J, timestamp units
	jSamples  int
	delay     time.Duration

	popSeq int64
	popTS  int64

	st Stats
}

// New returns an empty buffer. It allocates the ring once; Push and Pop
// allocate nothing.
func New[T any](cfg Config) (*Buffer[T], error) {
	c, err := cfg.normalize()
	if err != nil {
		return nil, fmt.Errorf("jitter buffer: %w", err)
	}
	maxFrames := int64((c.Max + c.FrameDuration - 1) / c.FrameDuration)
	b := &Buffer[T]{
		cfg:      c,
		ring:     make([]slot[T], c.Capacity),
		mask:     int64(c.Capacity - 1),
		flush:    make([]T, 0, c.Capacity),
		frameTS:  int64(c.ClockRate) * int64(c.FrameDuration) / int64(time.Second),
		tol:      c.FrameDuration / 2,
		jump:     max(4*c.Max, time.Second),
		limit:    min(2*maxFrames+2, int64(c.Capacity-1)),
		misorder: max(int64(c.Capacity), 100),
		maxRun:   int(maxFrames),
		delay:    c.Target,
	}
	return b, nil
}

// Config returns the configuration with defaults filled in.
func (b *Buffer[T]) Config() Config { return b.cfg }

// Push stores a packet that arrived at `arrival` (on the clock Pop's now is
// on). When the verdict is not VerdictStored or VerdictResync the buffer did
// not keep item and the caller releases it. If hasEvicted, the buffer was too
// deep and gave up its oldest packet, evicted, which the caller releases.
// After a resync the old stream's packets are available from Flushed.
func (b *Buffer[T]) Push(seq uint16, ts uint32, ssrc uint32, marker bool, arrival time.Duration, item T) (evicted T, hasEvicted bool, verdict Verdict) {
	b.st.Received++
	if !b.started {
		b.started = true
		ext, extTS := b.begin(seq, ts, ssrc, arrival, false)
		b.store(ext, extTS, marker, item)
		return evicted, false, VerdictStored
	}
	if ssrc != b.ssrc {
		ext, extTS := b.resync(seq, ts, ssrc, arrival)
		b.store(ext, extTS, marker, item)
		return evicted, false, VerdictResync
	}
	ext := b.hiSeq + int64(int16(seq-uint16(b.hiSeq)))
	d := ext - b.nextSeq
	if d < 0 && b.fresh && b.hiSeq-ext < b.limit {
		// Reordered ahead of the first packet, before anything left: the
		// stream starts earlier than we thought.
		d = 0
	}
	if d >= int64(len(b.ring)) || d < -b.misorder {
		if (d > 0 && b.count == 0) || (b.probing && seq == b.probeSeq) {
			ext, extTS := b.resync(seq, ts, ssrc, arrival)
			b.store(ext, extTS, marker, item)
			return evicted, false, VerdictResync
		}
		b.probing, b.probeSeq = true, seq+1
		if d > 0 {
			b.st.TooEarly++
			return evicted, false, VerdictTooEarly
		}
		b.st.Late++
		return evicted, false, VerdictLate
	}
	b.probing = false
	if d >= 0 && b.ring[ext&b.mask].used {
		// Buffered already (every buffered packet has its own slot: the
		// window is narrower than the ring). Not a timing sample: a copy
		// says nothing about the network's jitter.
		b.st.Duplicate++
		return evicted, false, VerdictDuplicate
	}
	extTS := b.lastTS + int64(int32(ts-uint32(b.lastTS)))
	b.lastTS = extTS
	jumped := b.observe(arrival, extTS)
	if d < 0 {
		// Its turn has passed. It still counts for the jitter and the peak:
		// a late packet is what the delay should have covered.
		b.st.Late++
		return evicted, false, VerdictLate
	}
	if ext < b.nextSeq { // the fresh case above
		b.nextSeq, b.nextTS = ext, extTS
	}
	verdict = VerdictStored
	if jumped {
		b.gen++
		b.st.Resyncs++
		verdict = VerdictResync
	}
	resumed := b.underrun
	if resumed {
		b.resume(d)
	}
	b.store(ext, extTS, marker, item)
	if resumed {
		b.reanchorResume(ext, extTS, marker, arrival)
	}
	if b.hiSeq-b.nextSeq+1 > b.limit {
		// Too deep (a burst, or the caller stopped popping): give up the oldest.
		h := &b.ring[b.nextSeq&b.mask]
		if h.used {
			evicted, hasEvicted = h.item, true
			b.nextTS = h.ts
			b.clear(h)
			b.st.Overflow++
		} else {
			b.st.Skipped++
		}
		b.advance(1)
	}
	return evicted, hasEvicted, verdict
}

// resume ends a dry spell with a packet `holes` positions after nextSeq:
// positions passed while dry up to it were lost packets (concealed or passed
// over); those beyond it stood for no packet.
func (b *Buffer[T]) resume(holes int64) {
	c := min(b.ahead, holes)
	lost := min(c, b.aheadConc)
	b.st.Lost += uint64(lost)
	b.st.Skipped += uint64(c - lost)
	b.aheadConc -= lost
	b.advance(c)
	b.endDry()
}

// endDry ends a dry spell; concealment not resolved as loss stood for none.
func (b *Buffer[T]) endDry() {
	b.st.Underrun += uint64(b.aheadConc)
	b.underrun, b.ahead, b.aheadConc = false, 0, 0
}

// store puts a packet into its (free) slot.
func (b *Buffer[T]) store(ext, extTS int64, marker bool, item T) {
	s := &b.ring[ext&b.mask]
	s.item, s.seq, s.ts, s.gen, s.used, s.marker = item, ext, extTS, b.gen, true, marker
	b.count++
	if ext < b.hiSeq {
		b.st.Reordered++
	} else {
		b.hiSeq = ext
	}
}

func (b *Buffer[T]) clear(s *slot[T]) {
	var zero T
	s.item, s.used = zero, false
	b.count--
}

// advance moves the play position n packets on.
func (b *Buffer[T]) advance(n int64) {
	if n <= 0 {
		return
	}
	b.nextSeq += n
	b.nextTS += n * b.frameTS
	b.fresh = false
}

// begin starts a stream at this packet and anchors its schedule.
func (b *Buffer[T]) begin(seq uint16, ts uint32, ssrc uint32, arrival time.Duration, adapt bool) (ext, extTS int64) {
	ext, extTS = int64(seq), int64(ts)
	b.ssrc = ssrc
	b.fresh = true
	b.hiSeq, b.nextSeq, b.nextTS = ext, ext, extTS
	b.lastTS, b.baseTS = extTS, extTS
	b.probing = false
	b.endDry()
	b.gen++
	b.transit = arrival // the media time of the first packet is 0
	b.haveLast, b.lastArr, b.lastJTS = true, arrival, extTS
	if adapt {
		b.adapt(b.cfg.Max, true)
	}
	b.setAnchor(ext, extTS)
	return ext, extTS
}

// resync flushes the old stream and starts a new one at this packet.
func (b *Buffer[T]) resync(seq uint16, ts uint32, ssrc uint32, arrival time.Duration) (ext, extTS int64) {
	b.flushAll()
	b.st.Resyncs++
	return b.begin(seq, ts, ssrc, arrival, true)
}

func (b *Buffer[T]) flushAll() {
	var zero T
	for i := range b.ring {
		if s := &b.ring[i]; s.used {
			if len(b.flush) < cap(b.flush) {
				b.flush = append(b.flush, s.item)
			}
			s.item, s.used = zero, false
			b.st.Flushed++
		}
	}
	b.count = 0
}

// observe updates the RFC 3550 jitter, the mean transit and the peak with one
// accepted arrival. It reports a timestamp discontinuity, after which the
// transit estimate starts over from this packet.
func (b *Buffer[T]) observe(arrival time.Duration, extTS int64) (jumped bool) {
	transit := arrival - b.ticks(extTS-b.baseTS)
	dev := transit - b.transit
	if dev > b.jump || dev < -b.jump {
		b.transit, b.peak = transit, 0
		b.haveLast, b.lastArr, b.lastJTS = true, arrival, extTS
		return true
	}
	if b.haveLast {
		// D(i-1,i) = (Rj - Ri) - (Sj - Si) in timestamp units; J += (|D| - J)/16.
		d := float64(arrival-b.lastArr)*float64(b.cfg.ClockRate)/float64(time.Second) - float64(extTS-b.lastJTS)
		if d < 0 {
			d = -d
		}
		b.jitter += (d - b.jitter) / 16
		b.jSamples++
	}
	b.haveLast, b.lastArr, b.lastJTS = true, arrival, extTS
	if dev > b.peak {
		b.peak = dev
	} else {
		b.peak -= b.peak >> 8
	}
	b.transit += dev / 16
	return false
}

// ticks converts a timestamp difference to a duration without overflow.
func (b *Buffer[T]) ticks(n int64) time.Duration {
	r := int64(b.cfg.ClockRate)
	return time.Duration(n/r)*time.Second + time.Duration(n%r*int64(time.Second)/r)
}

func (b *Buffer[T]) due(extTS int64) time.Duration {
	return b.anchorAt + b.ticks(extTS-b.anchorTS)
}

// ideal is when a packet would play if the schedule were anchored on it now.
func (b *Buffer[T]) ideal(extTS int64) time.Duration {
	return b.ticks(extTS-b.baseTS) + b.transit + b.delay
}

func (b *Buffer[T]) setAnchor(ext, extTS int64) {
	b.anchorSeq, b.anchorTS, b.anchorGen = ext, extTS, b.gen
	b.anchorAt = b.ideal(extTS)
}

// gap is the media time between the expected next timestamp and extTS: the
// silence a delay decrease can be absorbed in.
func (b *Buffer[T]) gap(extTS int64) time.Duration {
	return max(b.ticks(extTS-b.nextTS), 0)
}

// reanchorResume anchors the schedule on the packet that ends a dry spell.
// The delay only rises (to the target, or to what this late packet needs,
// up to Max), except at a talkspurt start, where it adapts both ways.
func (b *Buffer[T]) reanchorResume(ext, extTS int64, marker bool, arrival time.Duration) {
	b.adapt(b.gap(extTS), marker)
	if need := arrival - b.ticks(extTS-b.baseTS) - b.transit; need > b.delay {
		b.delay = min(need, b.cfg.Max)
	}
	b.setAnchor(ext, extTS)
}

// adapt moves the delay towards the target: up at once; down (if allowed)
// by a quarter of the difference and at most by gap, once the jitter
// estimate has seen enough packets to be trusted.
func (b *Buffer[T]) adapt(gap time.Duration, down bool) {
	t := b.target()
	switch {
	case t > b.delay:
		b.delay = t
	case t < b.delay && down && b.jSamples >= 16:
		b.delay -= min((b.delay-t+3)/4, gap)
	}
}

// target is clamp(max(Factor·J, peak) + frame, Min, Max).
func (b *Buffer[T]) target() time.Duration {
	j := time.Duration(b.cfg.Factor * b.jitter * float64(time.Second) / float64(b.cfg.ClockRate))
	return min(max(max(j, b.peak)+b.cfg.FrameDuration, b.cfg.Min), b.cfg.Max)
}

// Pop is called once per frame period with the current time. It returns the
// next packet when it is due (StatusOK), asks for one concealed frame
// (StatusMissing), or for nothing (StatusWaiting); see the package comment.
// Packets overdue by more than Max are discarded to Flushed on the way.
func (b *Buffer[T]) Pop(now time.Duration) (item T, status Status) {
	if !b.started {
		return item, StatusWaiting
	}
	cont := b.cont
	b.cont = false
	for {
		s := &b.ring[b.nextSeq&b.mask]
		if s.used {
			if s.gen != b.anchorGen || (s.marker && s.seq != b.anchorSeq && s.ts != b.nextTS) {
				// A new timing, or a talkspurt after a silence: adapt here.
				b.adapt(b.gap(s.ts), true)
				b.setAnchor(s.seq, s.ts)
			}
			due := b.due(s.ts)
			if due-now > b.jump {
				// An inconsistent schedule (timings changed twice while this
				// packet waited): play it now rather than stall.
				b.anchorAt -= due - now
				due = now
			}
			early := b.tol
			if cont && s.ts == b.nextTS {
				// The next frame of what played at the last tick: keep the
				// cadence even if this tick came a little early.
				early = b.cfg.FrameDuration * 3 / 4
			}
			if now < due-early {
				return item, b.conceal(false)
			}
			if now-due > b.cfg.Max {
				// Far behind its schedule: drop it rather than keep the delay.
				if len(b.flush) < cap(b.flush) {
					b.flush = append(b.flush, s.item)
				}
				b.nextTS = s.ts
				b.clear(s)
				b.st.Overflow++
				b.advance(1)
				continue
			}
			b.cont = true
			return b.take(s), StatusOK
		}
		pos := b.nextTS + b.ahead*b.frameTS
		due := b.due(pos)
		if now < due-b.tol && due-now <= b.jump {
			return item, StatusWaiting
		}
		if b.count == 0 {
			// Dry: keep the cadence with concealment (for up to Max) while
			// the position moves on; the next packet tells what it was.
			b.underrun = true
			b.popSeq, b.popTS = b.nextSeq+b.ahead, pos
			b.ahead++
			if st := b.conceal(true); st == StatusMissing {
				b.aheadConc++
				return item, st
			}
			return item, StatusWaiting
		}
		if now-due > b.cfg.Max {
			// Far behind: pass over the hole rather than conceal it late.
			b.st.Skipped++
			b.advance(1)
			continue
		}
		b.popSeq, b.popTS = b.nextSeq, b.nextTS
		b.st.Concealed++
		b.st.Lost++
		b.run = 0
		b.playing = true
		b.advance(1)
		return item, StatusMissing
	}
}

// conceal returns StatusMissing for a concealment frame that stands for no
// known packet, while the stream is playing and for no more than Max in a
// row, and StatusWaiting otherwise. Tentative ones (the buffer is dry) are
// counted when resolved; others count as underrun at once.
func (b *Buffer[T]) conceal(tentative bool) Status {
	if !b.playing || b.run >= b.maxRun {
		return StatusWaiting
	}
	b.run++
	b.st.Concealed++
	if !tentative {
		b.popSeq, b.popTS = b.nextSeq, b.nextTS
		b.st.Underrun++
	}
	return StatusMissing
}

// take removes the head packet and returns it as played.
func (b *Buffer[T]) take(s *slot[T]) T {
	item := s.item
	b.popSeq, b.popTS = s.seq, s.ts
	b.nextTS = s.ts
	b.clear(s)
	b.st.Played++
	b.run = 0
	b.playing = true
	b.advance(1)
	return item
}

// Drain returns the buffered packets in sequence regardless of time, for
// end-of-stream: StatusOK with the next packet, StatusMissing for a hole
// before a later packet, StatusWaiting when the buffer is empty.
func (b *Buffer[T]) Drain() (item T, status Status) {
	if b.count == 0 {
		return item, StatusWaiting
	}
	s := &b.ring[b.nextSeq&b.mask]
	if s.used {
		return b.take(s), StatusOK
	}
	b.popSeq, b.popTS = b.nextSeq, b.nextTS
	b.st.Concealed++
	b.st.Lost++
	b.advance(1)
	return item, StatusMissing
}

// Flushed returns, one per call, packets the buffer gave up outside Push's
// and Pop's results (the old stream at a resync, packets discarded as far
// overdue). Call it until ok is false after every Push and Pop.
func (b *Buffer[T]) Flushed() (item T, ok bool) {
	n := len(b.flush)
	if n == 0 {
		return item, false
	}
	item = b.flush[n-1]
	var zero T
	b.flush[n-1] = zero
	b.flush = b.flush[:n-1]
	return item, true
}

// Popped returns the RTP sequence number and timestamp of what the last Pop
// or Drain returned with StatusOK or StatusMissing: the packet, the lost
// packet's position, or for concealment while dry the position it stands in.
func (b *Buffer[T]) Popped() (seq uint16, ts uint32) {
	return uint16(b.popSeq), uint32(b.popTS)
}

// SSRC is the current stream's synchronization source.
func (b *Buffer[T]) SSRC() uint32 { return b.ssrc }

// Len is the number of packets buffered.
func (b *Buffer[T]) Len() int { return b.count }

// Delay is the current playout delay.
func (b *Buffer[T]) Delay() time.Duration { return b.delay }

// Jitter is the RFC 3550 interarrival jitter estimate.
func (b *Buffer[T]) Jitter() time.Duration {
	return time.Duration(b.jitter * float64(time.Second) / float64(b.cfg.ClockRate))
}

// JitterTS is the RFC 3550 interarrival jitter in timestamp units (as RTCP
// receiver reports carry it, before rounding).
func (b *Buffer[T]) JitterTS() float64 { return b.jitter }

// Stats returns the counters and the current delay, target and jitter.
func (b *Buffer[T]) Stats() Stats {
	st := b.st
	st.Buffered = b.count
	st.Pending = int(b.aheadConc)
	st.Delay = b.delay
	st.Target = b.target()
	st.Jitter = b.Jitter()
	return st
}

// Reset empties the buffer (items go to Flushed) and forgets the stream and
// the jitter history; the delay returns to the configured target. Counters
// are kept.
func (b *Buffer[T]) Reset() {
	b.flushAll()
	b.endDry()
	b.started, b.playing, b.probing, b.cont = false, false, false, false
	b.jitter, b.jSamples, b.peak, b.run = 0, 0, 0, 0
	b.delay = b.cfg.Target
}

func (b *Buffer[T]) String() string {
	return fmt.Sprintf("jitter buffer %d Hz frame=%s delay=%s (min %s max %s) jitter=%s buffered=%d",
		b.cfg.ClockRate, b.cfg.FrameDuration, b.delay, b.cfg.Min, b.cfg.Max, b.Jitter(), b.count)
}
