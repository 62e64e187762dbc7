package elements

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/voxgraph/voxgraph/dsp/wav"
	"github.com/voxgraph/voxgraph/pipeline"
)

// WavSrc reads a 16-bit PCM WAV file and emits it one ptime frame per tick.
// The last frame may be shorter, so the output has exactly the file's samples.
type WavSrc struct {
	pipeline.NoInput

	Path  string `prop:"path" doc:"WAV file to read (16-bit PCM, any rate and channel count)"`
	Paced bool   `prop:"realtime" default:"false" doc:"pace output at wall-clock speed (true) or run as fast as possible (false)"`
	Loop  bool   `prop:"loop" default:"false" doc:"start again from the beginning at end of file instead of ending"`

	r      *wav.Reader
	f      pipeline.Format
	total  time.Duration
	pos    atomic.Int64 // sample frames emitted
	frames int64
}

func init() {
	pipeline.Register(pipeline.ElementInfo{
		Name:    "wav-src",
		Summary: "reads a WAV file as PCM frames",
		Doc: "Emits the file's samples in frames of ptime at the file's rate and channel count; the final frame carries the remainder. " +
			"Ends the stream at end of file unless loop=true. realtime=true paces the whole graph at wall-clock speed.",
		Outputs: []pipeline.PortInfo{{Name: "out", Doc: "PCM at the file's rate"}},
		New:     func() pipeline.Element { return &WavSrc{} },
	})
}

// Negotiate reads the file's header to learn its format.
func (e *WavSrc) Negotiate(n *pipeline.Negotiation) error {
	if e.Path == "" {
		return errors.New("path is required (wav-src path=FILE.wav)")
	}
	r, err := wav.Open(e.Path)
	if err != nil {
		return err
	}
	defer r.Close()
	e.f = pipeline.PCM(r.SampleRate(), r.Channels(), n.PTime)
	if e.f.Samples() == 0 {
		return fmt.Errorf("%s: sample rate %d too low for ptime %s", e.Path, r.SampleRate(), n.PTime)
	}
	e.frames = r.NumFrames()
	if e.frames > 0 {
		e.total = time.Duration(e.frames) * time.Second / time.Duration(r.SampleRate())
	}
	n.SetAllOut(e.f)
	return nil
}

// Start opens the file.
func (e *WavSrc) Start(context.Context, *pipeline.Injector) error {
	r, err := wav.Open(e.Path)
	if err != nil {
		return err
	}
	if r.SampleRate() != e.f.Rate || r.Channels() != e.f.Channels {
		r.Close()
		return fmt.Errorf("%s changed since the graph was built", e.Path)
	}
	e.r = r
	return nil
}

// Stop closes the file.
func (e *WavSrc) Stop() error {
	if e.r == nil {
		return nil
	}
	err := e.r.Close()
	e.r = nil
	return err
}

// Realtime reports whether the source wants wall-clock pacing.
func (e *WavSrc) Realtime() bool { return e.Paced }

// Progress reports how much of the file has been emitted.
func (e *WavSrc) Progress() (done, total time.Duration) {
	done = time.Duration(e.pos.Load()) * time.Second / time.Duration(max(e.f.Rate, 1))
	return done, e.total
}

// Tick emits the next frame.
func (e *WavSrc) Tick(out *pipeline.Output) error {
	f := out.NewFrame()
	f.Format = e.f
	want := e.f.Samples() * e.f.Channels
	buf := f.SetPCMLen(want)
	got := 0
	for got < want {
		n, err := e.r.Read(buf[got:])
		got += n
		if err == io.EOF {
			if e.Loop && (got > 0 || e.pos.Load() > 0) {
				if err := e.r.Rewind(); err != nil {
					f.Release()
					return err
				}
				e.pos.Store(0)
				continue
			}
			break
		}
		if err != nil {
			f.Release()
			return fmt.Errorf("read %s: %w", e.Path, err)
		}
	}
	got -= got % e.f.Channels
	if got == 0 {
		f.Release()
		out.EndOfStream()
		return nil
	}
	f.PCM = buf[:got]
	f.Time = time.Duration(e.pos.Load()) * time.Second / time.Duration(e.f.Rate)
	e.pos.Add(int64(got / e.f.Channels))
	out.Emit(0, f)
	if got < want {
		out.EndOfStream()
	}
	return nil
}

func (e *WavSrc) String() string { return fmt.Sprintf("wav-src path=%s", e.Path) }
