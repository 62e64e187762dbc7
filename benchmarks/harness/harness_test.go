package harness

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/voxgraph/voxgraph/codecs"
	_ "github.com/voxgraph/voxgraph/elements"
	_ "github.com/voxgraph/voxgraph/elements/jitter"
	_ "github.com/voxgraph/voxgraph/elements/mix"
)

// quick is a short benchmark configuration for tests: behaviour, not figures.
func quick(graph string) Config {
	return Config{Graph: graph, Calls: 10, Duration: time.Second, Warmup: 500 * time.Millisecond}
}

func run(t *testing.T, cfg Config) *Result {
	t.Helper()
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteTable(&b, res); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + b.String())
	return res
}

func element(t *testing.T, r *Result, name string) ElementResult {
	t.Helper()
	for _, e := range r.Elements {
		if e.Name == name {
			return e
		}
	}
	t.Fatalf("no element %s in %+v", name, r.Elements)
	return ElementResult{}
}

// TestUDPRelay runs relay calls over real loopback sockets, the sender in
// this process, and checks that every packet came back, that every element
// and the end-to-end path were timed, and the per-call costs.
func TestUDPRelay(t *testing.T) {
	r := run(t, quick("std:relay"))
	if r.Source != SourceUDP || r.Sender != "in-process" || r.Mode != "realtime" || r.Schema != Schema {
		t.Fatalf("result header %+v", r)
	}
	n := r.Network
	// 10 calls × 50 packets/s over warm-up and window.
	if n == nil || n.Sent < 500 || n.Received != n.Sent || n.LossPct != 0 {
		t.Fatalf("network %+v: want every packet back", n)
	}
	for _, name := range []string{"rx", "tx"} {
		if e := element(t, r, name); e.Frames == 0 || e.P50 <= 0 || e.Max < e.P99 || e.P99 < e.P50 {
			t.Errorf("element %s: %+v", name, e)
		}
	}
	if tx := element(t, r, "tx"); tx.Frames < 400 {
		t.Errorf("tx timed %d frames in a 1 s window of 10 calls, want about 500", tx.Frames)
	}
	// A relay has no jitter buffer: arrival → send is the socket-to-socket time.
	if e := r.EndToEnd; e == nil || e.Count < 400 || e.P50 > 20000 {
		t.Errorf("end to end %+v: want about 500 frames well under 20 ms", e)
	}
	if r.CPU.TotalS <= 0 || r.CPU.PerCallSecondMs <= 0 || r.CallsPerCore <= 0 {
		t.Errorf("cpu %+v, calls per core %v", r.CPU, r.CallsPerCore)
	}
	if g := r.Memory.GoroutinesPerCall; g < 0.9 || g > 1.1 {
		t.Errorf("goroutines per call %v, want 1 (the rtp-src reader)", g)
	}
	if r.Memory.HeapPerCallBytes <= 0 {
		t.Errorf("heap per call %v", r.Memory.HeapPerCallBytes)
	}
	if d := r.Deadlines; d.Ticks < 40 || d.Ticks > 60 {
		t.Errorf("%d ticks in a 1 s window at 20 ms", d.Ticks)
	}
}

// TestInject feeds the transcoding graph from memory: no sockets in, so no
// goroutine per call; a jitter buffer, so end to end is its delay; and the
// graph allocates nothing per frame.
func TestInject(t *testing.T) {
	cfg := quick("std:g711-transcode")
	cfg.Source = SourceInject
	r := run(t, cfg)
	if r.Network != nil || r.Source != SourceInject {
		t.Fatalf("inject run has network figures: %+v", r)
	}
	if rx := element(t, r, "rx"); rx.Type != injectType {
		t.Fatalf("rx is %s, want %s", rx.Type, injectType)
	}
	for _, name := range []string{"jb", "dec", "enc", "tx"} {
		if e := element(t, r, name); e.Frames == 0 {
			t.Errorf("%s was not timed", name)
		}
	}
	if e := r.EndToEnd; e == nil || e.P50 < 20000 || e.P50 > 100000 {
		t.Errorf("end to end %+v: want the jitter buffer's delay (tens of ms)", e)
	}
	if r.Memory.GoroutinesPerCall > 0.1 {
		t.Errorf("goroutines per call %v, want 0", r.Memory.GoroutinesPerCall)
	}
	if a := r.Memory.AllocsPerFrame; a > 0.05 && !raceEnabled {
		t.Errorf("%.3f allocations per frame, want 0 in steady state", a)
	}
}

// TestMaxSpeed steps the graphs as fast as possible: faster than real
// time, and no end-to-end figure (there is no wall-clock arrival).
func TestMaxSpeed(t *testing.T) {
	cfg := quick("std:g711-transcode")
	cfg.MaxSpeed = true
	r := run(t, cfg)
	if r.Mode != "max-speed" || r.Source != SourceInject {
		t.Fatalf("mode %s source %s", r.Mode, r.Source)
	}
	if r.CPU.Speed <= 1 || r.CPU.CallSeconds <= float64(r.Calls)*r.WindowS {
		t.Fatalf("max speed ran %.1f× real time (%v call-seconds in %.1f s)", r.CPU.Speed, r.CPU.CallSeconds, r.WindowS)
	}
	if r.EndToEnd != nil {
		t.Errorf("end to end at max speed: %+v", r.EndToEnd)
	}
	if element(t, r, "enc").Frames == 0 || r.Deadlines.Ticks != 0 {
		t.Errorf("enc frames %d, ticks %d", element(t, r, "enc").Frames, r.Deadlines.Ticks)
	}
}

// TestTimingOff leaves the latency histograms empty: what is left is the
// cost without timing, for the overhead comparison.
func TestTimingOff(t *testing.T) {
	cfg := quick("std:g711-transcode")
	cfg.Source, cfg.NoTiming = SourceInject, true
	r := run(t, cfg)
	for _, e := range r.Elements {
		if e.Frames != 0 {
			t.Errorf("element %s timed %d frames with timing off", e.Name, e.Frames)
		}
	}
	if r.EndToEnd != nil || r.Timing {
		t.Errorf("timing off, yet end to end %+v", r.EndToEnd)
	}
	if r.CPU.TotalS <= 0 {
		t.Errorf("cpu %+v", r.CPU)
	}
}

// TestRamp adds calls step by step; at these few calls every step is real
// time.
func TestRamp(t *testing.T) {
	cfg := quick("std:relay")
	cfg.Ramp = Ramp{From: 5, To: 15, Step: 5}
	cfg.Duration = 700 * time.Millisecond
	cfg.Warmup = 300 * time.Millisecond
	r := run(t, cfg)
	if len(r.Ramp) != 3 || r.MaxRealtimeCalls != 15 || r.Calls != 15 {
		t.Fatalf("ramp %+v, max real time %d, calls %d", r.Ramp, r.MaxRealtimeCalls, r.Calls)
	}
	for _, s := range r.Ramp {
		if !s.RealTime || s.LossPct != 0 || s.PerCallSecondMs <= 0 {
			t.Errorf("step %+v", s)
		}
	}
}

// TestConference runs the ten-participant graph: ten streams per call,
// each heard by the nine others.
func TestConference(t *testing.T) {
	cfg := quick("std:conference-10")
	cfg.Calls = 2
	r := run(t, cfg)
	if r.Streams != 10 {
		t.Fatalf("%d streams per call, want 10", r.Streams)
	}
	// The mixer sends every tick, also while the sender is paused between
	// the warm-up and the count: more comes back than was sent.
	if n := r.Network; n == nil || n.Sent < 2*10*50 || n.Received < n.Sent || n.LossPct != 0 {
		t.Fatalf("network %+v: want each of 20 streams mixed back out", n)
	}
	if mix := element(t, r, "mix"); mix.Frames == 0 {
		t.Fatal("mix not timed")
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"unknown graph", Config{Graph: "std:nope"}, "no benchmark or standard graph"},
		{"udp at max speed", Config{Graph: "std:relay", MaxSpeed: true, Source: SourceUDP}, "needs in-memory sources"},
		{"graph source for rtp", Config{Graph: "std:relay", Source: SourceGraph}, "receives RTP"},
		{"inject without rtp", Config{Graph: "tone ! null-sink", Source: SourceInject}, "no rtp-src"},
		{"srtp-src over udp", Config{Graph: "srtp-src key=inline:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA ! null-sink"}, "plain RTP"},
		{"unknown source", Config{Graph: "std:relay", Source: "tcp"}, "unknown source"},
		{"ramp at max speed", Config{Graph: "std:relay", MaxSpeed: true, Ramp: Ramp{1, 2, 1}}, "cannot run at --max-speed"},
		{"negative calls", Config{Graph: "std:relay", Calls: -1}, "at least 1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Run(context.Background(), tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestParseRamp(t *testing.T) {
	cases := []struct {
		in   string
		want Ramp
		err  bool
	}{
		{"100:5000:100", Ramp{100, 5000, 100}, false},
		{"5:5:1", Ramp{5, 5, 1}, false},
		{"100:50:10", Ramp{}, true},
		{"100:5000", Ramp{}, true},
		{"a:b:c", Ramp{}, true},
		{"0:10:1", Ramp{}, true},
	}
	for _, tc := range cases {
		got, err := ParseRamp(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseRamp(%q) = %+v, %v", tc.in, got, err)
		}
	}
}

// TestJSONAndPlot checks the JSON form's schema fields and draws the plot
// from a result read back from JSON.
func TestJSONAndPlot(t *testing.T) {
	r := &Result{Schema: Schema, Graph: "std:x", Calls: 3, Mode: "realtime", Timing: true,
		Elements:         []ElementResult{{Name: "a", Type: "t", Frames: 10, Latency: Latency{Count: 10, P50: 1, P90: 2, P99: 3, P999: 4, Max: 5}, CPUShare: 0.2}},
		EndToEnd:         &Latency{Count: 10, P50: 40000, P99: 45000, Max: 50000},
		Ramp:             []RampStep{{Calls: 1, PerCallSecondMs: 1, RealTime: true}, {Calls: 2, PerCallSecondMs: 0.8, LatePct: 0.5}},
		MaxRealtimeCalls: 1}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"schema":"voxgraph-bench/1"`, `"p50_us":1`, `"p99_us":3`, `"max_us":5`, `"calls_per_core"`, `"per_call_second_ms"`, `"max_realtime_calls":1`} {
		if !bytes.Contains(b, []byte(key)) {
			t.Errorf("JSON lacks %s: %s", key, b)
		}
	}
	var back Result
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "p.png")
	if err := Plot(&back, path); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() < 400 || b.Dy() < 2*b.Dx()/3 {
		t.Fatalf("plot is %v: want two panels", b)
	}
	if err := Plot(&back, filepath.Join(t.TempDir(), "p.svg")); err == nil {
		t.Fatal("plot to .svg: want an error")
	}
	if err := Plot(&Result{}, filepath.Join(t.TempDir(), "e.png")); err == nil {
		t.Fatal("plot of an empty result: want an error")
	}
}

// TestServeSender speaks the control protocol to a sender the way the
// harness does with its child process.
func TestServeSender(t *testing.T) {
	inR, inW, _ := os.Pipe()
	outR, outW, _ := os.Pipe()
	done := make(chan error, 1)
	go func() { done <- ServeSender(inR, outW, codecs.Default, 20*time.Millisecond); outW.Close() }()
	c := &childSource{in: inW, out: bufio.NewScanner(outR)}
	line, err := c.line()
	if err != nil || !strings.HasPrefix(line, "drain 127.0.0.1:") {
		t.Fatalf("first line %q, %v", line, err)
	}
	if err := c.Add("PCMU", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Pause(true); err != nil {
		t.Fatal(err)
	}
	st, err := c.Stats()
	if err != nil || st.Sent != 0 {
		t.Fatalf("stats %+v, %v", st, err)
	}
	if _, err := inW.WriteString("bogus\n"); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Fatalf("ServeSender = %v, want an unknown-command error", err)
	}
}
