package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/voxgraph/voxgraph/pipeline"
)

func cmdDemo(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("demo", "",
		"Runs the embedded demonstration graph (std:demo) in real time with no input files:\n"+
			"a DTMF dial string goes through PCMU and PCMA round trips and is measured.\n"+
			"See it with `voxgraph dot std:demo`.", stderr)
	logLevel := fs.String("log-level", "warn", "log level: debug, info, warn, error")
	pos, code, ok := parseInterspersed(fs, args, stdout)
	if !ok {
		return code
	}
	if len(pos) != 0 {
		fmt.Fprintln(stderr, "voxgraph demo: takes no arguments")
		return exitUsage
	}
	logger, err := newLogger(*logLevel, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "voxgraph demo:", err)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintln(stdout, "voxgraph demo: DTMF \"0123456789*#\" → tee → PCMU and PCMA encode/decode → level meters, in real time")
	return runGraph(ctx, "std:demo", nil, runOptions{ptime: pipeline.DefaultPTime, logger: logger}, stdout, stderr)
}
