package elements_test

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/voxgraph/voxgraph/dsp/vad"
	"github.com/voxgraph/voxgraph/dsp/vad/vadtest"
	"github.com/voxgraph/voxgraph/elements"
	"github.com/voxgraph/voxgraph/graphs"
	"github.com/voxgraph/voxgraph/internal/graphtest"
	"github.com/voxgraph/voxgraph/pipeline"
)

// vadProbe records the flags, time and length of every frame it sees.
type vadProbe struct {
	frames []probed
}

type probed struct {
	flags   pipeline.Flags
	time    time.Duration
	samples int
}

func (p *vadProbe) Negotiate(*pipeline.Negotiation) error { return nil }
func (p *vadProbe) Process(_ int, f *pipeline.Frame, _ *pipeline.Output) error {
	p.frames = append(p.frames, probed{f.Flags, f.Time, len(f.PCM)})
	f.Release()
	return nil
}

// vadMark sets flags upstream of a vad: FlagTalkspurt on every frame, and
// every Nth frame emptied and marked missing, as a jitter buffer's lost
// packet arrives.
type vadMark struct {
	Missing   int  `prop:"missing" default:"0" doc:"empty every Nth frame and mark it missing (0: none)"`
	Talkspurt bool `prop:"talkspurt" default:"false" doc:"set FlagTalkspurt on every frame"`
	i         int
}

func (m *vadMark) Negotiate(n *pipeline.Negotiation) error { n.SetAllOut(n.In[0]); return nil }
func (m *vadMark) Process(_ int, f *pipeline.Frame, out *pipeline.Output) error {
	if m.i++; m.Missing > 0 && m.i%m.Missing == 0 {
		f.PCM = f.PCM[:0]
		f.Flags |= pipeline.FlagMissing
	}
	if m.Talkspurt {
		f.Flags |= pipeline.FlagTalkspurt
	}
	out.Emit(0, f)
	return nil
}

func init() {
	pipeline.Register(pipeline.ElementInfo{Name: "test-vad-probe", Summary: "test: records frame flags",
		Inputs: []pipeline.PortInfo{{Name: "in", Caps: pipeline.AnyCaps}},
		New:    func() pipeline.Element { return &vadProbe{} }})
	pipeline.Register(pipeline.ElementInfo{Name: "test-vad-mark", Summary: "test: sets flags",
		Inputs: []pipeline.PortInfo{{Name: "in", Caps: pipeline.PCMCaps}}, Outputs: []pipeline.PortInfo{{Name: "out"}},
		New: func() pipeline.Element { return &vadMark{} }})
}

// talkWav writes d of synthetic talk (vadtest.Talk) at -30 dBov in white
// noise at -50 dBov as a WAV file and returns its path, samples and truth
// per 10 ms block.
func talkWav(t *testing.T, rate int, d time.Duration) (string, []int16, []bool) {
	x, truth := vadtest.Talk(rate, d, 11)
	sum := make([]float64, len(x))
	vadtest.Add(sum, vadtest.White(len(x), 12), -50)
	vadtest.Add(sum, x, -30)
	pcm := vadtest.Quantize(sum)
	path := filepath.Join(t.TempDir(), "talk.wav")
	graphtest.WriteWav(t, path, rate, 1, pcm)
	return path, pcm, truth
}

// TestVADFlags runs talk in noise through vad and checks every frame's
// flags against the detector run on the same frames, and against the
// truth; the stats and the OnTalkspurt calls against the flags.
func TestVADFlags(t *testing.T) {
	for _, rate := range []int{8000, 48000} {
		t.Run(fmt.Sprint(rate), func(t *testing.T) {
			path, pcm, truth := talkWav(t, rate, 20*time.Second)
			g := graphtest.Build(t, "wav-src path="+graphs.Quote(path)+" ! test-vad-mark talkspurt=true ! vad name=v ! test-vad-probe name=p")
			v, _ := g.Element("v")
			var calls []string
			v.(*elements.VAD).OnTalkspurt(func(start bool, at time.Duration) {
				calls = append(calls, fmt.Sprintf("%v@%v", start, at))
			})
			if err := g.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			p, _ := g.Element("p")
			frames := p.(*vadProbe).frames

			d, err := vad.New(vad.Config{Rate: rate, Hangover: 200 * time.Millisecond}) // the element's defaults
			if err != nil {
				t.Fatal(err)
			}
			bs := d.BlockSize()
			if len(frames) != len(pcm)/(2*bs) {
				t.Fatalf("%d frames, want %d", len(frames), len(pcm)/(2*bs))
			}
			var want []string
			var tp, fp, fn, speech, spurts int
			for i, f := range frames {
				// The frame is speech if either of its 10 ms blocks is,
				// and starts a talkspurt if one starts in it.
				s, start := false, false
				for j := range 2 {
					was := d.Active()
					b := d.Process(pcm[(2*i+j)*bs : (2*i+j+1)*bs])
					if b != was {
						want = append(want, fmt.Sprintf("%v@%v", b, f.time+time.Duration(j)*vad.BlockDuration))
					}
					s, start = s || b, start || b && !was
				}
				if got := f.flags&pipeline.FlagSilence == 0; got != s {
					t.Fatalf("frame %d: speech %v, the detector says %v", i, got, s)
				}
				if got := f.flags&pipeline.FlagTalkspurt != 0; got != start {
					t.Fatalf("frame %d: FlagTalkspurt %v, want %v (upstream's flags are replaced)", i, got, start)
				}
				if start {
					spurts++
				}
				if s {
					speech++
				}
				// Against the truth: talk in either block, or the
				// hangover after it, is speech.
				inTalk, afterTalk := truth[2*i] || truth[2*i+1], false
				for b := max(0, 2*i-20); b <= 2*i+1; b++ {
					afterTalk = afterTalk || truth[b]
				}
				switch {
				case s && afterTalk:
					tp++
				case s:
					fp++
				case inTalk:
					fn++
				}
			}
			if d.Active() { // ended by the end of the stream
				want = append(want, fmt.Sprintf("false@%v", time.Duration(len(frames))*20*time.Millisecond))
			}
			if fmt.Sprint(calls) != fmt.Sprint(want) {
				t.Errorf("OnTalkspurt calls\n%v\nwant\n%v", calls, want)
			}
			recall, precision := float64(tp)/float64(tp+fn), float64(tp)/float64(tp+fp)
			t.Logf("%d frames, %d talkspurts, frame recall %.3f, precision %.3f", len(frames), spurts, recall, precision)
			if recall < 0.95 || precision < 0.95 || spurts < 5 {
				t.Errorf("%d talkspurts, frame recall %.3f, precision %.3f (hangover as speech); want at least 5 and 0.95", spurts, recall, precision)
			}
			stats := map[string]float64{}
			for _, name := range []string{"talkspurts", "speech_frames", "silence_frames", "noise_floor", "active"} {
				stats[name], _ = graphtest.Stat(g, "v", name)
			}
			if stats["talkspurts"] != float64(spurts) || stats["speech_frames"] != float64(speech) ||
				stats["silence_frames"] != float64(len(frames)-speech) || stats["active"] != 0 ||
				stats["noise_floor"] > -50 || stats["noise_floor"] < -51.5 {
				t.Errorf("stats %v: want %d talkspurts, %d speech and %d silence frames, not active (ended), noise floor -50 dBov (up to 1.5 dB under)",
					stats, spurts, speech, len(frames)-speech)
			}
		})
	}
}

// TestVADMissingFrames: frames without samples pass through untouched
// (missing, not judged, not counted) and the others are still judged.
func TestVADMissingFrames(t *testing.T) {
	path, _, _ := talkWav(t, 8000, 4*time.Second)
	g := graphtest.Run(t, "wav-src path="+graphs.Quote(path)+" ! test-vad-mark missing=3 ! vad name=v ! test-vad-probe name=p")
	p, _ := g.Element("p")
	frames := p.(*vadProbe).frames
	if len(frames) != 200 {
		t.Fatalf("%d frames, want 200", len(frames))
	}
	for i, f := range frames {
		if (i+1)%3 == 0 {
			if f.samples != 0 || f.flags != pipeline.FlagMissing {
				t.Fatalf("missing frame %d: %d samples, flags %b; want none, FlagMissing only", i, f.samples, f.flags)
			}
		} else if f.samples != 160 || f.flags&pipeline.FlagMissing != 0 {
			t.Fatalf("frame %d: %d samples, flags %b", i, f.samples, f.flags)
		}
	}
	sp, _ := graphtest.Stat(g, "v", "speech_frames")
	si, _ := graphtest.Stat(g, "v", "silence_frames")
	ts, _ := graphtest.Stat(g, "v", "talkspurts")
	if sp+si != 134 || sp == 0 || si == 0 || ts == 0 {
		t.Fatalf("%v speech and %v silence frames, %v talkspurts; want 134 frames judged, talk and pauses among them", sp, si, ts)
	}
}

// TestVADEndOfStream: a talkspurt still going when the stream ends is
// reported ended, at the end of the stream; while it goes, the stats say
// it is active.
func TestVADEndOfStream(t *testing.T) {
	pcm := make([]int16, 12000) // 1 s of digital silence, then 0.5 s of tone
	for i := 8000; i < len(pcm); i++ {
		pcm[i] = int16(4634 * math.Sin(2*math.Pi*440*float64(i)/8000))
	}
	path := filepath.Join(t.TempDir(), "tone.wav")
	graphtest.WriteWav(t, path, 8000, 1, pcm)
	g := graphtest.Build(t, "wav-src path="+graphs.Quote(path)+" ! vad name=v ! null-sink")
	v, _ := g.Element("v")
	var calls []string
	v.(*elements.VAD).OnTalkspurt(func(start bool, at time.Duration) { calls = append(calls, fmt.Sprintf("%v@%v", start, at)) })
	graphtest.Start(t, g)
	for i := range 60 { // 1.2 s
		if done, err := g.Step(); done || err != nil {
			t.Fatalf("step %d: done=%v err=%v", i, done, err)
		}
	}
	if a, _ := graphtest.Stat(g, "v", "active"); a != 1 {
		t.Fatalf("active = %v during the tone, want 1", a)
	}
	for done := false; !done; {
		var err error
		if done, err = g.Step(); err != nil {
			t.Fatal(err)
		}
	}
	if a, _ := graphtest.Stat(g, "v", "active"); a != 0 {
		t.Fatalf("active = %v after the end, want 0", a)
	}
	if want := "[true@1s false@1.5s]"; fmt.Sprint(calls) != want {
		t.Fatalf("OnTalkspurt calls %v, want %v (the onset's one block; the end of the stream)", calls, want)
	}
}

// TestVADMarksRTPTalkspurts: encode sets the marker bit on the first
// packet and on every talkspurt vad starts.
func TestVADMarksRTPTalkspurts(t *testing.T) {
	path, _, _ := talkWav(t, 8000, 15*time.Second)
	g := graphtest.Run(t, "wav-src path="+graphs.Quote(path)+" ! vad name=v ! encode codec=PCMU ! test-lose n=0 name=l ! null-sink")
	spurts, _ := graphtest.Stat(g, "v", "talkspurts")
	markers, _ := graphtest.Stat(g, "l", "markers")
	if spurts < 5 || markers != spurts+1 {
		t.Fatalf("%v talkspurts, %v RTP markers; want at least 5, and one more marker (the first packet)", spurts, markers)
	}
}

func TestVADNegotiationErrors(t *testing.T) {
	stereo := filepath.Join(t.TempDir(), "stereo.wav")
	graphtest.WriteWav(t, stereo, 16000, 2, make([]int16, 3200))
	tests := []struct {
		line  string
		ptime time.Duration
		want  string
	}{
		{"tone rate=44100 ! vad ! null-sink", 0, "vad (port in) wants PCM audio 8000Hz|16000Hz|32000Hz|48000Hz, gets PCM 44100Hz mono 20ms (insert resample between tone0 and vad0)"},
		{"tone rate=11025 ! vad ! null-sink", 0, "gets PCM 11025Hz mono 20ms (insert resample"},
		{"tone ! encode ! vad ! null-sink", 0, "vad (port in) wants PCM audio 8000Hz|16000Hz|32000Hz|48000Hz, gets PCMU/8000 pt=0 20ms (insert decode between encode0 and vad0)"},
		{"wav-src path=" + graphs.Quote(stereo) + " ! vad ! null-sink", 0, "vad analyses mono PCM, input PCM 16000Hz stereo 20ms"},
		{"tone ! vad ! null-sink", 25 * time.Millisecond, "vad decides on 10 ms blocks: ptime 25ms is not a multiple of 10ms, input PCM 8000Hz mono 25ms"},
		{"tone ! vad ! null-sink", 5 * time.Millisecond, "ptime 5ms is not a multiple of 10ms"},
		{"tone ! vad hangover=-10ms ! null-sink", 0, "hangover -10ms is negative"},
		{"tone ! vad hangover=11s ! null-sink", 0, "input PCM 8000Hz mono 20ms: vad: hangover 11s is over 10s"},
		{"tone ! vad onset=-1ms ! null-sink", 0, "onset -1ms is negative"},
		{"tone ! vad onset=2s ! null-sink", 0, "vad: onset 2s must be between 0 and 1s"},
		{"tone ! vad threshold=0 ! null-sink", 0, "threshold 0 dB must be positive"},
		{"tone ! vad threshold=61 ! null-sink", 0, "vad: threshold 61 dB must be in (0, 60]"},
		{"tone ! vad threshold=loud ! null-sink", 0, `property threshold of "vad0" (float): "loud" is not a number`},
		{"tone ! vad min-level=0 ! null-sink", 0, "min-level 0 dBov must be below 0"},
		{"tone ! vad min-level=-130 ! null-sink", 0, "vad: min level -130 dBov must be in [-120, 0)"},
		{"tone ! vad onset=20 ! null-sink", 0, `"20" has no unit (write e.g. 20ms or 20s)`},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s ptime=%v", tc.line, tc.ptime), func(t *testing.T) {
			var opts []pipeline.Option
			if tc.ptime != 0 {
				opts = append(opts, pipeline.WithPTime(tc.ptime))
			}
			spec, err := graphs.ParseLine(tc.line)
			if err == nil {
				_, err = pipeline.Build(spec, opts...)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
	// The edges of the ranges build.
	for _, line := range []string{
		"tone rate=16000 ! vad hangover=0s onset=0s threshold=60 min-level=-120 ! null-sink",
		"tone rate=48000 ! vad hangover=10s onset=1s threshold=0.5 min-level=-0.5 ! null-sink",
		"tone rate=32000 ! vad ! null-sink",
	} {
		graphtest.Build(t, line)
	}
}

// BenchmarkVAD is one 20 ms frame through tone → vad → null-sink; the
// tone alone costs BenchmarkVADBaseline.
func BenchmarkVAD(b *testing.B) {
	for _, rate := range []int{8000, 48000} {
		b.Run(fmt.Sprintf("rate=%d", rate), func(b *testing.B) {
			benchGraph(b, fmt.Sprintf("tone rate=%d freqs=440,1000 ! vad ! null-sink", rate), true)
		})
	}
}

// BenchmarkVADBaseline is the graph of BenchmarkVAD without the vad.
func BenchmarkVADBaseline(b *testing.B) {
	for _, rate := range []int{8000, 48000} {
		b.Run(fmt.Sprintf("rate=%d", rate), func(b *testing.B) {
			benchGraph(b, fmt.Sprintf("tone rate=%d freqs=440,1000 ! null-sink", rate), true)
		})
	}
}
