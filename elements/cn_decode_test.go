package elements_test

import (
	"math"
	"strings"
	"testing"

	"github.com/pion/rtp"
	"github.com/zaf/g711"

	"github.com/voxgraph/voxgraph/dsp/cn"
	"github.com/voxgraph/voxgraph/dsp/vad/vadtest"
	"github.com/voxgraph/voxgraph/graphs"
	"github.com/voxgraph/voxgraph/internal/graphtest"
	"github.com/voxgraph/voxgraph/pipeline"
)

// cnPacket is what cntest-src sends at one tick: nothing (nil), speech
// (PCMU), or a comfort-noise payload.
type cnPacket struct {
	cn      bool
	payload []byte
}

// cnScriptSrc ("cntest-src") sends a scripted PCMU stream with CN packets,
// one entry per tick, with sequence numbers and timestamps as a sender
// with DTX would: consecutive sequence numbers, the clock running on.
type cnScriptSrc struct {
	pipeline.NoInput
	script []cnPacket
	k      int
	seq    uint16
	format pipeline.Format
}

func (s *cnScriptSrc) Negotiate(n *pipeline.Negotiation) error {
	s.format = pipeline.Format{Kind: pipeline.KindEncoded, Codec: "PCMU", Rate: 8000, Channels: 1, PTime: n.PTime, PayloadType: 0}
	n.SetAllOut(s.format)
	return nil
}

func (s *cnScriptSrc) Tick(out *pipeline.Output) error {
	if s.k >= len(s.script) {
		out.EndOfStream()
		return nil
	}
	p := s.script[s.k]
	if p.payload != nil {
		f := out.NewFrame()
		f.Format = s.format
		f.Time = out.Time()
		pt := uint8(0)
		if p.cn {
			pt = 13
		}
		marker := !p.cn && (s.k == 0 || s.script[s.k-1].cn || s.script[s.k-1].payload == nil)
		f.RTP = rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: s.seq, Timestamp: uint32(s.k * 160), SSRC: 9, Marker: marker}
		copy(f.SetPayloadLen(len(p.payload)), p.payload)
		s.seq++
		out.Emit(0, f)
	}
	s.k++
	return nil
}

func init() {
	pipeline.Register(pipeline.ElementInfo{Name: "cntest-src", Summary: "test: scripted PCMU with comfort noise",
		Outputs: []pipeline.PortInfo{{Name: "out"}}, New: func() pipeline.Element { return &cnScriptSrc{} }})
}

// pcmuTone is frame k of a 1 kHz tone at -20 dBov as PCMU.
func pcmuTone(k int) []byte {
	b := make([]byte, 160)
	for i := range b {
		b[i] = g711.EncodeUlawFrame(int16(4634 * math.Sin(2*math.Pi*1000*float64(k*160+i)/8000)))
	}
	return b
}

// pinkAt is 1 s of pink noise at dbov.
func pinkAt(dbov float64) []int16 {
	x := vadtest.Pink(8000, 4)
	sum := make([]float64, len(x))
	vadtest.Add(sum, x, dbov)
	return vadtest.Quantize(sum)
}

// sidOf describes 1 s of pink noise at dbov.
func sidOf(t *testing.T, dbov float64) []byte {
	x := pinkAt(dbov)
	e, err := cn.NewEncoder(8000, 8, len(x))
	if err != nil {
		t.Fatal(err)
	}
	s := e.Analyze(x)
	p, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// dtxScript: 10 frames of speech, a SID at -50 dBov and 19 silent ticks,
// a SID at -40 dBov and 19 silent ticks, 10 frames of speech.
func dtxScript(t *testing.T, firstSID []byte) []cnPacket {
	var s []cnPacket
	speech := func(from, to int) {
		for k := from; k < to; k++ {
			s = append(s, cnPacket{payload: pcmuTone(k)})
		}
	}
	speech(0, 10)
	s = append(s, cnPacket{cn: true, payload: firstSID})
	s = append(s, make([]cnPacket, 19)...)
	s = append(s, cnPacket{cn: true, payload: sidOf(t, -40)})
	s = append(s, make([]cnPacket, 19)...)
	speech(50, 60)
	return s
}

func runCN(t *testing.T, line string, script []cnPacket) (*pipeline.Graph, []recFrame) {
	t.Helper()
	g := graphtest.Build(t, line, graphtest.Quiet)
	src, _ := g.Element("src")
	src.(*cnScriptSrc).script = script
	if err := g.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	sink, _ := g.Element("sink")
	return g, sink.(*recordSink).get()
}

func blockDBov(frames []recFrame) float64 {
	var s float64
	n := 0
	for _, f := range frames {
		for _, v := range f.pcm {
			s += float64(v) * float64(v)
		}
		n += len(f.pcm)
	}
	return 10 * math.Log10(s/float64(n)/(32768*32768))
}

// TestDecodeComfortNoise: after a CN packet decode plays comfort noise,
// flagged silence, on every tick until the next speech packet, at the
// level the SIDs give (within 1.5 dB) and with their spectral tilt; speech
// after it decodes untouched.
func TestDecodeComfortNoise(t *testing.T) {
	_, got := runCN(t, "cntest-src name=src ! decode name=d ! plctest-sink name=sink", dtxScript(t, sidOf(t, -50)))
	if len(got) != 60 {
		t.Fatalf("%d frames, want one per tick: 60", len(got))
	}
	for k, f := range got {
		silence := f.flags&pipeline.FlagSilence != 0
		if want := k >= 10 && k < 50; silence != want || f.flags&pipeline.FlagConcealed != 0 || len(f.pcm) != 160 {
			t.Fatalf("frame %d: flags %b, %d samples; want silence=%v, not concealed, 160 samples", k, f.flags, len(f.pcm), want)
		}
		if k >= 50 {
			pl := pcmuTone(k)
			for i, v := range f.pcm {
				if v != g711.DecodeUlawFrame(pl[i]) {
					t.Fatalf("speech frame %d after comfort noise is not its packet's", k)
				}
			}
		}
	}
	first, second := blockDBov(got[10:30]), blockDBov(got[32:50])
	t.Logf("comfort noise at %.1f dBov (SID -50), then %.1f dBov (SID -40)", first, second)
	if math.Abs(first+50) > 1.5 || math.Abs(second+40) > 1.5 {
		t.Errorf("comfort noise at %.1f and %.1f dBov, want -50 and -40", first, second)
	}
	var noise []int16
	for _, f := range got[10:30] {
		noise = append(noise, f.pcm...)
	}
	if a, b := spectralTilt(noise), spectralTilt(pinkAt(-50)); math.Abs(a-b) > 1.5 {
		t.Errorf("comfort noise tilt %.1f dB, pink noise's %.1f dB", a, b)
	}
}

// spectralTilt is the power of x over that of its first difference, in dB.
func spectralTilt(x []int16) float64 {
	var p, q float64
	for i := 1; i < len(x); i++ {
		p += float64(x[i]) * float64(x[i])
		d := float64(x[i]) - float64(x[i-1])
		q += d * d
	}
	return 10 * math.Log10(p/q)
}

// TestDecodeComfortNoiseThroughJitter: behind a jitter buffer, the frames
// it reports missing while the sender is silent become comfort noise, not
// concealment, and the output keeps one frame per tick.
func TestDecodeComfortNoiseThroughJitter(t *testing.T) {
	g, got := runCN(t, "cntest-src name=src ! jitter name=jb ! decode name=d ! plctest-sink name=sink", dtxScript(t, sidOf(t, -50)))
	var silent, concealed int
	for _, f := range got {
		if f.flags&pipeline.FlagSilence != 0 {
			silent++
		}
		if f.flags&pipeline.FlagConcealed != 0 {
			concealed++
		}
	}
	cnf, _ := graphtest.Stat(g, "d", "comfort_noise")
	sids, _ := graphtest.Stat(g, "d", "sid")
	t.Logf("%d frames: %d comfort noise (decode counts %v from %v SIDs), %d concealed", len(got), silent, cnf, sids, concealed)
	if silent < 38 || concealed != 0 || sids != 2 || float64(silent) != cnf {
		t.Fatalf("%d frames of comfort noise (%v counted, %v SIDs), %d concealed; want about 40, 2 SIDs, none concealed", silent, cnf, sids, concealed)
	}
}

// TestDecodeComfortNoiseBadInput: a malformed CN payload is counted and
// dropped without starting comfort noise; with cn-pt=-1 CN packets are
// unexpected payload types; a cn-pt equal to the codec's is refused.
func TestDecodeComfortNoiseBadInput(t *testing.T) {
	g, got := runCN(t, "cntest-src name=src ! decode name=d ! plctest-sink name=sink", dtxScript(t, []byte{0x80, 1}))
	if e, _ := graphtest.Stat(g, "d", "cn_errors"); e != 1 {
		t.Fatalf("cn_errors %v, want 1", e)
	}
	// The second SID (at frame 30) starts comfort noise: 10 speech + 20 + 10.
	if len(got) != 40 {
		t.Fatalf("%d frames, want 40", len(got))
	}
	g, got = runCN(t, "cntest-src name=src ! decode name=d cn-pt=-1 ! plctest-sink name=sink", dtxScript(t, sidOf(t, -50)))
	if b, _ := graphtest.Stat(g, "d", "bad_pt"); b != 2 || len(got) != 20 {
		t.Fatalf("cn-pt=-1: bad_pt %v, %d frames; want 2 and the 20 speech frames", b, len(got))
	}
	spec, err := graphs.ParseLine("cntest-src ! decode cn-pt=0 ! null-sink")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pipeline.Build(spec, graphtest.Quiet); err == nil || !strings.Contains(err.Error(), "cn-pt") {
		t.Fatalf("cn-pt equal to PCMU's: %v", err)
	}
}
