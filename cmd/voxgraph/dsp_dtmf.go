package main

import (
	"bufio"
	"fmt"
	"io"
	"time"

	"github.com/voxgraph/voxgraph/dsp/dtmf"
)

func init() {
	registerDSPTool(dspTool{
		name:     "dtmf",
		synopsis: "--in X.wav",
		summary:  "in-band DTMF digits: one line per digit, START DIGIT DURATION (seconds)",
		run:      cmdDSPDTMF,
	})
}

func cmdDSPDTMF(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("dsp dtmf", "--in X.wav",
		"Finds the DTMF digits in X.wav (mono, 8 to 48 kHz) with the ITU-T Q.24 checks of package dsp/dtmf\n"+
			"and writes one line per digit to standard output: its start, the digit and its duration, in\n"+
			"seconds with 3 decimals (e.g. \"1.230 5 0.100\"). The run time goes to standard error.", stderr)
	in := fs.String("in", "", "input WAV file (required)")
	minLevel := fs.Float64("min-level", dtmf.DefaultMinLevel, "dBov each tone must reach")
	twist := fs.Float64("max-twist", dtmf.DefaultMaxTwist, "dB the high group may be under the low group (accepted; refused 2 dB beyond)")
	reverse := fs.Float64("max-reverse-twist", dtmf.DefaultMaxReverseTwist, "dB the low group may be under the high group (accepted; refused 2 dB beyond)")
	tol := fs.Float64("tolerance", dtmf.DefaultFreqTolerance, "largest relative frequency error accepted (0.025: 2.5 %)")
	minDur := fs.Duration("min-duration", dtmf.DefaultMinDuration, "shortest tone reported as a digit")
	dropout := fs.Duration("max-dropout", dtmf.DefaultMaxDropout, "interruptions shorter than this do not split a digit")
	pos, code, ok := parseInterspersed(fs, args, stdout)
	if !ok {
		return code
	}
	if *in == "" || len(pos) != 0 {
		fmt.Fprintln(stderr, "voxgraph dsp dtmf: want --in X.wav and no arguments")
		return exitUsage
	}
	pcm, rate, err := readMono(*in)
	if err != nil {
		fmt.Fprintln(stderr, "voxgraph dsp dtmf:", err)
		return exitError
	}
	d, err := dtmf.New(dtmf.Config{Rate: rate, MinLevel: *minLevel, MaxTwist: *twist, MaxReverseTwist: *reverse,
		FreqTolerance: *tol, MinDuration: *minDur, MaxDropout: *dropout})
	if err != nil {
		fmt.Fprintln(stderr, "voxgraph dsp dtmf:", err)
		return exitUsage
	}
	start := time.Now()
	frame := rate / 100 // 10 ms chunks, as a graph would feed them
	events := make([]dtmf.Event, 0, 64)
	for rest := pcm; len(rest) > 0; rest = rest[min(frame, len(rest)):] {
		events = d.Process(rest[:min(frame, len(rest))], events)
	}
	events = d.Flush(events)
	took := time.Since(start)
	bw := bufio.NewWriter(stdout)
	for _, e := range events {
		if e.End {
			fmt.Fprintf(bw, "%.3f %c %.3f\n", e.Start.Seconds(), e.Digit, e.Duration.Seconds())
		}
	}
	if err := bw.Flush(); err != nil {
		fmt.Fprintln(stderr, "voxgraph dsp dtmf:", err)
		return exitError
	}
	dspReport(stderr, "dtmf", len(pcm), rate, took)
	return exitOK
}
