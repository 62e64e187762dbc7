package main

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/voxgraph/voxgraph/dsp/wav"
)

// dspTool is one offline runner of voxgraph dsp: it runs one algorithm of
// package dsp over WAV files, so users can tune and compare it on their own
// recordings.
type dspTool struct {
	name     string
	synopsis string
	summary  string
	run      func(args []string, stdout, stderr io.Writer) int
}

// dspTools is filled at init by the dsp_*.go files, one tool each.
var dspTools = map[string]dspTool{}

func registerDSPTool(t dspTool) {
	if _, dup := dspTools[t.name]; dup {
		panic("voxgraph dsp: tool " + t.name + " registered twice")
	}
	dspTools[t.name] = t
}

func dspToolNames() []string {
	names := make([]string, 0, len(dspTools))
	for n := range dspTools {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func cmdDSP(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		w := stderr
		code := exitUsage
		if len(args) > 0 {
			w, code = stdout, exitOK
		}
		fmt.Fprintln(w, "usage: voxgraph dsp TOOL [flags]")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Runs one signal-processing algorithm over WAV files (16-bit PCM, mono), offline.")
		fmt.Fprintln(w)
		for _, n := range dspToolNames() {
			t := dspTools[n]
			fmt.Fprintf(w, "  %-5s %s\n        voxgraph dsp %s %s\n", t.name, t.summary, t.name, t.synopsis)
		}
		fmt.Fprintln(w, "\nRun 'voxgraph dsp TOOL --help' for a tool's flags.")
		return code
	}
	t, ok := dspTools[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "voxgraph dsp: unknown tool %q (tools: %s)\n", args[0], strings.Join(dspToolNames(), ", "))
		return exitUsage
	}
	return t.run(args[1:], stdout, stderr)
}

// errNotMono is returned (wrapped) by readMono for a file with more than one
// channel.
var errNotMono = errors.New("not mono (convert it first, e.g. sox in.wav -c 1 out.wav)")

// readMono reads a whole mono 16-bit WAV file.
func readMono(path string) (pcm []int16, rate int, err error) {
	pcm, rate, channels, err := wav.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	if channels != 1 {
		return nil, 0, fmt.Errorf("%s: %d channels: %w", path, channels, errNotMono)
	}
	return pcm, rate, nil
}

// writeMono writes pcm as a mono 16-bit WAV file.
func writeMono(path string, rate int, pcm []int16) error {
	return wav.WriteFile(path, rate, 1, pcm)
}

// dspReport prints how long processing took against the audio's length, the
// figure the DSP benchmark compares (CPU seconds per second of audio).
func dspReport(w io.Writer, tool string, samples, rate int, took time.Duration) {
	audio := time.Duration(float64(samples) / float64(rate) * float64(time.Second))
	rt := 0.0
	if audio > 0 {
		rt = took.Seconds() / audio.Seconds()
	}
	fmt.Fprintf(w, "%s: %.2f s of audio at %d Hz in %s (%.5f s per audio second)\n", tool, audio.Seconds(), rate, took.Round(time.Microsecond), rt)
}

// runDelayed runs process over pcm in blocks of n samples, with silence
// after the end to flush the delay d out, and returns the output aligned
// with pcm (its first d samples dropped) and the time processing took.
func runDelayed(pcm []int16, n, d int, process func([]int16) error) ([]int16, time.Duration) {
	buf := make([]int16, (len(pcm)+d+n-1)/n*n)
	copy(buf, pcm)
	start := time.Now()
	for i := 0; i < len(buf); i += n {
		process(buf[i : i+n]) // whole blocks: cannot fail
	}
	return buf[d : d+len(pcm)], time.Since(start)
}
