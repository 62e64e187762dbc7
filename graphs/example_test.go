package graphs_test

import (
	"fmt"

	"github.com/voxgraph/voxgraph/graphs"
)

func ExampleParseLine() {
	spec, err := graphs.ParseLine(`tone freqs=350,440 level=-10 ! tee name=t ! wav-sink path="my file.wav"  t.out_1 ! null-sink`)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range spec.Elements {
		fmt.Printf("%s (%s)", e.Name, e.Type)
		for _, p := range e.Props {
			fmt.Printf(" %s=%q", p.Key, p.Value)
		}
		fmt.Println()
	}
	for _, l := range spec.Links {
		fmt.Println(l, "at", l.Pos)
	}
	fmt.Println(graphs.FormatLine(spec))

	_, err = graphs.ParseLine("tone name=src ! wav-sink path=a.wav  srx. ! null-sink")
	fmt.Println(err)
	// Output:
	// tone0 (tone) freqs="350,440" level="-10"
	// t (tee)
	// wav-sink0 (wav-sink) path="my file.wav"
	// null-sink0 (null-sink)
	// tone0 -> t at <pipeline>:1:1
	// t -> wav-sink0 at <pipeline>:1:32
	// t.out_1 -> null-sink0 at <pipeline>:1:74
	// tone name=tone0 freqs=350,440 level=-10 ! tee name=t ! wav-sink name=wav-sink0 path="my file.wav" t.out_1 ! null-sink name=null-sink0
	// <pipeline>:1:38: no element named "srx" (did you mean "src"?)
}
