package vad_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/voxgraph/voxgraph/dsp/vad"
)

func Example() {
	d, err := vad.New(vad.Config{Rate: 8000, Hangover: 200 * time.Millisecond}) // 10 ms onset, 3.5 dB threshold
	if err != nil {
		panic(err)
	}
	// Two seconds of noise at -50 dBov with a 440 Hz tone at -20 dBov
	// from 1.0 to 1.5 s, in 20 ms frames (two 10 ms blocks each).
	rng := rand.New(rand.NewPCG(1, 1))
	frame := make([]int16, 160)
	speech := false
	for f := range 100 {
		for i := range frame {
			n := f*len(frame) + i
			v := 104 * rng.NormFloat64()
			if n >= 8000 && n < 12000 {
				v += 4634 * math.Sin(2*math.Pi*440*float64(n)/8000)
			}
			frame[i] = int16(v)
		}
		if s := d.ProcessFrame(frame); s != speech {
			speech = s
			fmt.Printf("%v: speech %v\n", time.Duration(f)*20*time.Millisecond, s)
		}
	}
	fmt.Printf("noise floor %.0f dBov\n", d.NoiseFloor()) // a minimum: under the mean
	// Output:
	// 1s: speech true
	// 1.7s: speech false
	// noise floor -51 dBov
}
