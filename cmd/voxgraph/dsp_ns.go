package main

import (
	"fmt"
	"io"

	"github.com/voxgraph/voxgraph/dsp/ns"
)

func init() {
	registerDSPTool(dspTool{
		name:     "ns",
		synopsis: "--in X.wav --out Y.wav [--level DB]",
		summary:  "noise suppression: Y.wav is X.wav with its background noise taken down",
		run:      cmdDSPNS,
	})
}

func cmdDSPNS(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("dsp ns", "--in X.wav --out Y.wav [--level DB]",
		"Suppresses the background noise of X.wav (8, 16, 32 or 48 kHz mono) and writes the result to Y.wav,\n"+
			"aligned with the input (the suppressor's 10 ms delay is taken out) and of the same length.\n"+
			"The run time goes to standard error.", stderr)
	in := fs.String("in", "", "input WAV file (required)")
	out := fs.String("out", "", "output WAV file (required)")
	lvl := fs.Float64("level", ns.DefaultLevel, "maximum attenuation in dB, the floor noise is brought down to")
	pos, code, ok := parseInterspersed(fs, args, stdout)
	if !ok {
		return code
	}
	if *in == "" || *out == "" || len(pos) != 0 {
		fmt.Fprintln(stderr, "voxgraph dsp ns: want --in X.wav --out Y.wav and no arguments")
		return exitUsage
	}
	if !(*lvl > 0) {
		fmt.Fprintf(stderr, "voxgraph dsp ns: level %g dB must be positive\n", *lvl)
		return exitUsage
	}
	pcm, rate, err := readMono(*in)
	if err != nil {
		fmt.Fprintln(stderr, "voxgraph dsp ns:", err)
		return exitError
	}
	s, err := ns.New(ns.Config{Rate: rate, Level: *lvl})
	if err != nil {
		fmt.Fprintln(stderr, "voxgraph dsp ns:", err)
		return exitUsage
	}
	res, took := runDelayed(pcm, s.FrameSize(), s.Delay(), s.Process)
	if err := writeMono(*out, rate, res); err != nil {
		fmt.Fprintln(stderr, "voxgraph dsp ns:", err)
		return exitError
	}
	dspReport(stderr, "ns", len(pcm), rate, took)
	return exitOK
}
