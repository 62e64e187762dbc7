package rtp_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/zaf/g711"

	"github.com/voxgraph/voxgraph/dsp/wav"
	"github.com/voxgraph/voxgraph/graphs"
	"github.com/voxgraph/voxgraph/internal/graphtest"
	"github.com/voxgraph/voxgraph/pipeline"
)

// TestForeignPacketTime: a peer sends 10, 30 or 40 ms packets to a graph
// that ticks every 20 ms. The jitter buffer learns the packet time and
// plays the packets at their own pace, decode reframes the audio to 20 ms
// frames, and what comes out is what went in, sample for sample, with no
// gap or concealment in the middle.
func TestForeignPacketTime(t *testing.T) {
	for _, ptime := range []time.Duration{10 * time.Millisecond, 30 * time.Millisecond, 40 * time.Millisecond} {
		t.Run(ptime.String(), func(t *testing.T) {
			dir := t.TempDir()
			in, out := filepath.Join(dir, "in.wav"), filepath.Join(dir, "out.wav")
			w, _ := wav.Create(in, 8000, 1)
			src := make([]int16, 9600) // 1.2 s of a chirp: any slip shows
			for i := range src {
				src[i] = int16((i * i / 7) % 20000)
			}
			w.Write(src)
			w.Close()
			rg, addr, done := receiver(t, "rtp-src name=rx listen=127.0.0.1:0 timeout=400ms ! jitter name=jb ! decode name=dec plc=false ! wav-sink path="+graphs.Quote(out))
			spec, err := graphs.ParseLine(fmt.Sprintf("wav-src path=%s realtime=true ! encode codec=PCMU ! rtp-sink remote=%s", graphs.Quote(in), addr))
			if err != nil {
				t.Fatal(err)
			}
			tx, err := pipeline.Build(spec, pipeline.WithPTime(ptime), graphtest.Quiet)
			if err != nil {
				t.Fatal(err)
			}
			if err := tx.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			got := readAll(t, out)
			want := make([]int16, len(src))
			for i := range src {
				want[i] = g711.DecodeUlawFrame(g711.EncodeUlawFrame(src[i]))
			}
			// The input must appear whole and in one piece (silence may
			// precede it while the buffer fills).
			start := -1
			for k := 0; k+len(want) <= len(got); k++ {
				if got[k] == want[0] && got[k+1] == want[1] && got[k+2] == want[2] {
					start = k
					break
				}
			}
			if start < 0 {
				t.Fatalf("the input's first samples never came out (%d samples out; stats %v)", len(got), rg.Stats())
			}
			for i := range want {
				if got[start+i] != want[i] {
					t.Fatalf("sample %d (of %d, output offset %d): %d, want %d; jitter %v decode %v", i, len(want), start, got[start+i], want[i],
						stats(rg, "jb"), stats(rg, "dec"))
				}
			}
			if ptime != 20*time.Millisecond && stat(rg, "jb", "ptime_changes") != 1 {
				t.Fatalf("ptime_changes = %v, want 1", stat(rg, "jb", "ptime_changes"))
			}
		})
	}
}

func stats(g *pipeline.Graph, elem string) map[string]float64 {
	m := map[string]float64{}
	for _, s := range g.Stats() {
		if s.Name == elem {
			for _, x := range s.Extra {
				m[x.Name] = x.Value
			}
		}
	}
	return m
}
