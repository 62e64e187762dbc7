package jitter

import (
	"testing"
	"time"
)

// fuzzReader hands out bytes of the fuzz input, zeros once it runs out.
type fuzzReader struct{ data []byte }

func (r *fuzzReader) byte() byte {
	if len(r.data) == 0 {
		return 0
	}
	c := r.data[0]
	r.data = r.data[1:]
	return c
}

// FuzzPushPop drives a buffer with arbitrary pushes (sequence numbers near
// or far from the last, timestamps that follow or jump, SSRC changes,
// arrival times before or after now), pops at arbitrary times, drains and
// resets. Nothing may panic, and at every step: each item comes back at most
// once and only if the buffer holds it, the counters account for every
// packet and every concealment frame, played sequence numbers increase
// within a stream, and the delay stays within [Min, Max].
func FuzzPushPop(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 1, 0, 2, 1, 0, 0, 0, 3, 1, 5, 4})
	f.Add([]byte{10, 0xff, 0xfe, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	f.Add([]byte("\x02\x80\x00reorder\x00\x01\xff\x05\x40\x40\x40\x40pop pop pop\x99\x99"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := &fuzzReader{data}
		cfgs := []Config{
			{ClockRate: 8000, FrameDuration: 20 * ms, Min: 0, Max: 100 * ms, Target: 20 * ms, Capacity: 8},
			testConfig(),
			{ClockRate: 48000, FrameDuration: 10 * ms, Min: 10 * ms, Max: 60 * ms, Factor: 1.5},
		}
		cfg := cfgs[int(r.byte())%len(cfgs)]
		b, err := New[int](cfg)
		if err != nil {
			t.Fatal(err)
		}
		cfg = b.Config()
		tsStep := uint32(int64(cfg.ClockRate) * int64(cfg.FrameDuration) / int64(time.Second))
		inside := map[int]bool{}
		give := func(id int, what string) {
			if !inside[id] {
				t.Fatalf("%s item %d that the buffer does not hold", what, id)
			}
			delete(inside, id)
		}
		drainFlushed := func() {
			for {
				id, ok := b.Flushed()
				if !ok {
					return
				}
				give(id, "flushed")
			}
		}
		var (
			now        time.Duration
			cursor            = uint16(r.byte())<<8 | uint16(r.byte())
			tsBase            = uint32(r.byte()) << 24
			ssrc       uint32 = 1
			id         int
			lastSeq    uint16
			havePlayed bool
			resyncs    uint64
		)
		check := func() {
			s := b.Stats()
			if s.Received != s.Played+s.Late+s.Duplicate+s.TooEarly+s.Overflow+s.Flushed+uint64(s.Buffered) {
				t.Fatalf("packet accounting: %+v", s)
			}
			if s.Concealed != s.Lost+s.Underrun+uint64(s.Pending) {
				t.Fatalf("concealment accounting: %+v", s)
			}
			if s.Buffered != len(inside) || s.Buffered > cfg.Capacity {
				t.Fatalf("buffered %d, holding %d items, capacity %d", s.Buffered, len(inside), cfg.Capacity)
			}
			if s.Delay < cfg.Min || s.Delay > cfg.Max {
				t.Fatalf("delay %s outside [%s, %s]", s.Delay, cfg.Min, cfg.Max)
			}
			if s.Resyncs != resyncs {
				resyncs, havePlayed = s.Resyncs, false
			}
		}
		played := func(st Status) {
			if st == StatusWaiting {
				return
			}
			seq, _ := b.Popped()
			if st != StatusOK {
				return
			}
			if havePlayed && int16(seq-lastSeq) <= 0 {
				t.Fatalf("played seq %d after %d", seq, lastSeq)
			}
			lastSeq, havePlayed = seq, true
		}
		for n := 0; len(r.data) > 0 && n < 2000; n++ {
			op := r.byte()
			switch {
			case op < 160: // push
				d := int8(r.byte())
				flags := r.byte()
				seq := cursor
				switch {
				case flags&0xc0 == 0xc0: // far away
					seq = cursor + uint16(d)*256
				case d%4 == 0:
					cursor++
				default:
					seq = cursor + uint16(d/4) // reordered or ahead
				}
				ts := tsBase + uint32(seq)*tsStep
				if flags&0x20 != 0 {
					ts += uint32(r.byte()) << 16 // timestamp jump
				}
				if flags&0x30 == 0x30 {
					ssrc++
				}
				arrival := now + time.Duration(int8(r.byte()))*ms
				id++
				ev, has, v := b.Push(seq, ts, ssrc, flags&1 != 0, arrival, id)
				if v == VerdictStored || v == VerdictResync {
					inside[id] = true
				}
				if has {
					give(ev, "evicted")
				}
				drainFlushed()
			case op < 230: // pop one frame period later (or a few)
				now += cfg.FrameDuration * time.Duration(1+op%3)
				it, st := b.Pop(now)
				drainFlushed()
				if st == StatusOK {
					give(it, "played")
				}
				check() // notes a resync before the order is judged
				played(st)
			case op < 245: // pop at an arbitrary time
				now += time.Duration(r.byte()) * ms
				it, st := b.Pop(now)
				drainFlushed()
				if st == StatusOK {
					give(it, "played")
				}
				check()
				played(st)
			case op < 252: // end of stream
				for {
					it, st := b.Drain()
					if st == StatusWaiting {
						break
					}
					if st == StatusOK {
						give(it, "drained")
					}
					check()
					played(st)
				}
				if b.Len() != 0 {
					t.Fatalf("drained, %d left", b.Len())
				}
			default:
				b.Reset()
				drainFlushed()
				havePlayed = false
			}
			check()
		}
		// Liveness: with time going on, whatever is buffered plays out.
		for i := 0; b.Len() > 0; i++ {
			if i > 400 {
				t.Fatalf("%d packets still buffered after %d pops", b.Len(), i)
			}
			now += cfg.FrameDuration
			it, st := b.Pop(now)
			drainFlushed()
			if st == StatusOK {
				give(it, "played")
			}
			check()
			played(st)
		}
		b.Reset()
		drainFlushed()
		if len(inside) != 0 {
			t.Fatalf("%d items never came back", len(inside))
		}
		check()
	})
}
