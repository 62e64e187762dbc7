package plugins_test

import (
	"testing"

	"github.com/voxgraph/voxgraph/codecs"
	"github.com/voxgraph/voxgraph/codecs/g722"
)

// BenchmarkG722EncodeDecode is one 20 ms G.722 frame encoded and decoded,
// in process and through a plugin process (one gRPC exchange each way per
// frame, no batching yet): the plugin path's overhead per frame.
func BenchmarkG722EncodeDecode(b *testing.B) {
	pcm := tone(320)
	payload := make([]byte, 400)
	out := make([]int16, 640)
	run := func(b *testing.B, enc codecs.Encoder, dec codecs.Decoder) {
		b.ReportAllocs()
		for b.Loop() {
			n, err := enc.Encode(payload, pcm)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := dec.Decode(out, payload[:n]); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("in-process", func(b *testing.B) {
		d, _ := g722.NewDecoder(g722.Bitrate64k)
		run(b, g722.NewEncoder(), d)
	})
	b.Run("plugin", func(b *testing.B) {
		_, reg := host(b, "g722")
		f, _ := reg.Lookup("X-G722-PLUGIN")
		enc, _ := f.NewEncoder(nil)
		dec, _ := f.NewDecoder(nil)
		run(b, enc, dec)
	})
}
