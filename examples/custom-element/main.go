// Command custom-element shows how to write a DSP element of your own and run
// it in a voxgraph graph: it registers "tremolo", an amplitude modulator, and
// runs
//
//	tone freqs=440 duration=2s ! tremolo rate=5 depth=0.8 ! level ! wav-sink path=OUT
//
// Run it with:  go run ./examples/custom-element -out tremolo.wav
package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"

	_ "github.com/voxgraph/voxgraph/elements" // the built-in elements: tone, level, wav-sink, …
	"github.com/voxgraph/voxgraph/graphs"
	"github.com/voxgraph/voxgraph/pipeline"
)

// Tremolo modulates the amplitude of PCM audio with a low-frequency sine:
// gain = 1 - depth/2 * (1 - cos(2π·rate·t)). Its exported, tagged fields are
// its properties; the registry parses and documents them.
type Tremolo struct {
	Rate  float64 `prop:"rate" default:"5" doc:"modulation frequency in Hz"`
	Depth float64 `prop:"depth" default:"0.5" doc:"modulation depth, 0 (none) to 1 (full)"`

	phase, step float64 // LFO state, set up in Negotiate
}

// init registers the element under the name graph files use. Ports declare
// what they accept; the runtime checks every link against them at build time.
func init() {
	pipeline.Register(pipeline.ElementInfo{
		Name:    "tremolo",
		Summary: "amplitude modulation by a low-frequency sine",
		Doc:     "Multiplies PCM by a gain that swings between 1 and 1-depth at `rate` Hz.",
		Inputs:  []pipeline.PortInfo{{Name: "in", Caps: pipeline.PCMCaps, Doc: "PCM audio"}},
		Outputs: []pipeline.PortInfo{{Name: "out", Doc: "modulated PCM, same format"}},
		New:     func() pipeline.Element { return &Tremolo{} },
	})
}

// Negotiate runs once at build time: check properties against the input
// format, precompute what Process needs, and set the output format.
func (t *Tremolo) Negotiate(n *pipeline.Negotiation) error {
	in := n.In[0]
	if t.Depth < 0 || t.Depth > 1 {
		return fmt.Errorf("depth %g must be between 0 and 1", t.Depth)
	}
	if t.Rate <= 0 || t.Rate >= float64(in.Rate)/2 {
		return fmt.Errorf("rate %g Hz must be between 0 and %d Hz", t.Rate, in.Rate/2)
	}
	t.step = 2 * math.Pi * t.Rate / float64(in.Rate)
	n.SetAllOut(in) // same format out as in
	return nil
}

// Process runs for every frame: modify it in place and emit it. No
// allocation, no blocking, no goroutines.
func (t *Tremolo) Process(_ int, f *pipeline.Frame, out *pipeline.Output) error {
	ch := f.Format.Channels
	for i := 0; i < len(f.PCM); i += ch {
		g := 1 - t.Depth/2*(1-math.Cos(t.phase))
		for c := 0; c < ch; c++ {
			f.PCM[i+c] = int16(float64(f.PCM[i+c]) * g)
		}
		t.phase += t.step
	}
	t.phase = math.Mod(t.phase, 2*math.Pi)
	out.Emit(0, f)
	return nil
}

// String lets a running graph print itself in logs.
func (t *Tremolo) String() string { return fmt.Sprintf("tremolo rate=%gHz depth=%g", t.Rate, t.Depth) }

func main() {
	outPath := flag.String("out", "tremolo.wav", "WAV file to write")
	flag.Parse()
	if err := run(*outPath); err != nil {
		fmt.Fprintln(os.Stderr, "custom-element:", err)
		os.Exit(1)
	}
}

func run(outPath string) error {
	spec, err := graphs.ParseLine("tone freqs=440 duration=2s ! tremolo rate=5 depth=0.8 ! level name=meter ! wav-sink path=" + graphs.Quote(outPath))
	if err != nil {
		return err
	}
	g, err := pipeline.Build(spec)
	if err != nil {
		return err
	}
	if err := g.Run(context.Background()); err != nil {
		return err
	}
	for _, s := range g.Stats() {
		fmt.Printf("%-10s %-9s in=%-4d out=%-4d p50=%v", s.Name, s.Type, s.In, s.Out, s.P50)
		for _, x := range s.Extra {
			fmt.Printf(" %s=%.1f%s", x.Name, x.Value, x.Unit)
		}
		fmt.Println()
	}
	fmt.Println("wrote", outPath)
	return nil
}
