package elements

import (
	"context"
	"errors"
	"fmt"

	"github.com/voxgraph/voxgraph/dsp/wav"
	"github.com/voxgraph/voxgraph/pipeline"
)

// WavSink writes PCM frames to a 16-bit WAV file. The header is completed
// when the graph stops, including after Ctrl-C.
type WavSink struct {
	Path string `prop:"path" doc:"WAV file to write (created or truncated)"`

	w *wav.Writer
	f pipeline.Format
}

func init() {
	pipeline.Register(pipeline.ElementInfo{
		Name:    "wav-sink",
		Summary: "writes PCM frames to a WAV file",
		Doc:     "Writes 16-bit PCM at the input's rate and channel count. Concealed (lost) frames are written as the silence or PLC they carry.",
		Inputs:  []pipeline.PortInfo{{Name: "in", Caps: pipeline.PCMCaps, Doc: "PCM audio"}},
		New:     func() pipeline.Element { return &WavSink{} },
	})
}

// Negotiate records the input format.
func (e *WavSink) Negotiate(n *pipeline.Negotiation) error {
	if e.Path == "" {
		return errors.New("path is required (wav-sink path=FILE.wav)")
	}
	e.f = n.In[0]
	return nil
}

// Start creates the file.
func (e *WavSink) Start(context.Context, *pipeline.Injector) error {
	w, err := wav.Create(e.Path, e.f.Rate, e.f.Channels)
	if err != nil {
		return err
	}
	e.w = w
	return nil
}

// Process appends the frame's samples.
func (e *WavSink) Process(_ int, f *pipeline.Frame, _ *pipeline.Output) error {
	err := e.w.Write(f.PCM)
	f.Release()
	if err != nil {
		return fmt.Errorf("write %s: %w", e.Path, err)
	}
	return nil
}

// Stop finishes the header and closes the file.
func (e *WavSink) Stop() error {
	if e.w == nil {
		return nil
	}
	err := e.w.Close()
	e.w = nil
	if err != nil {
		return fmt.Errorf("close %s: %w", e.Path, err)
	}
	return nil
}

func (e *WavSink) String() string { return "wav-sink path=" + e.Path }
