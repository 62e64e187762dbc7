package resample_test

import (
	"fmt"
	"log"
	"math"

	"github.com/voxgraph/voxgraph/dsp/resample"
)

// Example converts a 1 kHz tone from 8 to 16 kHz in 20 ms frames. Each
// frame of 160 samples becomes exactly 320; the tone comes out at the same
// level, 4 ms (64 output samples) late. The first frame holds the filter's
// start-up: the tone's abrupt onset overshoots a little.
func Example() {
	r, err := resample.New(8000, 16000, 1, resample.Medium)
	if err != nil {
		log.Fatal(err)
	}
	in := make([]int16, 160)                   // 20 ms at 8 kHz
	out := make([]int16, r.MaxOutput(len(in))) // allocated once
	for frame := range 3 {
		for i := range in {
			in[i] = int16(math.Round(10000 * math.Sin(2*math.Pi*1000*float64(frame*160+i)/8000)))
		}
		n, err := r.Process(out, in)
		if err != nil {
			log.Fatal(err)
		}
		peak := 0
		for _, v := range out[:n] {
			peak = max(peak, int(v), -int(v))
		}
		fmt.Printf("frame %d: %d samples in, %d out, peak %d\n", frame, len(in), n, peak)
	}
	fmt.Println("delay:", r.Delay(), "=", r.DelayFrames(), "samples at", r.OutRate(), "Hz")
	// Output:
	// frame 0: 160 samples in, 320 out, peak 10149
	// frame 1: 160 samples in, 320 out, peak 10000
	// frame 2: 160 samples in, 320 out, peak 10000
	// delay: 4ms = 64 samples at 16000 Hz
}

// ExampleResampler_Process_inPlace downsamples stereo 48 kHz to 16 kHz in
// the input's own buffer, which is allowed when the rate goes down.
func ExampleResampler_Process_inPlace() {
	r, err := resample.New(48000, 16000, 2, resample.High)
	if err != nil {
		log.Fatal(err)
	}
	buf := make([]int16, 2*960) // 20 ms of stereo at 48 kHz
	for i := range 960 {
		buf[2*i] = 1000 // left: DC
		buf[2*i+1] = -1000
	}
	n, err := r.Process(buf, buf)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(n, "samples;", "last frame L/R:", buf[n-2], buf[n-1])
	// Output:
	// 640 samples; last frame L/R: 1000 -1000
}
