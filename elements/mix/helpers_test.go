package mix_test

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	_ "github.com/voxgraph/voxgraph/elements" // tone, null-sink
	"github.com/voxgraph/voxgraph/elements/mix"
	"github.com/voxgraph/voxgraph/graphs"
	"github.com/voxgraph/voxgraph/internal/graphtest"
	"github.com/voxgraph/voxgraph/pipeline"
)

// Test-only elements, registered under names no real element uses.
func init() {
	pipeline.Register(pipeline.ElementInfo{
		Name:    "mixtest-sink",
		Summary: "records PCM (test)",
		Inputs:  []pipeline.PortInfo{{Name: "in", Caps: pipeline.PCMCaps}},
		New:     func() pipeline.Element { return &recSink{} },
	})
	pipeline.Register(pipeline.ElementInfo{
		Name:    "mixtest-src",
		Summary: "bursty numbered PCM (test)",
		Outputs: []pipeline.PortInfo{{Name: "out"}},
		New:     func() pipeline.Element { return &burstSrc{} },
	})
}

// recSink records every sample it receives and the first sample of each frame.
type recSink struct {
	frames atomic.Int64
	bad    atomic.Int64 // frames whose length or format is not the mix's
	pcm    []int16
	first  []int16
	f      pipeline.Format
}

func (s *recSink) Negotiate(n *pipeline.Negotiation) error { s.f = n.In[0]; return nil }
func (s *recSink) Process(_ int, f *pipeline.Frame, _ *pipeline.Output) error {
	if len(f.PCM) != s.f.Samples()*s.f.Channels || f.Format != s.f {
		s.bad.Add(1)
	}
	s.pcm = append(s.pcm, f.PCM...)
	if len(f.PCM) > 0 {
		s.first = append(s.first, f.PCM[0])
	}
	s.frames.Add(1)
	f.Release()
	return nil
}

// frame returns the i-th recorded frame.
func (s *recSink) frame(i int) []int16 {
	n := s.f.Samples() * s.f.Channels
	return s.pcm[i*n : (i+1)*n]
}

// burstSrc emits `burst` frames every `every` ticks, starting at tick
// `phase`. Every sample of a frame holds `value`, or the frame's sequence
// number counted from 1 when value is -1 (so 0 is silence).
type burstSrc struct {
	pipeline.NoInput
	Every     int  `prop:"every" default:"1"`
	Burst     int  `prop:"burst" default:"1"`
	Phase     int  `prop:"phase" default:"0"`
	Value     int  `prop:"value" default:"-1"`
	Rate      int  `prop:"rate" default:"8000"`
	Count     int  `prop:"count" default:"0" doc:"frames before end-of-stream; 0: forever"`
	Samples   int  `prop:"samples" default:"0" doc:"samples per frame; 0: one ptime"`
	Concealed bool `prop:"concealed"`
	Missing   bool `prop:"missing" doc:"emit empty frames flagged missing"`

	f         pipeline.Format
	tick, seq int
}

func (s *burstSrc) Negotiate(n *pipeline.Negotiation) error {
	s.f = pipeline.PCM(s.Rate, 1, n.PTime)
	if s.Samples == 0 {
		s.Samples = s.f.Samples()
	}
	n.SetAllOut(s.f)
	return nil
}

func (s *burstSrc) Tick(out *pipeline.Output) error {
	t := s.tick
	s.tick++
	if t < s.Phase || (t-s.Phase)%s.Every != 0 {
		return nil
	}
	for range s.Burst {
		if s.Count > 0 && s.seq >= s.Count {
			out.EndOfStream()
			return nil
		}
		f := out.NewFrame()
		f.Format = s.f
		v := int16(s.Value)
		if s.Value == -1 {
			v = int16(s.seq + 1)
		}
		switch {
		case s.Missing:
			f.Flags = pipeline.FlagMissing
			f.SetPCMLen(0)
		default:
			for i := range f.SetPCMLen(s.Samples) {
				f.PCM[i] = v
			}
			if s.Concealed {
				f.Flags = pipeline.FlagConcealed
			}
		}
		out.Emit(0, f)
		s.seq++
	}
	if s.Count > 0 && s.seq >= s.Count {
		out.EndOfStream()
	}
	return nil
}

func step(t testing.TB, g *pipeline.Graph, n int) {
	t.Helper()
	for range n {
		if done, err := g.Step(); done || err != nil {
			t.Fatalf("graph ended: %v", err)
		}
	}
}

// fragment makes a spec for Graph.Attach: elements in the one-line syntax
// plus links ("a -> b.port") that may name elements of the running graph.
func fragment(t testing.TB, elems string, links ...string) *pipeline.Spec {
	t.Helper()
	spec, err := graphs.ParseLine(elems)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range links {
		from, to, ok := strings.Cut(l, " -> ")
		if !ok {
			t.Fatalf("bad link %q", l)
		}
		fe, fp, _ := strings.Cut(from, ".")
		te, tp, _ := strings.Cut(to, ".")
		spec.Links = append(spec.Links, pipeline.LinkSpec{From: fe, FromPort: fp, To: te, ToPort: tp})
	}
	return spec
}

func sink(t testing.TB, g *pipeline.Graph, name string) *recSink {
	t.Helper()
	e, ok := g.Element(name)
	if !ok {
		t.Fatalf("no element %q", name)
	}
	return e.(*recSink)
}

func mixer(t testing.TB, g *pipeline.Graph, name string) *mix.Mixer {
	t.Helper()
	e, ok := g.Element(name)
	if !ok {
		t.Fatalf("no element %q", name)
	}
	return e.(*mix.Mixer)
}

func counters(c mix.Counters) string {
	return fmt.Sprintf("%+v", c)
}

// build builds and starts a graph from YAML.
func build(t testing.TB, yaml string) *pipeline.Graph {
	t.Helper()
	return graphtest.Start(t, graphtest.BuildYAML(t, yaml))
}
