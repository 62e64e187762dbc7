package elements_test

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/voxgraph/voxgraph/dsp/aec"
	"github.com/voxgraph/voxgraph/dsp/vad/vadtest"
	"github.com/voxgraph/voxgraph/graphs"
	"github.com/voxgraph/voxgraph/internal/graphtest"
	"github.com/voxgraph/voxgraph/pipeline"
)

// aecFiles writes d of synthetic far-end talk at -20 dBov (ref) and its
// echo through a synthetic room (RT60 150 ms, 40 ms bulk delay, 10 dB echo
// return loss) over -70 dBov noise (mic) as WAV files; refLen cuts the
// far end's file short. It returns the paths and samples.
func aecFiles(t *testing.T, rate int, d time.Duration, refLen int) (micPath, refPath string, mic, ref []int16) {
	x, _ := vadtest.Talk(rate, d, 21)
	far := make([]float64, len(x))
	vadtest.Add(far, x, -20)
	ref = vadtest.Quantize(far)
	rng := rand.New(rand.NewPCG(22, 0))
	delay, n := rate*40/1000, rate*150/1000
	h := make([]float64, n)
	var e float64
	for i := range h {
		h[i] = rng.NormFloat64() * math.Exp(-float64(i)*math.Log(1000)/float64(n))
		e += h[i] * h[i]
	}
	g := math.Sqrt(0.1 / e)
	echo := make([]float64, len(ref))
	for i := range echo {
		var s float64
		for j := range h {
			if k := i - delay - j; k >= 0 {
				s += h[j] * float64(ref[k])
			}
		}
		echo[i] = g * s
	}
	vadtest.Add(echo, vadtest.White(len(echo), 23), -70)
	mic = vadtest.Quantize(echo)
	if refLen > 0 {
		ref = ref[:refLen]
	}
	dir := t.TempDir()
	micPath, refPath = filepath.Join(dir, "mic.wav"), filepath.Join(dir, "ref.wav")
	graphtest.WriteWav(t, micPath, rate, 1, mic)
	graphtest.WriteWav(t, refPath, rate, 1, ref)
	return micPath, refPath, mic, ref
}

// TestAECGraph runs mic and ref from two wav-src through aec in a graph
// and checks the output sample for sample against the canceller run
// directly on the same blocks, the echo's attenuation, and the stats.
func TestAECGraph(t *testing.T) {
	for _, rate := range []int{8000, 16000} {
		t.Run(map[int]string{8000: "8k", 16000: "16k"}[rate], func(t *testing.T) {
			micPath, refPath, mic, ref := aecFiles(t, rate, 8*time.Second, 0)
			outPath := filepath.Join(t.TempDir(), "out.wav")
			// ref is linked after mic, so its frames may come second
			// in a tick: the element must wait for them.
			g := graphtest.Run(t, "wav-src path="+graphs.Quote(micPath)+" ! a.mic  aec name=a ! wav-sink path="+graphs.Quote(outPath)+
				"  wav-src path="+graphs.Quote(refPath)+" ! a.ref")
			_, _, got := graphtest.ReadWav(t, outPath)

			c, err := aec.New(aec.Config{Rate: rate})
			if err != nil {
				t.Fatal(err)
			}
			bs := c.BlockSize()
			want := make([]int16, len(mic))
			for i := 0; i+bs <= len(mic); i += bs {
				if err := c.Process(mic[i:i+bs], ref[i:i+bs], want[i:i+bs]); err != nil {
					t.Fatal(err)
				}
			}
			if len(got) != len(want) {
				t.Fatalf("%d samples out, want %d", len(got), len(want))
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("sample %d: %d, the canceller alone gives %d (far end misaligned?)", i, got[i], want[i])
				}
			}
			// The last 4 s, output one block late.
			var em, eo float64
			for i := len(mic) / 2; i < len(mic)-bs; i++ {
				em += float64(mic[i]) * float64(mic[i])
				eo += float64(got[i+bs]) * float64(got[i+bs])
			}
			erle := 10 * math.Log10(em/eo)
			t.Logf("ERLE over the last 4 s: %.1f dB", erle)
			if erle < 20 {
				t.Errorf("ERLE %.1f dB over the last 4 s, want at least 20", erle)
			}
			st := map[string]float64{}
			for _, name := range []string{"erle_db", "delay_ms", "bulk_delay_ms", "double_talk", "divergences", "resets", "delay_changes", "ref_missing", "ref_dropped"} {
				v, ok := graphtest.Stat(g, "a", name)
				if !ok {
					t.Fatalf("no stat %s", name)
				}
				st[name] = v
			}
			t.Logf("stats %v", st)
			if st["erle_db"] < 15 || st["delay_ms"] < 30 || st["delay_ms"] > 50 || st["bulk_delay_ms"] > 40 || st["divergences"] != 0 || st["ref_missing"] != 0 || st["ref_dropped"] != 0 {
				t.Errorf("stats %v: want erle_db ≥ 15, delay_ms 30 to 50 (echo at 40 ms), bulk_delay_ms ≤ 40, no divergence, nothing missing or dropped", st)
			}
		})
	}
}

// TestAECShortRef: a far end that ends early is silence from then on,
// counted as missing; the microphone still comes out whole.
func TestAECShortRef(t *testing.T) {
	micPath, refPath, mic, _ := aecFiles(t, 8000, 4*time.Second, 8000*3/2)
	outPath := filepath.Join(t.TempDir(), "out.wav")
	g := graphtest.Run(t, "wav-src path="+graphs.Quote(refPath)+" ! a.ref  wav-src path="+graphs.Quote(micPath)+" ! aec name=a ! wav-sink path="+graphs.Quote(outPath))
	_, _, got := graphtest.ReadWav(t, outPath)
	if len(got) != len(mic) {
		t.Fatalf("%d samples out, want %d", len(got), len(mic))
	}
	missing, _ := graphtest.Stat(g, "a", "ref_missing")
	if want := float64((len(mic) - 8000*3/2) / 80); missing != want {
		t.Errorf("ref_missing %v blocks, want %v", missing, want)
	}
}

// TestAECNegotiate: mismatched or unusable inputs and bad properties fail
// the build with an error naming what is wrong.
func TestAECNegotiate(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{}
	for _, f := range []struct {
		name           string
		rate, channels int
	}{{"m8", 8000, 1}, {"m16", 16000, 1}, {"s8", 8000, 2}, {"m48", 48000, 1}} {
		p := filepath.Join(dir, f.name+".wav")
		graphtest.WriteWav(t, p, f.rate, f.channels, make([]int16, f.rate/10*f.channels))
		files[f.name] = graphs.Quote(p)
	}
	tests := []struct {
		name, line string
		want       []string
	}{
		{"rates differ", "wav-src path=" + files["m8"] + " ! a.mic  aec name=a ! null-sink  wav-src path=" + files["m16"] + " ! a.ref",
			[]string{"mic is PCM 8000Hz", "ref is PCM 16000Hz"}},
		{"stereo ref", "wav-src path=" + files["m8"] + " ! a.mic  aec name=a ! null-sink  wav-src path=" + files["s8"] + " ! a.ref",
			[]string{"mono", "ref is PCM 8000Hz stereo"}},
		{"48 kHz", "wav-src path=" + files["m48"] + " ! a.mic  aec name=a ! null-sink  wav-src path=" + files["m48"] + " ! a.ref",
			[]string{"48000"}},
		{"ref unlinked", "wav-src path=" + files["m8"] + " ! aec ! null-sink", []string{`"ref" is not linked`}},
		{"tail", "wav-src path=" + files["m8"] + " ! a.mic  aec name=a tail=1s ! null-sink  wav-src path=" + files["m8"] + " ! a.ref",
			[]string{"tail 1s"}},
		{"suppression NaN", "wav-src path=" + files["m8"] + " ! a.mic  aec name=a suppression=NaN ! null-sink  wav-src path=" + files["m8"] + " ! a.ref",
			[]string{"suppression", "not a number"}},
		{"suppression negative", "wav-src path=" + files["m8"] + " ! a.mic  aec name=a suppression=-3 ! null-sink  wav-src path=" + files["m8"] + " ! a.ref",
			[]string{"suppression -3 dB"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec, err := graphs.ParseLine(tt.line)
			if err != nil {
				t.Fatal(err)
			}
			g, err := pipeline.Build(spec, graphtest.Quiet)
			if err == nil {
				g.Stop()
				t.Fatal("built; want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// TestAECMissingFrames: microphone frames without samples (lost packets)
// pass through untouched and take their far end with them, so nothing of
// the far end is left waiting or dropped.
func TestAECMissingFrames(t *testing.T) {
	micPath, refPath, _, _ := aecFiles(t, 8000, 4*time.Second, 0)
	g := graphtest.Run(t, "wav-src path="+graphs.Quote(micPath)+" ! test-vad-mark missing=4 ! a.mic  aec name=a ! test-vad-probe name=p"+
		"  wav-src path="+graphs.Quote(refPath)+" ! a.ref")
	p, _ := g.Element("p")
	frames := p.(*vadProbe).frames
	if len(frames) != 200 {
		t.Fatalf("%d frames, want 200", len(frames))
	}
	var lost int
	for i, f := range frames {
		if (i+1)%4 == 0 {
			lost++
			if f.samples != 0 || f.flags&pipeline.FlagMissing == 0 {
				t.Fatalf("lost frame %d: %d samples, flags %b", i, f.samples, f.flags)
			}
		} else if f.samples != 160 {
			t.Fatalf("frame %d: %d samples", i, f.samples)
		}
	}
	missing, _ := graphtest.Stat(g, "a", "ref_missing")
	dropped, _ := graphtest.Stat(g, "a", "ref_dropped")
	if missing != 0 || dropped != 0 || lost != 50 {
		t.Errorf("%d lost frames, ref_missing %v, ref_dropped %v; want 50, 0, 0", lost, missing, dropped)
	}
}

// BenchmarkAEC steps a graph of two tones into aec's mic and ref: one op
// is one 20 ms frame of each (two 10 ms blocks through the canceller at
// 16 kHz, 250 ms tail), allocations reported.
func BenchmarkAEC(b *testing.B) {
	benchGraph(b, "tone freqs=440,1300 rate=16000 ! a.mic  aec name=a ! null-sink  tone freqs=300,2100 rate=16000 ! a.ref", true)
}
