package elements_test

import (
	"context"
	"fmt"

	"github.com/voxgraph/voxgraph/dsp/dtmf"
	"github.com/voxgraph/voxgraph/elements"
	"github.com/voxgraph/voxgraph/graphs"
	"github.com/voxgraph/voxgraph/pipeline"
)

// A graph that finds the digits a tone source plays and reports them to Go.
func ExampleDTMFDetect_OnDigit() {
	spec, err := graphs.ParseLine("tone digits=42# digit-on=80ms digit-off=120ms level=-15 ! dtmf-detect name=d ! null-sink")
	if err != nil {
		panic(err)
	}
	g, err := pipeline.Build(spec)
	if err != nil {
		panic(err)
	}
	d, _ := g.Element("d")
	d.(*elements.DTMFDetect).OnDigit(func(e dtmf.Event) {
		fmt.Printf("%c at %.2f s for %.2f s\n", e.Digit, e.Start.Seconds(), e.Duration.Seconds())
	})
	if err := g.Run(context.Background()); err != nil {
		panic(err)
	}
	// Output:
	// 4 at 0.00 s for 0.08 s
	// 2 at 0.20 s for 0.08 s
	// # at 0.40 s for 0.08 s
}
