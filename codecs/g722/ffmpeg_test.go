package g722

import (
	"encoding/binary"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/voxgraph/voxgraph/internal/codectest"
	"github.com/voxgraph/voxgraph/internal/peer"
)

// These tests cross-check the codec with ffmpeg's adpcm_g722 encoder and
// decoder (libavcodec g722enc.c/g722dec.c; its decoder passes the ITU-T
// test sequences). Both follow the recommendation's fixed-point arithmetic,
// and ffmpeg's encoder, without -trellis, makes the recommendation's
// decisions, so the streams must agree bit for bit:
//
//   - our encoder's bytes equal ffmpeg's for the same PCM;
//   - our decoder's PCM equals ffmpeg's for the same bytes, in the 64, 56
//     and 48 kbit/s modes (ffmpeg's -bits_per_codeword 8, 7, 6), both for
//     a real stream and for random bytes, which drive the predictors and
//     limiters through states no encoder produces;
//   - each decoded stream is the input delayed by codecDelay within the SNR
//     floor of TestRoundTripSignals.

// ffmpeg returns the path of the ffmpeg binary.
func ffmpeg(t *testing.T) string { return peer.Require(t, "ffmpeg", "ffmpeg") }

// runFFmpeg runs ffmpeg quietly with args.
func runFFmpeg(t *testing.T, bin string, args ...string) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), bin, append([]string{"-hide_banner", "-loglevel", "error", "-y"}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg %v: %v\n%s", args, err, out)
	}
}

func writePCM(t *testing.T, path string, pcm []int16) {
	t.Helper()
	buf := make([]byte, 2*len(pcm))
	for i, s := range pcm {
		binary.LittleEndian.PutUint16(buf[2*i:], uint16(s))
	}
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		t.Fatal(err)
	}
}

func readPCM(t *testing.T, path string) []int16 {
	t.Helper()
	buf, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pcm := make([]int16, len(buf)/2)
	for i := range pcm {
		pcm[i] = int16(binary.LittleEndian.Uint16(buf[2*i:]))
	}
	return pcm
}

// ffmpegDecode decodes the G.722 file in with ffmpeg at the given bitrate.
func ffmpegDecode(t *testing.T, bin, in string, bitrate int) []int16 {
	t.Helper()
	out := in + "." + strconv.Itoa(bitrate) + ".raw"
	bits := strconv.Itoa(bitrate / 8000) // 8, 7 or 6 bits per codeword
	runFFmpeg(t, bin, "-bits_per_codeword", bits, "-f", "g722", "-i", in, "-f", "s16le", "-ar", "16000", out)
	return readPCM(t, out)
}

// countDiff returns how many elements of a and b differ (a length
// difference counts too) and the first index that differs, or -1.
func countDiff[T comparable](a, b []T) (n, first int) {
	first = -1
	for i := range max(len(a), len(b)) {
		if i >= len(a) || i >= len(b) || a[i] != b[i] {
			if first < 0 {
				first = i
			}
			n++
		}
	}
	return n, first
}

func TestFFmpeg(t *testing.T) {
	bin := ffmpeg(t)
	dir := t.TempDir()

	// 2 s of speech-like signal and a 1 s chirp over the band: 150 frames
	// of 20 ms.
	in := append(codectest.SpeechLike(2*SampleRate, SampleRate, 5), chirp(SampleRate, 50, 7000, 8000)...)
	inPath := filepath.Join(dir, "in.raw")
	writePCM(t, inPath, in)

	ffPath := filepath.Join(dir, "ffmpeg.g722")
	runFFmpeg(t, bin, "-f", "s16le", "-ar", "16000", "-ac", "1", "-i", inPath, "-c:a", "g722", "-f", "g722", ffPath)
	ffBytes, err := os.ReadFile(ffPath)
	if err != nil {
		t.Fatal(err)
	}
	ours := encodeAll(t, in)
	oursPath := filepath.Join(dir, "ours.g722")
	if err := os.WriteFile(oursPath, ours, 0o644); err != nil {
		t.Fatal(err)
	}

	t.Run("encoder bit-exact", func(t *testing.T) {
		if n, first := countDiff(ours, ffBytes); n != 0 {
			t.Errorf("%d of %d bytes differ from ffmpeg's encoding (%d bytes), first at %d",
				n, len(ours), len(ffBytes), first)
		}
	})

	// 1 s of random codewords, then runs of the extreme codes (largest
	// steps of both signs in both bands, alone and alternating) that push
	// the scale factors and predictors to their limits.
	random := make([]byte, SampleRate/2)
	rng := rand.New(rand.NewPCG(7, 7))
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	for _, run := range [][]byte{{0x04}, {0xe0}, {0x04, 0xe0}, {0x20, 0x04, 0x04}, {0x3f}, {0xff, 0x00}} {
		for range 400 {
			random = append(random, run...)
		}
	}
	randomPath := filepath.Join(dir, "random.g722")
	if err := os.WriteFile(randomPath, random, 0o644); err != nil {
		t.Fatal(err)
	}

	ffRandom := make(map[int][]int16)
	for _, bitrate := range []int{Bitrate64k, Bitrate56k, Bitrate48k} {
		name := strconv.Itoa(bitrate)
		t.Run("decoder bit-exact/"+name, func(t *testing.T) {
			for _, f := range []struct {
				path    string
				payload []byte
			}{{ffPath, ffBytes}, {randomPath, random}} {
				want := ffmpegDecode(t, bin, f.path, bitrate)
				if f.path == randomPath {
					ffRandom[bitrate] = want
				}
				got := decodeAll(t, f.payload, bitrate)
				if n, first := countDiff(got, want); n != 0 {
					t.Errorf("%s: %d of %d samples differ from ffmpeg's decoding (%d samples), first at %d",
						filepath.Base(f.path), n, len(got), len(want), first)
				}
			}
		})
	}

	// The modes must really differ, or -bits_per_codeword was ignored.
	if n, _ := countDiff(ffRandom[Bitrate64k], ffRandom[Bitrate56k]); n == 0 {
		t.Error("ffmpeg decoded random bytes identically at 64 and 56 kbit/s")
	}
	if n, _ := countDiff(ffRandom[Bitrate56k], ffRandom[Bitrate48k]); n == 0 {
		t.Error("ffmpeg decoded random bytes identically at 56 and 48 kbit/s")
	}

	// Cross-decoding quality: each side decodes the other's stream.
	floor := map[int]float64{Bitrate64k: 22, Bitrate56k: 22, Bitrate48k: 20}
	for _, bitrate := range []int{Bitrate64k, Bitrate56k, Bitrate48k} {
		name := strconv.Itoa(bitrate)
		t.Run("ffmpeg encodes, we decode/"+name, func(t *testing.T) {
			out := decodeAll(t, ffBytes, bitrate)
			lag, _ := bestLag(in, out, warmup)
			snr := snrAt(in, out, codecDelay, warmup)
			t.Logf("SNR %.1f dB at delay %d (best lag %d)", snr, codecDelay, lag)
			if lag != codecDelay || snr < floor[bitrate] {
				t.Errorf("SNR %.1f dB at delay %d, best lag %d: want >= %.0f dB at %d",
					snr, codecDelay, lag, floor[bitrate], codecDelay)
			}
		})
		t.Run("we encode, ffmpeg decodes/"+name, func(t *testing.T) {
			out := ffmpegDecode(t, bin, oursPath, bitrate)
			lag, _ := bestLag(in, out, warmup)
			snr := snrAt(in, out, codecDelay, warmup)
			t.Logf("SNR %.1f dB at delay %d (best lag %d)", snr, codecDelay, lag)
			if lag != codecDelay || snr < floor[bitrate] {
				t.Errorf("SNR %.1f dB at delay %d, best lag %d: want >= %.0f dB at %d",
					snr, codecDelay, lag, floor[bitrate], codecDelay)
			}
		})
	}
}
