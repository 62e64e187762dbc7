package opuscodec

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/voxgraph/voxgraph/codecs"
	"github.com/voxgraph/voxgraph/internal/codectest"
	"github.com/voxgraph/voxgraph/internal/plugintest"
	"github.com/voxgraph/voxgraph/plugins"
)

// BenchmarkCPU is the CPU cost of one 20 ms mono Opus frame encoded and
// decoded (libopus defaults), with N sessions at once: in this process
// (cgo, the test-only baseline) and through the plugin process with
// batching (one exchange per tick carries every session's frames). Each
// op is one tick of all N sessions. It reports cpu-µs/frame: the CPU time
// of this process and of the plugin process (/proc, 10 ms resolution)
// divided by the frames, so the sleeping between ticks does not count.
//
// Ticks are spaced by 20 ms plus 400 µs a session, so that a round is
// back before the next tick on a slow machine; late-frames counts the
// frames whose result was not back by then (it should be 0). Run with
// -benchtime=20x:
//
//	go test -run '^$' -bench CPU -benchtime=20x ./opuscodec
func BenchmarkCPU(b *testing.B) {
	for _, n := range []int{1, 100, 1000} {
		for _, mode := range []string{"in-process", "plugin-batched"} {
			b.Run(fmt.Sprintf("%s/%d", mode, n), func(b *testing.B) {
				encs, decs := make([]codecs.Encoder, n), make([]codecs.Decoder, n)
				fac, pluginPid := Factory(), 0
				var h *plugins.Host
				if mode == "plugin-batched" {
					var reg *codecs.Registry
					h, reg = plugintest.Load(b, "../cmd/voxgraph-codec-opus", "voxgraph-codec-opus",
						func(c *plugins.Config) { c.Batch = true })
					f, _ := reg.Lookup(Name)
					fac = *f
				}
				for i := range n {
					var err error
					if encs[i], err = fac.NewEncoder(nil); err != nil {
						b.Fatal(err)
					}
					if decs[i], err = fac.NewDecoder(nil); err != nil {
						b.Fatal(err)
					}
				}
				defer func() {
					for i := range n {
						closeAll(encs[i], decs[i])
					}
				}()
				t := newTicker()
				period := 20*time.Millisecond + time.Duration(n)*400*time.Microsecond
				if h != nil {
					t.tick(encs, decs) // opens the sessions and starts the process
					time.Sleep(period)
					t.tick(encs, decs)
					time.Sleep(period)
					pluginPid = h.Plugins()[0].Pid()
				}
				t.late = 0
				cpu0 := plugintest.ProcessCPU(os.Getpid()) + plugintest.ProcessCPU(pluginPid)
				frames := 0
				for b.Loop() {
					t.tick(encs, decs)
					frames += n
					time.Sleep(period)
				}
				cpu := plugintest.ProcessCPU(os.Getpid()) + plugintest.ProcessCPU(pluginPid) - cpu0
				b.ReportMetric(float64(cpu.Microseconds())/float64(frames), "cpu-µs/frame")
				b.ReportMetric(float64(t.late), "late-frames")
			})
		}
	}
}

// ticker feeds sessions one 20 ms frame of speech each per tick.
type ticker struct {
	pcm  []int16
	pos  int
	pkt  []byte
	out  []int16
	late int // encoder or decoder calls that had no result back
}

func newTicker() *ticker {
	return &ticker{pcm: codectest.SpeechLike(SampleRate, SampleRate, 1), pkt: make([]byte, 4000), out: make([]int16, 6000)}
}

// tick encodes a frame in each encoder and decodes the result (or, when
// a batched encoder has nothing back, a fixed packet) in its decoder.
func (t *ticker) tick(encs []codecs.Encoder, decs []codecs.Decoder) {
	frame := t.pcm[t.pos : t.pos+frame20]
	t.pos = (t.pos + frame20) % len(t.pcm)
	for i := range encs {
		n, err := encs[i].Encode(t.pkt, frame)
		if err != nil || n == 0 {
			t.late++
			n = copy(t.pkt, []byte{0x78, 0x00}) // a short CELT frame
		}
		if m, err := decs[i].Decode(t.out, t.pkt[:n]); err != nil || m == 0 {
			t.late++
		}
	}
}
