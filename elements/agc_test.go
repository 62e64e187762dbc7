package elements_test

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/voxgraph/voxgraph/dsp/agc"
	"github.com/voxgraph/voxgraph/dsp/level"
	"github.com/voxgraph/voxgraph/graphs"
	"github.com/voxgraph/voxgraph/internal/graphtest"
	"github.com/voxgraph/voxgraph/pipeline"
)

// TestAGCGraph runs quiet talk, then a full-scale burst, through
// wav-src ! agc ! wav-sink and checks the file against the controller
// run on the same samples, and the stats.
func TestAGCGraph(t *testing.T) {
	for _, rate := range []int{8000, 16000} {
		t.Run(fmt.Sprint(rate), func(t *testing.T) {
			_, pcm := noisyTalkWav(t, rate, 12*time.Second, -36, -66)
			for i := 10 * rate; i < 11*rate; i++ { // a full-scale 1 kHz burst
				pcm[i] = int16(32767 * math.Sin(2*math.Pi*1000*float64(i)/float64(rate)))
			}
			in := filepath.Join(t.TempDir(), "in.wav")
			graphtest.WriteWav(t, in, rate, 1, pcm)
			out := filepath.Join(t.TempDir(), "out.wav")
			g := graphtest.Run(t, "wav-src path="+graphs.Quote(in)+" ! agc name=a target=-20 ! wav-sink path="+graphs.Quote(out))
			_, _, got := graphtest.ReadWav(t, out)
			c, err := agc.New(agc.Config{Rate: rate, Target: -20})
			if err != nil {
				t.Fatal(err)
			}
			want := append([]int16(nil), pcm...)
			if err := c.Process(want); err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d samples, want %d", len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("sample %d: %d, the controller gives %d", i, got[i], want[i])
				}
			}
			ceil := level.SineAmplitude(-1+3.0103) / math.Sqrt2 // -1 dBFS
			if p := float64(level.Peak(got)); p > math.Round(ceil) {
				t.Errorf("peak %v over the ceiling %.0f", p, ceil)
			}
			// Before the burst, the talk came out near the target (the
			// pauses, 30 dB under, pull the mean down by 1 to 3 dB).
			quiet := level.DBov(level.RMS(got[5*rate : 10*rate]))
			gain, _ := graphtest.Stat(g, "a", "gain_db")
			lvl, _ := graphtest.Stat(g, "a", "level_dbov")
			lim, _ := graphtest.Stat(g, "a", "limiter_active")
			t.Logf("gain %.2f dB, speech level %.2f dBov, limiter active in %v frames; 5-10 s at %.2f dBov (pauses included)", gain, lvl, lim, quiet)
			if quiet < -24 || quiet > -19 {
				t.Errorf("talk at %.2f dBov from 5 to 10 s, want -20 (1 to 3 dB under with the pauses)", quiet)
			}
			// The burst, a steady full-scale tone, is taken for loud speech:
			// the gain falls to bring it to the target.
			if gain != c.Gain() || lvl != c.Level() || lim < 40 || lim > 60 {
				t.Errorf("stats gain %v dB, level %v dBov, limiter in %v frames; want %v, %v and the 50 frames of the burst", gain, lvl, lim, c.Gain(), c.Level())
			}
		})
	}
}

func TestAGCNegotiationErrors(t *testing.T) {
	tests := []struct {
		line string
		want string
	}{
		{"tone rate=11025 ! agc ! null-sink", "agc (port in) wants PCM audio 8000Hz|16000Hz|32000Hz|48000Hz, gets PCM 11025Hz mono 20ms"},
		{"tone ! agc target=0 ! null-sink", "target must not be 0"},
		{"tone ! agc target=-2 ! null-sink", "agc: target -2 dBov must be in (-60, -3)"},
		{"tone ! agc max-gain=70 ! null-sink", "agc: max gain 70 dB must be in (0, 60]"},
		{"tone ! agc attack=-1 ! null-sink", "agc: attack rate -1 dB/s"},
		{"tone ! agc release=NaN ! null-sink", `"NaN" is not a number`},
		{"tone ! agc release=2000 ! null-sink", "agc: release rate 2000 dB/s must be in (0, 1000]"},
		{"tone ! agc ceiling=0 ! null-sink", "ceiling must not be 0"},
		{"tone ! agc ceiling=3 ! null-sink", "agc: ceiling 3 dBFS must be in [-20, 0)"},
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
	graphtest.Build(t, "tone rate=48000 ! agc target=-30 max-gain=60 attack=1000 release=0.5 ceiling=-20 ! null-sink")
}

// BenchmarkAGC is one 20 ms frame through tone → agc → null-sink.
func BenchmarkAGC(b *testing.B) {
	for _, rate := range []int{8000, 16000} {
		b.Run(fmt.Sprintf("rate=%d", rate), func(b *testing.B) {
			benchGraph(b, fmt.Sprintf("tone rate=%d freqs=440,1000 ! agc ! null-sink", rate), true)
		})
	}
}
