package pipeline_test

import (
	"context"
	"strings"
	"testing"

	"github.com/voxgraph/voxgraph/graphs"
	"github.com/voxgraph/voxgraph/pipeline"
)

// TestAttachStartFailureRollsBack: a branch whose element fails to start
// (a WAV file in a missing directory) is taken out again completely, and
// the running graph goes on as before.
func TestAttachStartFailureRollsBack(t *testing.T) {
	spec, err := graphs.ParseLine("tone ! tee name=t ! null-sink name=main")
	if err != nil {
		t.Fatal(err)
	}
	g, err := pipeline.Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer g.Stop()
	before := len(g.Links())
	frag, err := graphs.ParseLine("gain name=x ! wav-sink name=y path=/nonexistent-dir/out.wav")
	if err != nil {
		t.Fatal(err)
	}
	frag.Links = append(frag.Links, pipeline.LinkSpec{From: "t", To: "x"})
	err = g.Attach(frag)
	if err == nil || !strings.Contains(err.Error(), "start y") {
		t.Fatalf("Attach error = %v, want the start failure of y", err)
	}
	if n, l := len(g.Nodes()), len(g.Links()); n != 3 || l != before {
		t.Fatalf("after the failed attach: %d elements and %d links, want 3 and %d", n, l, before)
	}
	if _, ok := g.Element("x"); ok {
		t.Fatal("x is still in the graph")
	}
	for i := 0; i < 5; i++ {
		if done, err := g.Step(); done || err != nil {
			t.Fatalf("graph broken after the failed attach: %v %v", done, err)
		}
	}
	// The same names can be attached again, correctly this time.
	frag.Elements[1].Props[0].Value = t.TempDir() + "/out.wav"
	if err := g.Attach(frag); err != nil {
		t.Fatal(err)
	}
}
