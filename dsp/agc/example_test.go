package agc_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/voxgraph/voxgraph/dsp/agc"
	"github.com/voxgraph/voxgraph/dsp/level"
)

func Example() {
	c, err := agc.New(agc.Config{Rate: 8000}) // target -18 dBov, max gain 30 dB
	if err != nil {
		panic(err)
	}
	// Six seconds of a quiet warbling tone at about -38 dBov (switched on
	// and off every 0.3 s, as words are) over noise at -70 dBov, in 10 ms
	// blocks.
	rng := rand.New(rand.NewPCG(1, 2))
	block := make([]int16, c.BlockSize())
	amp := level.SineAmplitude(-38)
	for b := range 600 {
		for i := range block {
			n := b*len(block) + i
			v := 10 * rng.NormFloat64()
			if b >= 100 && (b/30)%2 == 0 {
				f := 300 + 100*math.Sin(2*math.Pi*3*float64(n)/8000)
				v += amp * math.Sin(2*math.Pi*f*float64(n)/8000)
			}
			block[i] = int16(v)
		}
		if err := c.Process(block); err != nil {
			panic(err)
		}
	}
	fmt.Printf("speech level %.0f dBov, gain %.0f dB\n", c.Level(), c.Gain())
	// Output:
	// speech level -38 dBov, gain 20 dB
}
