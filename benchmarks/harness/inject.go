package harness

import (
	"context"
	"errors"
	"fmt"

	"github.com/voxgraph/voxgraph/codecs"
	"github.com/voxgraph/voxgraph/pipeline"
)

// injectType is the element that stands in for each rtp-src or srtp-src
// of a graph under --source inject: it hands the graph one packet of the
// speech loop per tick from memory, so the graph's own cost is measured
// without sockets. It exists only in the harness's private registry.
const injectType = "bench-src"

// injectSrc plays a Loop as RTP frames, one per tick.
type injectSrc struct {
	pipeline.NoInput

	Codec string `prop:"codec" default:"PCMU" doc:"codec of the loop (set by the harness)"`
	Paced bool   `prop:"realtime" default:"true" doc:"stamp each frame's arrival (the wall clock) as a socket reader would, and ask for wall-clock pacing; false for --max-speed"`

	loop   *Loop
	format pipeline.Format
	seq    uint16
	ts     uint32
	idx    int
}

func injectInfo() pipeline.ElementInfo {
	return pipeline.ElementInfo{
		Name:    injectType,
		Summary: "voxgraph bench's in-memory RTP source",
		Doc:     "Emits one RTP frame of the harness's speech loop per tick, in place of an rtp-src, for --source inject.",
		Outputs: []pipeline.PortInfo{{Name: "out", Doc: "RTP frames"}},
		New:     func() pipeline.Element { return &injectSrc{} },
	}
}

// setLoop gives the source its loop and makes it stream number i of the
// run (see streamStart); the harness calls it after Build, before Start.
func (e *injectSrc) setLoop(l *Loop, i int) {
	e.loop = l
	e.seq, e.ts, e.idx = streamStart(i, l)
}

// Negotiate announces the codec's format.
func (e *injectSrc) Negotiate(n *pipeline.Negotiation) error {
	c, ok := codecs.Default.Lookup(e.Codec)
	if !ok {
		return fmt.Errorf("unknown codec %q", e.Codec)
	}
	e.format = pipeline.Format{Kind: pipeline.KindEncoded, Codec: c.Name, Rate: c.ClockRate, Channels: c.Channels, PTime: n.PTime, PayloadType: c.PayloadType}
	n.SetAllOut(e.format)
	return nil
}

// Start checks that the loop is there.
func (e *injectSrc) Start(context.Context, *pipeline.Injector) error {
	if e.loop == nil || e.loop.Codec.Name != e.format.Codec {
		return errors.New("bench-src has no signal for its codec: only voxgraph bench starts it")
	}
	return nil
}

// Realtime reports whether the source is paced.
func (e *injectSrc) Realtime() bool { return e.Paced }

// Tick emits the next packet of the loop.
func (e *injectSrc) Tick(out *pipeline.Output) error {
	f := out.NewFrame()
	p := e.loop.Payloads[e.idx]
	copy(f.SetPayloadLen(len(p)), p)
	f.Format = e.format
	f.RTP.Version = 2
	f.RTP.PayloadType = e.format.PayloadType
	f.RTP.SequenceNumber = e.seq
	f.RTP.Timestamp = e.ts
	f.RTP.SSRC = 0x5eed
	if e.idx == 0 {
		f.RTP.Marker = true
		f.Flags |= pipeline.FlagTalkspurt
	}
	f.Time = out.Time()
	if e.Paced {
		f.Arrival = out.Now()
	}
	e.seq++
	e.ts += e.loop.Samples
	e.idx = (e.idx + 1) % len(e.loop.Payloads)
	out.Emit(0, f)
	return nil
}
