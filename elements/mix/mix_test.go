package mix_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/voxgraph/voxgraph/dsp/level"
	"github.com/voxgraph/voxgraph/dsp/tone"
	"github.com/voxgraph/voxgraph/graphs"
	"github.com/voxgraph/voxgraph/internal/graphtest"
	"github.com/voxgraph/voxgraph/pipeline"
)

const conference = `
name: conference
elements:
  p0:  {type: tone, freqs: 300, level: -20}
  p1:  {type: tone, freqs: 700, level: -20}
  p2:  {type: tone, freqs: 1300, level: -20}
  mix: {type: mix}
  s0:  {type: mixtest-sink}
  s1:  {type: mixtest-sink}
  s2:  {type: mixtest-sink}
  all: {type: mixtest-sink}
links:
  - p0 -> mix.in_0
  - p1 -> mix.in_1
  - p2 -> mix.in_2
  - mix.minus_0 -> s0
  - mix.minus_1 -> s1
  - mix.minus_2 -> s2
  - mix.out -> all
`

// TestConference mixes three tone "participants" (300, 700, 1300 Hz) and
// checks with Goertzel, frame by frame, that each minus_N carries the other
// two at full level and nothing of N's own tone. A fourth participant
// (2100 Hz, with its own minus_3 return) joins at tick 50 and leaves at
// tick 100: the others' outputs lose no frame, and 2100 Hz is in their
// audio exactly on the ticks it was attached.
func TestConference(t *testing.T) {
	g := build(t, conference)
	step(t, g, 50)
	if err := g.Attach(fragment(t, "tone name=p3 freqs=2100 level=-20  mixtest-sink name=s3",
		"p3 -> mix.in_3", "mix.minus_3 -> s3")); err != nil {
		t.Fatal(err)
	}
	s3 := sink(t, g, "s3")
	step(t, g, 50)
	if err := g.Detach("p3", "s3"); err != nil {
		t.Fatal(err)
	}
	step(t, g, 50)

	freqs := []float64{300, 700, 1300, 2100}
	amp := level.SineAmplitude(-20)
	check := func(name string, s *recSink, frames, first int, own int) {
		t.Helper()
		if got := s.frames.Load(); got != int64(frames) || s.bad.Load() != 0 {
			t.Fatalf("%s: %d frames (%d malformed), want %d", name, got, s.bad.Load(), frames)
		}
		for i := range frames {
			tick := first + i
			x := s.frame(i)
			for k, f := range freqs {
				a := math.Sqrt(2 * tone.Power(x, 8000, f)) // amplitude
				want := k != own && (k < 3 || tick >= 50 && tick < 100)
				if want && math.Abs(a-amp) > 0.03*amp || !want && a > 0.005*amp {
					t.Fatalf("%s tick %d: %g Hz at amplitude %.1f, want present=%v (full amplitude %.1f)", name, tick, f, a, want, amp)
				}
			}
		}
	}
	for k, name := range []string{"s0", "s1", "s2"} {
		check(name, sink(t, g, name), 150, 0, k)
	}
	check("all", sink(t, g, "all"), 150, 0, -1)
	check("s3", s3, 50, 50, 3)

	m := mixer(t, g, "mix")
	c := m.Counters()
	if c.Starved != 0 || c.Overflow != 0 || c.Participants != 3 || c.Minus != 3 || c.Ticks != 150 {
		t.Fatalf("counters %s", counters(c))
	}
	if s := m.String(); s != "mix PCM 8000Hz mono 20ms queue=5 participants=3 minus=3" {
		t.Errorf("String() = %q", s)
	}
}

// TestJoinLeaveWhileRunning attaches and detaches a participant 60 times
// while a scheduler ticks the graph on its own goroutine. The listener on
// minus_1 hears participant 0's numbered frames: every tick arrives, in
// order, with the guest's audio added only while the guest is attached.
func TestJoinLeaveWhileRunning(t *testing.T) {
	spec, err := graphs.ParseYAML("test.yaml", []byte(`
elements:
  p0:  {type: mixtest-src}
  p1:  {type: mixtest-src, value: 0}
  mix: {type: mix}
  s1:  {type: mixtest-sink}
  all: {type: null-sink}
links:
  - p0 -> mix.in_0
  - p1 -> mix.in_1
  - mix.minus_1 -> s1
  - mix -> all
`))
	if err != nil {
		t.Fatal(err)
	}
	g, err := pipeline.Build(spec, pipeline.WithPTime(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := pipeline.NewScheduler(pipeline.WithPeriod(time.Millisecond), pipeline.WithWorkers(1))
	s.Add(g)
	s.Start()
	const guest = 10000
	for i := range 60 {
		port := i % 4 // reuse port numbers and slots
		frag := fragment(t, fmt.Sprintf("mixtest-src name=g value=%d  null-sink name=gs", guest),
			fmt.Sprintf("g -> mix.in_%d", 5+port), fmt.Sprintf("mix.minus_%d -> gs", 5+port))
		if err := g.Attach(frag); err != nil {
			t.Fatalf("attach %d: %v", i, err)
		}
		time.Sleep(time.Millisecond)
		if err := g.Detach("g", "gs"); err != nil {
			t.Fatalf("detach %d: %v", i, err)
		}
	}
	time.Sleep(5 * time.Millisecond)
	s.Close()
	if err := g.Stop(); err != nil {
		t.Fatal(err)
	}

	c := mixer(t, g, "mix").Counters()
	rec := sink(t, g, "s1")
	if got := uint64(rec.frames.Load()); got != c.Ticks || got == 0 || rec.bad.Load() != 0 {
		t.Fatalf("listener got %d frames (%d malformed) of %d ticks", got, rec.bad.Load(), c.Ticks)
	}
	with := 0
	for i, v := range rec.first {
		if v > guest {
			v -= guest
			with++
		}
		if int(v) != i+1 {
			t.Fatalf("listener frame %d carries participant frame %d", i, v)
		}
	}
	if with == 0 || with == len(rec.first) {
		t.Errorf("guest heard on %d of %d ticks, want some", with, len(rec.first))
	}
	if c.Starved != 0 || c.Overflow != 0 || c.Participants != 2 || c.Minus != 1 {
		t.Fatalf("counters %s", counters(c))
	}
}

// TestQueue drives one input with different arrival patterns; the queue
// absorbs bursts up to its size and counts what it cannot absorb.
func TestQueue(t *testing.T) {
	tests := []struct {
		name                       string
		every, burst, phase, queue int
		ticks                      int
		starved, overflow          uint64
	}{
		{"steady", 1, 1, 0, 5, 60, 0, 0},
		{"late start", 1, 1, 4, 5, 60, 4, 0},
		{"3 frames every 3rd tick", 3, 3, 2, 5, 60, 2, 0}, // starved only before the first burst
		{"5 every 5th fills the queue exactly", 5, 5, 0, 5, 60, 0, 0},
		{"6 every 6th overflows and starves once per burst", 6, 6, 0, 5, 60, 10, 10},
		{"2 per tick keeps it full", 1, 2, 0, 5, 60, 0, 56},
		{"3 every 3rd in a 2-frame queue", 3, 3, 0, 2, 60, 20, 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := build(t, fmt.Sprintf(`
elements:
  src: {type: mixtest-src, every: %d, burst: %d, phase: %d}
  mix: {type: mix, queue: %d}
  out: {type: mixtest-sink}
links:
  - src -> mix.in_0
  - mix -> out
`, tt.every, tt.burst, tt.phase, tt.queue))
			step(t, g, tt.ticks)
			c := mixer(t, g, "mix").Counters()
			if c.Starved != tt.starved || c.Overflow != tt.overflow {
				t.Fatalf("starved %d overflow %d, want %d and %d (%s)", c.Starved, c.Overflow, tt.starved, tt.overflow, counters(c))
			}
			// Every frame sent is heard, dropped or still queued; what is heard is in order.
			var sent uint64
			for _, st := range g.Stats() {
				if st.Name == "src" {
					sent = st.Out
				}
			}
			heard, last := 0, int16(0)
			for _, v := range sink(t, g, "out").first {
				if v == 0 {
					continue
				}
				if v <= last || tt.overflow == 0 && v != last+1 {
					t.Fatalf("heard frame %d after %d", v, last)
				}
				last = v
				heard++
			}
			if uint64(heard)+c.Overflow+uint64(c.Queued) != sent {
				t.Fatalf("sent %d, heard %d + dropped %d + queued %d", sent, heard, c.Overflow, c.Queued)
			}
			if heard+int(c.Starved) != tt.ticks {
				t.Fatalf("heard %d + starved %d != %d ticks", heard, c.Starved, tt.ticks)
			}
		})
	}
}

// TestSamples covers saturation, flags, odd frame sizes and end-of-stream:
// the first frames of out and minus_0..2 for three constant inputs.
func TestSamples(t *testing.T) {
	tests := []struct {
		name   string
		srcs   [3]string // properties of the mixtest-src on in_0..in_2
		ticks  int
		out    []int16 // first sample of out per tick
		minus0 []int16 // first sample of minus_0 per tick
		minus2 []int16
		starve uint64
	}{
		{"saturates, minus-one exact", [3]string{"value: 30000", "value: 30000", "value: -1000"}, 2,
			[]int16{32767, 32767}, []int16{29000, 29000}, []int16{32767, 32767}, 0},
		{"saturates low", [3]string{"value: -30000", "value: -30000", "value: 20000"}, 1,
			[]int16{-32768}, []int16{-10000}, []int16{-32768}, 0},
		{"concealed frames mixed as given", [3]string{"value: 100, concealed: true", "value: 20", "value: 3"}, 1,
			[]int16{123}, []int16{23}, []int16{120}, 0},
		{"missing frames are silence, not starvation", [3]string{"missing: true", "value: 20", "value: 3"}, 2,
			[]int16{23, 23}, []int16{23, 23}, []int16{20, 20}, 0},
		{"30 ms frames into a 20 ms mix", [3]string{"value: 100, samples: 240, every: 3, burst: 2", "value: 20", "value: 3"}, 6,
			[]int16{123, 123, 123, 123, 123, 123}, []int16{23, 23, 23, 23, 23, 23}, []int16{120, 120, 120, 120, 120, 120}, 0},
		{"ended input plays out then stays silent", [3]string{"value: 100, count: 2", "value: 20", "value: 3"}, 4,
			[]int16{123, 123, 23, 23}, []int16{23, 23, 23, 23}, []int16{120, 120, 20, 20}, 0},
		{"starved input is silence", [3]string{"value: 100, phase: 1", "value: 20", "value: 3"}, 2,
			[]int16{23, 123}, []int16{23, 23}, []int16{20, 120}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := build(t, fmt.Sprintf(`
elements:
  a: {type: mixtest-src, %s}
  b: {type: mixtest-src, %s}
  c: {type: mixtest-src, %s}
  mix: {type: mix}
  out: {type: mixtest-sink}
  m0: {type: mixtest-sink}
  m2: {type: mixtest-sink}
links:
  - a -> mix.in_0
  - b -> mix.in_1
  - c -> mix.in_2
  - mix -> out
  - mix.minus_0 -> m0
  - mix.minus_2 -> m2
`, tt.srcs[0], tt.srcs[1], tt.srcs[2]))
			step(t, g, tt.ticks)
			for _, w := range []struct {
				name string
				want []int16
			}{{"out", tt.out}, {"m0", tt.minus0}, {"m2", tt.minus2}} {
				s := sink(t, g, w.name)
				if fmt.Sprint(s.first) != fmt.Sprint(w.want) || s.bad.Load() != 0 {
					t.Errorf("%s = %v (%d malformed), want %v", w.name, s.first, s.bad.Load(), w.want)
				}
				for i := range int(s.frames.Load()) { // constant within each frame
					for _, v := range s.frame(i) {
						if v != s.first[i] {
							t.Fatalf("%s frame %d not constant: %d and %d", w.name, i, s.first[i], v)
						}
					}
				}
			}
			if c := mixer(t, g, "mix").Counters(); c.Starved != tt.starve || c.Overflow != 0 {
				t.Errorf("counters %s, want %d starved", counters(c), tt.starve)
			}
		})
	}
}

// TestNoInputs: a mix without participants still emits silence every tick.
func TestNoInputs(t *testing.T) {
	g := graphtest.Start(t, graphtest.Build(t, "mix name=m rate=16000 ! mixtest-sink name=s"))
	step(t, g, 10)
	s := sink(t, g, "s")
	if s.frames.Load() != 10 || s.bad.Load() != 0 || len(s.pcm) != 3200 || s.f != pipeline.PCM(16000, 1, 20*time.Millisecond) {
		t.Fatalf("%d frames, %d samples, format %s", s.frames.Load(), len(s.pcm), s.f)
	}
	for _, v := range s.pcm {
		if v != 0 {
			t.Fatal("not silence")
		}
	}
}

// TestFormatErrors: inputs that do not match the mix fail at build or at
// attach with a hint, and a failed attach leaves the mix untouched.
func TestFormatErrors(t *testing.T) {
	tests := []struct {
		name, line, want string
	}{
		{"second input at another rate", "mixtest-src ! mix.in_0  mixtest-src rate=16000 ! mix.in_1  mix name=mix ! null-sink",
			"in_1 is PCM 16000Hz mono 20ms but the mix runs at PCM 8000Hz mono 20ms: insert resample rate=8000 before mix.in_1"},
		{"rate property against input", "mixtest-src ! mix.in_0  mix name=mix rate=16000 ! null-sink",
			"insert resample rate=16000 before mix.in_0"},
		{"encoded input", "tone ! encode codec=PCMU ! mix.in_0  mix name=mix ! null-sink", "insert decode"},
		{"queue too small", "mix queue=0 ! null-sink", "queue 0 out of range 1..50"},
		{"rate out of range", "mix rate=100 ! null-sink", "rate 100 out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec, err := graphs.ParseLine(tt.line)
			if err != nil {
				t.Fatal(err)
			}
			_, err = pipeline.Build(spec)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Build error %v, want it to contain %q", err, tt.want)
			}
		})
	}

	g := build(t, "elements:\n  a: {type: mixtest-src}\n  mix: {type: mix}\n  out: {type: mixtest-sink}\nlinks: [a -> mix.in_0, mix -> out]\n")
	step(t, g, 3)
	err := g.Attach(fragment(t, "mixtest-src name=wide rate=48000", "wide -> mix.in_1"))
	if err == nil || !strings.Contains(err.Error(), "insert resample rate=8000 before mix.in_1") {
		t.Fatalf("Attach error %v", err)
	}
	step(t, g, 3)
	if c := mixer(t, g, "mix").Counters(); c.Participants != 1 || c.Starved != 0 || c.Ticks != 6 {
		t.Fatalf("counters after failed attach %s", counters(c))
	}
	if n := sink(t, g, "out").frames.Load(); n != 6 {
		t.Fatalf("out got %d frames, want 6", n)
	}
}

// TestRegistered: the element is in the default registry with its ports
// and properties, and reports its stats.
func TestRegistered(t *testing.T) {
	info, ok := pipeline.DefaultRegistry.Lookup("mix")
	if !ok {
		t.Fatal("mix not registered")
	}
	var props []string
	for _, p := range info.Props() {
		props = append(props, p.Name+"="+p.Default)
	}
	if got := strings.Join(props, " "); got != "rate=0 queue=5" {
		t.Errorf("props %s", got)
	}
	g := build(t, conference)
	step(t, g, 2)
	for _, s := range g.Stats() {
		if s.Name != "mix" {
			continue
		}
		got := map[string]float64{}
		for _, x := range s.Extra {
			got[x.Name] = x.Value
		}
		if got["participants"] != 3 || got["minus_outputs"] != 3 || got["ticks"] != 2 || got["starved"] != 0 {
			t.Errorf("stats %v", s.Extra)
		}
	}
}

// TestEndedPartialFrame: a participant whose last frame is short is heard
// to its last sample, padded with silence, and is not counted as starved
// after it ended.
func TestEndedPartialFrame(t *testing.T) {
	g := build(t, `
elements:
  a: {type: mixtest-src, value: 100, samples: 240, count: 1}
  b: {type: mixtest-src, value: 20}
  mix: {type: mix}
  out: {type: mixtest-sink}
links: [a -> mix.in_0, b -> mix.in_1, mix -> out]
`)
	step(t, g, 4)
	pcm := sink(t, g, "out").pcm
	for i, v := range pcm {
		want := int16(20)
		if i < 240 {
			want = 120
		}
		if v != want {
			t.Fatalf("sample %d = %d, want %d", i, v, want)
		}
	}
	if len(pcm) != 4*160 {
		t.Fatalf("%d samples", len(pcm))
	}
	if c := mixer(t, g, "mix").Counters(); c.Starved != 0 || c.Participants != 2 {
		t.Fatalf("counters %s", counters(c))
	}
}
