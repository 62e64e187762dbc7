package g722_test

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/voxgraph/voxgraph/codecs"
	"github.com/voxgraph/voxgraph/codecs/g722"
)

// Example encodes and decodes one 20 ms frame through the default registry,
// where importing the package registered G.722.
func Example() {
	f, ok := codecs.Default.Lookup("G722")
	if !ok {
		panic("G722 not registered")
	}
	enc, _ := f.NewEncoder(nil)
	dec, _ := f.NewDecoder(nil)

	// 20 ms of a 1 kHz tone at 16 kHz.
	pcm := make([]int16, f.SampleRate/50)
	for i := range pcm {
		pcm[i] = int16(8000 * math.Sin(2*math.Pi*1000*float64(i)/float64(f.SampleRate)))
	}
	payload := make([]byte, enc.MaxEncodedLen(len(pcm))) // allocate once, reuse per frame
	n, _ := enc.Encode(payload, pcm)
	out := make([]int16, dec.MaxDecodedLen(n))
	m, _ := dec.Decode(out, payload[:n])

	fmt.Println(f.Codec, "sample rate", f.SampleRate)
	fmt.Println(len(pcm), "samples ->", n, "bytes ->", m, "samples")
	// The RTP clock runs at 8000 Hz: timestamps advance one tick per byte.
	fmt.Println("RTP timestamp step", len(pcm)*f.ClockRate/f.SampleRate)
	// Output:
	// G722/8000 pt=9 sample rate 16000
	// 320 samples -> 160 bytes -> 320 samples
	// RTP timestamp step 160
}

// ExampleNewDecoder decodes in the 48 kbit/s mode, where the two least
// significant bits of each byte carry auxiliary data the decoder ignores.
func ExampleNewDecoder() {
	pcm := make([]int16, 320)
	for i := range pcm {
		pcm[i] = int16(8000 * math.Sin(2*math.Pi*440*float64(i)/16000))
	}
	payload := make([]byte, 160)
	g722.NewEncoder().Encode(payload, pcm)
	withData := slices.Clone(payload)
	for i := range withData {
		withData[i] = withData[i]&^3 | byte(i%4) // auxiliary data channel
	}

	dec, _ := g722.NewDecoder(g722.Bitrate48k)
	a, b := make([]int16, 320), make([]int16, 320)
	dec.Decode(a, payload)
	dec.Reset()
	dec.Decode(b, withData)
	fmt.Println(dec.Bitrate(), "bit/s, auxiliary bits ignored:", slices.Equal(a, b))

	_, err := g722.NewDecoder(32000)
	fmt.Println(err)
	// Output:
	// 48000 bit/s, auxiliary bits ignored: true
	// g722: bitrate 32000 not one of 64000, 56000, 48000: invalid codec parameters
}

// ExampleEncoder_Encode shows that an odd number of samples is rejected:
// each G.722 byte carries two samples.
func ExampleEncoder_Encode() {
	enc := g722.NewEncoder()
	_, err := enc.Encode(make([]byte, 2), make([]int16, 3))
	fmt.Println(err)
	fmt.Println(errors.Is(err, codecs.ErrBadInput))
	// Output:
	// g722: encode 3 samples: odd count, a G.722 byte carries 2 samples: pcm is not a whole number of frames
	// true
}
