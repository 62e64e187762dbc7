package jitter_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/zaf/g711"

	"github.com/voxgraph/voxgraph/dsp/wav"
	_ "github.com/voxgraph/voxgraph/elements"
	"github.com/voxgraph/voxgraph/elements/jitter"
	"github.com/voxgraph/voxgraph/graphs"
	"github.com/voxgraph/voxgraph/internal/graphtest"
	"github.com/voxgraph/voxgraph/pipeline"
)

const (
	ms   = time.Millisecond
	base = time.Hour // fake clock origin: Arrival 0 means "not from the network"
)

// fakeClock is the test's time; the driver sets now before each Step.
type fakeClock struct{ now time.Duration }

func (c *fakeClock) read() time.Duration { return base + c.now }

// pkt is one scripted packet and the time it arrives.
type pkt struct {
	seq    uint16
	ts     uint32
	ssrc   uint32
	marker bool
	at     time.Duration
}

// payloadByte is the µ-law byte a packet's payload is filled with; 0..126
// decode to distinct samples, so the sink can tell which packet it got.
func payloadByte(seq uint16) byte { return byte(seq % 127) }

// scriptSrc ("jittertest-src") emits PCMU frames with RTP headers as a
// socket reader would: each tick, every scripted packet that has arrived by
// the fake clock's now, stamped with its own arrival time. With endless set
// it makes an in-order stream, every 8th pair swapped, one packet a tick.
type scriptSrc struct {
	pipeline.NoInput
	script  []pkt
	next    int
	clock   *fakeClock
	eos     bool // end the stream after the script
	endless bool
	k       int
	f       pipeline.Format
}

func (s *scriptSrc) Negotiate(n *pipeline.Negotiation) error {
	s.f = pipeline.Format{Kind: pipeline.KindEncoded, Codec: "PCMU", Rate: 8000, Channels: 1, PTime: n.PTime, PayloadType: 0}
	n.SetAllOut(s.f)
	return nil
}

func (s *scriptSrc) Tick(out *pipeline.Output) error {
	if s.endless {
		k := s.k
		switch s.k % 8 {
		case 3:
			k++
		case 4:
			k--
		}
		s.k++
		s.send(out, pkt{seq: uint16(k), ts: uint32(k * 160), ssrc: 7, at: s.clock.now})
		return nil
	}
	for s.next < len(s.script) && s.script[s.next].at <= s.clock.now {
		s.send(out, s.script[s.next])
		s.next++
	}
	if s.eos && s.next == len(s.script) {
		out.EndOfStream()
	}
	return nil
}

func (s *scriptSrc) send(out *pipeline.Output, p pkt) {
	f := out.NewFrame()
	f.Format = s.f
	f.RTP = rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: p.seq, Timestamp: p.ts, SSRC: p.ssrc, Marker: p.marker}
	pl := f.SetPayloadLen(160)
	for i := range pl {
		pl[i] = payloadByte(p.seq)
	}
	f.Arrival = base + p.at
	out.Emit(0, f)
}

// got is one frame the sink received (after decode).
type got struct {
	seq       uint16
	concealed bool
	talkspurt bool
	sample    int16 // first PCM sample
	samples   int
	at        time.Duration
}

// recordSink ("jittertest-sink") records what decode hands on.
type recordSink struct {
	clock *fakeClock
	got   []got
}

func (s *recordSink) Negotiate(*pipeline.Negotiation) error { return nil }

func (s *recordSink) Process(_ int, f *pipeline.Frame, _ *pipeline.Output) error {
	g := got{seq: f.RTP.SequenceNumber, concealed: f.Flags&pipeline.FlagConcealed != 0,
		talkspurt: f.Flags&pipeline.FlagTalkspurt != 0, samples: len(f.PCM)}
	if len(f.PCM) > 0 {
		g.sample = f.PCM[0]
	}
	if s.clock != nil {
		g.at = s.clock.now
	}
	s.got = append(s.got, g)
	f.Release()
	return nil
}

func init() {
	pipeline.Register(pipeline.ElementInfo{Name: "jittertest-src", Summary: "test: scripted RTP arrivals",
		Outputs: []pipeline.PortInfo{{Name: "out"}}, New: func() pipeline.Element { return &scriptSrc{} }})
	pipeline.Register(pipeline.ElementInfo{Name: "jittertest-sink", Summary: "test: records frames",
		Inputs: []pipeline.PortInfo{{Name: "in", Caps: pipeline.AnyCaps}}, New: func() pipeline.Element { return &recordSink{} }})
}

// rig is a built graph with the scripted source, the jitter buffer and a
// sink, all on one fake clock.
type rig struct {
	g     *pipeline.Graph
	clock *fakeClock
	src   *scriptSrc
	jb    *jitter.Jitter
	sink  *recordSink
}

func newRig(t testing.TB, line string) *rig {
	t.Helper()
	spec, err := graphs.ParseLine(line)
	if err != nil {
		t.Fatal(err)
	}
	g, err := pipeline.Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{g: g, clock: &fakeClock{}}
	el, _ := g.Element("src")
	r.src = el.(*scriptSrc)
	r.src.clock = r.clock
	el, _ = g.Element("jb")
	r.jb = el.(*jitter.Jitter)
	jitter.SetClock(r.jb, r.clock.read)
	if el, ok := g.Element("sink"); ok {
		r.sink = el.(*recordSink)
		r.sink.clock = r.clock
	}
	if err := g.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Stop() })
	return r
}

// run steps the graph once per 20 ms of fake time until it ends or limit.
func (r *rig) run(t testing.TB, limit time.Duration) {
	t.Helper()
	for r.clock.now = 0; r.clock.now <= limit; r.clock.now += 20 * ms {
		done, err := r.g.Step()
		if err != nil {
			t.Fatal(err)
		}
		if done {
			return
		}
	}
	t.Fatalf("graph still running at %s", limit)
}

// scripted builds n packets from seq 65500 (so the 16-bit wrap is crossed)
// arriving one per 20 ms, then applies the test's disorder.
func scripted(n int, lost, dup []int, late map[int]time.Duration) []pkt {
	var p []pkt
	for k := 0; k < n; k++ {
		x := pkt{seq: uint16(65500 + k), ts: uint32(4294960000 + uint32(k)*160), ssrc: 0x1234, marker: k == 0, at: time.Duration(k) * 20 * ms}
		x.at += late[k]
		if !contains(lost, k) {
			p = append(p, x)
		}
		if contains(dup, k) {
			d := x
			d.at += 7 * ms
			p = append(p, d)
		}
	}
	for i := 1; i < len(p); i++ { // arrival order
		for j := i; j > 0 && p[j].at < p[j-1].at; j-- {
			p[j], p[j-1] = p[j-1], p[j]
		}
	}
	return p
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestDecodeGetsEveryPacketOnceInOrder(t *testing.T) {
	for _, tc := range []struct {
		name string
		lost []int
		dup  []int
		late map[int]time.Duration // extra network delay per packet
	}{
		{"in order", nil, nil, nil},
		{"reordered", nil, nil, map[int]time.Duration{5: 30 * ms, 30: 25 * ms, 35: 35 * ms, 36: 15 * ms}},
		{"duplicated", nil, []int{3, 4, 20, 36, 59}, nil},
		{"lost", []int{7, 8, 35, 36, 50}, nil, nil},
		{"everything across the wrap", []int{10, 37, 38}, []int{12, 35, 39}, map[int]time.Duration{34: 39 * ms, 36: 22 * ms, 40: 30 * ms}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const n = 80
			r := newRig(t, "jittertest-src name=src ! jitter name=jb ! decode name=dec plc=false ! jittertest-sink name=sink")
			r.src.script = scripted(n, tc.lost, tc.dup, tc.late)
			r.src.eos = true
			r.run(t, 5*time.Second)

			if len(r.sink.got) != n {
				t.Fatalf("decode passed on %d frames, want %d", len(r.sink.got), n)
			}
			for k, g := range r.sink.got {
				seq := uint16(65500 + k)
				if g.seq != seq {
					t.Fatalf("frame %d has seq %d, want %d", k, g.seq, seq)
				}
				if g.samples != 160 {
					t.Fatalf("frame %d has %d samples", k, g.samples)
				}
				if lost := contains(tc.lost, k); lost != g.concealed {
					t.Fatalf("frame %d (seq %d): concealed=%v, lost=%v", k, seq, g.concealed, lost)
				}
				if want := g711.DecodeUlawFrame(payloadByte(seq)); !g.concealed && g.sample != want {
					t.Fatalf("frame %d: sample %d is not packet %d's (%d)", k, g.sample, seq, want)
				}
				if g.talkspurt != (k == 0) {
					t.Fatalf("frame %d: talkspurt=%v", k, g.talkspurt)
				}
				// Played out 40 ms after its nominal arrival, except at the
				// end, where end-of-stream plays out the rest at once.
				if k < n-3 && g.at != time.Duration(k)*20*ms+40*ms {
					t.Fatalf("frame %d played at %s, want %s", k, g.at, time.Duration(k)*20*ms+40*ms)
				}
			}
			if c := stat(t, r.g, "dec", "concealed"); c != float64(len(tc.lost)) {
				t.Fatalf("decode concealed %v, want %d", c, len(tc.lost))
			}
			for name, want := range map[string]float64{
				"received": float64(n - len(tc.lost) + len(tc.dup)), "played": float64(n - len(tc.lost)),
				"lost": float64(len(tc.lost)), "duplicate": float64(len(tc.dup)), "late": 0, "overflow": 0,
				"resyncs": 0, "buffered": 0, "delay": 40, "underrun": 0,
			} {
				if got := stat(t, r.g, "jb", name); got != want {
					t.Errorf("jb %s = %v, want %v", name, got, want)
				}
			}
			for _, s := range r.g.Stats() {
				if s.Name == "jb" && (s.Dropped != uint64(len(tc.dup)) || s.Latency != 40*ms) {
					t.Fatalf("jb dropped %d latency %s", s.Dropped, s.Latency)
				}
			}
			if l := r.g.Latency(); l != 40*ms {
				t.Fatalf("graph latency %s", l)
			}
		})
	}
}

func TestLateAndResyncedStreams(t *testing.T) {
	r := newRig(t, "jittertest-src name=src ! jitter name=jb ! decode name=dec ! jittertest-sink name=sink")
	var p []pkt
	for k := 0; k < 20; k++ { // stream A; packet 10 is 100 ms late
		x := pkt{seq: uint16(100 + k), ts: uint32(k * 160), ssrc: 1, marker: k == 0, at: time.Duration(k) * 20 * ms}
		if k == 10 {
			x.at += 100 * ms
		}
		p = append(p, x)
	}
	for k := 0; k < 20; k++ { // stream B after A, new SSRC
		p = append(p, pkt{seq: uint16(9000 + k), ts: uint32(555555 + k*160), ssrc: 2, marker: k == 0, at: time.Duration(25+k) * 20 * ms})
	}
	for i := 1; i < len(p); i++ {
		for j := i; j > 0 && p[j].at < p[j-1].at; j-- {
			p[j], p[j-1] = p[j-1], p[j]
		}
	}
	r.src.script, r.src.eos = p, true
	r.run(t, 5*time.Second)
	var seqs []uint16
	for _, g := range r.sink.got {
		if !g.concealed || g.seq == 110 {
			seqs = append(seqs, g.seq)
		}
	}
	want := []uint16{}
	for k := 0; k < 20; k++ {
		want = append(want, uint16(100+k))
	}
	for k := 0; k < 20; k++ {
		want = append(want, uint16(9000+k))
	}
	if len(seqs) != len(want) {
		t.Fatalf("seqs %v", seqs)
	}
	for i := range want {
		if seqs[i] != want[i] {
			t.Fatalf("seqs %v, want %v", seqs, want)
		}
	}
	for name, want := range map[string]float64{"late": 1, "lost": 1, "played": 39, "flushed": 0, "resyncs": 1} {
		if got := stat(t, r.g, "jb", name); got != want {
			t.Errorf("jb %s = %v, want %v", name, got, want)
		}
	}
}

// An offline graph (frames without Arrival) runs on the media clock: the
// jitter buffer is transparent, sample for sample.
func stat(t testing.TB, g *pipeline.Graph, element, name string) float64 {
	t.Helper()
	v, ok := graphtest.Stat(g, element, name)
	if !ok {
		t.Fatalf("no stat %s.%s", element, name)
	}
	return v
}

func TestOfflineGraphIsTransparent(t *testing.T) {
	dir := t.TempDir()
	direct, buffered := filepath.Join(dir, "direct.wav"), filepath.Join(dir, "jb.wav")
	for _, line := range []string{
		"tone freqs=440 duration=1s ! encode ! decode ! wav-sink path=" + graphs.Quote(direct),
		"tone freqs=440 duration=1s ! encode ! jitter name=jb target=60ms ! decode name=dec ! wav-sink path=" + graphs.Quote(buffered),
	} {
		g := graphtest.Run(t, line)
		if strings.Contains(line, "jitter") {
			if c := stat(t, g, "dec", "concealed"); c != 0 {
				t.Fatalf("concealed %v", c)
			}
			if p := stat(t, g, "jb", "played"); p != 50 {
				t.Fatalf("played %v", p)
			}
			if g.Latency() != 60*ms {
				t.Fatalf("latency %s", g.Latency())
			}
		}
	}
	a, b := readPCM(t, direct), readPCM(t, buffered)
	if len(a) != 8000 || len(a) != len(b) {
		t.Fatalf("%d and %d samples", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("sample %d differs: %d vs %d", i, a[i], b[i])
		}
	}
}

func readPCM(t *testing.T, path string) []int16 {
	t.Helper()
	r, err := wav.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var pcm []int16
	buf := make([]int16, 4096)
	for {
		n, err := r.Read(buf)
		pcm = append(pcm, buf[:n]...)
		if err != nil {
			return pcm
		}
	}
}

func TestStatsReadConcurrently(t *testing.T) {
	r := newRig(t, "jittertest-src name=src ! jitter name=jb ! decode ! null-sink")
	r.src.endless = true
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
				_ = r.g.Stats()
				_ = r.g.Latency()
			}
		}
	}()
	for i := 0; i < 300; i++ {
		r.clock.now = time.Duration(i) * 20 * ms
		if _, err := r.g.Step(); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if p := stat(t, r.g, "jb", "played"); p < 290 {
		t.Fatalf("played %v", p)
	}
	if re := stat(t, r.g, "jb", "reordered"); re < 30 {
		t.Fatalf("reordered %v", re)
	}
}

func TestProperties(t *testing.T) {
	for _, tc := range []struct {
		line, want string
	}{
		{"tone ! encode ! jitter name=jb ! decode ! null-sink", ""},
		{"tone ! encode ! jitter name=jb min=10ms max=500ms target=100ms capacity=64 ! decode ! null-sink", ""},
		{"tone ! encode ! jitter min=300ms ! decode ! null-sink", "at least min"},
		{"tone ! encode ! jitter target=1s ! decode ! null-sink", "target"},
		{"tone ! encode ! jitter capacity=48 ! decode ! null-sink", "power of two"},
		{"tone ! encode ! jitter max=2s capacity=16 ! decode ! null-sink", "cannot hold"},
		{"tone ! jitter ! null-sink", "wants encoded audio"},
	} {
		spec, err := graphs.ParseLine(tc.line)
		if err != nil {
			t.Fatal(err)
		}
		g, err := pipeline.Build(spec)
		if tc.want == "" {
			if err != nil {
				t.Fatalf("%s: %v", tc.line, err)
			}
			el, _ := g.Element("jb")
			if s := el.(interface{ String() string }).String(); !strings.HasPrefix(s, "jitter min=") {
				t.Fatalf("String() = %q", s)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("%s: err = %v, want %q", tc.line, err, tc.want)
		}
	}
	info, ok := pipeline.DefaultRegistry.Lookup("jitter")
	if !ok {
		t.Fatal("jitter not registered")
	}
	for _, p := range []struct{ name, def string }{{"min", "20ms"}, {"max", "200ms"}, {"target", "40ms"}, {"capacity", "0"}} {
		if pi, ok := info.Prop(p.name); !ok || pi.Default != p.def {
			t.Fatalf("property %s: %+v", p.name, pi)
		}
	}
}

// BenchmarkJitterGraph is one packet through source → jitter → decode →
// null-sink per op, with reordering, on the fake clock.
func BenchmarkJitterGraph(b *testing.B) {
	r := newRig(b, "jittertest-src name=src ! jitter name=jb ! decode ! null-sink")
	r.src.endless = true
	step := func(i int) {
		r.clock.now = time.Duration(i) * 20 * ms
		if done, err := r.g.Step(); done || err != nil {
			b.Fatal(done, err)
		}
	}
	for i := 0; i < 200; i++ {
		step(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		step(200 + i)
	}
}
