package elements_test

import (
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/zaf/g711"

	"github.com/voxgraph/voxgraph/dsp/vad/vadtest"
	"github.com/voxgraph/voxgraph/graphs"
	"github.com/voxgraph/voxgraph/internal/graphtest"
	"github.com/voxgraph/voxgraph/pipeline"
)

// TestEncodeDTXComfortNoise: 8 s of synthetic talk in pink noise at -50
// dBov through vad → encode dtx=true → decode. Speech frames arrive as
// their G.711 round trip; silent ones are replaced by a few SIDs, from
// which decode makes comfort noise at the noise's level (within 2 dB) and
// tilt (within 1.5 dB), one frame per tick.
func TestEncodeDTXComfortNoise(t *testing.T) {
	const rate, fl = 8000, 160
	talk, _ := vadtest.Talk(rate, 8*time.Second, 21)
	sum := make([]float64, len(talk))
	vadtest.Add(sum, talk, -20)
	vadtest.Add(sum, vadtest.Pink(len(talk), 22), -50)
	in := vadtest.Quantize(sum)
	path := filepath.Join(t.TempDir(), "in.wav")
	graphtest.WriteWav(t, path, rate, 1, in)

	g := graphtest.Build(t, "wav-src path="+graphs.Quote(path)+" ! vad ! encode dtx=true name=enc ! decode name=dec ! plctest-sink name=sink", graphtest.Quiet)
	if err := g.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	sink, _ := g.Element("sink")
	got := sink.(*recordSink).get()
	n := len(in) / fl
	if len(got) != n {
		t.Fatalf("%d frames out, %d in: want one per tick", len(got), n)
	}
	var silentFrames, periods int
	var noiseIn, noiseOut []int16
	for k, f := range got {
		silent := f.flags&pipeline.FlagSilence != 0
		if !silent {
			for i, v := range f.pcm {
				if v != g711.DecodeUlawFrame(g711.EncodeUlawFrame(in[k*fl+i])) {
					t.Fatalf("speech frame %d is not its G.711 round trip", k)
				}
			}
			continue
		}
		silentFrames++
		if k == 0 || got[k-1].flags&pipeline.FlagSilence == 0 {
			periods++
		}
		// Inside the pauses (away from the talk and its hangover), compare.
		if k >= 5 && got[k-5].flags&pipeline.FlagSilence != 0 {
			noiseIn = append(noiseIn, in[k*fl:(k+1)*fl]...)
			noiseOut = append(noiseOut, f.pcm...)
		}
	}
	sids, _ := graphtest.Stat(g, "enc", "sid_sent")
	notSent, _ := graphtest.Stat(g, "enc", "not_sent")
	cnf, _ := graphtest.Stat(g, "dec", "comfort_noise")
	level := func(x []int16) float64 { return 10 * math.Log10(meanSquare16(x)/(32768*32768)) }
	t.Logf("%d frames: %d silent in %d pauses, sent as %v SIDs (%v frames not sent: %.0f%% fewer packets); noise %.1f dBov, comfort noise %.1f dBov; tilt %.1f vs %.1f dB",
		n, silentFrames, periods, sids, notSent, 100*notSent/float64(n), level(noiseIn), level(noiseOut), spectralTilt(noiseIn), spectralTilt(noiseOut))
	if periods < 3 || float64(silentFrames) != cnf || sids+notSent != float64(silentFrames) {
		t.Fatalf("%d silent frames in %d pauses; decode made %v of comfort noise; encode sent %v SIDs and left out %v frames", silentFrames, periods, cnf, sids, notSent)
	}
	if max := float64(periods) + float64(silentFrames)*0.02/0.24 + 10; sids > max {
		t.Errorf("%v SIDs for %d pauses of %d frames, want at most %.0f", sids, periods, silentFrames, max)
	}
	if d := level(noiseOut) - level(noiseIn); math.Abs(d) > 2 {
		t.Errorf("comfort noise %.1f dB from the noise's level", d)
	}
	if d := spectralTilt(noiseOut) - spectralTilt(noiseIn); math.Abs(d) > 1.5 {
		t.Errorf("comfort noise tilt %.1f dB from the noise's", d)
	}
}

func meanSquare16(x []int16) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return s / float64(max(len(x), 1))
}

// TestEncodeDTXBadProperties: dtx needs a mono codec and a comfort-noise
// payload type of its own.
func TestEncodeDTXBadProperties(t *testing.T) {
	for _, line := range []string{
		"tone ! encode dtx=true cn-pt=0 ! null-sink",
		"tone ! encode dtx=true cn-pt=200 ! null-sink",
		"tone ! encode dtx=true sid-interval=0s ! null-sink",
	} {
		spec, err := graphs.ParseLine(line)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pipeline.Build(spec, graphtest.Quiet); err == nil {
			t.Errorf("%s: built", line)
		}
	}
}

// BenchmarkDTXComfortNoise is one 20 ms frame of a quiet signal (never
// speech) through vad, encode dtx=true (a SID every 240 ms, nothing
// otherwise) and decode (comfort noise on every tick).
func BenchmarkDTXComfortNoise(b *testing.B) {
	benchGraph(b, "tone freqs=300 level=-60 ! vad ! encode dtx=true ! decode ! null-sink", true)
}
