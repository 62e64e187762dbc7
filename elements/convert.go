package elements

import (
	"fmt"

	"github.com/voxgraph/voxgraph/dsp/resample"
)

// converter resamples PCM between a graph's rate and a codec's, for
// encode (graph → codec) and decode (codec → graph). It allocates only
// when a frame is longer than any before.
type converter struct {
	r          *resample.Resampler
	buf        []int16
	latencySet bool // the element declared the resampler's delay
}

// newConverter returns a converter from one rate to another, or nil when
// the rates are the same.
func newConverter(from, to, channels int) (*converter, error) {
	if from == to {
		return nil, nil
	}
	r, err := resample.New(from, to, channels, resample.Medium)
	if err != nil {
		return nil, err
	}
	return &converter{r: r, buf: make([]int16, r.MaxOutput(from*channels/5))}, nil // 200 ms
}

// run converts pcm and returns the converted samples, valid until the
// next call.
func (c *converter) run(pcm []int16) ([]int16, error) {
	if n := c.r.MaxOutput(len(pcm)); n > len(c.buf) {
		c.buf = make([]int16, n)
	}
	n, err := c.r.Process(c.buf, pcm)
	if err != nil {
		return nil, fmt.Errorf("resample %d to %d Hz: %w", c.r.InRate(), c.r.OutRate(), err)
	}
	return c.buf[:n], nil
}
