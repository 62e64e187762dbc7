package pipeline_test

import (
	"context"
	"fmt"

	_ "github.com/voxgraph/voxgraph/elements"
	"github.com/voxgraph/voxgraph/graphs"
	"github.com/voxgraph/voxgraph/pipeline"
)

// Build a graph from the one-line syntax, run it to end-of-stream and read
// the per-element statistics.
func ExampleBuild() {
	spec, err := graphs.ParseLine("tone freqs=1000 duration=1s ! encode codec=PCMA ! decode ! level name=meter ! null-sink")
	if err != nil {
		fmt.Println(err)
		return
	}
	g, err := pipeline.Build(spec)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := g.Run(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	for _, l := range g.Links() {
		fmt.Printf("%s -> %s: %s\n", l.From, l.To, l.Format)
	}
	for _, s := range g.Stats() {
		if s.Name == "meter" {
			fmt.Printf("%s received %d frames; average level %.0f dBov\n", s.Name, s.In, s.Extra[3].Value)
		}
	}
	// Output:
	// tone0 -> encode0: PCM 8000Hz mono 20ms
	// encode0 -> decode0: PCMA/8000 pt=8 20ms
	// decode0 -> meter: PCM 8000Hz mono 20ms
	// meter -> null-sink0: PCM 8000Hz mono 20ms
	// meter received 50 frames; average level -10 dBov
}

// A build error names the file position, both ends of the bad link, both
// formats, and how to fix it.
func ExampleBuild_formatMismatch() {
	spec, _ := graphs.ParseLine("tone ! encode codec=PCMU ! gain db=6 ! null-sink")
	_, err := pipeline.Build(spec)
	fmt.Println(err)
	// Output:
	// <pipeline>:1:28: cannot link encode0.out to gain0.in: gain (port in) wants PCM audio, gets PCMU/8000 pt=0 20ms (insert decode between encode0 and gain0)
}
