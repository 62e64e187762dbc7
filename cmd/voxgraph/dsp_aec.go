package main

import (
	"fmt"
	"io"
	"time"

	"github.com/voxgraph/voxgraph/dsp/aec"
)

func init() {
	registerDSPTool(dspTool{
		name:     "aec",
		synopsis: "--mic M.wav --ref R.wav --out O.wav",
		summary:  "acoustic echo cancellation: removes the echo of R (far end) from M (microphone)",
		run:      cmdDSPAEC,
	})
}

func cmdDSPAEC(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("dsp aec", "--mic M.wav --ref R.wav --out O.wav",
		"Removes from M.wav (the microphone) the echo of R.wav (the far end, what the loudspeaker played),\n"+
			"both mono at the same rate (8 or 16 kHz), and writes the near end to O.wav, as long as M.wav and\n"+
			"aligned with it (the suppressor's 10 ms latency is taken out). A shorter R.wav is padded with\n"+
			"silence. Runs in 10 ms blocks; a last partial block is padded with silence. The run time goes to\n"+
			"standard error, then one line of statistics.", stderr)
	mic := fs.String("mic", "", "microphone WAV file (required)")
	ref := fs.String("ref", "", "far-end reference WAV file (required)")
	out := fs.String("out", "", "output WAV file (required)")
	tail := fs.Duration("tail", aec.DefaultTail, "echo path length the adaptive filter models after the bulk delay (max 500ms)")
	maxDelay := fs.Duration("max-delay", aec.DefaultMaxDelay, "largest bulk delay to look for (0: no estimation, keep --delay)")
	delay := fs.Duration("delay", 0, "bulk delay to start with")
	suppression := fs.Float64("suppression", aec.DefaultSuppression, "most dB the residual echo suppressor takes off (0: off)")
	noCNG := fs.Bool("no-comfort-noise", false, "do not fill suppressed bins with comfort noise")
	pos, code, ok := parseInterspersed(fs, args, stdout)
	if !ok {
		return code
	}
	if *mic == "" || *ref == "" || *out == "" || len(pos) != 0 {
		fmt.Fprintln(stderr, "voxgraph dsp aec: want --mic M.wav --ref R.wav --out O.wav and no arguments")
		return exitUsage
	}
	micPCM, rate, err := readMono(*mic)
	if err != nil {
		fmt.Fprintln(stderr, "voxgraph dsp aec:", err)
		return exitError
	}
	refPCM, refRate, err := readMono(*ref)
	if err != nil {
		fmt.Fprintln(stderr, "voxgraph dsp aec:", err)
		return exitError
	}
	if refRate != rate {
		fmt.Fprintf(stderr, "voxgraph dsp aec: --mic %s is %d Hz but --ref %s is %d Hz: they must match\n", *mic, rate, *ref, refRate)
		return exitError
	}
	cfg := aec.Config{Rate: rate, Tail: *tail, MaxDelay: *maxDelay, Delay: *delay, Suppression: *suppression, NoComfortNoise: *noCNG}
	if *maxDelay == 0 {
		cfg.MaxDelay = aec.NoDelayEstimation
	}
	if *suppression == 0 {
		cfg.Suppression = aec.NoSuppression
	}
	c, err := aec.New(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "voxgraph dsp aec:", err)
		return exitUsage
	}
	res, took, err := runAEC(c, micPCM, refPCM)
	if err != nil {
		fmt.Fprintln(stderr, "voxgraph dsp aec:", err)
		return exitError
	}
	if err := writeMono(*out, rate, res); err != nil {
		fmt.Fprintln(stderr, "voxgraph dsp aec:", err)
		return exitError
	}
	dspReport(stderr, "aec", len(micPCM), rate, took)
	st := c.Stats()
	echo := "not found"
	if st.DelayFound {
		echo = st.EchoDelay.String()
	}
	fmt.Fprintf(stderr, "aec: erle %.1f dB, echo delay %s, bulk delay %s, double-talk blocks %d, divergences %d, resets %d, delay changes %d\n",
		st.ERLE, echo, st.Delay, st.DoubleTalkBlocks, st.Divergences, st.Resets, st.DelayChanges)
	return exitOK
}

// runAEC cancels the echo of ref in mic block by block and returns the
// output aligned with mic (the canceller's latency removed) and the time
// the processing took.
func runAEC(c *aec.Canceller, mic, ref []int16) ([]int16, time.Duration, error) {
	n, lat := c.BlockSize(), c.Latency()
	blocks := (len(mic) + lat + n - 1) / n
	out := make([]int16, blocks*n)
	mb, rb := make([]int16, n), make([]int16, n)
	start := time.Now()
	for b := range blocks {
		clear(mb)
		clear(rb)
		if lo := b * n; lo < len(mic) {
			copy(mb, mic[lo:min(len(mic), lo+n)])
		}
		if lo := b * n; lo < len(ref) {
			copy(rb, ref[lo:min(len(ref), lo+n)])
		}
		if err := c.Process(mb, rb, out[b*n:(b+1)*n]); err != nil {
			return nil, 0, err
		}
	}
	return out[lat : lat+len(mic)], time.Since(start), nil
}
