package main

import (
	"fmt"
	"io"

	"github.com/voxgraph/voxgraph/dsp/agc"
)

func init() {
	registerDSPTool(dspTool{
		name:     "agc",
		synopsis: "--in X.wav --out Y.wav [--target DBOV]",
		summary:  "automatic gain control: Y.wav is X.wav with its speech brought to a target level",
		run:      cmdDSPAGC,
	})
}

func cmdDSPAGC(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("dsp agc", "--in X.wav --out Y.wav [--target DBOV]",
		"Brings the speech of X.wav (8, 16, 32 or 48 kHz mono) to a target level, measuring speech only,\n"+
			"with a look-ahead limiter so no sample clips, and writes the result to Y.wav, aligned with the\n"+
			"input (the limiter's 2 ms delay is taken out) and of the same length. The run time goes to\n"+
			"standard error.", stderr)
	in := fs.String("in", "", "input WAV file (required)")
	out := fs.String("out", "", "output WAV file (required)")
	target := fs.Float64("target", agc.DefaultTarget, "speech level to reach, dBov")
	maxGain := fs.Float64("max-gain", agc.DefaultMaxGain, "largest gain and attenuation, dB")
	attack := fs.Float64("attack", agc.DefaultAttackRate, "how fast the gain may fall, dB per second")
	release := fs.Float64("release", agc.DefaultReleaseRate, "how fast the gain may rise, dB per second")
	ceiling := fs.Float64("ceiling", agc.DefaultCeiling, "limiter ceiling, dBFS")
	pos, code, ok := parseInterspersed(fs, args, stdout)
	if !ok {
		return code
	}
	if *in == "" || *out == "" || len(pos) != 0 {
		fmt.Fprintln(stderr, "voxgraph dsp agc: want --in X.wav --out Y.wav and no arguments")
		return exitUsage
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"target", *target}, {"max-gain", *maxGain}, {"attack", *attack}, {"release", *release}, {"ceiling", *ceiling}} {
		if f.v == 0 { // 0 would mean the default to agc.New
			fmt.Fprintf(stderr, "voxgraph dsp agc: --%s must not be 0\n", f.name)
			return exitUsage
		}
	}
	pcm, rate, err := readMono(*in)
	if err != nil {
		fmt.Fprintln(stderr, "voxgraph dsp agc:", err)
		return exitError
	}
	c, err := agc.New(agc.Config{Rate: rate, Target: *target, MaxGain: *maxGain, AttackRate: *attack, ReleaseRate: *release, Ceiling: *ceiling})
	if err != nil {
		fmt.Fprintln(stderr, "voxgraph dsp agc:", err)
		return exitUsage
	}
	res, took := runDelayed(pcm, c.BlockSize(), c.Delay(), c.Process)
	if err := writeMono(*out, rate, res); err != nil {
		fmt.Fprintln(stderr, "voxgraph dsp agc:", err)
		return exitError
	}
	dspReport(stderr, "agc", len(pcm), rate, took)
	return exitOK
}
