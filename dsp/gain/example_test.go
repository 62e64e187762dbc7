package gain_test

import (
	"fmt"

	"github.com/voxgraph/voxgraph/dsp/gain"
)

func ExampleApply() {
	pcm := []int16{1000, -1000, 20000, -20000}
	gain.Apply(pcm, gain.FromDB(6)) // about ×1.995, saturating
	fmt.Println(pcm)
	gain.Apply(pcm, 0.5)
	fmt.Println(pcm)
	// Output:
	// [1995 -1995 32767 -32768]
	// [998 -997 16384 -16384]
}
