package aec_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/voxgraph/voxgraph/dsp/aec"
)

func Example() {
	c, err := aec.New(aec.Config{Rate: 8000}) // 250 ms tail, delay search up to 500 ms
	if err != nil {
		panic(err)
	}
	// Six seconds of far end, noise bursts of half a second, and the
	// microphone hearing them 50 ms later at a third of the level, with a
	// reflection 15 ms after that.
	rng := rand.New(rand.NewPCG(1, 2))
	far, mic := make([]int16, 6*8000), make([]int16, 6*8000)
	for i := range far {
		if i/4000%2 == 0 {
			far[i] = int16(3000 * rng.NormFloat64())
		}
		if i >= 520 {
			mic[i] = int16(0.33*float64(far[i-400]) - 0.15*float64(far[i-520]))
		}
	}
	n := c.BlockSize()
	out := make([]int16, len(mic))
	for i := 0; i+n <= len(mic); i += n {
		if err := c.Process(mic[i:i+n], far[i:i+n], out[i:i+n]); err != nil {
			panic(err)
		}
	}
	// The output lags by c.Latency() samples; compare the last two seconds.
	var em, eo float64
	for i := 4 * 8000; i < len(mic)-c.Latency(); i++ {
		em += float64(mic[i]) * float64(mic[i])
		eo += float64(out[i+c.Latency()]) * float64(out[i+c.Latency()])
	}
	fmt.Println("echo 30 dB down or more:", 10*math.Log10(em/(eo+1)) >= 30)
	fmt.Println("echo delay:", c.Stats().EchoDelay)
	// Output:
	// echo 30 dB down or more: true
	// echo delay: 50ms
}
