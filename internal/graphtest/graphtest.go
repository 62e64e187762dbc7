// Package graphtest holds the plumbing that tests of elements share:
// building graphs from text, running them, and reading and writing WAV files,
// each failing the test with a clear message instead of returning errors.
// Tests still import the elements they use (a blank import of
// github.com/voxgraph/voxgraph/elements registers the built-in ones).
package graphtest

import (
	"context"
	"log/slog"
	"testing"

	"github.com/voxgraph/voxgraph/dsp/wav"
	"github.com/voxgraph/voxgraph/graphs"
	"github.com/voxgraph/voxgraph/pipeline"
)

// Quiet is a build option that discards the graph's logs.
var Quiet = pipeline.WithLogger(slog.New(slog.DiscardHandler))

// Build parses a one-line pipeline and builds it.
func Build(t testing.TB, line string, opts ...pipeline.Option) *pipeline.Graph {
	t.Helper()
	spec, err := graphs.ParseLine(line)
	if err != nil {
		t.Fatalf("parse %q: %v", line, err)
	}
	g, err := pipeline.Build(spec, opts...)
	if err != nil {
		t.Fatalf("build %q: %v", line, err)
	}
	return g
}

// BuildYAML parses a YAML graph and builds it.
func BuildYAML(t testing.TB, yaml string, opts ...pipeline.Option) *pipeline.Graph {
	t.Helper()
	spec, err := graphs.ParseYAML("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	g, err := pipeline.Build(spec, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// Run builds a one-line pipeline and runs it to end-of-stream.
func Run(t testing.TB, line string, opts ...pipeline.Option) *pipeline.Graph {
	t.Helper()
	g := Build(t, line, opts...)
	if err := g.Run(context.Background()); err != nil {
		t.Fatalf("run %q: %v", line, err)
	}
	return g
}

// Start starts g and stops it when the test ends.
func Start(t testing.TB, g *pipeline.Graph) *pipeline.Graph {
	t.Helper()
	if err := g.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Stop() })
	return g
}

// Stat returns element elem's measurement name, and whether it exists.
func Stat(g *pipeline.Graph, elem, name string) (float64, bool) {
	for _, s := range g.Stats() {
		if s.Name != elem {
			continue
		}
		for _, x := range s.Extra {
			if x.Name == name {
				return x.Value, true
			}
		}
	}
	return 0, false
}

// ReadWav reads a whole 16-bit WAV file.
func ReadWav(t testing.TB, path string) (rate, channels int, pcm []int16) {
	t.Helper()
	pcm, rate, channels, err := wav.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return rate, channels, pcm
}

// WriteWav writes pcm (interleaved) as a 16-bit WAV file.
func WriteWav(t testing.TB, path string, rate, channels int, pcm []int16) {
	t.Helper()
	if err := wav.WriteFile(path, rate, channels, pcm); err != nil {
		t.Fatal(err)
	}
}
