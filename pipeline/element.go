package pipeline

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Element is one stage of a graph. Its exported, `prop`-tagged struct fields
// are its properties; the registry fills them before Negotiate.
//
// Negotiate is called once when the graph is built, with the formats arriving
// on its input ports; it checks them and sets the format of every output port.
// Process is then called with each frame that arrives on input port `port`;
// the element emits results with out.Emit. Process runs on the graph's worker
// and must not block.
type Element interface {
	Negotiate(n *Negotiation) error
	Process(port int, f *Frame, out *Output) error
}

// Ticker is implemented by clock-driven elements (sources, jitter buffer
// pops, mixers). Tick is called once per graph period (ptime), before frames
// produced by that tick travel downstream.
type Ticker interface {
	Tick(out *Output) error
}

// Starter is implemented by elements that acquire resources (files,
// sockets) before the first tick. An element whose own goroutine (a socket
// reader) produces frames hands them to the graph through the Injector.
type Starter interface {
	Start(ctx context.Context, in *Injector) error
}

// Stopper is implemented by elements that release resources or finish their
// output (a WAV header) when the graph stops. Stop is called exactly once
// for every element that was started, also after errors.
type Stopper interface {
	Stop() error
}

// EOSHandler is implemented by elements that must act when an input reaches
// end-of-stream (flush a buffer). Independently of it, an element is at
// end-of-stream once all its linked inputs are, and the runtime passes that on.
type EOSHandler interface {
	EndOfStream(port int, out *Output) error
}

// DynamicPorts is implemented by elements with request ports (tee outputs,
// mixer inputs) that can be added to and removed from a running graph.
// AddPort is called with the new port and the element's current formats; for
// a new output port the element sets n.Out[p.Index]. RemovePort is called
// after the port is unlinked.
type DynamicPorts interface {
	AddPort(p Port, n *Negotiation) error
	RemovePort(p Port)
}

// StatsReporter is implemented by elements with measurements of their own
// (levels, jitter). Stats is called from other goroutines while the graph
// runs, so implementations read atomics, not plain fields.
type StatsReporter interface {
	Stats() []Stat
}

// Progresser is implemented by file sources so the CLI can show progress.
type Progresser interface {
	Progress() (done, total time.Duration)
}

// Realtimer is implemented by elements that need wall-clock pacing (a source
// with realtime=true, network I/O). A graph with none of them runs as fast as
// its elements allow.
type Realtimer interface {
	Realtime() bool
}

// Stat is one element-specific measurement.
type Stat struct {
	Name  string
	Value float64
	Unit  string
}

// Direction of a port.
type Direction uint8

const (
	// In is an input port.
	In Direction = iota
	// Out is an output port.
	Out
)

func (d Direction) String() string {
	if d == In {
		return "input"
	}
	return "output"
}

// Port identifies one port of an element instance.
type Port struct {
	Dir    Direction
	Index  int    // slot index: Process's port argument, Emit's port argument
	Name   string // "in", "out", "out_2"
	Active bool   // false for a released request-port slot
	Linked bool
}

// Negotiation carries formats between the runtime and an element while a
// graph is built (and when a dynamic port is added).
type Negotiation struct {
	Name     string        // element instance name
	PTime    time.Duration // graph frame period
	In       []Format      // per input slot; zero Format when unlinked
	Out      []Format      // per output slot; the element sets them
	InPorts  []Port
	OutPorts []Port
	Logger   *slog.Logger
}

// SetAllOut sets every active output port to f (pass-through elements).
func (n *Negotiation) SetAllOut(f Format) {
	for i, p := range n.OutPorts {
		if p.Active {
			n.Out[i] = f
		}
	}
}

// Output is how an element emits frames, allocates new ones and signals
// end-of-stream. It is valid only during the call it was passed to.
type Output struct {
	g *Graph
	n *node
}

// Emit sends f out of output port `port`, transferring ownership. A frame on
// an unlinked port is released.
func (o *Output) Emit(port int, f *Frame) {
	o.g.emit(o.n, port, f)
}

// NewFrame returns an empty frame from the graph's pool.
func (o *Output) NewFrame() *Frame { return o.g.pool.Get() }

// Drop releases f and counts it as dropped in the element's stats.
func (o *Output) Drop(f *Frame) {
	o.n.stats.Dropped.Add(1)
	f.Release()
}

// EndOfStream marks the element finished: it is no longer ticked, and its
// downstream elements are told after the frames it already emitted.
func (o *Output) EndOfStream() { o.n.eosPending = true }

// Time is the graph's media clock: the time of the current tick since start.
func (o *Output) Time() time.Duration { return o.g.clock }

// PTime is the graph's frame period.
func (o *Output) PTime() time.Duration { return o.g.ptime }

// Now is the monotonic wall clock (pipeline.Now), for elements that compare
// against Frame.Arrival.
func (o *Output) Now() time.Duration { return Now() }

// Sent tells the runtime that a sink sent f at now (pipeline.Now): when f
// came from the network (Arrival set) and timing is on, now − Arrival goes
// into the graph's end-to-end histogram (Graph.EndToEnd). Sinks call it
// before releasing f.
func (o *Output) Sent(f *Frame, now time.Duration) {
	if o.g.timing && f.Arrival > 0 && now >= f.Arrival {
		o.g.e2e.Record(now - f.Arrival)
	}
}

// SetLatency declares how much delay the element adds to the media (a
// jitter buffer's playout delay), like GStreamer's LATENCY message. Call it
// whenever the delay changes; Graph.Latency sums it along the graph's paths.
func (o *Output) SetLatency(d time.Duration) { o.n.latency.Store(int64(d)) }

// Logger returns the graph's logger with the element's name attached.
func (o *Output) Logger() *slog.Logger { return o.n.log }

// Injector hands frames produced outside the graph's tick (by an element's
// own reader goroutine) to the graph. Emit locks the graph, runs the frame
// through the downstream chain synchronously and returns.
type Injector struct {
	g *Graph
	n *node
}

// Emit sends f out of the element's output port `port` from any goroutine.
func (in *Injector) Emit(port int, f *Frame) error {
	return in.g.inject(in.n, port, f)
}

// NewFrame returns an empty frame from the graph's pool.
func (in *Injector) NewFrame() *Frame { return in.g.pool.Get() }

// Element returns another element of the same graph by name, for elements
// that cooperate with a peer (rtcp reads the counters of an rtp-src). It is
// meant for Start, where the graph is locked and not yet running; keep the
// result, do not call it per frame.
func (in *Injector) Element(name string) (Element, bool) {
	n := in.g.byName[name]
	if n == nil {
		return nil, false
	}
	return n.el, true
}

// ErrNoInput is returned by NoInput.Process.
var ErrNoInput = errors.New("element has no input ports")

// NoInput is embedded by source elements (no input ports) to satisfy
// Element's Process, which the runtime never calls for them.
type NoInput struct{}

// Process reports ErrNoInput; sources produce frames in Tick instead.
func (NoInput) Process(int, *Frame, *Output) error { return ErrNoInput }
