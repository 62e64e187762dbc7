package elements_test

import (
	"context"
	"math"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/zaf/g711"

	"github.com/voxgraph/voxgraph/elements/rtp"
	"github.com/voxgraph/voxgraph/graphs"
	"github.com/voxgraph/voxgraph/internal/graphtest"
	"github.com/voxgraph/voxgraph/internal/udpimpair"
	"github.com/voxgraph/voxgraph/pipeline"
)

// recFrame is one frame a plctest-sink received.
type recFrame struct {
	seq   uint16
	flags pipeline.Flags
	pcm   []int16
}

// recordSink ("plctest-sink") keeps every PCM frame it gets, in order.
type recordSink struct {
	mu     sync.Mutex
	frames []recFrame
}

func (s *recordSink) Negotiate(*pipeline.Negotiation) error { return nil }

func (s *recordSink) Process(_ int, f *pipeline.Frame, _ *pipeline.Output) error {
	s.mu.Lock()
	s.frames = append(s.frames, recFrame{f.RTP.SequenceNumber, f.Flags, append([]int16(nil), f.PCM...)})
	s.mu.Unlock()
	f.Release()
	return nil
}

func (s *recordSink) get() []recFrame {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.frames
}

func init() {
	pipeline.Register(pipeline.ElementInfo{Name: "plctest-sink", Summary: "test: records PCM frames",
		Inputs: []pipeline.PortInfo{{Name: "in", Caps: pipeline.PCMCaps}}, New: func() pipeline.Element { return &recordSink{} }})
}

func frameRMS(x []int16) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s / float64(max(len(x), 1)))
}

func largestStep(x []int16, from, to int) float64 {
	var m float64
	for i := max(from, 1); i < min(to, len(x)); i++ {
		m = max(m, math.Abs(float64(x[i])-float64(x[i-1])))
	}
	return m
}

// voiced is n samples of a continuously voiced, vowel-like signal at rate
// Hz: ten harmonics falling 12 dB per octave on a fundamental gliding
// between 90 and 150 Hz, under an envelope swinging over 12 dB, peaks
// around -10 dBov.
func voiced(rate, n int) []int16 {
	out := make([]int16, n)
	phase := 0.0
	for i := range out {
		t := float64(i) / float64(rate)
		phase += 2 * math.Pi * (120 + 30*math.Sin(2*math.Pi*0.5*t)) / float64(rate)
		var v float64
		for k := 1; k <= 10; k++ {
			v += math.Sin(float64(k)*phase+float64(k*k)) / float64(k*k)
		}
		out[i] = int16(4000 * (0.6 + 0.4*math.Sin(2*math.Pi*2.7*t)) * v)
	}
	return out
}

// TestDecodePLCOverLossyNetwork sends 3 s of a voiced signal as PCMU
// through a UDP impairment proxy dropping 12 % of the packets into
// rtp-src → jitter → tee → two decoders, one with plc (the default), one
// with plc=false. Both conceal the same frames; with plc the concealed
// frames inside talk are not silent and follow the signal's level, and no
// edge of an erasure steps more than 1.5 times the largest step within a
// pitch period around it, where silence makes steps several times larger.
func TestDecodePLCOverLossyNetwork(t *testing.T) {
	const rate, fl = 8000, 160
	in := voiced(rate, 3*rate)
	inPath := filepath.Join(t.TempDir(), "in.wav")
	graphtest.WriteWav(t, inPath, rate, 1, in)
	// What a lossless receiver would hear: the G.711 round trip.
	ref := make([]int16, len(in))
	for i, v := range in {
		ref[i] = g711.DecodeUlawFrame(g711.EncodeUlawFrame(v))
	}

	rg := graphtest.BuildYAML(t, `
name: plc-rx
elements:
  rx:   {type: rtp-src, listen: "127.0.0.1:0", timeout: 300ms}
  jb:   {type: jitter, min: 20ms, max: 200ms, target: 60ms}
  t:    {type: tee}
  plc:  {type: decode}
  sil:  {type: decode, plc: false}
  outp: {type: plctest-sink}
  outs: {type: plctest-sink}
links:
  - rx -> jb -> t
  - t -> plc -> outp
  - t -> sil -> outs
`, graphtest.Quiet)
	if err := rg.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	rx, _ := rg.Element("rx")
	sched := pipeline.NewScheduler(pipeline.WithWorkers(1))
	sched.Start()
	sched.Add(rg)
	proxy, err := udpimpair.New("127.0.0.1:0", rx.(*rtp.Src).LocalAddr().String(), udpimpair.Config{Seed: 7, Loss: 0.12})
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	tx := graphtest.Build(t, "wav-src path="+graphs.Quote(inPath)+" realtime=true ! encode codec=PCMU ! rtp-sink remote="+proxy.Addr().String(), graphtest.Quiet)
	if err := tx.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-rg.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("receiver did not end")
	}
	sched.Close()
	if err := rg.Stop(); err != nil {
		t.Fatal(err)
	}

	p, _ := rg.Element("outp")
	s, _ := rg.Element("outs")
	withPLC, silent := p.(*recordSink).get(), s.(*recordSink).get()
	if len(withPLC) != len(silent) || len(withPLC) < len(in)/fl-5 {
		t.Fatalf("%d frames with plc, %d without, %d sent", len(withPLC), len(silent), len(in)/fl)
	}
	cp, _ := graphtest.Stat(rg, "plc", "concealed")
	cs, _ := graphtest.Stat(rg, "sil", "concealed")
	if cp != cs || cp < 10 {
		t.Fatalf("concealed %v frames with plc, %v without; want the same, at least 10", cp, cs)
	}

	// Lay the frames out on the sender's timeline (the proxy saw the first
	// packet's sequence number), and check every erasure.
	log := proxy.Log()
	if len(log) == 0 {
		t.Fatal("the proxy saw no packet")
	}
	base := log[0].Seq()
	n := len(in) / fl
	outP, outS := make([]int16, n*fl), make([]int16, n*fl)
	lost := make([]bool, n)
	for k, f := range withPLC {
		i := int(f.seq - base)
		if i >= n || len(f.pcm) != fl || f.seq != silent[k].seq {
			continue
		}
		copy(outP[i*fl:], f.pcm)
		copy(outS[i*fl:], silent[k].pcm)
		lost[i] = f.flags&pipeline.FlagConcealed != 0
	}
	var erasures, loud, nl int
	worstP, worstS, snrSum := 0.0, 0.0, 0.0
	for i := range n {
		if lost[i] {
			var sig, e float64
			for j := i * fl; j < (i+1)*fl; j++ {
				d := float64(outP[j]) - float64(ref[j])
				sig, e = sig+float64(ref[j])*float64(ref[j]), e+d*d
			}
			snrSum += max(-10, min(35, 10*math.Log10(sig/max(e, 1))))
			nl++
		}
	}
	for i := 1; i < n; i++ {
		if lost[i] == lost[i-1] {
			continue
		}
		b := i * fl
		if lost[i] {
			erasures++
			prev := frameRMS(outP[b-fl : b])
			if prev > 300 { // inside talk
				loud++
				if got := frameRMS(outP[b : b+fl]); got < 0.3*prev {
					t.Errorf("frame %d concealed at RMS %.0f after a frame at %.0f: too quiet", i, got, prev)
				}
				if frameRMS(outS[b:b+fl]) != 0 {
					t.Errorf("frame %d concealed with plc=false is not silence", i)
				}
			}
		}
		end := b + 8
		if !lost[i] {
			end = b + 80 // the fade into the good frame
		}
		const w = 120 // 15 ms, the longest pitch period
		around := func(y []int16) float64 {
			return max(largestStep(y, b-w, b), largestStep(y, end+1, end+w), largestStep(ref, b-w, end+w), 1)
		}
		if frameRMS(ref[max(b-w, 0):min(end+w, len(ref))]) < 100 {
			continue // a pause: nothing to click
		}
		worstP = max(worstP, largestStep(outP, b, end+1)/around(outP))
		worstS = max(worstS, largestStep(outS, b, end+1)/around(outS))
	}
	snr := snrSum / float64(max(nl, 1))
	t.Logf("%d frames, %d concealed in %d erasures (%d inside talk); SNR of the concealed frames %.1f dB (silence: 0); largest edge step / steps around it: plc %.2f, silence %.2f",
		n, int(cp), erasures, loud, snr, worstP, worstS)
	if snr < 3 {
		t.Errorf("concealed frames match the lost signal at %.1f dB SNR, want ≥ 3 (silence: 0)", snr)
	}
	if loud < 3 {
		t.Fatalf("only %d erasures inside talk: the loss does not test concealment", loud)
	}
	if worstP > 1.5 {
		t.Errorf("with plc an erasure's edge steps %.2f× the steps around it, want ≤ 1.5", worstP)
	}
	if worstS < 2 {
		t.Errorf("silence steps only %.2f× the steps around it: the edges were not tested", worstS)
	}
}

// BenchmarkDecodePLC is one 20 ms frame through PCMU encode and decode
// with every third frame lost and concealed (plc on).
func BenchmarkDecodePLC(b *testing.B) {
	benchGraph(b, "tone ! encode codec=PCMU ! test-lose n=3 ! decode ! null-sink", true)
}
