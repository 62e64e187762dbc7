package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/voxgraph/voxgraph/benchmarks/dsp/corpus"
	"github.com/voxgraph/voxgraph/benchmarks/dsp/metrics"
	"github.com/voxgraph/voxgraph/dsp/wav"
)

// Implementations under test, in table order.
const (
	implOurs   = "voxgraph"
	implSpeex  = "speexdsp"
	implWebRTC = "webrtc"
)

var impls = []string{implOurs, implSpeex, implWebRTC}

// Tools, in table order.
var tools = []string{"aec", "ns", "vad", "agc", "dtmf"}

// Status of one tool of one implementation.
const (
	statusOK       = "ok"
	statusNotBuilt = "not built" // voxgraph dsp TOOL answers "unknown tool"
	statusNA       = "n/a"       // the reference has no such component
	statusFailed   = "failed"    // it ran and failed on some file
)

// runner knows how to call each implementation's tools.
type runner struct {
	bin     map[string]string // impl → executable
	outDir  string
	timeout time.Duration
}

// job is one run of one tool over one corpus item.
type job struct {
	impl, tool string
	item       *corpus.Item
	args       []string
	out        string // output file (wav or labels), "" for dtmf

	cpu    time.Duration
	stdout []byte
	err    error
}

// probe reports whether voxgraph has tool: the contract says an unknown
// tool exits 2 with "unknown tool" on standard error.
func (r *runner) probe(impl, tool string) string {
	if impl != implOurs {
		if tool == "dtmf" {
			return statusNA
		}
		return statusOK
	}
	var stderr bytes.Buffer
	cmd := exec.Command(r.bin[impl], "dsp", tool)
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 2 && strings.Contains(stderr.String(), "unknown tool") {
		return statusNotBuilt
	}
	return statusOK
}

// command returns the argument list for impl's tool on it and the output
// path it writes.
func (r *runner) command(impl, tool string, it *corpus.Item, corpusDir string) []string {
	in := func(p string) string { return filepath.Join(corpusDir, p) }
	out := filepath.Join(r.outDir, impl, tool, it.ID)
	var args []string
	if impl == implOurs {
		args = []string{"dsp"}
	}
	args = append(args, tool)
	switch tool {
	case "aec":
		args = append(args, "--mic", in(it.Mic), "--ref", in(it.Ref), "--out", out+".wav")
	case "vad":
		args = append(args, "--in", in(it.In), "--out", out+".txt")
	case "dtmf":
		args = append(args, "--in", in(it.In))
	default:
		args = append(args, "--in", in(it.In), "--out", out+".wav")
	}
	return args
}

// outPath is where job's output goes.
func (r *runner) outPath(impl, tool string, it *corpus.Item) string {
	switch tool {
	case "dtmf":
		return ""
	case "vad":
		return filepath.Join(r.outDir, impl, tool, it.ID) + ".txt"
	}
	return filepath.Join(r.outDir, impl, tool, it.ID) + ".wav"
}

// runAll runs the jobs on n workers. CPU is the child's user+system time
// from its ProcessState, the same measure for every implementation.
func (r *runner) runAll(jobs []*job, n int) {
	ch := make(chan *job)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range ch {
				r.run(j)
			}
		}()
	}
	for _, j := range jobs {
		ch <- j
	}
	close(ch)
	wg.Wait()
}

func (r *runner) run(j *job) {
	if j.out != "" {
		if err := os.MkdirAll(filepath.Dir(j.out), 0o755); err != nil {
			j.err = err
			return
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.timeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, r.bin[j.impl], j.args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if cmd.ProcessState != nil {
		j.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	j.stdout = stdout.Bytes()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 300 {
			msg = msg[:300] + "…"
		}
		j.err = fmt.Errorf("%s %s: %w: %s", filepath.Base(r.bin[j.impl]), strings.Join(j.args, " "), err, msg)
	}
}

// startupCPU is the median CPU time of impl's tool over five runs on 0.1 s
// of silence: the cost of starting the process and reading its input,
// which is subtracted per run for the "net of process start" figure so
// that short files do not favour the smaller executable.
func (r *runner) startupCPU(impl, tool string) (time.Duration, error) {
	dir := filepath.Join(r.outDir, "startup")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	sil := filepath.Join(dir, "silence.wav")
	w, err := wav.Create(sil, 8000, 1)
	if err != nil {
		return 0, err
	}
	if err := errors.Join(w.Write(make([]int16, 800)), w.Close()); err != nil {
		return 0, err
	}
	it := &corpus.Item{ID: "startup/" + tool, In: sil, Mic: sil, Ref: sil, Seconds: 0.1}
	var cpus []float64
	for range 5 {
		j := &job{impl: impl, tool: tool, item: it, args: r.command(impl, tool, it, "/"), out: r.outPath(impl, tool, it)}
		r.run(j)
		if j.err != nil {
			return 0, j.err
		}
		cpus = append(cpus, j.cpu.Seconds())
	}
	return time.Duration(metrics.Median(cpus) * float64(time.Second)), nil
}
