package elements_test

import (
	"context"
	"testing"

	"github.com/voxgraph/voxgraph/graphs"
	"github.com/voxgraph/voxgraph/pipeline"
)

// FuzzBuild feeds arbitrary one-line pipelines through parsing, building
// (property parsing, port resolution, negotiation of the real elements) and,
// when they build and have no file sinks, a few ticks. Nothing may panic;
// every failure must be a positioned graph error.
func FuzzBuild(f *testing.F) {
	for _, s := range []string{
		"tone freqs=1000 duration=2s ! null-sink",
		"tone ! encode codec=PCMU ! decode ! gain db=-6 ! level ! null-sink",
		"tone ! tee name=t ! null-sink  t. ! encode codec=L16 ! decode ! null-sink",
		"tone rate=16000 ! encode codec=L16 ! decode ! null-sink",
		"tone digits=123#,*A ! level ! null-sink",
		"tone ! encode ! gain ! null-sink",
		"tone freqs=,, level=1e308 ! null-sink",
		"tone duration=-1s ! null-sink",
		"tone ! encode pt=300 ! null-sink",
		"tee ! tee",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		spec, err := graphs.ParseLine(line)
		if err != nil {
			return
		}
		for _, e := range spec.Elements {
			if e.Type == "wav-sink" || e.Type == "wav-src" {
				return // no file system side effects from fuzzing
			}
		}
		g, err := pipeline.Build(spec)
		if err != nil {
			for _, e := range pipeline.Errors(err) {
				if e.Msg == "" {
					t.Fatalf("empty error message for %q", line)
				}
			}
			return
		}
		if err := g.Start(context.Background()); err != nil {
			return
		}
		for i := 0; i < 5; i++ {
			if done, _ := g.Step(); done {
				break
			}
		}
		if err := g.Err(); err != nil && len(err.Error()) == 0 {
			t.Fatal("empty runtime error")
		}
		g.Stop()
	})
}
