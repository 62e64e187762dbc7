package elements_test

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zaf/g711"

	"github.com/voxgraph/voxgraph/codecs"
	"github.com/voxgraph/voxgraph/dsp/tone"
	_ "github.com/voxgraph/voxgraph/elements"
	"github.com/voxgraph/voxgraph/graphs"
	"github.com/voxgraph/voxgraph/internal/graphtest"
	"github.com/voxgraph/voxgraph/pipeline"
)

// peakFreq scans 50 Hz .. rate/2 in 10 Hz steps for the strongest frequency.
func peakFreq(pcm []int16, rate int) float64 {
	best, bestP := 0.0, -1.0
	for f := 50.0; f < float64(rate)/2; f += 10 {
		if p := tone.Power(pcm, rate, f); p > bestP {
			best, bestP = f, p
		}
	}
	return best
}

// speechLike makes a deterministic signal with speech-like variety:
// several harmonics under a syllable-rate envelope, plus noise.
func speechLike(n int) []int16 {
	rng := rand.New(rand.NewPCG(1, 2))
	out := make([]int16, n)
	for i := range out {
		t := float64(i) / 8000
		env := 0.5 + 0.5*math.Sin(2*math.Pi*4*t)
		v := env * (6000*math.Sin(2*math.Pi*180*t) + 3000*math.Sin(2*math.Pi*360*t+1) + 1500*math.Sin(2*math.Pi*1100*t))
		v += rng.NormFloat64() * 300
		out[i] = int16(max(min(v, 32767), -32768))
	}
	return out
}

func TestToneToWav(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.wav")
	graphtest.Run(t, "tone freqs=1000 duration=2s ! wav-sink path="+graphs.Quote(path))
	rate, ch, pcm := graphtest.ReadWav(t, path)
	if rate != 8000 || ch != 1 || len(pcm) != 16000 {
		t.Fatalf("got %d Hz, %d ch, %d samples; want 8000 Hz mono, 16000 samples (2.000 s)", rate, ch, len(pcm))
	}
	if f := peakFreq(pcm, rate); f != 1000 {
		t.Fatalf("spectrum peaks at %v Hz, want 1000", f)
	}
}

func TestToneLevelAndDTMF(t *testing.T) {
	g := graphtest.Run(t, "tone freqs=440 level=-20 duration=1s ! level name=lv ! null-sink")
	st := g.Stats()[1]
	var avg float64
	for _, x := range st.Extra {
		if x.Name == "avg_rms" {
			avg = x.Value
		}
	}
	if math.Abs(avg-(-20)) > 0.1 {
		t.Fatalf("level avg_rms = %.2f dBov, want -20", avg)
	}

	path := filepath.Join(t.TempDir(), "dtmf.wav")
	graphtest.Run(t, "tone digits=1#9 ! wav-sink path="+graphs.Quote(path))
	rate, _, pcm := graphtest.ReadWav(t, path)
	if len(pcm) != 3*1600 {
		t.Fatalf("3 digits of 100ms + 100ms gap = %d samples, got %d", 3*1600, len(pcm))
	}
	want := [][2]float64{{697, 1209}, {941, 1477}, {852, 1477}}
	for i, w := range want {
		on := pcm[i*1600 : i*1600+800]
		off := pcm[i*1600+800 : (i+1)*1600]
		for _, f := range w {
			if p := tone.Power(on, rate, f); p < 2e5 { // amplitude 632
				t.Errorf("digit %d: no energy at %v Hz (%g)", i, f, p)
			}
		}
		if p, ref := tone.Power(on, rate, 1633), tone.Power(on, rate, w[1]); p > ref/100 {
			t.Errorf("digit %d: energy at 1633 Hz (%g)", i, p)
		}
		for _, x := range off {
			if x != 0 {
				t.Fatalf("digit %d: gap is not silent", i)
			}
		}
	}
}

func TestG711RoundTripIsExact(t *testing.T) {
	dir := t.TempDir()
	in := speechLike(12345) // not a multiple of the 160-sample frame
	inPath := filepath.Join(dir, "in.wav")
	graphtest.WriteWav(t, inPath, 8000, 1, in)
	tests := []struct {
		codec string
		rt    func(int16) int16
	}{
		{"PCMU", func(s int16) int16 { return g711.DecodeUlawFrame(g711.EncodeUlawFrame(s)) }},
		{"PCMA", func(s int16) int16 { return g711.DecodeAlawFrame(g711.EncodeAlawFrame(s)) }},
		{"L16", func(s int16) int16 { return s }},
	}
	for _, tc := range tests {
		t.Run(tc.codec, func(t *testing.T) {
			outPath := filepath.Join(dir, tc.codec+".wav")
			graphtest.Run(t, "wav-src path="+graphs.Quote(inPath)+" ! encode codec="+tc.codec+" ! decode ! wav-sink path="+graphs.Quote(outPath))
			_, _, out := graphtest.ReadWav(t, outPath)
			if len(out) != len(in) {
				t.Fatalf("output has %d samples, input %d", len(out), len(in))
			}
			for i := range in {
				if want := tc.rt(in[i]); out[i] != want {
					t.Fatalf("sample %d: got %d, want %d", i, out[i], want)
				}
			}
		})
	}
}

func TestTeeBranchesAndGain(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.wav"), filepath.Join(dir, "b.wav")
	graphtest.Run(t, "tone freqs=500 duration=200ms ! tee name=t ! wav-sink path="+graphs.Quote(a)+
		"  t. ! gain db=-6.0206 ! wav-sink path="+graphs.Quote(b))
	_, _, pa := graphtest.ReadWav(t, a)
	_, _, pb := graphtest.ReadWav(t, b)
	if len(pa) != 1600 || len(pb) != 1600 {
		t.Fatalf("lengths %d, %d; want 1600", len(pa), len(pb))
	}
	for i := range pa {
		if d := int(pa[i])/2 - int(pb[i]); d < -1 || d > 1 {
			t.Fatalf("sample %d: %d halved is not %d", i, pa[i], pb[i])
		}
	}
}

func TestWavSrcLoop(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.wav")
	graphtest.WriteWav(t, in, 8000, 1, speechLike(800)) // 100 ms
	out := filepath.Join(dir, "out.wav")
	spec, err := graphs.ParseLine("wav-src path=" + graphs.Quote(in) + " loop=true ! wav-sink path=" + graphs.Quote(out))
	if err != nil {
		t.Fatal(err)
	}
	g, err := pipeline.Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 25; i++ { // 500 ms: five passes over the file
		if done, err := g.Step(); done || err != nil {
			t.Fatalf("step %d: done=%v err=%v", i, done, err)
		}
	}
	if err := g.Stop(); err != nil {
		t.Fatal(err)
	}
	_, _, pcm := graphtest.ReadWav(t, out)
	if len(pcm) != 4000 {
		t.Fatalf("looped output has %d samples, want 4000", len(pcm))
	}
	for i := 800; i < 4000; i++ {
		if pcm[i] != pcm[i-800] {
			t.Fatalf("sample %d differs from one loop earlier", i)
		}
	}
}

func TestBuildErrorsWithRealElements(t *testing.T) {
	tests := []struct {
		line string
		want string
	}{
		{"tone ! encode codec=PCMU ! gain ! null-sink", "gain (port in) wants PCM audio, gets PCMU/8000 pt=0 20ms (insert decode between encode0 and gain0)"},
		{"tone ! decode ! null-sink", "decode (port in) wants encoded audio, gets PCM 8000Hz mono 20ms (insert encode"},
		{"tone rate=11025 ! encode codec=PCMU ! null-sink", "PCMU encodes PCM at 8000 Hz, input PCM 11025Hz mono 20ms: resample: 11025 Hz"},
		{"tone ! encode codec=PCMU ! decode rate=44100 ! null-sink", "PCMU decodes to 8000 Hz, rate 44100: resample: 44100 Hz"},
		{"tone ! encode codec=PCMX ! null-sink", `unknown codec "PCMX"`},
		{"tone freqs=5000 ! null-sink", "frequency 5000 Hz must be between 0 and 4000 Hz"},
		{"tone digits=12x ! null-sink", `'X' is not a DTMF digit`},
		{"tone duration=2 ! null-sink", `"2" has no unit (write e.g. 2ms or 2s)`},
		{"wav-src ! null-sink", "path is required"},
		{"wav-src path=/nonexistent/x.wav ! null-sink", "/nonexistent/x.wav"},
		{"tone ! wav-snk path=x.wav", `did you mean "wav-sink"?`},
		{"tone freq=440 ! null-sink", `unknown property "freq" for element "tone0" (type tone) (did you mean "freqs"?)`},
		{"tone ! gain db=loud ! null-sink", `property db of "gain0" (float): "loud" is not a number`},
		{"tone level=NaN ! null-sink", `"NaN" is not a number`},
		{"tone freqs=440,+Inf ! null-sink", `item 2: "+Inf" is not a number`},
	}
	for _, tc := range tests {
		t.Run(tc.line, func(t *testing.T) {
			spec, err := graphs.ParseLine(tc.line)
			if err == nil {
				_, err = pipeline.Build(spec)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

// loseEvery marks every Nth encoded frame missing, as the jitter buffer does
// for a lost packet.
type loseEvery struct {
	N       int `prop:"n" default:"3" doc:"mark every Nth frame missing (0: none)"`
	i       int
	lastTS  uint32
	markers int
}

// Stats reports the last frame's RTP timestamp and the marker bits seen.
func (l *loseEvery) Stats() []pipeline.Stat {
	return []pipeline.Stat{{Name: "last_ts", Value: float64(l.lastTS)}, {Name: "markers", Value: float64(l.markers)}}
}

func (l *loseEvery) Negotiate(n *pipeline.Negotiation) error { n.SetAllOut(n.In[0]); return nil }
func (l *loseEvery) Process(_ int, f *pipeline.Frame, out *pipeline.Output) error {
	l.i++
	l.lastTS = f.RTP.Timestamp
	if f.RTP.Marker {
		l.markers++
	}
	if l.N > 0 && l.i%l.N == 0 {
		f.Flags |= pipeline.FlagMissing
		f.Payload = f.Payload[:0]
	}
	out.Emit(0, f)
	return nil
}

func init() {
	pipeline.Register(pipeline.ElementInfo{Name: "test-lose", Summary: "test: marks frames missing",
		Inputs: []pipeline.PortInfo{{Name: "in", Caps: pipeline.EncodedCaps}}, Outputs: []pipeline.PortInfo{{Name: "out"}},
		New: func() pipeline.Element { return &loseEvery{} }})
}

// TestCodecRateConversion: encode takes PCM at another rate than the
// codec's and resamples it; decode rate= resamples its output. The tone
// keeps its pitch, the stream its length, and the RTP timestamps count the
// codec's clock; lost frames are concealed at the output rate.
func TestCodecRateConversion(t *testing.T) {
	for _, tc := range []struct {
		line string
		rate int
	}{
		{"tone rate=16000 freqs=1000 duration=1s ! encode codec=PCMU ! decode", 8000},
		{"tone rate=48000 freqs=1000 duration=1s ! encode codec=PCMA ! decode rate=16000", 16000},
		{"tone freqs=1000 duration=1s ! encode ! test-lose n=5 ! decode rate=48000", 48000},
		{"tone rate=16000 freqs=1000 duration=1s ! encode codec=G722 ! decode rate=8000", 8000},
	} {
		t.Run(tc.line, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "o.wav")
			graphtest.Run(t, tc.line+" ! wav-sink path="+graphs.Quote(path))
			rate, _, pcm := graphtest.ReadWav(t, path)
			if rate != tc.rate || len(pcm) != rate {
				t.Fatalf("%d samples at %d Hz, want %d at %d Hz (1 s)", len(pcm), rate, tc.rate, tc.rate)
			}
			if f := peakFreq(pcm[rate/10:], rate); f != 1000 {
				t.Fatalf("spectrum peaks at %v Hz, want 1000", f)
			}
		})
	}
	g := graphtest.Run(t, "tone rate=48000 duration=100ms ! encode codec=PCMU ! test-lose n=0 name=l ! null-sink")
	if ts, _ := graphtest.Stat(g, "l", "last_ts"); ts != 4*160 {
		t.Errorf("fifth frame's RTP timestamp %v, want 640 (the 8 kHz clock)", ts)
	}
}

// TestDecodeConcealsMissingFrames: every third frame of a 400 Hz tone is
// lost. With plc=false it becomes silence; with plc (the default) it
// continues the tone at full level for the first 10 ms. Either way it is
// flagged concealed, counted, and keeps its length.
func TestDecodeConcealsMissingFrames(t *testing.T) {
	for _, usePLC := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "o.wav")
		line := "tone freqs=400 duration=300ms ! encode ! test-lose n=3 ! decode name=d"
		if !usePLC {
			line += " plc=false"
		}
		g := graphtest.Run(t, line+" ! wav-sink path="+graphs.Quote(path))
		if concealed, _ := graphtest.Stat(g, "d", "concealed"); concealed != 5 {
			t.Fatalf("plc=%v: concealed = %v frames, want 5 of 15", usePLC, concealed)
		}
		_, _, pcm := graphtest.ReadWav(t, path)
		if len(pcm) != 2400 {
			t.Fatalf("plc=%v: output has %d samples, want 2400 (concealed frames keep their length)", usePLC, len(pcm))
		}
		for frame := 0; frame < 15; frame++ {
			seg := pcm[frame*160 : (frame+1)*160]
			var energy float64
			for _, x := range seg[:80] {
				energy += float64(x) * float64(x)
			}
			prev := 0.0
			if frame > 0 {
				for _, x := range pcm[frame*160-80 : frame*160] {
					prev += float64(x) * float64(x)
				}
			}
			lost := (frame+1)%3 == 0
			switch {
			case !lost && energy == 0:
				t.Fatalf("plc=%v: frame %d was received but is silent", usePLC, frame)
			case lost && !usePLC && energy != 0:
				t.Fatalf("plc=false: lost frame %d is not silent", frame)
			case lost && usePLC && math.Abs(10*math.Log10(energy/prev)) > 1:
				t.Fatalf("plc: lost frame %d starts %.1f dB from the frame before, want within 1 dB", frame, 10*math.Log10(energy/prev))
			}
		}
	}
}

// TestIdleTicksKeptApart: decode's Tick has nothing to reframe when the
// packets are one period long; those cheap calls are counted apart, so the
// latency quantiles describe the frames decoded.
func TestIdleTicksKeptApart(t *testing.T) {
	g := graphtest.Run(t, "tone duration=200ms ! encode ! decode name=d ! null-sink")
	for _, s := range g.Stats() {
		if s.Name != "d" {
			continue
		}
		if s.Calls != 10 || s.IdleTicks < 9 {
			t.Fatalf("decode: %d calls, %d idle ticks; want 10 frames and at least 9 idle ticks", s.Calls, s.IdleTicks)
		}
		return
	}
	t.Fatal("no stats for d")
}

// dtxEncoder is PCMU that sends nothing for all-zero frames, like a codec
// with DTX (G.729 Annex B) in silence.
type dtxEncoder struct{ codecs.Encoder }

func (d dtxEncoder) Encode(dst []byte, pcm []int16) (int, error) {
	for _, v := range pcm {
		if v != 0 {
			return d.Encoder.Encode(dst, pcm)
		}
	}
	return 0, nil
}

func init() {
	f := codecs.PCMUFactory()
	f.Name, f.PayloadType, f.Dynamic = "X-TEST-DTX", 96, true
	pcmu := f.NewEncoder
	f.NewEncoder = func(p codecs.Params) (codecs.Encoder, error) {
		e, err := pcmu(p)
		return dtxEncoder{e}, err
	}
	if err := codecs.Default.Register(f); err != nil {
		panic(err)
	}
}

// TestEncodeSendsNothingForEmptyFrames: frames a codec encodes to nothing
// are not sent; the RTP clock runs on through the gap and the packet after
// it carries the marker bit.
func TestEncodeSendsNothingForEmptyFrames(t *testing.T) {
	// Two digits: 5 frames of tone, 5 of silence, 5 of tone, 5 of silence.
	g := graphtest.Run(t, "tone digits=11 level=-10 ! encode codec=X-TEST-DTX ! test-lose n=0 name=l ! null-sink")
	st := map[string]float64{}
	for _, s := range g.Stats() {
		for _, x := range s.Extra {
			st[s.Name+"."+x.Name] = x.Value
		}
		if s.Name == "l" {
			st["l.in"] = float64(s.In)
		}
	}
	if st["l.in"] != 10 || st["encode0.not_sent"] != 10 || st["l.markers"] != 2 || st["l.last_ts"] != 14*160 {
		t.Fatalf("stats %v: want 10 packets, 10 not sent, 2 markers, last timestamp %d", st, 14*160)
	}
}

// TestEncodeFmtp: encode hands the fmtp parameters to the codec; ones the
// codec refuses leave it at its defaults, counted, and the stream flows.
func TestEncodeFmtp(t *testing.T) {
	for _, tc := range []struct {
		fmtp    string
		ignored float64
	}{
		{"", 0},
		{"annexb=no;foo", 0}, // PCMU takes no parameter it would refuse
		{"rate=16000", 1},    // PCMU refuses: defaults
	} {
		g := graphtest.Run(t, "tone duration=100ms ! encode codec=PCMU fmtp="+graphs.Quote(tc.fmtp)+" name=e ! decode ! null-sink")
		if v, _ := graphtest.Stat(g, "e", "fmtp_ignored"); v != tc.ignored {
			t.Errorf("fmtp %q: fmtp_ignored %v, want %v", tc.fmtp, v, tc.ignored)
		}
		for _, s := range g.Stats() {
			if s.Name == "e" && s.Out != 5 {
				t.Errorf("fmtp %q: %d packets, want 5", tc.fmtp, s.Out)
			}
		}
	}
}

// TestEachElementStatsMerge: the live histograms of several instances of
// a graph, merged, count every instance's frames.
func TestEachElementStatsMerge(t *testing.T) {
	merged := map[string]*pipeline.Histogram{}
	for range 3 {
		g := graphtest.Run(t, "tone duration=100ms ! encode ! decode name=d ! null-sink")
		g.EachElementStats(func(name, typ string, st *pipeline.ElementStats) {
			if merged[name] == nil {
				merged[name] = &pipeline.Histogram{}
			}
			merged[name].Merge(&st.Latency)
		})
	}
	if n := merged["d"].Count(); n != 15 {
		t.Fatalf("decode: %d frames over three instances, want 15", n)
	}
}
