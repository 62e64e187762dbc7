package resample_test

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/voxgraph/voxgraph/dsp/level"
	"github.com/voxgraph/voxgraph/dsp/wav"
	_ "github.com/voxgraph/voxgraph/elements"
	"github.com/voxgraph/voxgraph/elements/resample"
	"github.com/voxgraph/voxgraph/graphs"
	"github.com/voxgraph/voxgraph/internal/graphtest"
	"github.com/voxgraph/voxgraph/pipeline"
)

// sineFit is the least-squares fit of a·cos + b·sin at f to pcm[from:]; it
// returns the amplitude and the RMS of what is left.
func sineFit(pcm []int16, rate int, f float64, from int) (amp, resid float64) {
	w := 2 * math.Pi * f / float64(rate)
	var cc, ss, cs, xc, xs float64
	for i := from; i < len(pcm); i++ {
		s, c := math.Sincos(w * float64(i))
		x := float64(pcm[i])
		cc, ss, cs, xc, xs = cc+c*c, ss+s*s, cs+c*s, xc+x*c, xs+x*s
	}
	det := cc*ss - cs*cs
	a := (xc*ss - xs*cs) / det
	b := (xs*cc - xc*cs) / det
	var e2 float64
	for i := from; i < len(pcm); i++ {
		s, c := math.Sincos(w * float64(i))
		e := float64(pcm[i]) - a*c - b*s
		e2 += e * e
	}
	return math.Hypot(a, b), math.Sqrt(e2 / float64(len(pcm)-from))
}

// TestGraphTone runs "tone ! resample ! wav-sink" for every rate pair and
// checks the file's rate, exact length, the tone's level and that nothing
// else (images, aliases) is above -70 dB.
func TestGraphTone(t *testing.T) {
	rates := []int{8000, 16000, 32000, 48000}
	amp := level.SineAmplitude(-10) // tone's default level
	for _, in := range rates {
		for _, out := range rates {
			t.Run(fmt.Sprintf("%dto%d", in, out), func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "out.wav")
				g := graphtest.Run(t, fmt.Sprintf("tone freqs=1000 rate=%d duration=1s ! resample name=r rate=%d ! wav-sink path=%s", in, out, graphs.Quote(path)))
				rate, ch, pcm := graphtest.ReadWav(t, path)
				if rate != out || ch != 1 || len(pcm) != out {
					t.Fatalf("wav: %d Hz, %d channels, %d samples; want %d Hz mono, %d samples (1 s)", rate, ch, len(pcm), out, out)
				}
				skip := out / 50 // filter start-up: the first 20 ms
				a, resid := sineFit(pcm, out, 1000, skip)
				if g := 20 * math.Log10(a/amp); math.Abs(g) > 0.01 {
					t.Errorf("1 kHz level changed by %+.4f dB", g)
				}
				if rel := 20 * math.Log10(resid/(amp/math.Sqrt2)); rel > -70 {
					t.Errorf("everything but 1 kHz at %.1f dB, want ≤ -70 dB", rel)
				}
				// Medium's documented delay by the lower rate; none when equal.
				wantLat := map[int]time.Duration{8000: 4 * time.Millisecond, 16000: 2 * time.Millisecond, 32000: time.Millisecond}[min(in, out)]
				if in == out {
					wantLat = 0
				}
				if got := g.Latency(); got != wantLat {
					t.Errorf("graph latency %v, want %v", got, wantLat)
				}
			})
		}
	}
}

// TestGraphAliasing downsamples a tone the output rate cannot carry: it
// must be removed, not folded into the band.
func TestGraphAliasing(t *testing.T) {
	for _, tc := range []struct {
		in, out int
		q       string
		freq    float64
		maxDB   float64
	}{
		{16000, 8000, "medium", 5000, -70},
		{48000, 8000, "medium", 4100, -70},
		{48000, 16000, "high", 9000, -90},
		{48000, 32000, "low", 17000, -50},
	} {
		path := filepath.Join(t.TempDir(), "out.wav")
		graphtest.Run(t, fmt.Sprintf("tone freqs=%g level=-3.02 rate=%d duration=500ms ! resample rate=%d quality=%s ! wav-sink path=%s",
			tc.freq, tc.in, tc.out, tc.q, graphs.Quote(path)))
		_, _, pcm := graphtest.ReadWav(t, path)
		got := level.DBov(level.RMS(pcm[tc.out/50:])) + 3.02 // relative to the input's level
		if got > tc.maxDB {
			t.Errorf("%d Hz at %d->%d (%s): output at %.1f dB, want ≤ %g dB", int(tc.freq), tc.in, tc.out, tc.q, got, tc.maxDB)
		}
	}
}

// TestGraphPassThrough checks that equal rates leave the samples untouched.
func TestGraphPassThrough(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.wav"), filepath.Join(dir, "b.wav")
	graphtest.Run(t, "tone freqs=700,1900 rate=16000 duration=200ms ! wav-sink path="+graphs.Quote(a))
	g := graphtest.Run(t, "tone freqs=700,1900 rate=16000 duration=200ms ! resample rate=16000 quality=high ! wav-sink path="+graphs.Quote(b))
	_, _, want := graphtest.ReadWav(t, a)
	_, _, got := graphtest.ReadWav(t, b)
	if !slices.Equal(got, want) {
		t.Error("resample rate=16000 changed 16 kHz audio")
	}
	if g.Latency() != 0 {
		t.Errorf("pass-through latency %v", g.Latency())
	}
}

// TestGraphStereo converts a stereo file whose channels differ.
func TestGraphStereo(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.wav"), filepath.Join(dir, "out.wav")
	w, err := wav.Create(in, 48000, 2)
	if err != nil {
		t.Fatal(err)
	}
	pcm := make([]int16, 2*48000/2)
	for i := range pcm[:len(pcm)/2] {
		pcm[2*i] = int16(10000 * math.Sin(2*math.Pi*440*float64(i)/48000))
		pcm[2*i+1] = int16(5000 * math.Sin(2*math.Pi*2000*float64(i)/48000))
	}
	if err := w.Write(pcm); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	graphtest.Run(t, fmt.Sprintf("wav-src path=%s ! resample rate=16000 ! wav-sink path=%s", graphs.Quote(in), graphs.Quote(out)))
	rate, ch, got := graphtest.ReadWav(t, out)
	if rate != 16000 || ch != 2 || len(got) != 2*8000 {
		t.Fatalf("%d Hz, %d channels, %d samples; want 16000 Hz stereo, 16000 samples", rate, ch, len(got))
	}
	left, right := make([]int16, 8000), make([]int16, 8000)
	for i := range left {
		left[i], right[i] = got[2*i], got[2*i+1]
	}
	for _, c := range []struct {
		name string
		pcm  []int16
		f    float64
		amp  float64
	}{{"left", left, 440, 10000}, {"right", right, 2000, 5000}} {
		a, resid := sineFit(c.pcm, 16000, c.f, 320)
		if math.Abs(a-c.amp) > 2 || resid > 2 {
			t.Errorf("%s: %.0f Hz amplitude %.1f (want %.0f), residual %.2f", c.name, c.f, a, c.amp, resid)
		}
	}
}

// flagger marks every 3rd frame concealed and every 5th missing (no PCM),
// as a decoder and a jitter buffer do.
type flagger struct{ i int }

func (m *flagger) Negotiate(n *pipeline.Negotiation) error { n.SetAllOut(n.In[0]); return nil }
func (m *flagger) Process(_ int, f *pipeline.Frame, out *pipeline.Output) error {
	m.i++
	if m.i%3 == 0 {
		f.Flags |= pipeline.FlagConcealed
	}
	if m.i%5 == 0 {
		f.Flags |= pipeline.FlagMissing
		f.PCM = f.PCM[:0]
	}
	out.Emit(0, f)
	return nil
}

// collector records what reaches it.
type collector struct {
	flags []pipeline.Flags
	lens  []int
	times []time.Duration
	rates []int
}

func (c *collector) Negotiate(*pipeline.Negotiation) error { return nil }
func (c *collector) Process(_ int, f *pipeline.Frame, _ *pipeline.Output) error {
	c.flags = append(c.flags, f.Flags)
	c.lens = append(c.lens, len(f.PCM))
	c.times = append(c.times, f.Time)
	c.rates = append(c.rates, f.Format.Rate)
	f.Release()
	return nil
}

func init() {
	pipeline.Register(pipeline.ElementInfo{Name: "test-flagger", Summary: "test: flags frames",
		Inputs: []pipeline.PortInfo{{Name: "in", Caps: pipeline.PCMCaps}}, Outputs: []pipeline.PortInfo{{Name: "out"}},
		New: func() pipeline.Element { return &flagger{} }})
	pipeline.Register(pipeline.ElementInfo{Name: "test-collector", Summary: "test: records frames",
		Inputs: []pipeline.PortInfo{{Name: "in", Caps: pipeline.PCMCaps}},
		New:    func() pipeline.Element { return &collector{} }})
}

// TestFlagsAndTimes checks that flags and timestamps survive, up and down.
func TestFlagsAndTimes(t *testing.T) {
	for _, tc := range []struct{ in, out int }{{8000, 48000}, {48000, 8000}, {32000, 48000}} {
		g := graphtest.Run(t, fmt.Sprintf("tone rate=%d duration=300ms ! test-flagger ! resample rate=%d ! test-collector name=c", tc.in, tc.out))
		el, _ := g.Element("c")
		c := el.(*collector)
		if len(c.flags) != 15 {
			t.Fatalf("%d->%d: %d frames, want 15", tc.in, tc.out, len(c.flags))
		}
		for i := range c.flags {
			var want pipeline.Flags
			if (i+1)%3 == 0 {
				want |= pipeline.FlagConcealed
			}
			wantLen := tc.out / 50
			if (i+1)%5 == 0 {
				want |= pipeline.FlagMissing
				wantLen = 0
			}
			if c.flags[i] != want || c.lens[i] != wantLen || c.rates[i] != tc.out || c.times[i] != time.Duration(i)*20*time.Millisecond {
				t.Errorf("%d->%d frame %d: flags %b, %d samples at %d Hz, time %v; want flags %b, %d samples, time %v",
					tc.in, tc.out, i, c.flags[i], c.lens[i], c.rates[i], c.times[i], want, wantLen, time.Duration(i)*20*time.Millisecond)
			}
		}
	}
}

// TestNegotiate calls Negotiate directly with good and bad formats.
func TestNegotiate(t *testing.T) {
	ptime := 20 * time.Millisecond
	tests := []struct {
		name    string
		rate    int
		quality string
		in      pipeline.Format
		want    string // error substring; "" for success
		out     pipeline.Format
	}{
		{"up", 16000, "medium", pipeline.PCM(8000, 1, ptime), "", pipeline.PCM(16000, 1, ptime)},
		{"down stereo", 8000, "high", pipeline.PCM(48000, 2, ptime), "", pipeline.PCM(8000, 2, ptime)},
		{"same rate", 32000, "low", pipeline.PCM(32000, 1, 10*time.Millisecond), "", pipeline.PCM(32000, 1, 10*time.Millisecond)},
		{"bad target", 44100, "medium", pipeline.PCM(8000, 1, ptime), "rate 44100 Hz is not supported (supported: 8000, 16000, 32000, 48000 Hz)", pipeline.Format{}},
		{"zero target", 0, "medium", pipeline.PCM(8000, 1, ptime), "rate 0 Hz is not supported", pipeline.Format{}},
		{"bad input", 8000, "medium", pipeline.PCM(11025, 1, ptime), "input rate 11025 Hz is not supported (supported: 8000, 16000, 32000, 48000 Hz)", pipeline.Format{}},
		{"encoded input", 8000, "medium", pipeline.Format{Kind: pipeline.KindEncoded, Codec: "PCMU", Rate: 8000, PTime: ptime}, "input is PCMU/8000 pt=0 20ms, want PCM", pipeline.Format{}},
		{"no channels", 16000, "medium", pipeline.PCM(8000, 0, ptime), "0 channels", pipeline.Format{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &resample.Resample{Rate: tt.rate}
			if err := e.Quality.UnmarshalText([]byte(tt.quality)); err != nil {
				t.Fatal(err)
			}
			n := &pipeline.Negotiation{
				In:       []pipeline.Format{tt.in},
				Out:      make([]pipeline.Format, 1),
				InPorts:  []pipeline.Port{{Dir: pipeline.In, Name: "in", Active: true, Linked: true}},
				OutPorts: []pipeline.Port{{Dir: pipeline.Out, Name: "out", Active: true, Linked: true}},
				PTime:    ptime,
			}
			err := e.Negotiate(n)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Negotiate: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Negotiate error %v, want it to contain %q", err, tt.want)
			case tt.want == "" && n.Out[0] != tt.out:
				t.Errorf("output %v, want %v", n.Out[0], tt.out)
			}
		})
	}
}

// TestBuildErrors checks the errors a graph gets at build time.
func TestBuildErrors(t *testing.T) {
	tests := []struct{ line, want string }{
		{"tone rate=11025 ! resample rate=8000 ! null-sink", `element "resample0" (resample): input rate 11025 Hz is not supported (supported: 8000, 16000, 32000, 48000 Hz)`},
		{"tone ! resample rate=22050 ! null-sink", "rate 22050 Hz is not supported (supported: 8000, 16000, 32000, 48000 Hz)"},
		{"tone ! resample quality=best ! null-sink", "must be one of low, medium, high"},
		{"tone ! encode ! resample ! null-sink", "wants PCM audio"},
	}
	for _, tt := range tests {
		spec, err := graphs.ParseLine(tt.line)
		if err == nil {
			_, err = pipeline.Build(spec)
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s:\nerror %v\nwant it to contain %q", tt.line, err, tt.want)
		}
	}
}

func TestString(t *testing.T) {
	g := graphtest.Build(t, "tone rate=8000 ! resample name=r rate=48000 quality=high ! null-sink")
	el, _ := g.Element("r")
	if got, want := fmt.Sprint(el), "resample 8000->48000 Hz quality=high"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got, want := fmt.Sprint(&resample.Resample{Rate: 16000}), "resample rate=16000 quality=medium"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// benchGraph steps a graph built from line once per op (one 20 ms frame),
// after warming the frame pool, and reports allocations.
func benchGraph(b *testing.B, line string) {
	g := graphtest.Build(b, line)
	if err := g.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer g.Stop()
	for range 100 {
		g.Step()
	}
	b.ReportAllocs()
	for b.Loop() {
		if done, err := g.Step(); done || err != nil {
			b.Fatal(done, err)
		}
	}
}

// BenchmarkGraph is one 20 ms frame through tone → resample → null-sink.
// The "toneN" cases are the same graphs without resample at N kHz: the cost
// of the tone and the runtime, to subtract.
func BenchmarkGraph(b *testing.B) {
	for _, tc := range []struct {
		name, line string
	}{
		{"tone8", "tone rate=8000 ! null-sink"},
		{"tone16", "tone rate=16000 ! null-sink"},
		{"tone32", "tone rate=32000 ! null-sink"},
		{"tone48", "tone rate=48000 ! null-sink"},
		{"8to16", "tone rate=8000 ! resample rate=16000 ! null-sink"},
		{"16to8", "tone rate=16000 ! resample rate=8000 ! null-sink"},
		{"48to8", "tone rate=48000 ! resample rate=8000 ! null-sink"},
		{"8to48", "tone rate=8000 ! resample rate=48000 ! null-sink"},
		{"32to48", "tone rate=32000 ! resample rate=48000 ! null-sink"},
		{"16to16", "tone rate=16000 ! resample rate=16000 ! null-sink"},
	} {
		b.Run(tc.name, func(b *testing.B) { benchGraph(b, tc.line) })
	}
}
