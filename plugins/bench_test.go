package plugins_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/voxgraph/voxgraph/codecs"
	"github.com/voxgraph/voxgraph/codecs/g722"
	"github.com/voxgraph/voxgraph/internal/plugintest"
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

// BenchmarkPluginCPU is the CPU cost per frame (one 20 ms G.722 frame
// encoded and decoded) of N concurrent sessions, in process and through a
// batched plugin, each op one 20 ms tick of all N sessions. It reports
// cpu-µs/frame: the CPU time of this process and of the plugin process
// (getrusage and /proc), divided by the frames, so the sleeping that paces
// the ticks does not count. Run with -benchtime=50x.
func BenchmarkPluginCPU(b *testing.B) {
	for _, n := range []int{1, 100, 1000} {
		for _, mode := range []string{"in-process", "plugin-batched"} {
			b.Run(fmt.Sprintf("%s/%d", mode, n), func(b *testing.B) {
				encs, decs := make([]codecs.Encoder, n), make([]codecs.Decoder, n)
				pluginPid := 0
				if mode == "in-process" {
					for i := range n {
						encs[i] = g722.NewEncoder()
						decs[i], _ = g722.NewDecoder(g722.Bitrate64k)
					}
				} else {
					h, reg := hostWith(b, true, "g722")
					f, _ := reg.Lookup("X-G722-PLUGIN")
					for i := range n {
						encs[i], _ = f.NewEncoder(nil)
						decs[i], _ = f.NewDecoder(nil)
					}
					defer func() { _ = h }()
					tickAll(encs, decs) // opens the sessions and starts the process
					time.Sleep(50 * time.Millisecond)
					pluginPid = h.Plugins()[0].Pid()
				}
				cpu0 := plugintest.ProcessCPU(os.Getpid()) + plugintest.ProcessCPU(pluginPid)
				frames := 0
				for b.Loop() {
					tickAll(encs, decs)
					frames += n
					time.Sleep(20 * time.Millisecond)
				}
				cpu := plugintest.ProcessCPU(os.Getpid()) + plugintest.ProcessCPU(pluginPid) - cpu0
				b.ReportMetric(float64(cpu.Microseconds())/float64(frames), "cpu-µs/frame")
			})
		}
	}
}

func tickAll(encs []codecs.Encoder, decs []codecs.Decoder) {
	pcm := tone(320)
	payload := make([]byte, 800)
	out := make([]int16, 2000)
	for i := range encs {
		n, _ := encs[i].Encode(payload, pcm)
		if n == 0 {
			n = 160 // batched: nothing back yet at the first tick
		}
		decs[i].Decode(out, payload[:n])
	}
}
