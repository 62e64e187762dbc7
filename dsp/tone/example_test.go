package tone_test

import (
	"fmt"

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
