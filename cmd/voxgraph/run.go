package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/voxgraph/voxgraph/graphs"
	"github.com/voxgraph/voxgraph/pipeline"
)

func cmdRun(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("run", "[flags] FILE|std:NAME|\"PIPELINE\"",
		"Runs a graph until end-of-stream or Ctrl-C, then prints per-element stats.\n"+
			"GRAPH is a YAML file, std:NAME for an embedded standard graph, or a one-line pipeline:\n"+
			"  voxgraph run \"tone freqs=1000 duration=2s ! wav-sink path=t.wav\"", stderr)
	vars := setFlag{}
	fs.Var(vars, "set", "set a graph variable: --set key=value (repeatable)")
	ptime := fs.Duration("ptime", pipeline.DefaultPTime, "frame period")
	quiet := fs.Bool("quiet", false, "print no progress and no stats")
	timeout := fs.Duration("timeout", 0, "stop after this long (0: run to end-of-stream)")
	logLevel := fs.String("log-level", "warn", "log level: debug, info, warn, error")
	var pf pluginFlags
	pf.define(fs)
	pos, code, ok := parseInterspersed(fs, args, stdout)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "voxgraph run: want exactly one graph (quote a one-line pipeline)")
		fs.Usage()
		return exitUsage
	}
	logger, err := newLogger(*logLevel, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "voxgraph run:", err)
		return exitUsage
	}
	host, err := pf.load(logger)
	if err != nil {
		fmt.Fprintln(stderr, "voxgraph run: plugins:", err)
		return exitError
	}
	defer host.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *timeout)
		defer cancel()
	}
	return runGraph(ctx, pos[0], vars, runOptions{ptime: *ptime, quiet: *quiet, logger: logger}, stdout, stderr)
}

type runOptions struct {
	ptime  time.Duration
	quiet  bool
	logger *slog.Logger
}

func runGraph(ctx context.Context, arg string, vars map[string]string, o runOptions, stdout, stderr io.Writer) int {
	spec, err := graphs.Resolve(arg, vars)
	if err != nil {
		printErrors(stderr, err)
		return exitError
	}
	g, err := pipeline.Build(spec, pipeline.WithPTime(o.ptime), pipeline.WithLogger(o.logger))
	if err != nil {
		printErrors(stderr, err)
		return exitError
	}
	start := time.Now()
	stopProgress := func() {}
	if !o.quiet && isTerminal(stderr) {
		stopProgress = showProgress(g, stderr)
	}
	err = g.Run(ctx)
	stopProgress()
	elapsed := time.Since(start)
	if !o.quiet {
		status := "end of stream"
		if ctx.Err() != nil {
			status = "stopped"
		}
		fmt.Fprintf(stdout, "graph %s: %s after %s\n", displayName(g, arg), status, elapsed.Round(time.Millisecond))
		printStats(stdout, g.Stats())
	}
	if err != nil {
		fmt.Fprintln(stderr, "voxgraph run:", err)
		return exitError
	}
	return exitOK
}

func displayName(g *pipeline.Graph, arg string) string {
	if g.Name() != "" {
		return g.Name()
	}
	if len(arg) > 40 {
		return arg[:37] + "..."
	}
	return arg
}

func newLogger(level string, w io.Writer) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("bad --log-level %q (debug, info, warn, error)", level)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}

func printErrors(w io.Writer, err error) {
	for _, e := range pipeline.Errors(err) {
		fmt.Fprintln(w, e.Error())
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// showProgress prints file-input progress on one updating line until stopped.
func showProgress(g *pipeline.Graph, w io.Writer) func() {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		shown := false
		for {
			select {
			case <-done:
				if shown {
					fmt.Fprint(w, "\r\033[K")
				}
				return
			case <-t.C:
				d, total, ok := g.Progress()
				if !ok {
					continue
				}
				shown = true
				if total > 0 {
					fmt.Fprintf(w, "\r%s / %s  %3.0f%%", fmtDur(d), fmtDur(total), 100*float64(d)/float64(total))
				} else {
					fmt.Fprintf(w, "\r%s", fmtDur(d))
				}
			}
		}
	}()
	return func() { close(done); <-finished }
}

func fmtDur(d time.Duration) string {
	return fmt.Sprintf("%02d:%04.1f", int(d.Minutes()), (d % time.Minute).Seconds())
}

// printStats prints one row per element: frames, latency of its
// Process/Tick calls, and its own measurements.
func printStats(w io.Writer, stats []pipeline.ElementSnapshot) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "element\ttype\tin\tout\tdropped\tp50\tp99\tmax\tdetails")
	for _, s := range stats {
		var extra []string
		for _, x := range s.Extra {
			extra = append(extra, fmt.Sprintf("%s=%s%s", x.Name, fmtFloat(x.Value), x.Unit))
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\t%s\t%s\t%s\n", s.Name, s.Type, s.In, s.Out, s.Dropped,
			fmtLat(s.P50), fmtLat(s.P99), fmtLat(s.Max), strings.Join(extra, " "))
	}
	tw.Flush()
}

func fmtFloat(v float64) string {
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d", int64(v))
	}
	return fmt.Sprintf("%.1f", v)
}

func fmtLat(d time.Duration) string {
	switch {
	case d == 0:
		return "-"
	case d < time.Microsecond:
		return fmt.Sprintf("%dns", d.Nanoseconds())
	case d < time.Millisecond:
		return fmt.Sprintf("%.1fµs", float64(d)/float64(time.Microsecond))
	default:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	}
}
