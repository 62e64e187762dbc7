package level_test

import (
	"fmt"
	"math"

	"github.com/voxgraph/voxgraph/dsp/level"
)

func Example() {
	// A 1 kHz sine at -20 dBov, sampled at 8 kHz.
	a := level.SineAmplitude(-20)
	pcm := make([]int16, 160)
	for i := range pcm {
		pcm[i] = int16(math.Round(a * math.Sin(2*math.Pi*float64(i)/8+math.Pi/8)))
	}
	fmt.Printf("amplitude %.1f, peak %d, level %.2f dBov\n", a, level.Peak(pcm), level.DBov(level.RMS(pcm)))
	fmt.Println(level.DBov(level.RMS(make([]int16, 160))))
	// Output:
	// amplitude 4634.1, peak 4281, level -20.00 dBov
	// -120
}
