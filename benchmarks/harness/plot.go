package harness

import (
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Plot draws a result as a PNG: each element's latency at p50, p90, p99,
// p99.9 and max (log scale; end to end, milliseconds rather than
// microseconds, is in the title); with a ramp, a second panel of CPU per call-second and late ticks against calls.
// It works from a Result alone, so a JSON file can be plotted again.
func Plot(r *Result, path string) error {
	if !strings.EqualFold(filepath.Ext(path), ".png") {
		return fmt.Errorf("%s: the plot is a PNG; name the file *.png", path)
	}
	var panels []*plot.Plot
	lat, err := latencyPlot(r)
	if err != nil {
		return err
	}
	if lat != nil {
		panels = append(panels, lat)
	}
	if len(r.Ramp) > 0 {
		rp, err := rampPlot(r)
		if err != nil {
			return err
		}
		panels = append(panels, rp)
	}
	if len(panels) == 0 {
		return fmt.Errorf("nothing to plot: no per-element latency (timing off?) and no ramp")
	}
	const w, h = 22 * vg.Centimeter, 13 * vg.Centimeter
	img := vgimg.New(w, h*vg.Length(len(panels)))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: len(panels), Cols: 1, PadY: vg.Centimeter / 2}
	for i, p := range panels {
		p.Draw(tiles.At(dc, 0, i))
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

var quantileNames = []string{"p50", "p90", "p99", "p99.9", "max"}

func quantiles(l Latency) []float64 { return []float64{l.P50, l.P90, l.P99, l.P999, l.Max} }

// latencyPlot has one line per element over the quantiles; nil when no
// element was timed.
func latencyPlot(r *Result) (*plot.Plot, error) {
	type series struct {
		name string
		q    []float64
	}
	var all []series
	for _, e := range r.sortedElements() {
		if e.Frames > 0 {
			all = append(all, series{fmt.Sprintf("%s (%s) %.0f%% cpu", e.Name, e.Type, 100*e.CPUShare), quantiles(e.Latency)})
		}
	}
	if len(all) == 0 {
		return nil, nil
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s: %d calls, %s: latency of each element call", r.Graph, r.Calls, r.Mode)
	if e := r.EndToEnd; e != nil {
		p.Title.Text += fmt.Sprintf("\nend to end p50 %.1f ms, p99 %.1f ms, max %.1f ms", e.P50/1000, e.P99/1000, e.Max/1000)
	}
	p.X.Label.Text = "quantile"
	p.Y.Label.Text = "µs (log)"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	p.NominalX(quantileNames...)
	lowest := 0.0
	for _, s := range all {
		for _, v := range s.q {
			if v > 0 && (lowest == 0 || v < lowest) {
				lowest = v
			}
		}
	}
	p.Y.Min = max(lowest/300, 0.001) // room under the lines for the legend
	for i, s := range all {
		pts := make(plotter.XYs, 0, len(s.q))
		for j, v := range s.q {
			pts = append(pts, plotter.XY{X: float64(j), Y: max(v, p.Y.Min)}) // log scale: no zero
		}
		line, points, err := plotter.NewLinePoints(pts)
		if err != nil {
			return nil, err
		}
		c := plotutil.Color(i)
		line.Color, points.Color = c, c
		points.Shape = plotutil.Shape(i)
		p.Add(line, points)
		p.Legend.Add(s.name, line, points)
	}
	return p, nil
}

// rampPlot has CPU per call-second and late ticks against calls.
func rampPlot(r *Result) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s ramp: largest real-time step %d calls", r.Graph, r.MaxRealtimeCalls)
	p.X.Label.Text = "calls"
	p.Y.Label.Text = "ms CPU per call-second · % late ticks · cores"
	cpu, late, cores := make(plotter.XYs, 0, len(r.Ramp)), make(plotter.XYs, 0, len(r.Ramp)), make(plotter.XYs, 0, len(r.Ramp))
	for _, s := range r.Ramp {
		x := float64(s.Calls)
		cpu = append(cpu, plotter.XY{X: x, Y: s.PerCallSecondMs})
		late = append(late, plotter.XY{X: x, Y: s.LatePct})
		cores = append(cores, plotter.XY{X: x, Y: s.Cores})
	}
	for i, s := range []struct {
		name string
		xy   plotter.XYs
	}{{"ms CPU per call-second", cpu}, {"% late ticks", late}, {"cores busy", cores}} {
		line, points, err := plotter.NewLinePoints(s.xy)
		if err != nil {
			return nil, err
		}
		c := plotutil.Color(i)
		line.Color, points.Color = c, c
		p.Add(line, points)
		p.Legend.Add(s.name, line, points)
	}
	p.Legend.Top = true
	p.Legend.Left = true
	if r.MaxRealtimeCalls > 0 {
		mark, err := plotter.NewLine(plotter.XYs{{X: float64(r.MaxRealtimeCalls), Y: 0}, {X: float64(r.MaxRealtimeCalls), Y: maxY(cpu, late, cores)}})
		if err != nil {
			return nil, err
		}
		mark.Color = color.Gray{Y: 128}
		mark.Dashes = []vg.Length{vg.Points(4), vg.Points(4)}
		p.Add(mark)
	}
	return p, nil
}

func maxY(sets ...plotter.XYs) float64 {
	m := 0.0
	for _, s := range sets {
		for _, xy := range s {
			m = max(m, xy.Y)
		}
	}
	return m
}
