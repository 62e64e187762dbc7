package graphs_test

import (
	"testing"

	benchgraphs "github.com/voxgraph/voxgraph/benchmarks/graphs"
	_ "github.com/voxgraph/voxgraph/elements"
	_ "github.com/voxgraph/voxgraph/elements/jitter"
	_ "github.com/voxgraph/voxgraph/elements/mix"
	"github.com/voxgraph/voxgraph/pipeline"
)

// TestGraphsBuild builds every benchmark graph with the variables the
// harness fills (opus-transcode needs the Opus plugin, so it is only
// parsed here; its build is tested with the plugin).
func TestGraphsBuild(t *testing.T) {
	want := []string{"conference-10", "full", "g711-transcode", "opus-transcode", "relay"}
	names := benchgraphs.Names()
	if len(names) != len(want) {
		t.Fatalf("graphs %v, want %v", names, want)
	}
	vars := map[string]string{"local_rtp": "127.0.0.1:0", "remote_rtp": "127.0.0.1:9", "srtp_key": "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd"}
	for i, name := range names {
		if name != want[i] {
			t.Fatalf("graphs %v, want %v", names, want)
		}
		t.Run(name, func(t *testing.T) {
			spec, err := benchgraphs.Resolve("std:" + name)
			if err != nil {
				t.Fatal(err)
			}
			if spec.Name != name {
				t.Fatalf("spec name %q", spec.Name)
			}
			exp, err := spec.Expand(vars)
			if err != nil {
				t.Fatal(err)
			}
			if name == "opus-transcode" {
				return
			}
			if _, err := pipeline.Build(exp); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	if spec, err := benchgraphs.Resolve("std:demo"); err != nil || spec.Name != "demo" {
		t.Fatalf("std:demo (a standard graph) = %v, %v", spec, err)
	}
	if _, err := benchgraphs.Resolve("std:nope"); err == nil {
		t.Fatal("std:nope: want an error")
	}
	if spec, err := benchgraphs.Resolve("tone ! null-sink"); err != nil || len(spec.Elements) != 2 {
		t.Fatalf("one-line pipeline = %v, %v", spec, err)
	}
}
