package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	benchgraphs "github.com/voxgraph/voxgraph/benchmarks/graphs"
	"github.com/voxgraph/voxgraph/benchmarks/harness"
	"github.com/voxgraph/voxgraph/codecs"
	"github.com/voxgraph/voxgraph/pipeline"
)

func cmdBench(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("bench", "[flags] std:NAME|FILE|\"PIPELINE\"",
		"Runs many instances of a graph at once, fed by synthetic speech, and reports per-element\n"+
			"latency (p50/p90/p99/p99.9/max) and CPU share, end-to-end latency, CPU seconds per\n"+
			"call-second (getrusage), late ticks, calls per core, heap and goroutines per call.\n"+
			"Benchmark graphs: std:"+strings.Join(benchgraphs.Names(), ", std:")+".\n"+
			"  voxgraph bench std:g711-transcode --calls 1000 --duration 20s\n"+
			"  voxgraph bench std:g711-transcode --ramp 500:3000:250 --duration 10s\n"+
			"  voxgraph bench std:full --max-speed --calls 200 --duration 10s", stderr)
	calls := fs.Int("calls", 100, "graph instances (calls) to run at once")
	ramp := fs.String("ramp", "", "FROM:TO:STEP: add calls step by step; report the most that stay real time")
	duration := fs.Duration("duration", 10*time.Second, "measurement window (of each ramp step)")
	warmup := fs.Duration("warmup", 2*time.Second, "unmeasured warm-up before each window")
	realtime := fs.Bool("realtime", true, "tick the graphs every ptime on the scheduler's clock (the default)")
	maxSpeed := fs.Bool("max-speed", false, "step the graphs as fast as the CPUs allow from in-memory sources: the pure CPU cost")
	source := fs.String("source", "", "input: udp (a sender over loopback; the default for graphs with rtp-src), inject (in memory), graph (the graph's own sources)")
	timing := fs.Bool("timing", true, "time every element and the end-to-end path (--timing=false measures what timing costs)")
	jsonOut := fs.String("json", "", "write the result as JSON (schema "+harness.Schema+") to this file")
	plotOut := fs.String("plot", "", "write a PNG plot: latency distribution per element (and the ramp curve)")
	ptime := fs.Duration("ptime", pipeline.DefaultPTime, "frame period")
	workers := fs.Int("workers", 0, "scheduler workers (0: one per CPU)")
	sender := fs.String("sender", "process", "where the UDP sender runs: process (a child process, not counted) or in-process (counted)")
	lateLimit := fs.Float64("late-limit", 0.1, "ramp: percent of late ticks (and of packets not returned) a real-time step stays under")
	quiet := fs.Bool("quiet", false, "no progress bar")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file (go tool pprof)")
	logLevel := fs.String("log-level", "error", "graph log level: debug, info, warn, error")
	vars := setFlag{}
	fs.Var(vars, "set", "set a graph variable: --set key=value (repeatable)")
	var pf pluginFlags
	pf.define(fs)
	pf.batch = true
	pos, code, ok := parseInterspersed(fs, args, stdout)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "voxgraph bench: want exactly one graph")
		fs.Usage()
		return exitUsage
	}
	cfg := harness.Config{Graph: pos[0], Vars: vars, Calls: *calls, Duration: *duration, Warmup: *warmup,
		MaxSpeed: *maxSpeed, Source: *source, NoTiming: !*timing, PTime: *ptime, Workers: *workers, LateLimit: *lateLimit / 100}
	if *maxSpeed && flagSet(fs, "realtime") && *realtime {
		fmt.Fprintln(stderr, "voxgraph bench: --realtime and --max-speed exclude each other")
		return exitUsage
	}
	if !*realtime && !*maxSpeed {
		cfg.MaxSpeed = true
	}
	if *ramp != "" {
		r, err := harness.ParseRamp(*ramp)
		if err != nil {
			fmt.Fprintln(stderr, "voxgraph bench:", err)
			return exitUsage
		}
		cfg.Ramp = r
	}
	switch *sender {
	case "process":
		self, err := os.Executable()
		if err != nil {
			fmt.Fprintln(stderr, "voxgraph bench: sender:", err)
			return exitError
		}
		cfg.SenderCommand = []string{self, "bench-sender", "--control", "--ptime", ptime.String()}
	case "in-process":
	default:
		fmt.Fprintf(stderr, "voxgraph bench: --sender %q: want process or in-process\n", *sender)
		return exitUsage
	}
	logger, err := newLogger(*logLevel, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "voxgraph bench:", err)
		return exitUsage
	}
	cfg.Logger = logger
	host, err := pf.load(logger)
	if err != nil {
		fmt.Fprintln(stderr, "voxgraph bench: plugins:", err)
		return exitError
	}
	defer host.Close()
	if !*quiet && isTerminal(stderr) {
		cfg.Progress = progressBar(stderr)
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(stderr, "voxgraph bench:", err)
			return exitError
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(stderr, "voxgraph bench: cpu profile:", err)
			return exitError
		}
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := harness.Run(ctx, cfg)
	if cfg.Progress != nil {
		fmt.Fprint(stderr, "\r\033[K")
	}
	if err != nil && res == nil {
		printErrors(stderr, err)
		return exitError
	}
	if werr := harness.WriteTable(stdout, res); werr != nil {
		fmt.Fprintln(stderr, "voxgraph bench:", werr)
		return exitError
	}
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		if werr := os.WriteFile(*jsonOut, append(b, '\n'), 0o644); werr != nil {
			fmt.Fprintln(stderr, "voxgraph bench:", werr)
			return exitError
		}
	}
	if *plotOut != "" {
		if perr := harness.Plot(res, *plotOut); perr != nil {
			fmt.Fprintln(stderr, "voxgraph bench: plot:", perr)
			return exitError
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "voxgraph bench:", err)
		return exitError
	}
	return exitOK
}

func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// progressBar draws the benchmark's phase on one updating line.
func progressBar(w io.Writer) func(harness.Progress) {
	return func(p harness.Progress) {
		const width = 30
		frac := 0.0
		if p.Total > 0 {
			frac = min(float64(p.Elapsed)/float64(p.Total), 1)
		}
		n := int(frac * width)
		fmt.Fprintf(w, "\r\033[K[%s%s] %3.0f%%  %s  %d calls  %.2f cores", strings.Repeat("#", n), strings.Repeat(" ", width-n),
			100*frac, p.Phase, p.Calls, p.CPU)
	}
}

// cmdBenchSender is the synthetic RTP sender: the one voxgraph bench runs
// as its child (--control), and a stand-alone one that feeds other media
// engines the same streams (benchmarks/compare).
func cmdBenchSender(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("bench-sender", "--control | --to ADDR --streams N [flags]",
		"Sends synthetic speech as RTP over loopback UDP: one stream per destination, one packet per\n"+
			"ptime each, spread over the period, with sendmmsg. --control speaks voxgraph bench's\n"+
			"protocol on standard input and output; otherwise it sends --streams streams to --to,\n"+
			"--to's port plus --port-step for each next stream, for --duration, and prints its counters.", stderr)
	control := fs.Bool("control", false, "take commands on standard input (voxgraph bench runs it so)")
	to := fs.String("to", "", "first destination, a loopback host:port")
	streams := fs.Int("streams", 1, "number of streams")
	step := fs.Int("port-step", 2, "port distance between streams' destinations")
	duration := fs.Duration("duration", 10*time.Second, "how long to send")
	codec := fs.String("codec", "PCMU", "codec of the streams")
	drain := fs.Int("drain-port", 0, "port on --to's address to receive (and count) what comes back (0: any free port)")
	ptime := fs.Duration("ptime", pipeline.DefaultPTime, "frame period")
	pos, code, ok := parseInterspersed(fs, args, stdout)
	if !ok {
		return code
	}
	if len(pos) != 0 {
		fs.Usage()
		return exitUsage
	}
	if *control {
		if err := harness.ServeSender(os.Stdin, stdout, codecs.Default, *ptime); err != nil {
			fmt.Fprintln(stderr, "voxgraph bench-sender:", err)
			return exitError
		}
		return exitOK
	}
	first, err := netip.ParseAddrPort(*to)
	if err != nil || *streams < 1 || *step < 1 {
		fmt.Fprintln(stderr, "voxgraph bench-sender: want --to HOST:PORT (loopback), --streams ≥ 1 and --port-step ≥ 1")
		return exitUsage
	}
	loop, err := harness.NewLoop(codecs.Default, *codec, *ptime)
	if err != nil {
		fmt.Fprintln(stderr, "voxgraph bench-sender:", err)
		return exitError
	}
	if *drain < 0 || *drain > 65535 {
		fmt.Fprintln(stderr, "voxgraph bench-sender: --drain-port out of range")
		return exitUsage
	}
	s, err := harness.NewSender(first.Addr(), uint16(*drain), *ptime)
	if err != nil {
		fmt.Fprintln(stderr, "voxgraph bench-sender:", err)
		return exitError
	}
	dsts := make([]netip.AddrPort, *streams)
	for i := range dsts {
		p := int(first.Port()) + i**step
		if p > 65535 {
			s.Close()
			fmt.Fprintln(stderr, "voxgraph bench-sender: ports run past 65535")
			return exitUsage
		}
		dsts[i] = netip.AddrPortFrom(first.Addr(), uint16(p))
	}
	s.Add(loop, dsts...)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	select {
	case <-time.After(*duration):
	case <-ctx.Done():
	}
	st := s.Close()
	b, _ := json.Marshal(struct {
		harness.SenderStats
		Drain string `json:"drain"`
	}{st, s.Drain().String()})
	fmt.Fprintf(stdout, "%s\n", b)
	return exitOK
}
