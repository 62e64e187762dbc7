package aec_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/voxgraph/voxgraph/dsp/aec"
)

// BenchmarkProcess times one 10 ms block (far-end talk and its echo) with
// the default 250 ms tail, delay estimation and suppression, in steady
// state.
func BenchmarkProcess(b *testing.B) {
	for _, rate := range []int{8000, 16000} {
		for _, tail := range []time.Duration{aec.DefaultTail, aec.MaxTail} {
			b.Run(fmt.Sprintf("%dHz/tail=%s", rate, tail), func(b *testing.B) {
				h := room(rate, 200*time.Millisecond, 50*time.Millisecond, 10, 5)
				s := makeScene(rate, 4*time.Second, h, -20, 0)
				c, err := aec.New(aec.Config{Rate: rate, Tail: tail})
				if err != nil {
					b.Fatal(err)
				}
				n := c.BlockSize()
				out := make([]int16, n)
				blocks := len(s.mic) / n
				for i := range blocks { // converge first
					c.Process(s.mic[i*n:(i+1)*n], s.far[i*n:(i+1)*n], out)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := range b.N {
					j := 100 + i%(blocks-100) // talk, not the lead-in pause
					if err := c.Process(s.mic[j*n:(j+1)*n], s.far[j*n:(j+1)*n], out); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Seconds())/float64(b.N)*100, "s/audio-s")
			})
		}
	}
}
