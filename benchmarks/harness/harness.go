// Package harness is voxgraph bench: it runs many instances of a graph at
// once in one process, fed by synthetic speech over loopback UDP (or from
// memory), and reports what sizing a gateway needs: each element's latency
// distribution and share of the CPU, end-to-end latency, CPU seconds per
// call-second from getrusage, late ticks, calls per core, and heap and
// goroutines per call. A ramp finds the most calls that stay real time.
//
// The Go testing.B benchmarks of each element are the micro level; this is
// the macro level, where sockets, the scheduler, the garbage collector and
// the elements share the machine as they do in the gateway.
package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	benchgraphs "github.com/voxgraph/voxgraph/benchmarks/graphs"
	"github.com/voxgraph/voxgraph/codecs"
	"github.com/voxgraph/voxgraph/elements/rtp"
	"github.com/voxgraph/voxgraph/pipeline"
)

// Source selects where a benchmark's input comes from.
const (
	// SourceUDP sends each rtp-src a stream of speech over loopback UDP
	// from a Sender, so the cost of the sockets is counted (the default for
	// graphs that receive RTP).
	SourceUDP = "udp"
	// SourceInject replaces each rtp-src and srtp-src with an in-memory
	// source that emits one packet of speech per tick: the graph without
	// its input sockets. --max-speed always injects.
	SourceInject = "inject"
	// SourceGraph runs the graph's own sources (tone, wav-src): for graphs
	// that receive no RTP.
	SourceGraph = "graph"
)

// Ramp is a ramp of call counts: From, From+Step, … up to To.
type Ramp struct{ From, To, Step int }

// ParseRamp reads "FROM:TO:STEP", e.g. "100:5000:100".
func ParseRamp(s string) (Ramp, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return Ramp{}, fmt.Errorf("ramp %q: want FROM:TO:STEP, e.g. 100:5000:100", s)
	}
	var v [3]int
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 {
			return Ramp{}, fmt.Errorf("ramp %q: %q is not a positive whole number", s, p)
		}
		v[i] = n
	}
	if v[0] > v[1] {
		return Ramp{}, fmt.Errorf("ramp %q: FROM %d is above TO %d", s, v[0], v[1])
	}
	return Ramp{From: v[0], To: v[1], Step: v[2]}, nil
}

// Config is one benchmark run.
type Config struct {
	// Graph is std:NAME (a benchmark graph of benchmarks/graphs, or a
	// standard graph), a graph file, or a one-line pipeline.
	Graph string
	// Vars are extra graph variables; the harness fills local_rtp,
	// remote_rtp and srtp_key itself for each call.
	Vars map[string]string
	// Calls is the number of graph instances (default 100); ignored with a Ramp.
	Calls int
	// Ramp, when To > 0, adds calls step by step and measures each step.
	Ramp Ramp
	// Duration is the measurement window (of each ramp step); default 10 s.
	Duration time.Duration
	// Warmup runs before each window and is not measured; default 2 s.
	Warmup time.Duration
	// MaxSpeed steps the graphs as fast as the CPUs allow instead of every
	// ptime, from in-memory sources: the pure CPU cost.
	MaxSpeed bool
	// Source is SourceUDP, SourceInject or SourceGraph; empty picks UDP
	// for graphs that receive RTP, else the graph's own sources.
	Source string
	// NoTiming turns per-element and end-to-end timing off, to measure the
	// cost of timing itself (the table is then empty).
	NoTiming bool
	// PTime is the frame period (default 20 ms).
	PTime time.Duration
	// Workers is the number of scheduler workers (default: one per CPU).
	Workers int
	// SenderCommand runs the UDP sender in a child process speaking the
	// ServeSender protocol (voxgraph bench-sender --control), so its CPU
	// time is not counted as the graphs'. Nil runs it in this process.
	SenderCommand []string
	// LateLimit is the share of late ticks (and of packets not delivered)
	// up to which a ramp step counts as real time; default 0.001 (0.1%).
	LateLimit float64
	// Progress, if set, is called about four times a second.
	Progress func(Progress)
	// Logger receives the graphs' logs (default: discarded).
	Logger *slog.Logger
}

// Progress is the state of a running benchmark.
type Progress struct {
	Phase   string        // "warm-up", "measure", "ramp 300 calls: measure", …
	Elapsed time.Duration // in this phase
	Total   time.Duration // of this phase
	Calls   int
	CPU     float64 // cores busy since the phase began
}

func (c *Config) defaults() error {
	if c.Calls == 0 {
		c.Calls = 100
	}
	if c.Duration == 0 {
		c.Duration = 10 * time.Second
	}
	if c.Warmup == 0 {
		c.Warmup = 2 * time.Second
	}
	if c.PTime == 0 {
		c.PTime = pipeline.DefaultPTime
	}
	if c.Workers == 0 {
		c.Workers = runtime.NumCPU()
	}
	if c.LateLimit == 0 {
		c.LateLimit = 0.001
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	switch {
	case c.Calls < 0:
		return fmt.Errorf("calls %d: want at least 1", c.Calls)
	case c.Duration < 0 || c.Warmup < 0:
		return errors.New("duration and warm-up must not be negative")
	case c.Ramp.To > 0 && c.MaxSpeed:
		return errors.New("a ramp looks for the most calls that stay real time: it cannot run at --max-speed")
	case c.Ramp.To > 0 && (c.Ramp.From <= 0 || c.Ramp.Step <= 0 || c.Ramp.From > c.Ramp.To):
		return fmt.Errorf("bad ramp %+v", c.Ramp)
	}
	return nil
}

// benchProfile is the SRTP profile of the ${srtp_key} the harness makes
// for each call: the SRTP elements' default.
const benchProfile = "AES_CM_128_HMAC_SHA1_80"

// bench is one running benchmark.
type bench struct {
	cfg      Config
	spec     *pipeline.Spec
	reg      *pipeline.Registry
	pool     *pipeline.Pool
	source   string
	inputs   []string     // names of the graph's RTP sources
	watched  []string     // jitter buffers and mixers: their losses are impairments
	src      source       // UDP sender, when source is SourceUDP
	blackout *net.UDPConn // where sinks send when nothing drains (inject, graph)
	loops    *Loops       // of the in-memory sources
	sched    *pipeline.Scheduler
	calls    []*pipeline.Graph
	ctx      context.Context
	cancel   context.CancelFunc

	heapPerCall, goroutinesPerCall float64
	timedFrom                      CPUTime // process CPU when timing went on
}

// Run runs the benchmark and returns its result. It stops early, with what
// it measured so far, when ctx is done.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	b := &bench{cfg: cfg, pool: pipeline.NewPool(), loops: NewLoops(codecs.Default, cfg.PTime)}
	if err := b.prepare(); err != nil {
		return nil, err
	}
	b.ctx, b.cancel = context.WithCancel(context.Background())
	defer b.close()
	res := b.newResult()
	var err error
	if cfg.MaxSpeed {
		err = b.runMaxSpeed(ctx, res)
	} else {
		err = b.runRealtime(ctx, res)
	}
	res.Memory.HeapPerCallBytes, res.Memory.GoroutinesPerCall = b.heapPerCall, b.goroutinesPerCall
	return res, err
}

// prepare resolves the graph, picks the source and sets up the sender.
func (b *bench) prepare() error {
	spec, err := benchgraphs.Resolve(b.cfg.Graph)
	if err != nil {
		return err
	}
	b.spec = spec
	b.reg = pipeline.NewRegistry()
	for _, info := range pipeline.DefaultRegistry.All() {
		if err := b.reg.Register(*info); err != nil {
			return err
		}
	}
	if err := b.reg.Register(injectInfo()); err != nil {
		return err
	}
	for _, e := range spec.Elements {
		switch e.Type {
		case "rtp-src", "srtp-src":
			b.inputs = append(b.inputs, e.Name)
		case "jitter", "mix":
			b.watched = append(b.watched, e.Name)
		}
	}
	b.source = b.cfg.Source
	switch {
	case b.cfg.MaxSpeed && len(b.inputs) > 0:
		if b.source == SourceUDP {
			return errors.New("--max-speed steps graphs faster than real time: it needs in-memory sources (--source inject), not UDP")
		}
		b.source = SourceInject
	case b.source == "" && len(b.inputs) > 0:
		b.source = SourceUDP
	case b.source == "":
		b.source = SourceGraph
	}
	switch b.source {
	case SourceUDP, SourceInject:
		if len(b.inputs) == 0 {
			return fmt.Errorf("--source %s: graph %s has no rtp-src or srtp-src to feed", b.source, b.cfg.Graph)
		}
	case SourceGraph:
		if len(b.inputs) > 0 {
			return fmt.Errorf("--source graph: graph %s receives RTP (%s); feed it with udp or inject", b.cfg.Graph, strings.Join(b.inputs, ", "))
		}
	default:
		return fmt.Errorf("unknown source %q (udp, inject or graph)", b.source)
	}
	if b.source == SourceUDP {
		for _, e := range spec.Elements {
			if e.Type == "srtp-src" {
				return fmt.Errorf("element %s is an srtp-src: the UDP sender sends plain RTP; use --source inject", e.Name)
			}
		}
		if b.cfg.SenderCommand != nil {
			b.src, err = newChildSource(b.cfg.SenderCommand)
		} else {
			b.src, err = newLocalSource(codecs.Default, b.cfg.PTime)
		}
		if err != nil {
			return fmt.Errorf("UDP sender: %w", err)
		}
		return nil
	}
	// Nothing drains the sinks' packets: they go to a socket that is never
	// read, so sending costs what it does in a gateway and nothing more.
	b.blackout, err = net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return fmt.Errorf("sink socket: %w", err)
	}
	_ = b.blackout.SetReadBuffer(4096)
	return nil
}

func (b *bench) close() {
	if b.sched != nil {
		b.sched.Close()
	}
	var wg sync.WaitGroup
	for i, g := range b.calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := g.Stop(); err != nil {
				b.cfg.Logger.Warn("stop call", "call", i, "err", err)
			}
		}()
		if i%64 == 63 {
			wg.Wait()
		}
	}
	wg.Wait()
	if b.src != nil {
		_, _ = b.src.Close()
	}
	if b.blackout != nil {
		b.blackout.Close()
	}
	b.cancel()
}

// drain is where the graphs' sinks send.
func (b *bench) drain() string {
	if b.src != nil {
		return b.src.Drain().String()
	}
	return b.blackout.LocalAddr().String()
}

// newCall builds and starts graph instance i; it is ticked by whoever
// called (the scheduler, or a max-speed worker).
func (b *bench) newCall(i int) (*pipeline.Graph, error) {
	key, err := rtp.NewKey(benchProfile)
	if err != nil {
		return nil, err
	}
	vars := map[string]string{"local_rtp": "127.0.0.1:0", "remote_rtp": b.drain(), "srtp_key": key}
	for k, v := range b.cfg.Vars {
		vars[k] = v
	}
	spec, err := b.spec.Expand(vars)
	if err != nil {
		return nil, err
	}
	if b.source == SourceInject {
		for j := range spec.Elements {
			e := &spec.Elements[j]
			if e.Type != "rtp-src" && e.Type != "srtp-src" {
				continue
			}
			codec := "PCMU"
			for _, p := range e.Props {
				if p.Key == "codec" {
					codec = p.Value
				}
			}
			e.Type = injectType
			e.Props = []pipeline.PropSpec{{Key: "codec", Value: codec}, {Key: "realtime", Value: strconv.FormatBool(!b.cfg.MaxSpeed)}}
		}
	}
	g, err := pipeline.Build(spec, pipeline.WithRegistry(b.reg), pipeline.WithPool(b.pool), pipeline.WithPTime(b.cfg.PTime),
		pipeline.WithLogger(b.cfg.Logger), pipeline.WithTiming(false))
	if err != nil {
		return nil, err
	}
	if b.source == SourceInject {
		for k, name := range b.inputs {
			el, _ := g.Element(name)
			src := el.(*injectSrc)
			loop, err := b.loops.Get(src.Codec)
			if err != nil {
				return nil, err
			}
			src.setLoop(loop, i*len(b.inputs)+k)
		}
	}
	if err := g.Start(b.ctx); err != nil {
		return nil, err
	}
	if b.source == SourceUDP {
		byCodec := map[string][]netip.AddrPort{}
		for _, name := range b.inputs {
			el, _ := g.Element(name)
			s := el.(*rtp.Src)
			byCodec[s.Codec] = append(byCodec[s.Codec], s.LocalAddr())
		}
		for codec, addrs := range byCodec {
			if err := b.src.Add(codec, addrs); err != nil {
				_ = g.Stop()
				return nil, err
			}
		}
	}
	return g, nil
}

// addCalls grows the benchmark to n calls, measuring the heap and
// goroutines each new call costs.
func (b *bench) addCalls(n int, schedule func(*pipeline.Graph)) error {
	k := n - len(b.calls)
	if k <= 0 {
		return nil
	}
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	g0 := runtime.NumGoroutine()
	for len(b.calls) < n {
		g, err := b.newCall(len(b.calls))
		if err != nil {
			return fmt.Errorf("call %d: %w", len(b.calls)+1, err)
		}
		b.calls = append(b.calls, g)
		schedule(g)
	}
	runtime.GC()
	runtime.ReadMemStats(&m1)
	b.heapPerCall = float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc)) / float64(k)
	b.goroutinesPerCall = float64(runtime.NumGoroutine()-g0) / float64(k)
	return nil
}

// setTiming turns timing on or off in every call.
func (b *bench) setTiming(on bool) {
	b.timedFrom = ProcessCPU()
	for _, g := range b.calls {
		g.SetTiming(on)
	}
}

// window is what a measurement window starts from.
type window struct {
	at       time.Time
	cpu      CPUTime
	mallocs  uint64
	impaired uint64
}

// mallocs is the number of heap allocations so far, read without stopping
// the world (runtime.ReadMemStats would, inside the window).
func mallocs() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:objects"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

func (b *bench) begin() window {
	w := window{at: time.Now(), impaired: b.impaired(), mallocs: mallocs()}
	w.cpu = ProcessCPU()
	return w
}

// impairedStats are the counters of frames that did not play as sent:
// packets a jitter buffer found lost (never arrived: a socket dropped
// them), late or beyond its ring, and ticks a mixer input had nothing.
// Concealment hides them from the packet count that comes back out.
var impairedStats = map[string]bool{"lost": true, "late": true, "overflow": true, "starved": true}

// impaired sums impairedStats over every call.
func (b *bench) impaired() uint64 {
	var n float64
	for _, g := range b.calls {
		for _, name := range b.watched {
			el, _ := g.Element(name)
			r, ok := el.(pipeline.StatsReporter)
			if !ok {
				continue
			}
			for _, st := range r.Stats() {
				if impairedStats[st.Name] {
					n += st.Value
				}
			}
		}
	}
	return uint64(n)
}

// returnDelay is how long a paused sender waits for the packets in flight
// to come back out of the graphs: longer than any stays in one (the jitter
// buffer's delay).
const returnDelay = 300 * time.Millisecond

// startSending resumes the paused sender and returns its counters from
// before (nothing is in flight then).
func (b *bench) startSending() (SenderStats, error) {
	if b.src == nil {
		return SenderStats{}, nil
	}
	st, err := b.src.Stats()
	if err != nil {
		return st, err
	}
	return st, b.src.Pause(false)
}

// stopSending pauses the sender, waits for what is in flight and returns
// what was sent and returned since from: every packet sent is by then
// either back or lost, so the difference is exact, whatever the bursts.
func (b *bench) stopSending(from SenderStats) (*SenderStats, error) {
	if b.src == nil {
		return nil, nil
	}
	if err := b.src.Pause(true); err != nil {
		return nil, err
	}
	time.Sleep(returnDelay)
	st, err := b.src.Stats()
	if err != nil {
		return nil, err
	}
	return &SenderStats{Streams: st.Streams, Sent: st.Sent - from.Sent, Received: st.Received - from.Received,
		SendErrors: st.SendErrors - from.SendErrors, LateSlots: st.LateSlots - from.LateSlots}, nil
}

// wait sleeps d, reporting progress, and reports whether ctx ended first.
func (b *bench) wait(ctx context.Context, phase string, d time.Duration) bool {
	start, cpu0 := time.Now(), ProcessCPU()
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	end := time.NewTimer(d)
	defer end.Stop()
	report := func() {
		if b.cfg.Progress == nil {
			return
		}
		el := time.Since(start)
		b.cfg.Progress(Progress{Phase: phase, Elapsed: min(el, d), Total: d, Calls: len(b.calls),
			CPU: (ProcessCPU().Total() - cpu0.Total()).Seconds() / max(el.Seconds(), 1e-9)})
	}
	for {
		select {
		case <-ctx.Done():
			return false
		case <-end.C:
			report()
			return true
		case <-t.C:
			report()
		}
	}
}

func (b *bench) runRealtime(ctx context.Context, res *Result) error {
	b.sched = pipeline.NewScheduler(pipeline.WithWorkers(b.cfg.Workers), pipeline.WithPeriod(b.cfg.PTime))
	b.sched.Start()
	steps := []int{b.cfg.Calls}
	if b.cfg.Ramp.To > 0 {
		steps = steps[:0]
		for n := b.cfg.Ramp.From; n <= b.cfg.Ramp.To; n += b.cfg.Ramp.Step {
			steps = append(steps, n)
		}
	}
	agg := newAggregate()
	if b.src != nil {
		if err := b.src.Pause(true); err != nil { // streams start with each window
			return err
		}
	}
	for si, n := range steps {
		if err := b.addCalls(n, b.sched.Add); err != nil {
			return err
		}
		net0, err := b.startSending()
		if err != nil {
			return err
		}
		if b.cfg.Ramp.To > 0 {
			res.Ramp = append(res.Ramp, RampStep{Calls: n})
		}
		phase := func(p string) string {
			if b.cfg.Ramp.To > 0 {
				return fmt.Sprintf("ramp %d calls: %s", n, p)
			}
			return p
		}
		if !b.wait(ctx, phase("warm-up"), b.cfg.Warmup) {
			return ctx.Err()
		}
		if si == 0 {
			b.setTiming(!b.cfg.NoTiming)
		}
		b.sched.ResetStats()
		time.Sleep(2 * b.cfg.PTime) // the reset happens at the next tick
		w := b.begin()
		completed := b.wait(ctx, phase("measure"), b.cfg.Duration)
		m := b.measure(w, n)
		if m.sender, err = b.stopSending(net0); err != nil {
			return err
		}
		res.Calls = n
		res.apply(m)
		if b.cfg.Ramp.To > 0 {
			st := &res.Ramp[len(res.Ramp)-1]
			st.fill(res, m, b.cfg.LateLimit)
			if st.RealTime {
				res.MaxRealtimeCalls = n
			}
			if !st.RealTime || !completed {
				break
			}
		}
		if !completed {
			return ctx.Err()
		}
	}
	b.aggregate(agg)
	res.setElements(agg, ProcessCPU().Sub(b.timedFrom).Total().Seconds())
	return nil
}

// measured is one window's figures.
type measured struct {
	calls                  int
	wall                   time.Duration
	cpu                    CPUTime
	mallocs                uint64
	frames                 float64 // frames the sources fed (calls × inputs × window / ptime)
	ticks, late, skipped   uint64
	lateness99, latenessMx time.Duration
	tickWork99             time.Duration
	sender                 *SenderStats
	impaired               uint64
	callSeconds            float64 // media time processed; 0: calls × wall (real time)
}

func (b *bench) measure(w window, calls int) measured {
	m := measured{calls: calls, wall: time.Since(w.at)}
	m.cpu = ProcessCPU().Sub(w.cpu)
	m.impaired = b.impaired() - w.impaired
	m.mallocs = mallocs() - w.mallocs
	inputs := max(len(b.inputs), 1)
	m.frames = float64(calls*inputs) * m.wall.Seconds() / b.cfg.PTime.Seconds()
	if b.sched != nil {
		st := b.sched.Stats()
		m.ticks, m.late, m.skipped = st.Ticks.Load(), st.Late.Load(), st.Skipped.Load()
		m.lateness99, m.latenessMx = st.Lateness.Quantile(0.99), st.Lateness.Max()
		m.tickWork99 = st.TickWork.Quantile(0.99)
	}
	return m
}

// aggregate sums every call's per-element histograms and end-to-end
// latency into agg.
func (b *bench) aggregate(agg *aggregate) {
	for _, g := range b.calls {
		g.EachElementStats(func(name, typ string, st *pipeline.ElementStats) {
			agg.element(name, typ).merge(st)
		})
		agg.e2e.Merge(g.EndToEnd())
	}
}

func (b *bench) runMaxSpeed(ctx context.Context, res *Result) error {
	n := b.cfg.Calls
	if err := b.addCalls(n, func(*pipeline.Graph) {}); err != nil {
		return err
	}
	var steps atomic.Uint64
	var stop atomic.Bool
	var wg sync.WaitGroup
	failed := make(chan error, b.cfg.Workers)
	for w := range b.cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []*pipeline.Graph
			for i := w; i < len(b.calls); i += b.cfg.Workers {
				mine = append(mine, b.calls[i])
			}
			for !stop.Load() {
				for _, g := range mine {
					if done, err := g.Step(); done {
						if err == nil {
							err = errors.New("graph ended")
						}
						failed <- fmt.Errorf("max-speed: %w", err)
						stop.Store(true)
						return
					}
				}
				steps.Add(uint64(len(mine)))
			}
		}()
	}
	defer func() { stop.Store(true); wg.Wait() }()
	ok := b.wait(ctx, "warm-up", b.cfg.Warmup)
	if ok {
		b.setTiming(!b.cfg.NoTiming)
	}
	w := b.begin()
	s0 := steps.Load()
	ok = ok && b.wait(ctx, "measure", b.cfg.Duration)
	stop.Store(true)
	wg.Wait()
	select {
	case err := <-failed:
		return err
	default:
	}
	m := b.measure(w, n)
	// Call-seconds are media time processed, not wall time.
	stepped := steps.Load() - s0
	m.frames = float64(stepped * uint64(max(len(b.inputs), 1)))
	m.callSeconds = float64(stepped) * b.cfg.PTime.Seconds()
	res.Calls = n
	res.apply(m)
	res.CPU.Speed = res.CPU.CallSeconds / m.wall.Seconds() / float64(n)
	agg := newAggregate()
	b.aggregate(agg)
	res.setElements(agg, ProcessCPU().Sub(b.timedFrom).Total().Seconds())
	if !ok {
		return ctx.Err()
	}
	return nil
}
