package harness

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// WriteTable prints the result the way voxgraph bench does: the
// per-element table, then end-to-end latency, CPU, deadlines, memory,
// network and the ramp.
func WriteTable(w io.Writer, r *Result) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "graph %s: %d calls × %d stream(s), %s, source %s", r.Graph, r.Calls, r.Streams, r.Mode, r.Source)
	if r.Sender != "" {
		fmt.Fprintf(ew, " (sender in a %s)", r.Sender)
	}
	fmt.Fprintf(ew, ", %.1f s measured after %.1f s warm-up, %d workers on %d CPUs\n", r.WindowS, r.WarmupS, r.Workers, r.Machine.CPUs)
	if !r.Timing {
		fmt.Fprintln(ew, "timing off: no per-element or end-to-end latency")
	}
	if len(r.Elements) > 0 && r.Timing {
		tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "element\ttype\tframes\tp50\tp90\tp99\tp99.9\tmax\tcpu\t")
		for _, e := range r.Elements {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%.1f%%\t\n", e.Name, e.Type, e.Frames,
				fmtUS(e.P50), fmtUS(e.P90), fmtUS(e.P99), fmtUS(e.P999), fmtUS(e.Max), 100*e.CPUShare)
		}
		tw.Flush()
	}
	if e := r.EndToEnd; e != nil {
		fmt.Fprintf(ew, "end to end (arrival → send, jitter buffer included): p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  (%d frames)\n",
			fmtUS(e.P50), fmtUS(e.P90), fmtUS(e.P99), fmtUS(e.P999), fmtUS(e.Max), e.Count)
	}
	c := r.CPU
	fmt.Fprintf(ew, "cpu: %.2f s user + %.2f s system = %.2f s over %.1f s (%.2f cores); %.3f ms per call-second; %.0f calls per core\n",
		c.UserS, c.SysS, c.TotalS, r.WindowS, c.Cores, c.PerCallSecondMs, r.CallsPerCore)
	if c.Speed > 0 {
		fmt.Fprintf(ew, "max speed: each call ran %.0f× real time\n", c.Speed)
	}
	if d := r.Deadlines; d.Ticks > 0 {
		fmt.Fprintf(ew, "ticks: %d, late %d (%.3f%%), skipped %d; tick start behind schedule p99 %s max %s; tick work p99 %s\n",
			d.Ticks, d.Late, d.LatePct, d.Skipped, fmtUS(d.LatenessP99), fmtUS(d.LatenessMax), fmtUS(d.TickWorkP99))
	}
	m := r.Memory
	fmt.Fprintf(ew, "memory: %.1f KiB heap and %.1f goroutines per call; %.3f allocations per frame in the window\n",
		m.HeapPerCallBytes/1024, m.GoroutinesPerCall, m.AllocsPerFrame)
	if n := r.Network; n != nil {
		fmt.Fprintf(ew, "network: %d packets sent to the graphs, %d came back (%.3f%% missing), %d send errors, sender late %d ms\n",
			n.Sent, n.Received, n.LossPct, n.SendErrors, n.SenderLateSlots)
		if n.Received > n.Sent {
			fmt.Fprintln(ew, "  (more came back than went in: the graph sends on its own clock — a mixer, or a decoder concealing after the sender paused)")
		}
	}
	fmt.Fprintf(ew, "impaired: %d frames lost, late or starved in the graphs (%.3f%% of frames fed)\n", r.Impaired, r.ImpairedPct)
	if len(r.Ramp) > 0 {
		tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "calls\tms/call-s\tcores\tlate ticks\tlateness p99\tmissing\timpaired\treal time\t")
		for _, s := range r.Ramp {
			fmt.Fprintf(tw, "%d\t%.3f\t%.2f\t%.3f%%\t%s\t%.3f%%\t%.3f%%\t%v\t\n", s.Calls, s.PerCallSecondMs, s.Cores, s.LatePct, fmtUS(s.LatenessP99), s.LossPct, s.ImpairedPct, s.RealTime)
		}
		tw.Flush()
		if r.MaxRealtimeCalls > 0 {
			fmt.Fprintf(ew, "largest real-time step: %d calls\n", r.MaxRealtimeCalls)
		} else {
			fmt.Fprintln(ew, "no step stayed real time")
		}
	}
	return ew.err
}

func fmtUS(v float64) string {
	switch {
	case v == 0:
		return "-"
	case v < 1:
		return fmt.Sprintf("%.0fns", v*1000)
	case v < 1000:
		return fmt.Sprintf("%.1fµs", v)
	default:
		return fmt.Sprintf("%.2fms", v/1000)
	}
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}
