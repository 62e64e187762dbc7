package mix_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/voxgraph/voxgraph/graphs"
	"github.com/voxgraph/voxgraph/pipeline"
)

// benchConference steps a graph of n constant sources into a mix with out
// and n minus_N outputs, each to a null-sink: one op is one 20 ms tick.
func benchConference(b *testing.B, n int) {
	var line strings.Builder
	for i := range n {
		fmt.Fprintf(&line, "mixtest-src value=%d ! mix.in_%d  mix.minus_%d ! null-sink  ", 100*i, i, i)
	}
	line.WriteString("mix name=mix ! null-sink")
	spec, err := graphs.ParseLine(line.String())
	if err != nil {
		b.Fatal(err)
	}
	g, err := pipeline.Build(spec)
	if err != nil {
		b.Fatal(err)
	}
	if err := g.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer g.Stop()
	for range 100 { // warm the frame pool
		g.Step()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if done, err := g.Step(); done || err != nil {
			b.Fatal(done, err)
		}
	}
	b.StopTimer()
	if c := mixer(b, g, "mix").Counters(); c.Participants != n || c.Minus != n || c.Starved != 0 {
		b.Fatalf("counters %s", counters(c))
	}
}

// BenchmarkMix10 is one tick of a 10-participant conference: 10 sources,
// the mix with out and 10 minus outputs, 11 sinks.
func BenchmarkMix10(b *testing.B) { benchConference(b, 10) }

// BenchmarkMix3 is one tick of a 3-participant conference.
func BenchmarkMix3(b *testing.B) { benchConference(b, 3) }
