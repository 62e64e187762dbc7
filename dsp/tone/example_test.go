package tone_test

import (
	"fmt"
	"math"

	"github.com/voxgraph/voxgraph/dsp/level"
	"github.com/voxgraph/voxgraph/dsp/tone"
)

func ExampleGenerator() {
	g := tone.NewGenerator(8000, []float64{1000}, 16384)
	frame := make([]int16, 8) // callers own the buffer and reuse it
	g.Fill(frame)
	fmt.Println(frame)
	g.Fill(frame) // the phase continues where the last call stopped
	fmt.Println(frame)
	// Output:
	// [0 11585 16384 11585 0 -11585 -16384 -11585]
	// [0 11585 16384 11585 0 -11585 -16384 -11585]
}

func ExampleDTMF() {
	low, high, ok := tone.DTMF('5')
	fmt.Println(low, high, ok)
	_, _, ok = tone.DTMF('x')
	fmt.Println(ok)

	g := tone.NewGenerator(8000, []float64{low, high}, 8000)
	frame := make([]int16, 160) // 20 ms
	g.Fill(frame)
	// Output:
	// 770 1336 true
	// false
}

func ExamplePower() {
	pcm := make([]int16, 800) // 100 ms at 8 kHz: bins every 10 Hz
	tone.NewGenerator(8000, []float64{1000}, level.SineAmplitude(-20)).Fill(pcm)

	p := tone.Power(pcm, 8000, 1000)
	fmt.Printf("1000 Hz: %.1f dBov, amplitude %.0f\n", level.DBov(math.Sqrt(p)), math.Sqrt(2*p))
	fmt.Printf("1100 Hz: %.1f dBov\n", level.DBov(math.Sqrt(tone.Power(pcm, 8000, 1100)))) // nothing: level.Floor
	// Output:
	// 1000 Hz: -20.0 dBov, amplitude 4634
	// 1100 Hz: -120.0 dBov
}
