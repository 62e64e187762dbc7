package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/voxgraph/voxgraph/sip"
	"github.com/voxgraph/voxgraph/sip/sdp"
)

func cmdCall(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("call", "[flags] SIP-URI",
		"Places a SIP call, plays a WAV file to the callee, records what comes back,\n"+
			"hangs up after --duration (or when the callee does) and prints the call's stats:\n"+
			"  voxgraph call sip:1000@127.0.0.1:5060 --play speech.wav --record heard.wav", stderr)
	play := fs.String("play", "", "WAV file to send (any rate; resampled to the codec's); empty sends silence")
	record := fs.String("record", "", "WAV file to write what the callee sends")
	duration := fs.Duration("duration", 10*time.Second, "hang up after this long")
	dialTimeout := fs.Duration("dial-timeout", 30*time.Second, "give up if the call is not answered within this long")
	codecList := fs.String("codecs", "PCMU,PCMA", "codecs to offer, most preferred first")
	listen := fs.String("listen", "127.0.0.1:0", "local SIP UDP address")
	srtp := fs.String("srtp", "off", "SRTP: off, optional (offer SDES) or required")
	dtmf := fs.String("dtmf", "", "DTMF digits (0-9, *, #, A-D) to send 1 s after the answer: RFC 4733 events if agreed, else SIP INFO")
	noTE := fs.Bool("no-telephone-event", false, "do not offer RFC 4733 telephone-events (DTMF then goes by INFO)")
	logLevel := fs.String("log-level", "warn", "log level: debug, info, warn, error")
	var pf pluginFlags
	pf.define(fs)
	pos, code, ok := parseInterspersed(fs, args, stdout)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "voxgraph call: want exactly one SIP URI")
		fs.Usage()
		return exitUsage
	}
	policy, err := sdp.ParseSRTPPolicy(*srtp)
	if err != nil {
		fmt.Fprintln(stderr, "voxgraph call:", err)
		return exitUsage
	}
	logger, err := newLogger(*logLevel, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "voxgraph call:", err)
		return exitUsage
	}
	host, err := pf.load(logger)
	if err != nil {
		fmt.Fprintln(stderr, "voxgraph call: plugins:", err)
		return exitError
	}
	defer host.Close()
	phone, err := sip.NewPhone(sip.PhoneConfig{Listen: *listen, Codecs: strings.Split(*codecList, ","), SRTP: policy,
		Play: *play, Record: *record, Logger: logger, UserAgent: "voxgraph-call", NoTelephoneEvent: *noTE})
	if err != nil {
		fmt.Fprintln(stderr, "voxgraph call:", err)
		return exitError
	}
	defer phone.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	dialCtx, cancel := context.WithTimeout(ctx, *dialTimeout)
	call, err := phone.Call(dialCtx, pos[0])
	cancel()
	if err != nil {
		fmt.Fprintln(stderr, "voxgraph call:", err)
		return exitError
	}
	fmt.Fprintf(stdout, "connected: %s\n", call.Negotiated)
	var dtmfAt <-chan time.Time
	if *dtmf != "" {
		dtmfAt = time.After(time.Second)
	}
	end := time.After(*duration)
	for waiting := true; waiting; {
		select {
		case <-dtmfAt:
			dtmfAt = nil
			if err := call.SendDTMF(ctx, *dtmf, 0); err != nil {
				fmt.Fprintln(stderr, "voxgraph call:", err)
			}
		case <-end:
			waiting = false
		case <-call.Done():
			waiting = false
		case <-ctx.Done():
			waiting = false
		}
	}
	stats := call.Graph.Stats()
	hctx, hcancel := context.WithTimeout(context.Background(), 3*time.Second)
	call.Hangup(hctx)
	hcancel()
	fmt.Fprintf(stdout, "call ended: %s\n", call.Reason())
	if d := call.Digits(); d != "" {
		fmt.Fprintf(stdout, "DTMF received: %s\n", d)
	}
	printStats(stdout, stats)
	return exitOK
}
