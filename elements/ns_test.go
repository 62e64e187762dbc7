package elements_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/voxgraph/voxgraph/dsp/ns"
	"github.com/voxgraph/voxgraph/dsp/vad/vadtest"
	"github.com/voxgraph/voxgraph/graphs"
	"github.com/voxgraph/voxgraph/internal/graphtest"
	"github.com/voxgraph/voxgraph/pipeline"
)

// noisyTalkWav writes d of synthetic talk at talk dBov in white noise at
// noise dBov as a WAV file and returns its path and samples.
func noisyTalkWav(t *testing.T, rate int, d time.Duration, talk, noise float64) (string, []int16) {
	x, _ := vadtest.Talk(rate, d, 21)
	sum := make([]float64, len(x))
	vadtest.Add(sum, vadtest.White(len(x), 22), noise)
	vadtest.Add(sum, x, talk)
	pcm := vadtest.Quantize(sum)
	path := filepath.Join(t.TempDir(), "in.wav")
	graphtest.WriteWav(t, path, rate, 1, pcm)
	return path, pcm
}

// TestNSGraph runs noisy talk through wav-src ! ns ! wav-sink and checks
// the file against the suppressor run on the same samples, and the
// stats against the noise.
func TestNSGraph(t *testing.T) {
	for _, rate := range []int{8000, 16000} {
		t.Run(fmt.Sprint(rate), func(t *testing.T) {
			in, pcm := noisyTalkWav(t, rate, 10*time.Second, -26, -46)
			out := filepath.Join(t.TempDir(), "out.wav")
			g := graphtest.Run(t, "wav-src path="+graphs.Quote(in)+" ! ns name=n level=20 ! wav-sink path="+graphs.Quote(out))
			gotRate, ch, got := graphtest.ReadWav(t, out)
			s, err := ns.New(ns.Config{Rate: rate, Level: 20})
			if err != nil {
				t.Fatal(err)
			}
			want := append([]int16(nil), pcm...)
			if err := s.Process(want); err != nil {
				t.Fatal(err)
			}
			if gotRate != rate || ch != 1 || len(got) != len(want) {
				t.Fatalf("%d Hz, %d channels, %d samples; want %d Hz mono, %d samples", gotRate, ch, len(got), rate, len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("sample %d: %d, the suppressor gives %d", i, got[i], want[i])
				}
			}
			floor, _ := graphtest.Stat(g, "n", "noise_floor_dbov")
			att, _ := graphtest.Stat(g, "n", "attenuation_db")
			frames, _ := graphtest.Stat(g, "n", "frames")
			skipped, _ := graphtest.Stat(g, "n", "skipped_frames")
			t.Logf("noise floor %.2f dBov, mean attenuation %.2f dB", floor, att)
			// The mean attenuation counts the talk's frames, which lose
			// little; the floor rises a little with the talk over it.
			if floor > -44.5 || floor < -49 || att < 4 || att > 20 || frames != float64(len(pcm)/(rate/50)) || skipped != 0 {
				t.Errorf("noise floor %.2f dBov (want -46 from 3 dB under to 1.5 over), mean attenuation %.2f dB (want 4 to 20), %v frames, %v skipped",
					floor, att, frames, skipped)
			}
		})
	}
}

func TestNSNegotiationErrors(t *testing.T) {
	stereo := filepath.Join(t.TempDir(), "stereo.wav")
	graphtest.WriteWav(t, stereo, 16000, 2, make([]int16, 3200))
	tests := []struct {
		line  string
		ptime time.Duration
		want  string
	}{
		{"tone rate=44100 ! ns ! null-sink", 0, "ns (port in) wants PCM audio 8000Hz|16000Hz|32000Hz|48000Hz, gets PCM 44100Hz mono 20ms"},
		{"tone ! encode ! ns ! null-sink", 0, "(insert decode between encode0 and ns0)"},
		{"wav-src path=" + graphs.Quote(stereo) + " ! ns ! null-sink", 0, "ns works on mono PCM, input PCM 16000Hz stereo 20ms"},
		{"tone ! ns ! null-sink", 25 * time.Millisecond, "ns works on 10 ms blocks: ptime 25ms is not a multiple of 10ms"},
		{"tone ! ns level=0 ! null-sink", 0, "level 0 dB must be positive"},
		{"tone ! ns level=-3 ! null-sink", 0, "level -3 dB must be positive"},
		{"tone ! ns level=NaN ! null-sink", 0, `"NaN" is not a number`},
		{"tone ! ns level=61 ! null-sink", 0, "ns: level 61 dB must be in (0, 60]"},
		{"tone ! ns level=loud ! null-sink", 0, `"loud" is not a number`},
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
	graphtest.Build(t, "tone rate=48000 ! ns level=60 ! null-sink")
	graphtest.Build(t, "tone rate=32000 ! ns ! null-sink")
}

// BenchmarkNS is one 20 ms frame through tone → ns → null-sink; the tone
// alone costs BenchmarkVADBaseline.
func BenchmarkNS(b *testing.B) {
	for _, rate := range []int{8000, 16000} {
		b.Run(fmt.Sprintf("rate=%d", rate), func(b *testing.B) {
			benchGraph(b, fmt.Sprintf("tone rate=%d freqs=440,1000 ! ns ! null-sink", rate), true)
		})
	}
}
