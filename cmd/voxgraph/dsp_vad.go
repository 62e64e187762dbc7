package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/voxgraph/voxgraph/dsp/vad"
)

func init() {
	registerDSPTool(dspTool{
		name:     "vad",
		synopsis: "--in X.wav [--out labels.txt]",
		summary:  "voice activity per 10 ms block: one line per block, 0 or 1",
		run:      cmdDSPVAD,
	})
}

func cmdDSPVAD(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("dsp vad", "--in X.wav [--out labels.txt]",
		"Decides for each 10 ms block of X.wav (8, 16, 32 or 48 kHz mono) whether it is speech and writes\n"+
			"one line per block, 1 for speech and 0 for not, to --out or standard output. A last partial block\n"+
			"is padded with silence. The run time goes to standard error.", stderr)
	in := fs.String("in", "", "input WAV file (required)")
	out := fs.String("out", "", "labels file (default: standard output)")
	hangover := fs.Duration("hangover", vad.DefaultHangover, "how long a talkspurt lasts after its last speech block")
	onset := fs.Duration("onset", vad.DefaultOnset, "how long a signal must be loud before a talkspurt starts")
	threshold := fs.Float64("threshold", vad.DefaultThreshold, "dB above the noise floor that starts a talkspurt")
	minLevel := fs.Float64("min-level", vad.DefaultMinLevel, "dBov below which a block is never speech")
	pos, code, ok := parseInterspersed(fs, args, stdout)
	if !ok {
		return code
	}
	if *in == "" || len(pos) != 0 {
		fmt.Fprintln(stderr, "voxgraph dsp vad: want --in X.wav and no arguments")
		return exitUsage
	}
	pcm, rate, err := readMono(*in)
	if err != nil {
		fmt.Fprintln(stderr, "voxgraph dsp vad:", err)
		return exitError
	}
	h := *hangover
	if h == 0 {
		h = vad.NoHangover
	}
	d, err := vad.New(vad.Config{Rate: rate, Hangover: h, Onset: *onset, Threshold: *threshold, MinLevel: *minLevel})
	if err != nil {
		fmt.Fprintln(stderr, "voxgraph dsp vad:", err)
		return exitUsage
	}
	n := d.BlockSize()
	blocks := (len(pcm) + n - 1) / n
	labels := make([]byte, 0, 2*blocks)
	block := make([]int16, n)
	start := time.Now()
	for i := 0; i < blocks; i++ {
		clear(block)
		copy(block, pcm[i*n:min(len(pcm), (i+1)*n)])
		if d.Process(block) {
			labels = append(labels, '1', '\n')
		} else {
			labels = append(labels, '0', '\n')
		}
	}
	took := time.Since(start)
	w := stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintln(stderr, "voxgraph dsp vad:", err)
			return exitError
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriter(w)
	bw.Write(labels)
	if err := bw.Flush(); err != nil {
		fmt.Fprintln(stderr, "voxgraph dsp vad:", err)
		return exitError
	}
	dspReport(stderr, "vad", len(pcm), rate, took)
	return exitOK
}
