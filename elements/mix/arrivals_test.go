package mix

import (
	"testing"
	"time"
)

// TestArrivals checks that the mix stamps its output with the arrival of
// the oldest audio it plays, across reframing, drops and the ring's wrap.
func TestArrivals(t *testing.T) {
	type op struct {
		push    int           // samples pushed (0: take instead)
		at      time.Duration // arrival of pushed samples
		take    int           // samples taken
		want    time.Duration // oldest() before the op
		checkAt bool
	}
	tests := []struct {
		name string
		ops  []op
	}{
		{"empty", []op{{take: 160, want: 0, checkAt: true}}},
		{"fifo", []op{{push: 160, at: 10}, {push: 160, at: 30}, {take: 160, want: 10, checkAt: true}, {take: 160, want: 30, checkAt: true}, {take: 1, want: 0, checkAt: true}}},
		{"reframe", []op{{push: 240, at: 10}, {push: 240, at: 40}, {take: 160, want: 10, checkAt: true}, {take: 160, want: 10, checkAt: true}, {take: 160, want: 40, checkAt: true}}},
		{"lost frame", []op{{push: 160, at: 0}, {push: 160, at: 50}, {take: 160, want: 0, checkAt: true}, {take: 160, want: 50, checkAt: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a arrivals
			for i, o := range tt.ops {
				if o.checkAt {
					if got := a.oldest(); got != o.want {
						t.Fatalf("op %d: oldest = %v, want %v", i, got, o.want)
					}
				}
				if o.push > 0 {
					a.push(o.push, o.at)
				} else {
					a.take(o.take)
				}
			}
		})
	}
	t.Run("wrap", func(t *testing.T) {
		var a arrivals
		for i := 1; i <= 3*arrivalSlots; i++ {
			a.push(160, time.Duration(i))
			if i > arrivalSlots/2 {
				want := time.Duration(i - arrivalSlots/2 + 1)
				a.take(160)
				if got := a.oldest(); got != want {
					t.Fatalf("push %d: oldest = %v, want %v", i, got, want)
				}
			}
		}
	})
}
