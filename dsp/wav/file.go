package wav

import (
	"errors"
	"fmt"
	"io"
)

// ReadFile reads a whole WAV file: its samples (interleaved when it has
// more than one channel), sample rate and channel count.
func ReadFile(path string) (pcm []int16, rate, channels int, err error) {
	r, err := Open(path)
	if err != nil {
		return nil, 0, 0, err
	}
	defer r.Close()
	if n := r.NumFrames(); n > 0 {
		pcm = make([]int16, 0, n*int64(r.Channels()))
	}
	buf := make([]int16, 4096)
	for {
		n, err := r.Read(buf)
		pcm = append(pcm, buf[:n]...)
		if errors.Is(err, io.EOF) {
			return pcm, r.SampleRate(), r.Channels(), nil
		}
		if err != nil {
			return nil, 0, 0, fmt.Errorf("%s: %w", path, err)
		}
	}
}

// WriteFile writes pcm (interleaved when channels > 1) as a 16-bit WAV file.
func WriteFile(path string, rate, channels int, pcm []int16) error {
	w, err := Create(path, rate, channels)
	if err != nil {
		return err
	}
	if err := w.Write(pcm); err != nil {
		w.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return w.Close()
}
