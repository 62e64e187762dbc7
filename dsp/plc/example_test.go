package plc_test

import (
	"fmt"
	"math"

	"github.com/voxgraph/voxgraph/dsp/plc"
)

func Example() {
	c, err := plc.New(8000)
	if err != nil {
		panic(err)
	}
	// A 110 Hz tone (a period of 72.7 samples) in 20 ms frames; frame 5 is lost.
	frame := make([]int16, 160)
	var concealed, truth []float64
	for k := range 7 {
		for i := range frame {
			frame[i] = int16(8000 * math.Sin(2*math.Pi*110*float64(k*160+i)/8000))
		}
		if k == 5 {
			for _, v := range frame {
				truth = append(truth, float64(v))
			}
			c.Conceal(frame) // instead of the frame that never came
			for _, v := range frame {
				concealed = append(concealed, float64(v))
			}
			continue
		}
		c.Good(frame) // fades out of the concealment when one came before
	}
	var errSum, sigSum float64
	for i := range 80 { // the first 10 ms: full level
		errSum += (concealed[i] - truth[i]) * (concealed[i] - truth[i])
		sigSum += truth[i] * truth[i]
	}
	fmt.Printf("pitch %d samples, first 10 ms SNR %.0f dB\n", c.Pitch(), 10*math.Log10(sigSum/errSum))
	// Output:
	// pitch 73 samples, first 10 ms SNR 30 dB
}
