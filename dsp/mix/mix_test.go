package mix

import (
	"math"
	"math/rand/v2"
	"testing"
)

// refSum is the reference: the exact sum in int64, clamped.
func refSum(i int, srcs [][]int16, skip int) int16 {
	var v int64
	for k, s := range srcs {
		if k != skip && i < len(s) {
			v += int64(s[i])
		}
	}
	return int16(max(math.MinInt16, min(math.MaxInt16, v)))
}

func TestSaturation(t *testing.T) {
	tests := []struct {
		name  string
		srcs  [][]int16
		total []int16
		minus [][]int16 // minus[k]: everybody except srcs[k]
	}{
		{
			name:  "no clipping",
			srcs:  [][]int16{{100, -200, 0}, {1, 2, 3}},
			total: []int16{101, -198, 3},
			minus: [][]int16{{1, 2, 3}, {100, -200, 0}},
		},
		{
			name:  "total clips high, minus-one exact",
			srcs:  [][]int16{{30000, 32767}, {30000, 32767}, {-1000, 1}},
			total: []int16{32767, 32767},
			minus: [][]int16{{29000, 32767}, {29000, 32767}, {32767, 32767}},
		},
		{
			name:  "total clips low, minus-one exact",
			srcs:  [][]int16{{-32768, -20000}, {-32768, -20000}, {100, 30000}},
			total: []int16{-32768, -10000},
			minus: [][]int16{{-32668, 10000}, {-32668, 10000}, {-32768, -32768}},
		},
		{
			name:  "extremes cancel",
			srcs:  [][]int16{{32767, -32768}, {-32768, 32767}},
			total: []int16{-1, -1},
			minus: [][]int16{{-32768, 32767}, {32767, -32768}},
		},
		{
			name:  "single participant hears silence",
			srcs:  [][]int16{{12345, -32768}},
			total: []int16{12345, -32768},
			minus: [][]int16{{0, 0}},
		},
		{
			name:  "short frame is silence past its end",
			srcs:  [][]int16{{10, 20, 30}, {5}},
			total: []int16{15, 20, 30},
			minus: [][]int16{{5, 0, 0}, {10, 20, 30}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := len(tt.total)
			acc := make([]int32, n)
			for _, s := range tt.srcs {
				Accumulate(acc, s)
			}
			got := make([]int16, n)
			if w := Saturate(got, acc); w != n {
				t.Fatalf("Saturate wrote %d, want %d", w, n)
			}
			if !equal(got, tt.total) {
				t.Errorf("total = %v, want %v", got, tt.total)
			}
			for k, s := range tt.srcs {
				if w := MinusOne(got, acc, s); w != n {
					t.Fatalf("MinusOne wrote %d, want %d", w, n)
				}
				if !equal(got, tt.minus[k]) {
					t.Errorf("minus %d = %v, want %v", k, got, tt.minus[k])
				}
			}
			sum := make([]int16, n)
			Sum(sum, make([]int32, n), tt.srcs...)
			if !equal(sum, tt.total) {
				t.Errorf("Sum = %v, want %v", sum, tt.total)
			}
		})
	}
}

// TestExact compares total and every minus-one with the int64 reference on
// random frames, loud enough that most totals clip and quiet enough that
// many do not.
func TestExact(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, parties := range []int{1, 2, 3, 5, 10, 40} {
		for _, amp := range []int{100, 8000, 32768} {
			const n = 160
			srcs := make([][]int16, parties)
			for k := range srcs {
				srcs[k] = make([]int16, n)
				for i := range srcs[k] {
					srcs[k][i] = int16(r.IntN(2*amp) - amp)
				}
			}
			acc := make([]int32, n)
			for _, s := range srcs {
				Accumulate(acc, s)
			}
			out := make([]int16, n)
			Saturate(out, acc)
			for i := range out {
				if want := refSum(i, srcs, -1); out[i] != want {
					t.Fatalf("%d parties amp %d: total[%d] = %d, want %d", parties, amp, i, out[i], want)
				}
			}
			for k := range srcs {
				MinusOne(out, acc, srcs[k])
				for i := range out {
					if want := refSum(i, srcs, k); out[i] != want {
						t.Fatalf("%d parties amp %d: minus %d [%d] = %d, want %d", parties, amp, k, i, out[i], want)
					}
				}
			}
		}
	}
}

// TestMaxParticipants: the accumulator holds MaxParticipants full-scale
// streams in both directions without wrapping.
func TestMaxParticipants(t *testing.T) {
	acc := []int32{0, 0}
	for range MaxParticipants {
		Accumulate(acc, []int16{math.MinInt16, math.MaxInt16})
	}
	if acc[0] != MaxParticipants*math.MinInt16 || acc[1] != MaxParticipants*math.MaxInt16 {
		t.Fatalf("acc = %v", acc)
	}
	out := make([]int16, 2)
	MinusOne(out, acc, []int16{math.MinInt16, math.MaxInt16})
	if out[0] != math.MinInt16 || out[1] != math.MaxInt16 {
		t.Fatalf("minus = %v", out)
	}
}

func TestAccumulateTooLongPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for pcm longer than acc")
		}
	}()
	Accumulate(make([]int32, 2), make([]int16, 3))
}

func TestNoAllocs(t *testing.T) {
	acc := make([]int32, 160)
	a, b, c := make([]int16, 160), make([]int16, 160), make([]int16, 160)
	if n := testing.AllocsPerRun(100, func() {
		clear(acc)
		Accumulate(acc, a)
		Accumulate(acc, b)
		Saturate(c, acc)
		MinusOne(c, acc, a)
		Sum(c, acc, a, b)
	}); n != 0 {
		t.Fatalf("%v allocs per run, want 0", n)
	}
}

func equal(a, b []int16) bool {
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

func frames(parties, n int) [][]int16 {
	r := rand.New(rand.NewPCG(3, 4))
	srcs := make([][]int16, parties)
	for k := range srcs {
		srcs[k] = make([]int16, n)
		for i := range srcs[k] {
			srcs[k][i] = int16(r.IntN(20000) - 10000)
		}
	}
	return srcs
}

func BenchmarkAccumulate(b *testing.B) {
	acc, src := make([]int32, 160), frames(1, 160)[0]
	b.ReportAllocs()
	b.SetBytes(2 * 160)
	for b.Loop() {
		Accumulate(acc, src)
	}
}

func BenchmarkMinusOne(b *testing.B) {
	acc, src, dst := make([]int32, 160), frames(1, 160)[0], make([]int16, 160)
	Accumulate(acc, src)
	b.ReportAllocs()
	b.SetBytes(2 * 160)
	for b.Loop() {
		MinusOne(dst, acc, src)
	}
}

// BenchmarkConference10 is one 20 ms tick of a 10-party 8 kHz conference:
// ten frames accumulated, the total and ten minus-ones produced.
func BenchmarkConference10(b *testing.B) {
	const n = 160
	srcs := frames(10, n)
	acc, total := make([]int32, n), make([]int16, n)
	minus := frames(10, n)
	b.ReportAllocs()
	for b.Loop() {
		clear(acc)
		for _, s := range srcs {
			Accumulate(acc, s)
		}
		Saturate(total, acc)
		for k, s := range srcs {
			MinusOne(minus[k], acc, s)
		}
	}
}
