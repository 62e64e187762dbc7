package elements_test

import (
	"context"
	"testing"

	"github.com/voxgraph/voxgraph/graphs"
	"github.com/voxgraph/voxgraph/pipeline"
)

// benchGraph steps a graph built from line once per op, after warming the
// frame pool, and reports allocations.
func benchGraph(b *testing.B, line string, timing bool) {
	spec, err := graphs.ParseLine(line)
	if err != nil {
		b.Fatal(err)
	}
	g, err := pipeline.Build(spec, pipeline.WithTiming(timing))
	if err != nil {
		b.Fatal(err)
	}
	if err := g.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer g.Stop()
	for i := 0; i < 100; i++ {
		g.Step()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if done, err := g.Step(); done || err != nil {
			b.Fatal(done, err)
		}
	}
}

// BenchmarkPCMGraph6 is the frame path of a 6-element PCM graph: one op is
// one 20 ms frame through tone → gain → level → tee → gain → null-sink.
func BenchmarkPCMGraph6(b *testing.B) {
	benchGraph(b, "tone freqs=440,1000 ! gain db=-3 ! level ! tee ! gain db=3 ! null-sink", true)
}

// BenchmarkG711RoundTrip is one 20 ms frame through a PCMU encode and decode.
func BenchmarkG711RoundTrip(b *testing.B) {
	benchGraph(b, "tone ! encode codec=PCMU ! decode ! level ! null-sink", true)
}

// BenchmarkTeeFanout4 copies each frame to four branches.
func BenchmarkTeeFanout4(b *testing.B) {
	benchGraph(b, "tone ! tee name=t ! null-sink  t. ! null-sink  t. ! null-sink  t. ! null-sink", true)
}
