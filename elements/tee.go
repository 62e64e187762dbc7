package elements

import (
	"github.com/voxgraph/voxgraph/pipeline"
)

// Tee copies its input to every output. Outputs are request ports
// (out_0, out_1, …) that appear when linked and can be added to and removed
// from a running graph.
type Tee struct {
	ports []int
}

func init() {
	pipeline.Register(pipeline.ElementInfo{
		Name:    "tee",
		Summary: "copies its input to every output branch",
		Doc: "Sends each frame to all linked outputs: the first gets the frame, the others pooled copies. " +
			"Outputs are request ports out_%d: `t.` links the next free one, `t.out_3` a specific one; " +
			"branches can be attached and detached while the graph runs.",
		Inputs:  []pipeline.PortInfo{{Name: "in", Caps: pipeline.AnyCaps, Doc: "any media"}},
		Outputs: []pipeline.PortInfo{{Name: "out_%d", Presence: pipeline.Request, Doc: "a copy of the input"}},
		New:     func() pipeline.Element { return &Tee{} },
	})
}

// Negotiate gives every output the input format.
func (t *Tee) Negotiate(n *pipeline.Negotiation) error {
	t.ports = t.ports[:0]
	for _, p := range n.OutPorts {
		if p.Active && p.Linked {
			t.ports = append(t.ports, p.Index)
		}
	}
	n.SetAllOut(n.In[0])
	return nil
}

// AddPort starts copying to a new output.
func (t *Tee) AddPort(p pipeline.Port, n *pipeline.Negotiation) error {
	if p.Dir == pipeline.Out {
		n.Out[p.Index] = n.In[0]
		t.ports = append(t.ports, p.Index)
	}
	return nil
}

// RemovePort stops copying to a removed output.
func (t *Tee) RemovePort(p pipeline.Port) {
	if p.Dir != pipeline.Out {
		return
	}
	for i, x := range t.ports {
		if x == p.Index {
			t.ports = append(t.ports[:i], t.ports[i+1:]...)
			return
		}
	}
}

// Process emits the frame on the first output and copies on the others.
func (t *Tee) Process(_ int, f *pipeline.Frame, out *pipeline.Output) error {
	if len(t.ports) == 0 {
		f.Release()
		return nil
	}
	for _, p := range t.ports[1:] {
		c := out.NewFrame()
		c.CopyFrom(f)
		out.Emit(p, c)
	}
	out.Emit(t.ports[0], f)
	return nil
}

func (t *Tee) String() string { return "tee" }
