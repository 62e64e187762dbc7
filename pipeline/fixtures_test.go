package pipeline_test

import (
	"fmt"
	"sync/atomic"

	"github.com/voxgraph/voxgraph/elements"
	"github.com/voxgraph/voxgraph/pipeline"
)

// Test elements: small but real elements exercising the runtime's contracts.

// seqSrc emits Count PCM frames (0 = forever) whose first sample is the
// frame's sequence number, then ends.
type seqSrc struct {
	Count int  `prop:"count" default:"10" doc:"frames to emit; 0 = forever"`
	Rate  int  `prop:"rate" default:"8000" doc:"sample rate"`
	Live  bool `prop:"live" doc:"needs real-time pacing"`
	n     int
	f     pipeline.Format
}

func (s *seqSrc) Negotiate(n *pipeline.Negotiation) error {
	if s.Count < 0 {
		return fmt.Errorf("count must be >= 0")
	}
	s.f = pipeline.PCM(s.Rate, 1, n.PTime)
	n.SetAllOut(s.f)
	return nil
}
func (s *seqSrc) Process(int, *pipeline.Frame, *pipeline.Output) error { return nil }
func (s *seqSrc) Realtime() bool                                       { return s.Live }
func (s *seqSrc) Tick(out *pipeline.Output) error {
	if s.Count > 0 && s.n >= s.Count {
		out.EndOfStream()
		return nil
	}
	f := out.NewFrame()
	f.Format = s.f
	pcm := f.SetPCMLen(s.f.Samples())
	for i := range pcm {
		pcm[i] = int16(s.n)
	}
	f.Time = out.Time()
	out.Emit(0, f)
	s.n++
	return nil
}

// encSrc emits encoded frames, to provoke format mismatches.
type encSrc struct{ seqSrc }

func (s *encSrc) Negotiate(n *pipeline.Negotiation) error {
	n.SetAllOut(pipeline.Format{Kind: pipeline.KindEncoded, Codec: "PCMU", Rate: 8000, Channels: 1, PTime: n.PTime})
	return nil
}

// pass forwards frames unchanged.
type pass struct{}

func (pass) Negotiate(n *pipeline.Negotiation) error { n.SetAllOut(n.In[0]); return nil }
func (pass) Process(_ int, f *pipeline.Frame, out *pipeline.Output) error {
	out.Emit(0, f)
	return nil
}

// seqSink checks that the sequence numbers it receives are contiguous.
type seqSink struct {
	got  atomic.Int64
	gaps atomic.Int64
	last int
	eos  atomic.Bool
}

func (s *seqSink) Negotiate(*pipeline.Negotiation) error { s.last = -1; return nil }
func (s *seqSink) Process(_ int, f *pipeline.Frame, out *pipeline.Output) error {
	v := int(f.PCM[0])
	if s.last >= 0 && v != s.last+1 {
		s.gaps.Add(1)
	}
	s.last = v
	s.got.Add(1)
	f.Release()
	return nil
}
func (s *seqSink) EndOfStream(int, *pipeline.Output) error { s.eos.Store(true); return nil }

// sum mixes its request inputs: each tick it emits the sum of the last frame
// of every input (mixer-style dynamic inputs).
type sum struct {
	last   map[int]int16
	active atomic.Int64
	f      pipeline.Format
}

func (s *sum) Negotiate(n *pipeline.Negotiation) error {
	s.last = map[int]int16{}
	s.f = pipeline.PCM(8000, 1, n.PTime)
	for _, p := range n.InPorts {
		if p.Active && p.Linked {
			s.last[p.Index] = 0
		}
	}
	s.active.Store(int64(len(s.last)))
	n.SetAllOut(s.f)
	return nil
}
func (s *sum) AddPort(p pipeline.Port, n *pipeline.Negotiation) error {
	if p.Dir == pipeline.In {
		s.last[p.Index] = 0
		s.active.Add(1)
	}
	return nil
}
func (s *sum) RemovePort(p pipeline.Port) {
	if p.Dir == pipeline.In {
		delete(s.last, p.Index)
		s.active.Add(-1)
	}
}
func (s *sum) Process(port int, f *pipeline.Frame, out *pipeline.Output) error {
	if _, ok := s.last[port]; !ok {
		return fmt.Errorf("frame on unknown port %d", port)
	}
	s.last[port] = f.PCM[0]
	f.Release()
	return nil
}
func (s *sum) Tick(out *pipeline.Output) error {
	f := out.NewFrame()
	f.Format = s.f
	pcm := f.SetPCMLen(s.f.Samples())
	var acc int16
	for _, v := range s.last {
		acc += v
	}
	pcm[0] = acc
	out.Emit(0, f)
	return nil
}

// drop discards frames, counting them as dropped when told to.
type drop struct {
	Count bool `prop:"count" doc:"count frames as dropped"`
}

func (d *drop) Negotiate(*pipeline.Negotiation) error { return nil }
func (d *drop) Process(_ int, f *pipeline.Frame, out *pipeline.Output) error {
	if d.Count {
		out.Drop(f)
		return nil
	}
	f.Release()
	return nil
}

// boom panics on its third frame, to prove a panicking element fails only its graph.
type boom struct{ n int }

func (b *boom) Negotiate(n *pipeline.Negotiation) error { n.SetAllOut(n.In[0]); return nil }
func (b *boom) Process(_ int, f *pipeline.Frame, out *pipeline.Output) error {
	b.n++
	if b.n == 3 {
		var m map[string]int
		m["x"]++ // deliberate nil-map panic
	}
	out.Emit(0, f)
	return nil
}

var pcmIn = []pipeline.PortInfo{{Name: "in", Caps: pipeline.PCMCaps}}
var anyOut = []pipeline.PortInfo{{Name: "out"}}

func testRegistry() *pipeline.Registry {
	r := pipeline.NewRegistry()
	must := func(err error) {
		if err != nil {
			panic(err)
		}
	}
	must(r.Register(pipeline.ElementInfo{Name: "seq-src", Summary: "numbered PCM frames", Outputs: anyOut, New: func() pipeline.Element { return &seqSrc{} }}))
	must(r.Register(pipeline.ElementInfo{Name: "enc-src", Summary: "encoded frames", Outputs: anyOut, New: func() pipeline.Element { return &encSrc{} }}))
	must(r.Register(pipeline.ElementInfo{Name: "pass", Summary: "pass-through", Inputs: pcmIn, Outputs: anyOut, New: func() pipeline.Element { return pass{} }}))
	must(r.Register(pipeline.ElementInfo{Name: "seq-sink", Summary: "checks sequence", Inputs: pcmIn, New: func() pipeline.Element { return &seqSink{} }}))
	must(r.Register(pipeline.ElementInfo{Name: "sum", Summary: "mixer-style request inputs",
		Inputs: []pipeline.PortInfo{{Name: "in_%d", Caps: pipeline.PCMCaps, Presence: pipeline.Request}}, Outputs: anyOut, New: func() pipeline.Element { return &sum{} }}))
	must(r.Register(pipeline.ElementInfo{Name: "fanout", Summary: "tee-style request outputs", Inputs: pcmIn,
		Outputs: []pipeline.PortInfo{{Name: "out_%d", Presence: pipeline.Request}}, New: func() pipeline.Element { return &elements.Tee{} }})) // the real tee
	must(r.Register(pipeline.ElementInfo{Name: "drop", Summary: "discards", Inputs: []pipeline.PortInfo{{Name: "in"}}, New: func() pipeline.Element { return &drop{} }}))
	must(r.Register(pipeline.ElementInfo{Name: "boom", Summary: "panics", Inputs: pcmIn, Outputs: anyOut, New: func() pipeline.Element { return &boom{} }}))
	return r
}
