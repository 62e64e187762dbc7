package pcmq

import (
	"fmt"
	"testing"
)

// TestQueueRing exercises the ring directly: wrap-around, partial frames,
// overflow in whole frames, silence and flush.
func TestQueueRing(t *testing.T) {
	seq := func(from, n int) []int16 {
		s := make([]int16, n)
		for i := range s {
			s[i] = int16(from + i)
		}
		return s
	}
	type op struct {
		push    []int16 // nil: pop
		silence bool
		flush   bool
		want    []int16 // popped frame; nil: pop fails
		dropped int
	}
	tests := []struct {
		name   string
		frames int
		ops    []op
	}{
		{"fifo", 3, []op{
			{push: seq(1, 4)}, {push: seq(5, 4)},
			{want: seq(1, 4)}, {want: seq(5, 4)}, {want: nil},
		}},
		{"wraps around", 2, []op{
			{push: seq(1, 4)}, {want: seq(1, 4)}, {push: seq(5, 6)}, // 5..10 wraps
			{want: seq(5, 4)}, {push: seq(11, 2)}, {want: seq(9, 4)}, {want: nil},
		}},
		{"partial frame waits", 2, []op{
			{push: seq(1, 2)}, {want: nil}, {push: seq(3, 2)}, {want: seq(1, 4)},
		}},
		{"overflow drops oldest frame", 2, []op{
			{push: seq(1, 4)}, {push: seq(5, 4)}, {push: seq(9, 4), dropped: 1},
			{want: seq(5, 4)}, {want: seq(9, 4)}, {want: nil},
		}},
		{"push larger than the ring keeps the newest", 2, []op{
			{push: seq(1, 4)}, {push: seq(5, 12), dropped: 2}, // 4 queued + 4 pushed samples lost,
			{want: seq(9, 4)}, {want: seq(13, 4)}, {want: nil},
		}},
		{"silence", 2, []op{
			{push: seq(1, 2)}, {silence: true}, {want: []int16{1, 2, 0, 0}}, {silence: true},
			{silence: true, dropped: 1}, {want: []int16{0, 0, 0, 0}}, {want: nil}, // 2 samples left
		}},
		{"flush pads", 2, []op{
			{push: seq(1, 6)}, {want: seq(1, 4)}, {flush: true, want: []int16{5, 6, 0, 0}}, {flush: true, want: nil},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := New(tt.frames, 4)
			for i, o := range tt.ops {
				switch {
				case o.push != nil || o.silence:
					var d int
					if o.silence {
						d = q.PushSilence()
					} else {
						d = q.Push(o.push)
					}
					if d != o.dropped {
						t.Fatalf("op %d: dropped %d, want %d", i, d, o.dropped)
					}
				default:
					dst := make([]int16, 4)
					ok := q.Pop(dst)
					if o.flush {
						ok = q.Flush(dst)
					}
					if ok != (o.want != nil) || ok && fmt.Sprint(dst) != fmt.Sprint(o.want) {
						t.Fatalf("op %d: got %v %v, want %v", i, ok, dst, o.want)
					}
				}
			}
		})
	}
}
