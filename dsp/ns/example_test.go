package ns_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/voxgraph/voxgraph/dsp/level"
	"github.com/voxgraph/voxgraph/dsp/ns"
)

func Example() {
	s, err := ns.New(ns.Config{Rate: 16000}) // at most 18 dB off
	if err != nil {
		panic(err)
	}
	// Three seconds of white noise at -40 dBov, in 20 ms frames (two 10 ms
	// frames each): after the first second it comes out 16 to 17 dB down (the
	// gain rises over its floor where the noise's own fluctuations look
	// like a signal).
	rng := rand.New(rand.NewPCG(1, 2))
	frame := make([]int16, 2*s.FrameSize())
	var in, out float64
	for f := range 150 {
		for i := range frame {
			frame[i] = int16(328 * rng.NormFloat64())
		}
		a := level.RMS(frame)
		if err := s.Process(frame); err != nil {
			panic(err)
		}
		if f >= 50 {
			in += a * a
			out += level.RMS(frame) * level.RMS(frame)
		}
	}
	fmt.Printf("in %.0f dBov, out %.0f dBov, noise floor %.0f dBov\n",
		level.DBov(math.Sqrt(in/100)), level.DBov(math.Sqrt(out/100)), s.NoiseFloor())
	// Output:
	// in -40 dBov, out -56 dBov, noise floor -41 dBov
}
