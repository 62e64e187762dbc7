package jitter

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

const (
	ms    = time.Millisecond
	frame = 20 * ms
	step  = 160 // RTP ticks per 20 ms at 8 kHz
)

func testConfig() Config {
	return Config{ClockRate: 8000, FrameDuration: frame, Min: 20 * ms, Max: 200 * ms, Target: 40 * ms}
}

// pkt is one scripted packet; id identifies the item.
type pkt struct {
	seq    uint16
	ts     uint32
	ssrc   uint32
	marker bool
	arr    time.Duration
	id     int
}

// event is what one Pop returned.
type event struct {
	at     time.Duration
	status Status
	id     int
	seq    uint16
	ts     uint32
	delay  time.Duration
}

type result struct {
	b        *Buffer[int]
	events   []event
	verdicts []Verdict // per packet, in push order
	released []int     // items handed back (rejected, evicted, flushed)
}

func (r *result) played() (ids []int) {
	for _, e := range r.events {
		if e.status == StatusOK {
			ids = append(ids, e.id)
		}
	}
	return ids
}

func (r *result) count(s Status) (n int) {
	for _, e := range r.events {
		if e.status == s {
			n++
		}
	}
	return n
}

// stream returns n in-order packets from seq/ts, one per frame, arriving at
// start + k*frame + jitter(k), ids 0..n-1, marker on the first.
func stream(n int, seq uint16, ts uint32, start time.Duration, jitter func(k int) time.Duration) []pkt {
	p := make([]pkt, n)
	for k := range p {
		p[k] = pkt{seq: seq + uint16(k), ts: ts + uint32(k*step), ssrc: 1, marker: k == 0, arr: start + time.Duration(k)*frame, id: k}
		if jitter != nil {
			p[k].arr += jitter(k)
		}
	}
	return p
}

// run ticks every frame from 0 to until: it pushes, in slice order, every
// packet that has arrived by the tick (packets must be in arrival order),
// then pops once. At the end it drains nothing: the test decides.
func run(t *testing.T, cfg Config, pkts []pkt, until time.Duration) *result {
	t.Helper()
	b, err := New[int](cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := &result{b: b}
	next := 0
	for now := time.Duration(0); now <= until; now += frame {
		for next < len(pkts) && pkts[next].arr <= now {
			p := pkts[next]
			ev, has, v := b.Push(p.seq, p.ts, p.ssrc, p.marker, p.arr, p.id)
			r.verdicts = append(r.verdicts, v)
			if v != VerdictStored && v != VerdictResync {
				r.released = append(r.released, p.id)
			}
			if has {
				r.released = append(r.released, ev)
			}
			r.drainFlushed()
			next++
		}
		id, st := b.Pop(now)
		r.drainFlushed()
		e := event{at: now, status: st, delay: b.Delay()}
		if st != StatusWaiting {
			e.seq, e.ts = b.Popped()
			if st == StatusOK {
				e.id = id
			}
		}
		r.events = append(r.events, e)
		checkAccounting(t, b)
	}
	return r
}

func (r *result) drainFlushed() {
	for {
		id, ok := r.b.Flushed()
		if !ok {
			return
		}
		r.released = append(r.released, id)
	}
}

func checkAccounting(t *testing.T, b *Buffer[int]) {
	t.Helper()
	s := b.Stats()
	out := s.Played + s.Late + s.Duplicate + s.TooEarly + s.Overflow + s.Flushed + uint64(s.Buffered)
	if s.Received != out {
		t.Fatalf("accounting: received %d != played %d + late %d + dup %d + too-early %d + overflow %d + flushed %d + buffered %d",
			s.Received, s.Played, s.Late, s.Duplicate, s.TooEarly, s.Overflow, s.Flushed, s.Buffered)
	}
	if s.Concealed != s.Lost+s.Underrun+uint64(s.Pending) {
		t.Fatalf("accounting: concealed %d != lost %d + underrun %d + pending %d", s.Concealed, s.Lost, s.Underrun, s.Pending)
	}
	if s.Buffered != b.Len() || s.Buffered > b.Config().Capacity {
		t.Fatalf("buffered %d, Len %d, capacity %d", s.Buffered, b.Len(), b.Config().Capacity)
	}
	c := b.Config()
	if s.Delay < c.Min || s.Delay > c.Max {
		t.Fatalf("delay %s outside [%s, %s]", s.Delay, c.Min, c.Max)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func ids(from, to int, skip ...int) []int {
	var out []int
next:
	for i := from; i < to; i++ {
		for _, s := range skip {
			if s == i {
				continue next
			}
		}
		out = append(out, i)
	}
	return out
}

func TestInOrderPlaysEverythingWithTheConfiguredDelay(t *testing.T) {
	for _, tc := range []struct {
		name    string
		transit time.Duration // constant network delay
		seq     uint16
		target  time.Duration
	}{
		{"aligned 40ms", 0, 0, 40 * ms},
		{"transit 7ms", 7 * ms, 1000, 40 * ms},
		{"target 100ms", 3 * ms, 50000, 100 * ms},
		{"target=min", 0, 7, 20 * ms},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.Target = tc.target
			p := stream(50, tc.seq, 12345, tc.transit, nil)
			r := run(t, cfg, p, 2*time.Second)
			if got := r.played(); !equalInts(got, ids(0, 50)) {
				t.Fatalf("played %v", got)
			}
			done := false
			for _, e := range r.events {
				if e.status != StatusOK {
					if e.status == StatusMissing && !done {
						t.Fatalf("missing at %s", e.at)
					}
					continue
				}
				done = e.id == 49 // after the last packet the buffer is dry: concealment follows
				d := e.at - p[e.id].arr
				if d < tc.target-frame/2 || d > tc.target+frame/2 {
					t.Fatalf("packet %d played %s after arrival, want %s ± %s", e.id, d, tc.target, frame/2)
				}
				if tc.transit == 0 && d != tc.target {
					t.Fatalf("packet %d played %s after arrival, want exactly %s", e.id, d, tc.target)
				}
			}
			s := r.b.Stats()
			if s.Received != 50 || s.Played != 50 || s.Lost != 0 || s.Late != 0 || s.Reordered != 0 || s.Delay != tc.target || s.Jitter != 0 ||
				s.Pending != 10 || s.Underrun != 0 {
				t.Fatalf("stats %+v", s)
			}
		})
	}
}

func TestReorderingWithinTheDelayIsCorrected(t *testing.T) {
	for _, tc := range []struct {
		name   string
		target time.Duration
		held   map[int]time.Duration // packet -> extra network delay
		want   uint64                // reordered count
	}{
		{"adjacent pair", 40 * ms, map[int]time.Duration{10: 25 * ms}, 1},
		{"behind three", 100 * ms, map[int]time.Duration{20: 75 * ms}, 1},
		{"two held", 60 * ms, map[int]time.Duration{5: 45 * ms, 6: 30 * ms}, 2},
		{"many", 40 * ms, map[int]time.Duration{3: 30 * ms, 8: 21 * ms, 15: 39 * ms, 30: 25 * ms}, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := stream(40, 100, 0, 0, func(k int) time.Duration { return tc.held[k] })
			sortByArrival(p)
			cfg := testConfig()
			cfg.Target = tc.target
			r := run(t, cfg, p, 2*time.Second)
			if got := r.played(); !equalInts(got, ids(0, 40)) {
				t.Fatalf("played %v", got)
			}
			s := r.b.Stats()
			if s.Reordered != tc.want || s.Lost != 0 || s.Late != 0 || s.Underrun != 0 {
				t.Fatalf("stats %+v, want reordered %d", s, tc.want)
			}
		})
	}
}

func sortByArrival(p []pkt) {
	for i := 1; i < len(p); i++ {
		for j := i; j > 0 && p[j].arr < p[j-1].arr; j-- {
			p[j], p[j-1] = p[j-1], p[j]
		}
	}
}

func TestDuplicatesAreDroppedAndCounted(t *testing.T) {
	p := stream(30, 10, 0, 0, nil)
	var in []pkt
	for k, x := range p {
		in = append(in, x)
		if k%7 == 3 {
			d := x
			d.id = 1000 + k
			d.arr += 5 * ms
			in = append(in, d)
		}
	}
	// keep arrival order
	for i := 1; i < len(in); i++ {
		for j := i; j > 0 && in[j].arr < in[j-1].arr; j-- {
			in[j], in[j-1] = in[j-1], in[j]
		}
	}
	r := run(t, testConfig(), in, 2*time.Second)
	if got := r.played(); !equalInts(got, ids(0, 30)) {
		t.Fatalf("played %v", got)
	}
	s := r.b.Stats()
	if s.Duplicate != 4 || s.Played != 30 {
		t.Fatalf("stats %+v", s)
	}
	dups := 0
	for _, id := range r.released {
		if id >= 1000 {
			dups++
		}
	}
	if dups != 4 || len(r.released) != 4 {
		t.Fatalf("released %v, want the 4 duplicates", r.released)
	}
}

func TestLossGivesOneMissingPerLostPacketInPlace(t *testing.T) {
	for _, tc := range []struct {
		name string
		lost []int
	}{
		{"single", []int{10}},
		{"burst of three", []int{12, 13, 14}},
		{"scattered", []int{2, 9, 17, 18, 30}},
		{"first after start", []int{1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			all := stream(40, 65000, 0, 0, nil)
			var p []pkt
			for _, x := range all {
				if !contains(tc.lost, x.id) {
					p = append(p, x)
				}
			}
			r := run(t, testConfig(), p, 2*time.Second)
			// The output, in order, is exactly packets 0..39 with the lost
			// ones replaced by one Missing each, carrying their seq and ts.
			k := 0
			for _, e := range r.events {
				if e.status == StatusWaiting || k == 40 {
					continue
				}
				want := all[k]
				if e.seq != want.seq || e.ts != want.ts {
					t.Fatalf("output %d: seq %d ts %d, want seq %d ts %d", k, e.seq, e.ts, want.seq, want.ts)
				}
				if lost := contains(tc.lost, k); lost != (e.status == StatusMissing) {
					t.Fatalf("output %d: status %s, lost=%v", k, e.status, lost)
				}
				if e.status == StatusOK && e.id != k {
					t.Fatalf("output %d: item %d", k, e.id)
				}
				// and on schedule: every output 40 ms after its nominal arrival
				if e.at != all[k].arr+40*ms {
					t.Fatalf("output %d at %s, want %s", k, e.at, all[k].arr+40*ms)
				}
				k++
			}
			if k != 40 {
				t.Fatalf("%d outputs, want 40", k)
			}
			if s := r.b.Stats(); s.Lost != uint64(len(tc.lost)) || s.Skipped != 0 || s.Underrun != 0 {
				t.Fatalf("stats %+v", s)
			}
		})
	}
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestSequenceAndTimestampWrap(t *testing.T) {
	// Starts 10 before the 16-bit sequence wrap and 800 ticks before the
	// 32-bit timestamp wrap; 65535 and 0 arrive swapped, 2 is lost.
	p := stream(40, 65526, math.MaxUint32-799, 0, nil)
	i := 9 // seq 65535
	p[i], p[i+1] = p[i+1], p[i]
	p[i].arr, p[i+1].arr = p[i+1].arr, p[i].arr
	var in []pkt
	for _, x := range p {
		if x.seq != 2 {
			in = append(in, x)
		}
	}
	r := run(t, testConfig(), in, 2*time.Second)
	if got := r.played(); !equalInts(got, ids(0, 40, 12)) {
		t.Fatalf("played %v", got)
	}
	var seqs []uint16
	for _, e := range r.events {
		if e.status != StatusWaiting {
			seqs = append(seqs, e.seq)
		}
	}
	for k, s := range seqs {
		if s != uint16(65526+k) {
			t.Fatalf("output %d has seq %d, want %d (seqs %v)", k, s, uint16(65526+k), seqs)
		}
	}
	if s := r.b.Stats(); s.Lost != 1 || s.Reordered != 1 || s.Resyncs != 0 || s.Late != 0 {
		t.Fatalf("stats %+v", s)
	}
}

func TestSSRCChangeResyncs(t *testing.T) {
	a := stream(20, 500, 1000, 0, nil)
	b := stream(20, 40000, 777777, 20*frame, nil)
	for k := range b {
		b[k].ssrc = 2
		b[k].id = 100 + k
	}
	r := run(t, testConfig(), append(a, b...), 2*time.Second)
	// The last packets of A still buffered when B's first arrives are
	// flushed; B plays in full, in order.
	s := r.b.Stats()
	if s.Resyncs != 1 || s.Flushed == 0 || s.Played+s.Flushed != 40 {
		t.Fatalf("stats %+v", s)
	}
	want := append(ids(0, 20-int(s.Flushed)), ids(100, 120)...)
	if got := r.played(); !equalInts(got, want) {
		t.Fatalf("played %v, want %v", got, want)
	}
	if r.verdicts[20] != VerdictResync {
		t.Fatalf("verdict of B's first = %s", r.verdicts[20])
	}
	if r.b.SSRC() != 2 || len(r.released) != int(s.Flushed) {
		t.Fatalf("ssrc %d released %v", r.b.SSRC(), r.released)
	}
	// B is played with the delay, from its first packet.
	for _, e := range r.events {
		if e.status == StatusOK && e.id >= 100 && e.at-b[e.id-100].arr != 40*ms {
			t.Fatalf("B packet %d played %s after arrival", e.id, e.at-b[e.id-100].arr)
		}
	}
}

func TestLatePacketsAreCountedNotPlayed(t *testing.T) {
	p := stream(30, 9, 0, 0, nil)
	// Packet 10 is held up 100 ms: by then its turn (40 ms) has passed.
	p[10].arr += 100 * ms
	for i := 10; i < len(p)-1 && p[i].arr > p[i+1].arr; i++ {
		p[i], p[i+1] = p[i+1], p[i]
	}
	r := run(t, testConfig(), p, 2*time.Second)
	if got := r.played(); !equalInts(got, ids(0, 30, 10)) {
		t.Fatalf("played %v", got)
	}
	s := r.b.Stats()
	if s.Late != 1 || s.Lost != 1 || s.Played != 29 {
		t.Fatalf("stats %+v", s)
	}
	if len(r.released) != 1 || r.released[0] != 10 {
		t.Fatalf("released %v", r.released)
	}
}

func TestJitterMatchesRFC3550(t *testing.T) {
	for _, tc := range []struct {
		name string
		rate int
		arr  func(k int, rng *rand.Rand) time.Duration // arrival offset
	}{
		{"alternating 0/30ms", 8000, func(k int, _ *rand.Rand) time.Duration { return time.Duration(k%2) * 30 * ms }},
		{"uniform 0-50ms", 8000, func(_ int, rng *rand.Rand) time.Duration { return time.Duration(rng.Int64N(int64(50 * ms))) }},
		{"48 kHz ramp", 48000, func(k int, _ *rand.Rand) time.Duration { return time.Duration(k%10) * 3 * ms }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.ClockRate = tc.rate
			b, err := New[int](cfg)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			ts := uint32(4000000000)
			stepTS := uint32(tc.rate / 50)
			type arrival struct {
				r float64 // arrival, seconds
				s uint32
			}
			var got []arrival
			for k := 0; k < 500; k++ {
				at := time.Duration(k)*frame + tc.arr(k, rng)
				s := ts + uint32(k)*stepTS
				got = append(got, arrival{at.Seconds(), s})
			}
			// Push in arrival order (as a socket would deliver them).
			order := make([]int, len(got))
			for i := range order {
				order[i] = i
			}
			for i := 1; i < len(order); i++ {
				for j := i; j > 0 && got[order[j]].r < got[order[j-1]].r; j-- {
					order[j], order[j-1] = order[j-1], order[j]
				}
			}
			// Expected J, straight from RFC 3550 section 6.4.1 / A.8, in
			// float: D(i-1,i) = (Rj-Ri) - (Sj-Si); J += (|D| - J)/16.
			var j float64
			for n := 1; n < len(order); n++ {
				cur, prev := got[order[n]], got[order[n-1]]
				d := (cur.r-prev.r)*float64(tc.rate) - float64(int32(cur.s-prev.s))
				j += (math.Abs(d) - j) / 16
			}
			for _, i := range order {
				a := got[i]
				b.Push(uint16(i), a.s, 9, false, time.Duration(a.r*float64(time.Second)+0.5), i)
				for {
					if _, ok := b.Flushed(); !ok {
						break
					}
				}
			}
			if diff := math.Abs(b.JitterTS() - j); diff > 1e-6*max(j, 1) {
				t.Fatalf("J = %.6f ticks, RFC 3550 gives %.6f", b.JitterTS(), j)
			}
			wantDur := time.Duration(j / float64(tc.rate) * float64(time.Second))
			if d := b.Jitter() - wantDur; d < -time.Microsecond || d > time.Microsecond {
				t.Fatalf("Jitter() = %s, want %s", b.Jitter(), wantDur)
			}
			if j == 0 {
				t.Fatal("pattern has no jitter")
			}
		})
	}
}

// talkspurts builds n talkspurts of `length` packets separated by `silence`
// frames (timestamps jump, sequence numbers do not), with arrival offsets
// from jit(talkspurt, k).
func talkspurts(n, length, silence int, jit func(spurt, k int) time.Duration) []pkt {
	var p []pkt
	seq, slotN := uint16(0), 0
	for s := 0; s < n; s++ {
		for k := 0; k < length; k++ {
			at := time.Duration(slotN) * frame
			p = append(p, pkt{seq: seq, ts: uint32(slotN * step), ssrc: 1, marker: k == 0, arr: at + jit(s, k), id: len(p)})
			seq++
			slotN++
		}
		slotN += silence
	}
	for i := 1; i < len(p); i++ {
		for j := i; j > 0 && p[j].arr < p[j-1].arr; j-- {
			p[j], p[j-1] = p[j-1], p[j]
		}
	}
	return p
}

func TestDelayAdaptsUpFastDownSlowlyWithinBounds(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	const low, high = 10, 20 // talkspurts of low jitter, then high, then low
	jit := func(s, _ int) time.Duration {
		if s >= low && s < low+high {
			return time.Duration(rng.Int64N(int64(60 * ms)))
		}
		return time.Duration(rng.Int64N(int64(2 * ms)))
	}
	const length, silence = 25, 15
	p := talkspurts(low+high+40, length, silence, jit)
	cfg := testConfig()
	r := run(t, cfg, p, time.Duration(len(p)+(low+high+40)*silence+100)*frame)

	// The delay per talkspurt, read when its first packet plays.
	var spurt []time.Duration
	var last time.Duration = -1
	underruns, gap := 0, false
	for _, e := range r.events {
		if e.status != StatusOK {
			gap = true // a loss or a dry buffer: the delay may rise here
			continue
		}
		if n := e.id / length; n >= len(spurt) {
			// the first packet played of talkspurt n (its marked first
			// packet may have come late)
			for len(spurt) <= n {
				spurt = append(spurt, e.delay)
			}
		} else if last >= 0 && e.delay != last {
			if !gap || e.delay < last {
				t.Fatalf("delay changed mid-talkspurt at %s: %s -> %s", e.at, last, e.delay)
			}
			underruns++
		}
		last, gap = e.delay, false
	}
	t.Logf("%d rises at underruns", underruns)
	if len(spurt) != low+high+40 {
		t.Fatalf("%d talkspurts played", len(spurt))
	}
	t.Logf("delay per talkspurt: %v", spurt)
	calm := spurt[low-1]
	peak := slicesMax(spurt[low : low+high])
	if calm > 30*ms {
		t.Fatalf("delay with ~1ms jitter is %s, want near min", calm)
	}
	if peak < 80*ms {
		t.Fatalf("delay with 0-60ms jitter peaked at %s, want >= 80ms", peak)
	}
	// Fast increase: within two talkspurts of the jitter rising.
	if spurt[low+1] < 80*ms {
		t.Fatalf("delay two talkspurts into high jitter is %s", spurt[low+1])
	}
	// Slow decrease: never more than a quarter of the way to min per step,
	// and it does come down.
	for i := low + high; i < len(spurt); i++ {
		prev, cur := spurt[i-1], spurt[i]
		if cur > prev {
			continue
		}
		if prev-cur > (prev-cfg.Min)/4+time.Millisecond {
			t.Fatalf("talkspurt %d: delay fell %s -> %s, faster than a quarter", i, prev, cur)
		}
	}
	if end := spurt[len(spurt)-1]; end > 40*ms {
		t.Fatalf("delay %s long after jitter fell, want <= 40ms", end)
	}
	if s := r.b.Stats(); s.Played+s.Late != uint64(len(p)) {
		t.Fatalf("stats %+v", s)
	}
}

func findByID(p []pkt, id int) pkt {
	for _, x := range p {
		if x.id == id {
			return x
		}
	}
	return pkt{}
}

func slicesMax(d []time.Duration) time.Duration {
	m := d[0]
	for _, x := range d {
		m = max(m, x)
	}
	return m
}

func TestHighJitterPlaysInOrderWithFewLosses(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	p := talkspurts(40, 50, 10, func(int, int) time.Duration { return time.Duration(rng.Int64N(int64(50 * ms))) })
	r := run(t, testConfig(), p, 200*time.Second)
	prev := -1
	for _, id := range r.played() {
		if id <= prev {
			t.Fatalf("played %d after %d", id, prev)
		}
		prev = id
	}
	s := r.b.Stats()
	if s.Played < uint64(len(p))*97/100 {
		t.Fatalf("played %d of %d: %+v", s.Played, len(p), s)
	}
	t.Logf("%+v", s)
}

func TestSequenceJumpResyncsAfterProbation(t *testing.T) {
	a := stream(20, 100, 0, 0, nil)
	b := stream(20, 30000, 20*step, 20*frame, nil)
	for k := range b {
		b[k].id = 100 + k
		b[k].marker = false
	}
	r := run(t, testConfig(), append(a, b...), 2*time.Second)
	if r.verdicts[20] != VerdictTooEarly || r.verdicts[21] != VerdictResync {
		t.Fatalf("verdicts %v", r.verdicts[18:24])
	}
	s := r.b.Stats()
	if s.Resyncs != 1 || s.TooEarly != 1 {
		t.Fatalf("stats %+v", s)
	}
	got := r.played()
	if got[len(got)-1] != 119 || !equalInts(got[len(got)-19:], ids(101, 120)) {
		t.Fatalf("played %v", got)
	}
}

func TestSequenceJumpWhenEmptyResyncsAtOnce(t *testing.T) {
	a := stream(10, 100, 0, 0, nil)
	b := stream(10, 5000, 50*step, 50*frame, nil) // after a 0.8 s outage
	for k := range b {
		b[k].id = 100 + k
	}
	r := run(t, testConfig(), append(a, b...), 2*time.Second)
	if r.verdicts[10] != VerdictResync {
		t.Fatalf("verdict %s", r.verdicts[10])
	}
	if got := r.played(); !equalInts(got, append(ids(0, 10), ids(100, 110)...)) {
		t.Fatalf("played %v", got)
	}
}

func TestTimestampJumpReanchors(t *testing.T) {
	// Same SSRC, contiguous sequence numbers, but the timestamp base changes
	// (a source switch behind a relay): the schedule must follow.
	p := stream(40, 10, 0, 0, nil)
	for k := 20; k < 40; k++ {
		p[k].ts += 123456789
	}
	r := run(t, testConfig(), p, 2*time.Second)
	if got := r.played(); !equalInts(got, ids(0, 40)) {
		t.Fatalf("played %v", got)
	}
	if r.verdicts[20] != VerdictResync {
		t.Fatalf("verdict %s", r.verdicts[20])
	}
	for _, e := range r.events {
		if e.status == StatusOK && e.at-p[e.id].arr > 60*ms {
			t.Fatalf("packet %d waited %s", e.id, e.at-p[e.id].arr)
		}
	}
	if s := r.b.Stats(); s.Resyncs != 1 || s.Lost != 0 {
		t.Fatalf("stats %+v", s)
	}
}

func TestLongSilenceIsNotLoss(t *testing.T) {
	// DTX: a talkspurt, 3 s without packets (sequence numbers continue,
	// timestamps jump), then a marked talkspurt.
	p := talkspurts(2, 20, 150, func(int, int) time.Duration { return 0 })
	r := run(t, testConfig(), p, 5*time.Second)
	if got := r.played(); !equalInts(got, ids(0, 40)) {
		t.Fatalf("played %v", got)
	}
	for _, e := range r.events {
		if e.status == StatusOK && e.at-p[e.id].arr != 40*ms {
			t.Fatalf("packet %d waited %s", e.id, e.at-p[e.id].arr)
		}
	}
	if s := r.b.Stats(); s.Lost != 0 || s.Skipped != 0 || s.Resyncs != 0 {
		t.Fatalf("stats %+v", s)
	}
}

func TestLostTalkspurtStartAfterSilenceIsSkippedNotConcealed(t *testing.T) {
	p := talkspurts(2, 20, 150, func(int, int) time.Duration { return 0 })
	p = append(p[:20], p[21:]...) // the marked first packet of the second talkspurt
	r := run(t, testConfig(), p, 5*time.Second)
	if got := r.played(); !equalInts(got, ids(0, 40, 20)) {
		t.Fatalf("played %v", got)
	}
	s := r.b.Stats()
	if s.Lost+s.Skipped != 1 {
		t.Fatalf("stats %+v", s)
	}
	for _, e := range r.events {
		if e.status == StatusOK && e.at-findByID(p, e.id).arr > 60*ms {
			t.Fatalf("packet %d waited %s", e.id, e.at-findByID(p, e.id).arr)
		}
	}
}

func TestOverflowBoundsTheDepth(t *testing.T) {
	// Pops stop for 2 s (the consumer stalls) while packets keep coming.
	b, err := New[int](testConfig())
	if err != nil {
		t.Fatal(err)
	}
	var released []int
	for k := 0; k < 100; k++ {
		if ev, has, v := b.Push(uint16(k), uint32(k*step), 1, k == 0, time.Duration(k)*frame, k); has {
			released = append(released, ev)
		} else if v != VerdictStored {
			t.Fatalf("packet %d: %s", k, v)
		}
		if b.Len() > 22 {
			t.Fatalf("depth %d", b.Len())
		}
	}
	if s := b.Stats(); s.Overflow != 78 || s.Buffered != 22 || len(released) != 78 || released[0] != 0 {
		t.Fatalf("stats %+v released %v", s, released[:3])
	}
	// When pops resume, far-overdue packets are discarded, not played late.
	now := 100 * frame
	id, st := b.Pop(now)
	for {
		if _, ok := b.Flushed(); !ok {
			break
		}
	}
	if st != StatusOK || now-time.Duration(id)*frame > 200*ms+40*ms+frame {
		t.Fatalf("first pop after the stall: %d %s", id, st)
	}
	checkAccounting(t, b)
}

func TestDrainPlaysOutInOrder(t *testing.T) {
	b, err := New[int](testConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []int{0, 2, 1, 4} { // 3 is lost
		b.Push(uint16(60000+k), uint32(k*step), 5, k == 0, time.Duration(k)*ms, k)
	}
	var got []string
	for {
		id, st := b.Drain()
		if st == StatusWaiting {
			break
		}
		seq, _ := b.Popped()
		if st == StatusOK {
			got = append(got, "ok"+string(rune('0'+id)))
		} else {
			got = append(got, "missing"+string(rune('0'+int(seq-60000))))
		}
	}
	if s := strings.Join(got, " "); s != "ok0 ok1 ok2 missing3 ok4" {
		t.Fatalf("drain: %s", s)
	}
}

func TestConfigValidation(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"ok", func(*Config) {}, ""},
		{"default capacity", func(c *Config) { c.Capacity = 0 }, ""},
		{"no rate", func(c *Config) { c.ClockRate = 0 }, "clock rate"},
		{"no frame", func(c *Config) { c.FrameDuration = 0 }, "frame duration"},
		{"sub-tick frame", func(c *Config) { c.FrameDuration = time.Microsecond }, "less than one tick"},
		{"negative min", func(c *Config) { c.Min = -ms }, "negative"},
		{"max below min", func(c *Config) { c.Max = 10 * ms }, "at least min"},
		{"target above max", func(c *Config) { c.Target = time.Second }, "target"},
		{"capacity not power of two", func(c *Config) { c.Capacity = 48 }, "power of two"},
		{"capacity too small", func(c *Config) { c.Capacity = 8 }, "cannot hold"},
		{"NaN factor", func(c *Config) { c.Factor = math.NaN() }, "factor"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := testConfig()
			tc.mod(&c)
			err := c.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if _, err := New[int](c); err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if _, err := New[int](c); err == nil {
				t.Fatal("New accepted it")
			}
		})
	}
	b, _ := New[int](testConfig())
	if c := b.Config(); c.Capacity != 32 || c.Factor != DefaultFactor {
		t.Fatalf("defaults %+v", c)
	}
}

func TestPushPopAllocatesNothing(t *testing.T) {
	b, _ := New[*int](testConfig())
	x := new(int)
	k := 0
	allocs := testing.AllocsPerRun(1000, func() {
		b.Push(uint16(k), uint32(k*step), 1, false, time.Duration(k)*frame, x)
		b.Pop(time.Duration(k) * frame)
		k++
	})
	if allocs != 0 {
		t.Fatalf("%v allocs per push+pop", allocs)
	}
}

func TestBurstLongerThanMaxResumesOnSchedule(t *testing.T) {
	// 20 packets (400 ms) lost: the first 10 frames (Max) are concealed as
	// the buffer runs dry, the next 8 pass in silence, and when packets come
	// again the last two holes, now on schedule, are concealed before the
	// stream resumes on time.
	all := stream(60, 300, 0, 0, nil)
	p := append(append([]pkt(nil), all[:20]...), all[40:]...)
	r := run(t, testConfig(), p, 2*time.Second)
	if got := r.played(); !equalInts(got, append(ids(0, 20), ids(40, 60)...)) {
		t.Fatalf("played %v", got)
	}
	for _, e := range r.events {
		if e.status == StatusOK && e.at-all[e.id].arr != 40*ms {
			t.Fatalf("packet %d waited %s", e.id, e.at-all[e.id].arr)
		}
	}
	s := r.b.Stats()
	if s.Lost != 12 || s.Skipped != 8 || s.Underrun != 0 {
		t.Fatalf("stats %+v", s)
	}
}

func TestStallIsBridgedAndTheDelayRises(t *testing.T) {
	// The network holds packets 10..19 (nominally 200..380 ms) until 400 ms.
	p := stream(60, 0, 0, 0, func(k int) time.Duration {
		if k >= 10 && k < 20 {
			return 400*ms - time.Duration(k)*frame
		}
		return 0
	})
	r := run(t, testConfig(), p, 3*time.Second)
	if got := r.played(); !equalInts(got, ids(0, 60)) {
		t.Fatalf("played %v", got)
	}
	// Concealment fills 240..400 ms (the packets came at 400 ms, and the
	// schedule, anchored on the mean transit plus the new 200 ms delay, puts
	// packet 10 at 412.5 ms), then playback goes on without a gap.
	var kinds []byte
	for _, e := range r.events {
		if e.at >= 220*ms && e.at <= 420*ms {
			kinds = append(kinds, "OMW"[e.status])
		}
	}
	if string(kinds) != "OMMMMMMMMMO" {
		t.Fatalf("220..420 ms: %s", kinds)
	}
	s := r.b.Stats()
	if s.Lost != 0 || s.Late != 0 || s.Underrun != 9 || s.Delay != 200*ms {
		t.Fatalf("stats %+v", s)
	}
}

func TestReorderedBeforeTheFirstPacketIsKept(t *testing.T) {
	p := stream(20, 1000, 0, 0, nil)
	p[0].arr, p[1].arr = 5*ms, 0 // 1001 arrives first
	p[0], p[1] = p[1], p[0]
	r := run(t, testConfig(), p, time.Second)
	if got := r.played(); !equalInts(got, ids(0, 20)) {
		t.Fatalf("played %v", got)
	}
}

// BenchmarkPushPop is one packet in and one frame out of a buffer holding
// a few packets, with arrival jitter and some reordering.
func BenchmarkPushPop(b *testing.B) {
	type frameLike struct{ payload [160]byte }
	buf, err := New[*frameLike](testConfig())
	if err != nil {
		b.Fatal(err)
	}
	items := make([]*frameLike, 64)
	for i := range items {
		items[i] = new(frameLike)
	}
	var jit [64]time.Duration
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range jit {
		jit[i] = time.Duration(rng.Int64N(int64(15 * ms)))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := i
		if i%8 == 3 { // swap every 8th pair
			k = i + 1
		} else if i%8 == 4 {
			k = i - 1
		}
		now := time.Duration(i) * frame
		buf.Push(uint16(k), uint32(k*step), 1, false, now+jit[i&63], items[k&63])
		buf.Pop(now)
		for {
			if _, ok := buf.Flushed(); !ok {
				break
			}
		}
	}
}

func TestTickJitterKeepsTheCadence(t *testing.T) {
	// Due times sit just short of half a frame after the ticks, and the
	// ticks wobble by ±0.5 ms: every tick still plays one packet.
	b, err := New[int](testConfig())
	if err != nil {
		t.Fatal(err)
	}
	const transit = 9900 * time.Microsecond
	next, played := 0, 0
	for j := 0; j < 60; j++ {
		now := time.Duration(j)*frame + time.Duration(1-2*(j%2))*500*time.Microsecond
		for ; next < 50 && time.Duration(next)*frame+transit <= now; next++ {
			b.Push(uint16(next), uint32(next*step), 1, next == 0, time.Duration(next)*frame+transit, next)
		}
		id, st := b.Pop(now)
		switch {
		case st == StatusOK:
			if id != played {
				t.Fatalf("tick %d played %d, want %d", j, id, played)
			}
			played++
		case played > 0 && played < 50:
			t.Fatalf("tick %d: %s in mid-stream", j, st)
		}
	}
	if played != 50 {
		t.Fatalf("played %d", played)
	}
}
