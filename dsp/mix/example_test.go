package mix_test

import (
	"fmt"

	"github.com/voxgraph/voxgraph/dsp/mix"
)

// A three-party conference tick: everybody's frame is accumulated once,
// then the total and each participant's return audio are read out.
func Example() {
	alice := []int16{1000, 30000}
	bob := []int16{2000, 30000}
	carol := []int16{-500, -20000}

	acc := make([]int32, 2)
	for _, p := range [][]int16{alice, bob, carol} {
		mix.Accumulate(acc, p)
	}
	total := make([]int16, 2)
	mix.Saturate(total, acc)
	fmt.Println("everybody:  ", total)

	ret := make([]int16, 2)
	mix.MinusOne(ret, acc, carol)
	fmt.Println("carol hears:", ret) // alice+bob, clipped
	mix.MinusOne(ret, acc, alice)
	fmt.Println("alice hears:", ret) // bob+carol, exact although the total clipped
	// Output:
	// everybody:   [2500 32767]
	// carol hears: [3000 32767]
	// alice hears: [1500 10000]
}
