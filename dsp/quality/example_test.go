package quality_test

import (
	"fmt"
	"time"

	"github.com/voxgraph/voxgraph/dsp/quality"
)

func Example() {
	r, err := quality.Rate(quality.Defaults())
	if err != nil {
		panic(err)
	}
	fmt.Printf("defaults: R %.1f MOS %.2f\n", r.R, r.MOS)

	// G.711 over a WAN: 80 ms round trip, a 60 ms jitter buffer, 20 ms
	// packets, 2 % loss in bursts of two (1 in 50), concealed by PLC.
	var loss quality.LossEstimator
	for i := range 5000 {
		loss.Observe(i%100 >= 98)
	}
	pcmu, _ := quality.LookupCodec("PCMU")
	call := quality.Call{Codec: pcmu, PLC: true, PTime: 20 * time.Millisecond, RTT: 80 * time.Millisecond,
		Buffer: 60 * time.Millisecond, LossPercent: loss.LossPercent(), BurstR: loss.BurstRatio()}
	r, err = call.Rate()
	if err != nil {
		panic(err)
	}
	fmt.Printf("loss %.1f%% burst ratio %.2f Ta %v: R %.1f MOS %.2f\n",
		loss.LossPercent(), loss.BurstRatio(), call.MouthToEar(), r.R, r.MOS)
	// Output:
	// defaults: R 93.2 MOS 4.41
	// loss 2.0% burst ratio 1.96 Ta 120ms: R 83.0 MOS 4.13
}

func ExampleMOS() {
	for _, r := range []float64{-3, 50, 70, 80, 90, 93.2, 100, 110} {
		fmt.Printf("R %5.1f → MOS %.2f\n", r, quality.MOS(r))
	}
	// Output:
	// R  -3.0 → MOS 1.00
	// R  50.0 → MOS 2.58
	// R  70.0 → MOS 3.60
	// R  80.0 → MOS 4.02
	// R  90.0 → MOS 4.34
	// R  93.2 → MOS 4.41
	// R 100.0 → MOS 4.50
	// R 110.0 → MOS 4.50
}
