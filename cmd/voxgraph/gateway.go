package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/voxgraph/voxgraph/sip"
)

func cmdGateway(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("gateway", "--config FILE | --example-config",
		"Runs the SIP transcoding gateway (a B2BUA) until Ctrl-C: it routes each INVITE by the\n"+
			"configuration, calls the target as a second leg, and joins the legs' media,\n"+
			"transcoding when their codecs differ. --example-config prints a commented config.", stderr)
	config := fs.String("config", "", "gateway configuration file (YAML)")
	example := fs.Bool("example-config", false, "print a commented example configuration and exit")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn, error")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile (go tool pprof) to this file until the gateway stops")
	pf := pluginFlags{batch: true}
	pf.define(fs)
	pos, code, ok := parseInterspersed(fs, args, stdout)
	if !ok {
		return code
	}
	if *example {
		fmt.Fprint(stdout, sip.ExampleConfig)
		return exitOK
	}
	if *config == "" || len(pos) != 0 {
		fmt.Fprintln(stderr, "voxgraph gateway: give --config FILE (or --example-config)")
		fs.Usage()
		return exitUsage
	}
	logger, err := newLogger(*logLevel, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "voxgraph gateway:", err)
		return exitUsage
	}
	host, err := pf.load(logger) // before the config: its codec lists may name plugin codecs
	if err != nil {
		fmt.Fprintln(stderr, "voxgraph gateway: plugins:", err)
		return exitError
	}
	defer host.Close()
	cfg, err := sip.LoadConfig(*config)
	if err != nil {
		fmt.Fprintln(stderr, "voxgraph gateway:", err)
		return exitError
	}
	gw, err := sip.NewGateway(cfg, logger)
	if err != nil {
		fmt.Fprintln(stderr, "voxgraph gateway:", err)
		return exitError
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(stderr, "voxgraph gateway:", err)
			return exitError
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(stderr, "voxgraph gateway:", err)
			return exitError
		}
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	st := gw.Stats()
	gw.Close()
	fmt.Fprintf(stdout, "gateway stopped: %d calls, %d answered, %d failed, %d rejected\n",
		st.Calls.Load(), st.Answered.Load(), st.Failed.Load(), st.Rejected.Load())
	return exitOK
}
