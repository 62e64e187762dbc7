package harness

import (
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/voxgraph/voxgraph/pipeline"
)

// Schema names the version of Result's JSON form. A change that removes or
// renames a field, or changes a unit, gets a new version.
const Schema = "voxgraph-bench/1"

// Result is what a benchmark measured; its JSON form is versioned by Schema.
// Latencies are in microseconds, CPU in seconds unless a name says ms.
type Result struct {
	Schema   string          `json:"schema"`
	Graph    string          `json:"graph"`
	Mode     string          `json:"mode"`   // "realtime" or "max-speed"
	Source   string          `json:"source"` // "udp", "inject" or "graph"
	Sender   string          `json:"sender,omitempty"`
	Timing   bool            `json:"timing"`
	PTimeMs  float64         `json:"ptime_ms"`
	Workers  int             `json:"workers"`
	Machine  Machine         `json:"machine"`
	Calls    int             `json:"calls"`
	Streams  int             `json:"streams_per_call"` // RTP inputs per call (conference-10: 10)
	WindowS  float64         `json:"window_s"`         // measured wall time (the last ramp step's)
	WarmupS  float64         `json:"warmup_s"`
	Elements []ElementResult `json:"elements"`
	// EndToEnd is input arrival → output send over every call (absent
	// without timing, at --max-speed, or for graphs fed by their own sources).
	EndToEnd     *Latency  `json:"end_to_end,omitempty"`
	CPU          CPU       `json:"cpu"`
	CallsPerCore float64   `json:"calls_per_core"` // call-seconds per CPU second
	Deadlines    Deadlines `json:"deadlines"`
	Memory       Memory    `json:"memory"`
	Network      *Network  `json:"network,omitempty"`
	// Impaired counts frames that did not play as sent in the window:
	// packets the jitter buffers found lost, late or beyond their ring, and
	// mixer ticks with an input empty. A dropped packet is concealed, so the
	// packet count that comes back out does not show it; this does.
	Impaired    uint64  `json:"impaired_frames"`
	ImpairedPct float64 `json:"impaired_pct"` // of the frames fed
	// Ramp has one entry per step; MaxRealtimeCalls is the largest step
	// that stayed real time.
	Ramp             []RampStep `json:"ramp,omitempty"`
	MaxRealtimeCalls int        `json:"max_realtime_calls,omitempty"`
}

// Machine is where the benchmark ran.
type Machine struct {
	CPUs      int    `json:"cpus"`
	CPUModel  string `json:"cpu_model"`
	OS        string `json:"os"`
	Arch      string `json:"arch"`
	Kernel    string `json:"kernel"`
	GoVersion string `json:"go_version"`
	Revision  string `json:"revision,omitempty"` // vcs revision of the binary
}

// Latency summarises a histogram (µs).
type Latency struct {
	Count uint64  `json:"count"`
	Mean  float64 `json:"mean_us"`
	P50   float64 `json:"p50_us"`
	P90   float64 `json:"p90_us"`
	P99   float64 `json:"p99_us"`
	P999  float64 `json:"p999_us"`
	Max   float64 `json:"max_us"`
}

// ElementResult is one element of the graph, summed over every call.
type ElementResult struct {
	Name string `json:"name"`
	Type string `json:"type"`
	// Frames is the number of timed calls: each Process, and each Tick
	// that emitted or belongs to a source (see pipeline.ElementStats).
	Frames uint64 `json:"frames"`
	Latency
	// IdleTicks are Tick calls that emitted nothing (timed apart).
	IdleTicks uint64 `json:"idle_ticks"`
	// CPUShare is the element's time in Process and Tick over the process's
	// CPU time while timing was on (0–1; for a ramp, every step's).
	CPUShare float64 `json:"cpu_share"`
}

// CPU is the process's CPU time in the measurement window, from getrusage.
type CPU struct {
	UserS  float64 `json:"user_s"`
	SysS   float64 `json:"sys_s"`
	TotalS float64 `json:"total_s"`
	// Cores is the average number of cores busy (TotalS over wall time).
	Cores float64 `json:"cores"`
	// CallSeconds is media time processed: calls × window in real time,
	// frames stepped × ptime at max speed.
	CallSeconds     float64 `json:"call_seconds"`
	PerCallSecondMs float64 `json:"per_call_second_ms"`
	// Speed is media seconds per wall second per call at max speed.
	Speed float64 `json:"speed,omitempty"`
}

// Deadlines are the scheduler's ticks in the window.
type Deadlines struct {
	Ticks   uint64  `json:"ticks"`
	Late    uint64  `json:"late"` // ticks whose work ended after the next was due
	LatePct float64 `json:"late_pct"`
	Skipped uint64  `json:"skipped"` // ticks dropped after a stall of 10 periods
	// LatenessP99/Max: how far behind schedule ticks started (µs).
	LatenessP99 float64 `json:"lateness_p99_us"`
	LatenessMax float64 `json:"lateness_max_us"`
	// TickWorkP99 is the p99 wall time of one tick's work over all calls (µs).
	TickWorkP99 float64 `json:"tick_work_p99_us"`
}

// Memory is what each call costs in memory, and allocation in the window.
type Memory struct {
	HeapPerCallBytes  float64 `json:"heap_per_call_bytes"`
	GoroutinesPerCall float64 `json:"goroutines_per_call"`
	// AllocsPerFrame is heap allocations in the window per input frame
	// (steady state should be 0; the Go runtime's own count towards it).
	AllocsPerFrame float64 `json:"allocs_per_frame"`
}

// Network is the UDP sender's view of the window.
type Network struct {
	Sent     uint64 `json:"sent"`
	Received uint64 `json:"received"`
	// LossPct is the share of packets sent to the graphs that did not come
	// back out. A graph with a mixer sends on its own clock, whatever
	// arrives, so more may come back than went in: then it is 0 and tells
	// nothing (late ticks still do).
	LossPct    float64 `json:"loss_pct"`
	SendErrors uint64  `json:"send_errors"`
	// SenderLateSlots counts milliseconds the sender itself sent more than
	// 2 ms late (the machine, not the graphs, was short of CPU).
	SenderLateSlots uint64 `json:"sender_late_slots"`
}

// RampStep is one step of a ramp.
type RampStep struct {
	Calls           int     `json:"calls"`
	PerCallSecondMs float64 `json:"per_call_second_ms"`
	Cores           float64 `json:"cores"`
	LatePct         float64 `json:"late_pct"`
	LatenessP99     float64 `json:"lateness_p99_us"`
	LossPct         float64 `json:"loss_pct"`
	ImpairedPct     float64 `json:"impaired_pct"`
	RealTime        bool    `json:"real_time"`
}

// fill copies the step's figures from r, which m was just applied to.
func (s *RampStep) fill(r *Result, m measured, limit float64) {
	s.PerCallSecondMs, s.Cores, s.LatePct, s.LatenessP99 = r.CPU.PerCallSecondMs, r.CPU.Cores, r.Deadlines.LatePct, r.Deadlines.LatenessP99
	s.ImpairedPct = r.ImpairedPct
	s.RealTime = m.ticks > 0 && r.Deadlines.LatePct < 100*limit && m.skipped == 0 && r.ImpairedPct < 100*limit
	if r.Network != nil {
		s.LossPct = r.Network.LossPct
		s.RealTime = s.RealTime && r.Network.LossPct < 100*limit
	}
}

func (b *bench) newResult() *Result {
	r := &Result{Schema: Schema, Graph: b.cfg.Graph, Mode: "realtime", Source: b.source, Timing: !b.cfg.NoTiming,
		PTimeMs: float64(b.cfg.PTime) / float64(time.Millisecond), Workers: b.cfg.Workers, Machine: machine(),
		Streams: max(len(b.inputs), 1), WarmupS: b.cfg.Warmup.Seconds()}
	if b.cfg.MaxSpeed {
		r.Mode = "max-speed"
	}
	if b.source == SourceUDP {
		r.Sender = "in-process"
		if b.cfg.SenderCommand != nil {
			r.Sender = "child process"
		}
	}
	return r
}

// apply fills the window's figures into r.
func (r *Result) apply(m measured) {
	r.WindowS = m.wall.Seconds()
	r.CPU = CPU{UserS: m.cpu.User.Seconds(), SysS: m.cpu.System.Seconds(), TotalS: m.cpu.Total().Seconds()}
	r.CPU.Cores = r.CPU.TotalS / max(r.WindowS, 1e-9)
	r.CPU.CallSeconds = m.callSeconds
	if r.CPU.CallSeconds == 0 {
		r.CPU.CallSeconds = float64(m.calls) * r.WindowS
	}
	if r.CPU.CallSeconds > 0 && r.CPU.TotalS > 0 {
		r.CPU.PerCallSecondMs = 1000 * r.CPU.TotalS / r.CPU.CallSeconds
		r.CallsPerCore = r.CPU.CallSeconds / r.CPU.TotalS
	}
	r.Deadlines = Deadlines{Ticks: m.ticks, Late: m.late, Skipped: m.skipped,
		LatenessP99: us(m.lateness99), LatenessMax: us(m.latenessMx), TickWorkP99: us(m.tickWork99)}
	if m.ticks > 0 {
		r.Deadlines.LatePct = 100 * float64(m.late) / float64(m.ticks)
	}
	r.Impaired = m.impaired
	if m.frames > 0 {
		r.Memory.AllocsPerFrame = float64(m.mallocs) / m.frames
		r.ImpairedPct = 100 * float64(m.impaired) / m.frames
	}
	if m.sender != nil {
		s := m.sender
		r.Network = &Network{Sent: s.Sent, Received: s.Received, SendErrors: s.SendErrors, SenderLateSlots: s.LateSlots}
		if s.Sent > 0 {
			r.Network.LossPct = max(0, 100*(1-float64(s.Received)/float64(s.Sent)))
		}
	}
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

func summary(h *pipeline.Histogram) Latency {
	return Latency{Count: h.Count(), Mean: us(h.Mean()), P50: us(h.Quantile(0.5)), P90: us(h.Quantile(0.9)),
		P99: us(h.Quantile(0.99)), P999: us(h.Quantile(0.999)), Max: us(h.Max())}
}

// aggregate sums per-element statistics over many calls.
type aggregate struct {
	order []string
	byKey map[string]*elementAgg
	e2e   pipeline.Histogram
}

type elementAgg struct {
	name, typ string
	lat       pipeline.Histogram
	idle      pipeline.Histogram
}

func newAggregate() *aggregate { return &aggregate{byKey: map[string]*elementAgg{}} }

func (a *aggregate) element(name, typ string) *elementAgg {
	e, ok := a.byKey[name]
	if !ok {
		e = &elementAgg{name: name, typ: typ}
		a.byKey[name] = e
		a.order = append(a.order, name)
	}
	return e
}

func (e *elementAgg) merge(st *pipeline.ElementStats) {
	e.lat.Merge(&st.Latency)
	e.idle.Merge(&st.Ticks)
}

func (r *Result) setElements(a *aggregate, cpuS float64) {
	r.Elements = r.Elements[:0]
	for _, name := range a.order {
		e := a.byKey[name]
		er := ElementResult{Name: e.name, Type: e.typ, Frames: e.lat.Count(), Latency: summary(&e.lat), IdleTicks: e.idle.Count()}
		if cpuS > 0 {
			er.CPUShare = (e.lat.Sum() + e.idle.Sum()).Seconds() / cpuS
		}
		r.Elements = append(r.Elements, er)
	}
	if a.e2e.Count() > 0 {
		l := summary(&a.e2e)
		r.EndToEnd = &l
	}
}

// CPUTime is a process's user and system CPU time.
type CPUTime struct{ User, System time.Duration }

// Total is user plus system time.
func (c CPUTime) Total() time.Duration { return c.User + c.System }

// Sub is c − o.
func (c CPUTime) Sub(o CPUTime) CPUTime { return CPUTime{c.User - o.User, c.System - o.System} }

// ProcessCPU is this process's CPU time so far, from getrusage(RUSAGE_SELF):
// every thread's, the kernel's work on its behalf included, whatever else
// the machine runs.
func ProcessCPU() CPUTime {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return CPUTime{}
	}
	return CPUTime{User: time.Duration(ru.Utime.Nano()), System: time.Duration(ru.Stime.Nano())}
}

func machine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), OS: runtime.GOOS, Arch: runtime.GOARCH, GoVersion: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				m.Revision = s.Value
			}
		}
	}
	return m
}

// sortedElements returns the elements by CPU share, largest first (for
// the plot's legend order).
func (r *Result) sortedElements() []ElementResult {
	els := append([]ElementResult(nil), r.Elements...)
	sort.SliceStable(els, func(i, j int) bool { return els[i].CPUShare > els[j].CPUShare })
	return els
}
