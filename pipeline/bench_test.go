package pipeline_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/voxgraph/voxgraph/pipeline"
)

// BenchmarkRuntimeOverhead measures what the runtime itself costs per element
// per frame: a source and N no-op pass elements and a sink, stepped once per
// op, so ns/op divided by the number of elements is the per-element overhead
// of dispatch, counters and (with timing) the latency histogram.
func BenchmarkRuntimeOverhead(b *testing.B) {
	for _, timing := range []bool{false, true} {
		for _, n := range []int{1, 6, 16} {
			b.Run(fmt.Sprintf("timing=%v/elements=%d", timing, n+2), func(b *testing.B) {
				elems := []string{"src:seq-src count=0"}
				var links []string
				prev := "src"
				for i := 0; i < n; i++ {
					name := fmt.Sprintf("p%d", i)
					elems = append(elems, name+":pass")
					links = append(links, prev+" -> "+name)
					prev = name
				}
				elems = append(elems, "sink:drop")
				links = append(links, prev+" -> sink")
				g, err := pipeline.Build(spec(elems, links...), pipeline.WithRegistry(testRegistry()), pipeline.WithTiming(timing))
				if err != nil {
					b.Fatal(err)
				}
				if err := g.Start(context.Background()); err != nil {
					b.Fatal(err)
				}
				defer g.Stop()
				for i := 0; i < 100; i++ { // warm the pool
					g.Step()
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if done, err := g.Step(); done || err != nil {
						b.Fatal(done, err)
					}
				}
				b.StopTimer()
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n+2), "ns/element")
			})
		}
	}
}

func BenchmarkHistogramRecord(b *testing.B) {
	var h pipeline.Histogram
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		h.Record(1234)
	}
}
