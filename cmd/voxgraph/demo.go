package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/voxgraph/voxgraph/dsp/level"
	"github.com/voxgraph/voxgraph/dsp/wav"
	"github.com/voxgraph/voxgraph/sip"
)

func cmdDemo(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("demo", "[--out DIR] [--duration D]",
		"A real call on loopback with no setup: it starts the transcoding gateway, a callee\n"+
			"that answers with G.722 (16 kHz), and a caller that sends a speech-like signal as\n"+
			"PCMU (8 kHz) through the gateway; then it prints the call's route, codecs and the\n"+
			"gateway's per-element latency, and writes what each side heard to --out.", stderr)
	out := fs.String("out", "", "directory for the recordings (default: a new temporary directory)")
	duration := fs.Duration("duration", 3*time.Second, "how long the call lasts")
	logLevel := fs.String("log-level", "warn", "log level: debug, info, warn, error")
	pos, code, ok := parseInterspersed(fs, args, stdout)
	if !ok {
		return code
	}
	if len(pos) != 0 || *duration < time.Second {
		fmt.Fprintln(stderr, "voxgraph demo: takes no arguments; --duration at least 1s")
		return exitUsage
	}
	logger, err := newLogger(*logLevel, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "voxgraph demo:", err)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := demoCall(ctx, *out, *duration, logger, stdout); err != nil {
		fmt.Fprintln(stderr, "voxgraph demo:", err)
		return exitError
	}
	return exitOK
}

func demoCall(ctx context.Context, dir string, duration time.Duration, logger *slog.Logger, w io.Writer) error {
	if dir == "" {
		d, err := os.MkdirTemp("", "voxgraph-demo-")
		if err != nil {
			return err
		}
		dir = d
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	speech, greeting := filepath.Join(dir, "caller-sends.wav"), filepath.Join(dir, "callee-sends.wav")
	calleeHeard, callerHeard := filepath.Join(dir, "callee-heard.wav"), filepath.Join(dir, "caller-heard.wav")
	if err := writeSynth(speech, 8000, duration+time.Second, speechLike); err != nil {
		return err
	}
	if err := writeSynth(greeting, 16000, duration+time.Second, announcement); err != nil {
		return err
	}
	phonePorts, err := sip.NewPorts(netip.MustParseAddr("127.0.0.1"), 46000, 46999)
	if err != nil {
		return err
	}
	callee, err := sip.NewPhone(sip.PhoneConfig{Ports: phonePorts, Codecs: []string{"G722"}, Play: greeting, Loop: true,
		Record: calleeHeard, User: "callee", Logger: logger, UserAgent: "voxgraph-demo-callee"})
	if err != nil {
		return err
	}
	defer callee.Close()
	cfg, err := sip.ParseConfig("demo", []byte(fmt.Sprintf(`
listen: [{transport: udp, addr: "127.0.0.1:0"}]
media: {address: 127.0.0.1, ports: 47000-47999, rtp_timeout: 10s}
codecs: [PCMU, PCMA]
routes:
  - {name: demo, request_uri: '^sip:demo@', forward: 'sip:callee@%s', codecs: [G722], open: true}
  - {name: rest, reject: 404}
`, callee.Addr())))
	if err != nil {
		return err
	}
	gw, err := sip.NewGateway(cfg, logger)
	if err != nil {
		return err
	}
	defer gw.Close()
	caller, err := sip.NewPhone(sip.PhoneConfig{Ports: phonePorts, Codecs: []string{"PCMU"}, Play: speech,
		Record: callerHeard, User: "caller", Logger: logger, UserAgent: "voxgraph-demo-caller"})
	if err != nil {
		return err
	}
	defer caller.Close()

	target := fmt.Sprintf("sip:demo@%s", gw.Addr())
	fmt.Fprintf(w, "voxgraph demo: caller %s → gateway %s → callee %s\n", caller.Addr(), gw.Addr(), callee.Addr())
	dialCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	call, err := caller.Call(dialCtx, target)
	cancel()
	if err != nil {
		return fmt.Errorf("call %s: %w", target, err)
	}
	fmt.Fprintf(w, "call answered; talking for %s…\n", duration)
	select {
	case <-time.After(duration):
	case <-call.Done():
		return fmt.Errorf("call ended early: %s", call.Reason())
	case <-ctx.Done():
	}
	reports := gw.Calls()
	hctx, hcancel := context.WithTimeout(context.Background(), 3*time.Second)
	call.Hangup(hctx)
	hcancel()
	deadline := time.Now().Add(3 * time.Second)
	for (gw.ActiveCalls() > 0 || gw.PortsInUse() > 0) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if len(reports) != 1 {
		return fmt.Errorf("gateway reported %d calls, want 1", len(reports))
	}
	r := reports[0]
	fmt.Fprintf(w, "\nroute:   %s (%s)\n", r.Route, target)
	fmt.Fprintf(w, "leg A:   caller ⇄ gateway  %s (%s)\n", r.A.Codec, r.A.Local)
	fmt.Fprintf(w, "leg B:   gateway ⇄ callee  %s (%s)\n", r.B.Codec, r.B.Local)
	fmt.Fprintf(w, "media:   transcoding %v; per-element latency of the gateway's call graph:\n\n", r.Transcoding)
	printStats(w, r.Stats)
	fmt.Fprintln(w)
	calleeSec, calleeDB, err := heard(calleeHeard)
	if err != nil {
		return err
	}
	callerSec, callerDB, err := heard(callerHeard)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "callee heard %.1f s at %.1f dBov (16 kHz G.722): %s\n", calleeSec, calleeDB, calleeHeard)
	fmt.Fprintf(w, "caller heard %.1f s at %.1f dBov (8 kHz PCMU):   %s\n", callerSec, callerDB, callerHeard)
	if !r.Transcoding || calleeSec < duration.Seconds()/2 || calleeDB < -40 || callerSec < duration.Seconds()/2 || callerDB < -40 {
		return fmt.Errorf("the call did not carry audio both ways")
	}
	fmt.Fprintf(w, "\ncall succeeded: %s ⇄ %s transcoded through the gateway; gateway released every port (%d in use)\n",
		r.A.Codec, r.B.Codec, gw.PortsInUse())
	return nil
}

// heard measures a recording: seconds and average RMS level.
func heard(path string) (float64, float64, error) {
	r, err := wav.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer r.Close()
	var pcm []int16
	buf := make([]int16, 4096)
	for {
		n, err := r.Read(buf)
		pcm = append(pcm, buf[:n]...)
		if err != nil {
			break
		}
	}
	return float64(len(pcm)) / float64(r.SampleRate()), level.DBov(level.RMS(pcm)), nil
}

func writeSynth(path string, rate int, d time.Duration, f func(i, rate int, rng *rand.Rand) float64) error {
	w, err := wav.Create(path, rate, 1)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	pcm := make([]int16, int(d.Seconds()*float64(rate)))
	for i := range pcm {
		pcm[i] = int16(max(min(f(i, rate, rng), 32767), -32768))
	}
	if err := w.Write(pcm); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// speechLike is a voiced, syllable-paced signal with a moving pitch: no
// recording ships with the binary, and this exercises a codec like speech.
func speechLike(i, rate int, rng *rand.Rand) float64 {
	t := float64(i) / float64(rate)
	f0 := 120 + 30*math.Sin(2*math.Pi*0.8*t)
	env := math.Max(0, math.Sin(2*math.Pi*2.5*t))
	ph := 2 * math.Pi * f0 * t
	return env*(6000*math.Sin(ph)+3000*math.Sin(2*ph+0.4)+1500*math.Sin(3*ph+1.1)+800*math.Sin(7*ph)) + rng.NormFloat64()*150
}

// announcement is a two-tone chime, the callee's side of the call.
func announcement(i, rate int, _ *rand.Rand) float64 {
	t := float64(i) / float64(rate)
	f := 660.0
	if math.Mod(t, 1) >= 0.5 {
		f = 880
	}
	return 5000 * math.Sin(2*math.Pi*f*t)
}
