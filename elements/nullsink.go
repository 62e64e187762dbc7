package elements

import "github.com/voxgraph/voxgraph/pipeline"

// NullSink consumes and discards every frame, of any format. It ends a
// branch whose media only needs to be measured.
type NullSink struct{}

func init() {
	pipeline.Register(pipeline.ElementInfo{
		Name:    "null-sink",
		Summary: "discards every frame",
		Doc:     "Consumes frames of any format and releases them; useful to terminate a branch that is only measured (level, stats).",
		Inputs:  []pipeline.PortInfo{{Name: "in", Caps: pipeline.AnyCaps, Doc: "any media"}},
		New:     func() pipeline.Element { return &NullSink{} },
	})
}

// Negotiate accepts any input.
func (*NullSink) Negotiate(*pipeline.Negotiation) error { return nil }

// Process releases the frame.
func (*NullSink) Process(_ int, f *pipeline.Frame, _ *pipeline.Output) error {
	f.Release()
	return nil
}

func (*NullSink) String() string { return "null-sink" }
