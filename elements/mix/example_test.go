package mix_test

import (
	"context"
	"fmt"

	_ "github.com/voxgraph/voxgraph/elements" // tone, null-sink
	"github.com/voxgraph/voxgraph/elements/mix"
	"github.com/voxgraph/voxgraph/graphs"
	"github.com/voxgraph/voxgraph/pipeline"
)

// A three-party conference: participant N sends into mix.in_N and hears
// mix.minus_N, everybody but themselves. A fourth joins the running graph
// and leaves again without disturbing the others.
func Example() {
	spec, err := graphs.ParseLine("tone freqs=300 ! mix.in_0  tone freqs=700 ! mix.in_1  tone freqs=1300 ! mix.in_2  " +
		"mix name=mix ! null-sink  mix.minus_0 ! null-sink  mix.minus_1 ! null-sink  mix.minus_2 ! null-sink")
	if err != nil {
		fmt.Println(err)
		return
	}
	g, err := pipeline.Build(spec)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := g.Start(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	defer g.Stop()
	e, _ := g.Element("mix")
	m := e.(*mix.Mixer)
	for range 50 {
		g.Step()
	}

	// Participant 3 joins: its tone into in_3, its return audio from minus_3.
	join, _ := graphs.ParseLine("tone name=p3 freqs=2100  null-sink name=p3-ear")
	join.Links = append(join.Links,
		pipeline.LinkSpec{From: "p3", To: "mix", ToPort: "in_3"},
		pipeline.LinkSpec{From: "mix", FromPort: "minus_3", To: "p3-ear"})
	if err := g.Attach(join); err != nil {
		fmt.Println(err)
		return
	}
	for range 50 {
		g.Step()
	}
	fmt.Println(m)
	if err := g.Detach("p3", "p3-ear"); err != nil {
		fmt.Println(err)
		return
	}
	for range 50 {
		g.Step()
	}
	fmt.Println(m)
	c := m.Counters()
	fmt.Printf("ticks=%d starved=%d overflow=%d\n", c.Ticks, c.Starved, c.Overflow)
	// Output:
	// mix PCM 8000Hz mono 20ms queue=5 participants=4 minus=4
	// mix PCM 8000Hz mono 20ms queue=5 participants=3 minus=3
	// ticks=150 starved=0 overflow=0
}
