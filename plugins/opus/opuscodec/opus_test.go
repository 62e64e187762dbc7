package opuscodec

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/voxgraph/voxgraph/codecs"
	"github.com/voxgraph/voxgraph/internal/codectest"
)

// frame20 is 20 ms at 48 kHz, samples per channel.
const frame20 = SampleRate / 50

// codecDelay is the round trip's delay as libopus 1.3.1 reports it
// (OPUS_GET_LOOKAHEAD at 48 kHz, application VOIP): 312 samples, 6.5 ms
// (2.5 ms look-ahead and 4 ms of delay compensation). The alignment
// searches lagWindow samples (0.5 ms) either side of it; TestDelay checks
// it against a wide search.
const (
	codecDelay = 312
	lagWindow  = SampleRate / 2000
)

// maxLag bounds TestDelay's wide search: 20 ms.
const maxLag = SampleRate / 50

// roundTrip encodes pcm (interleaved, ch channels) frame by frame of
// frameLen samples per channel with a fresh encoder of params, decodes
// every packet with a fresh decoder of the same params and returns the
// decoded PCM; each packet must decode to one frame.
func roundTrip(t testing.TB, fac codecs.Factory, params codecs.Params, pcm []int16, ch, frameLen int) []int16 {
	t.Helper()
	enc, err := fac.NewEncoder(params)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := fac.NewDecoder(params)
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll(enc, dec)
	step := frameLen * ch
	pkt := make([]byte, enc.MaxEncodedLen(step))
	out := make([]int16, 0, len(pcm))
	frame := make([]int16, dec.MaxDecodedLen(1))
	for i := 0; i+step <= len(pcm); i += step {
		n, err := enc.Encode(pkt, pcm[i:i+step])
		if err != nil {
			t.Fatalf("encode frame at %d: %v", i, err)
		}
		m, err := dec.Decode(frame, pkt[:n])
		if err != nil {
			t.Fatalf("decode frame at %d (%d bytes): %v", i, n, err)
		}
		if m != step {
			t.Fatalf("frame at %d: decoded %d samples, want %d", i, m, step)
		}
		out = append(out, frame[:m]...)
	}
	return out
}

// closeAll closes what can be closed.
func closeAll(cs ...any) {
	for _, c := range cs {
		if c, ok := c.(interface{ Close() error }); ok {
			c.Close()
		}
	}
}

// roundTripCase is one row of the quality table, shared with the plugin
// test (plugin_test.go).
type roundTripCase struct {
	name     string
	params   codecs.Params
	ch       int
	frameLen int            // samples per channel per packet
	signal   func() []int16 // 1 s, interleaved
	minCorr  []float64      // per channel
}

// Thresholds: each floor is the correlation coefficient measured with
// libopus 1.3.1 on x86-64 (in the comment) less a margin of about 0.03-0.04,
// for other libopus builds and versions, which need not produce the same
// bits. The speech-like rows measure only about 0.94 at any bit rate (0.95
// at 128 kbit/s): in application VOIP libopus high-passes its input, whose
// phase shift at the 90-170 Hz fundamental costs waveform fidelity, not
// quality; tones above 1 kHz at 128 kbit/s measure 0.998 (both rows below).
var roundTripCases = []roundTripCase{
	{name: "speech default", ch: 1, frameLen: frame20, // r = 0.9454, segSNR 5.8 dB
		signal:  func() []int16 { return codectest.SpeechLike(SampleRate, SampleRate, 1) },
		minCorr: []float64{0.91}},
	{name: "speech 16 kbit/s", ch: 1, frameLen: frame20, params: codecs.Params{"maxaveragebitrate": "16000"}, // r = 0.9389, 4.9 dB
		signal:  func() []int16 { return codectest.SpeechLike(SampleRate, SampleRate, 2) },
		minCorr: []float64{0.90}},
	{name: "speech 12 kbit/s fec complexity 5", ch: 1, frameLen: frame20, // r = 0.9352, 5.3 dB
		params:  codecs.Params{"bitrate": "12000", "useinbandfec": "1", "complexity": "5"},
		signal:  func() []int16 { return codectest.SpeechLike(SampleRate, SampleRate, 3) },
		minCorr: []float64{0.90}},
	{name: "speech 40 ms dtx", ch: 1, frameLen: 2 * frame20, params: codecs.Params{"usedtx": "1", "ptime": "40"}, // r = 0.9450, 6.0 dB
		signal:  func() []int16 { return codectest.SpeechLike(SampleRate, SampleRate, 4) },
		minCorr: []float64{0.91}},
	{name: "multitone 32 kbit/s 10 ms", ch: 1, frameLen: frame20 / 2, params: codecs.Params{"bitrate": "32000"}, // r = 0.9682, 12.8 dB
		signal:  func() []int16 { return codectest.MultiTone(SampleRate, SampleRate, 12000, 440, 1100, 2500) },
		minCorr: []float64{0.93}},
	{name: "speech 128 kbit/s", ch: 1, frameLen: frame20, params: codecs.Params{"bitrate": "128000"}, // r = 0.9533, 8.3 dB
		signal:  func() []int16 { return codectest.SpeechLike(SampleRate, SampleRate, 6) },
		minCorr: []float64{0.92}},
	{name: "tones above 1 kHz 128 kbit/s", ch: 1, frameLen: frame20, params: codecs.Params{"bitrate": "128000"}, // r = 0.9983, 24.8 dB
		signal:  func() []int16 { return codectest.MultiTone(SampleRate, SampleRate, 12000, 1100, 2500) },
		minCorr: []float64{0.96}},
	{name: "stereo 64 kbit/s", ch: 2, frameLen: frame20, params: codecs.Params{"stereo": "1", "maxaveragebitrate": "64000"}, // r = 0.9361, 4.7 dB; 0.9901, 17.1 dB
		signal: func() []int16 {
			return codectest.Interleave(codectest.SpeechLike(SampleRate, SampleRate, 5), codectest.MultiTone(SampleRate, SampleRate, 12000, 440, 1500))
		},
		minCorr: []float64{0.90, 0.96}},
}

// TestRoundTrip encodes and decodes 1 s of a speech-like or multi-tone
// signal per row and checks the correlation coefficient of the aligned
// output (see quality_test.go) against the row's floor.
func TestRoundTrip(t *testing.T) {
	for _, tc := range roundTripCases {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.signal()
			out := roundTrip(t, Factory(), tc.params, in, tc.ch, tc.frameLen)
			checkQuality(t, in, out, tc)
		})
	}
}

// checkQuality measures each channel of out against in.
func checkQuality(t *testing.T, in, out []int16, tc roundTripCase) {
	t.Helper()
	for c := range tc.ch {
		q := codectest.Measure(codectest.Channel(in, tc.ch, c), codectest.Channel(out, tc.ch, c), codectest.WarmupMS*SampleRate/1000,
			codecDelay-lagWindow, codecDelay+lagWindow, frame20)
		t.Logf("%s ch%d: delay %d samples (%.2f ms), r = %.4f, segSNR %.1f dB",
			tc.name, c, q.Lag, float64(q.Lag)*1000/SampleRate, q.Corr, q.SegSNR)
		if q.Corr < tc.minCorr[c] {
			t.Errorf("%s channel %d: correlation %.4f, want >= %.2f", tc.name, c, q.Corr, tc.minCorr[c])
		}
	}
}

// TestDelay checks that the delay the alignment finds is the encoder's
// look-ahead as libopus reports it.
func TestDelay(t *testing.T) {
	enc, err := NewEncoder(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	in := codectest.SpeechLike(SampleRate, SampleRate, 1)
	out := roundTrip(t, Factory(), nil, in, 1, frame20)
	q := codectest.Measure(in, out, codectest.WarmupMS*SampleRate/1000, 0, maxLag, frame20)
	t.Logf("delay %d samples, look-ahead %d", q.Lag, enc.Lookahead())
	// The correlation peaks a few samples before the look-ahead (308 with
	// libopus 1.3.1): the decoder's output filters shift the phase a little.
	if la := enc.Lookahead(); q.Lag < la-8 || q.Lag > la+8 || la < codecDelay-lagWindow || la > codecDelay+lagWindow {
		t.Errorf("measured delay %d samples, libopus look-ahead %d, alignment window %d±%d", q.Lag, la, codecDelay, lagWindow)
	}
}

// TestCodec checks the codec description.
func TestCodec(t *testing.T) {
	f := Factory()
	if f.Name != "opus" || f.PayloadType != 111 || !f.Dynamic || f.ClockRate != 48000 || f.SampleRate != 48000 || f.Channels != 1 {
		t.Errorf("codec %+v", f.Codec)
	}
	if err := codecs.NewRegistry().Register(f); err != nil {
		t.Errorf("register: %v", err)
	}
	if v := Version(); !strings.HasPrefix(v, "libopus ") {
		t.Errorf("Version() = %q", v)
	}
}

// TestParams checks parameter validation for both constructors.
func TestParams(t *testing.T) {
	tests := []struct {
		name   string
		params codecs.Params
		ch     int // 0: invalid
	}{
		{"nil", nil, 1},
		{"empty", codecs.Params{}, 1},
		{"stereo=1", codecs.Params{"stereo": "1"}, 2},
		{"stereo=0", codecs.Params{"stereo": "0"}, 1},
		{"channels=2", codecs.Params{"channels": "2"}, 2},
		{"channels agrees with stereo", codecs.Params{"channels": "2", "stereo": "1"}, 2},
		{"all valid", codecs.Params{"maxaveragebitrate": "24000", "complexity": "10", "useinbandfec": "1",
			"usedtx": "1", "ptime": "60", "minptime": "10", "sprop-stereo": "1"}, 1},
		{"bitrate equal to maxaveragebitrate", codecs.Params{"bitrate": "6000", "maxaveragebitrate": "6000"}, 1},
		{"bitrate max", codecs.Params{"bitrate": "510000"}, 1},
		{"complexity 0", codecs.Params{"complexity": "0"}, 1},
		{"ptime 120", codecs.Params{"ptime": "120"}, 1},
		{"stereo=2", codecs.Params{"stereo": "2"}, 0},
		{"stereo=yes", codecs.Params{"stereo": "yes"}, 0},
		{"channels=3", codecs.Params{"channels": "3"}, 0},
		{"channels=0", codecs.Params{"channels": "0"}, 0},
		{"channels contradicts stereo", codecs.Params{"channels": "1", "stereo": "1"}, 0},
		{"bitrate low", codecs.Params{"maxaveragebitrate": "5999"}, 0},
		{"bitrate high", codecs.Params{"bitrate": "510001"}, 0},
		{"bitrate not a number", codecs.Params{"bitrate": "64k"}, 0},
		{"bitrates disagree", codecs.Params{"bitrate": "20000", "maxaveragebitrate": "30000"}, 0},
		{"complexity 11", codecs.Params{"complexity": "11"}, 0},
		{"complexity -1", codecs.Params{"complexity": "-1"}, 0},
		{"useinbandfec=2", codecs.Params{"useinbandfec": "2"}, 0},
		{"usedtx=true", codecs.Params{"usedtx": "true"}, 0},
		{"ptime 30", codecs.Params{"ptime": "30"}, 0},
		{"ptime 0", codecs.Params{"ptime": "0"}, 0},
		{"ptime 2.5", codecs.Params{"ptime": "2.5"}, 0},
	}
	f := Factory()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc, encErr := f.NewEncoder(tt.params)
			dec, decErr := f.NewDecoder(tt.params)
			defer closeAll(enc, dec)
			if tt.ch == 0 {
				if !errors.Is(encErr, codecs.ErrBadParams) || !errors.Is(decErr, codecs.ErrBadParams) {
					t.Fatalf("errors %v / %v, want ErrBadParams", encErr, decErr)
				}
				return
			}
			if encErr != nil || decErr != nil {
				t.Fatalf("errors %v / %v", encErr, decErr)
			}
			if got := enc.(*Encoder).Channels(); got != tt.ch {
				t.Errorf("encoder channels %d, want %d", got, tt.ch)
			}
			if got := dec.(*Decoder).Channels(); got != tt.ch {
				t.Errorf("decoder channels %d, want %d", got, tt.ch)
			}
		})
	}
}

// TestEncodeErrors checks frame sizes and buffer sizes the encoder refuses.
func TestEncodeErrors(t *testing.T) {
	mono, err := NewEncoder(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer mono.Close()
	stereo, err := NewEncoder(codecs.Params{"stereo": "1"})
	if err != nil {
		t.Fatal(err)
	}
	defer stereo.Close()
	tests := []struct {
		name    string
		enc     *Encoder
		samples int
		dst     int // -1: MaxEncodedLen
		want    error
	}{
		{"mono 2.5 ms", mono, 120, -1, nil},
		{"mono 20 ms", mono, 960, -1, nil},
		{"mono 60 ms", mono, 2880, -1, nil},
		{"mono 120 ms", mono, 5760, -1, nil},
		{"stereo 20 ms", stereo, 1920, -1, nil},
		{"empty", mono, 0, -1, codecs.ErrBadInput},
		{"one sample", mono, 1, -1, codecs.ErrBadInput},
		{"mono 959", mono, 959, -1, codecs.ErrBadInput},
		{"mono 30 ms", mono, 1440, -1, codecs.ErrBadInput},
		{"mono 140 ms", mono, 6720, -1, codecs.ErrBadInput},
		{"stereo odd", stereo, 1921, -1, codecs.ErrBadInput},
		{"stereo 10 ms of mono", stereo, 960 + 2, -1, codecs.ErrBadInput},
		{"short dst", mono, 960, 100, codecs.ErrShortBuffer},
		{"no dst", mono, 960, 0, codecs.ErrShortBuffer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pcm := codectest.MultiTone(tt.samples, SampleRate, 8000, 440)
			n := tt.dst
			if n < 0 {
				n = tt.enc.MaxEncodedLen(tt.samples)
			}
			got, err := tt.enc.Encode(make([]byte, n), pcm)
			if tt.want == nil {
				if err != nil || got <= 0 || got > n {
					t.Fatalf("Encode = %d, %v", got, err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Encode = %d, %v; want %v", got, err, tt.want)
			}
		})
	}
}

// TestConcealment checks that a zero-length payload yields one packet time
// of audio: 20 ms by default, ptime otherwise, per channel; before any
// packet and in the middle of a stream.
func TestConcealment(t *testing.T) {
	tests := []struct {
		params codecs.Params
		want   int
	}{
		{nil, 960},
		{codecs.Params{"stereo": "1"}, 1920},
		{codecs.Params{"ptime": "10"}, 480},
		{codecs.Params{"ptime": "60", "channels": "2"}, 5760},
	}
	for _, tt := range tests {
		dec, err := NewDecoder(tt.params)
		if err != nil {
			t.Fatal(err)
		}
		enc, err := NewEncoder(tt.params)
		if err != nil {
			t.Fatal(err)
		}
		if got := dec.MaxDecodedLen(0); got != tt.want {
			t.Errorf("%v: MaxDecodedLen(0) = %d, want %d", tt.params, got, tt.want)
		}
		dst := make([]int16, dec.MaxDecodedLen(1))
		if n, err := dec.Decode(dst, nil); n != tt.want || err != nil {
			t.Errorf("%v: first Decode(nil) = %d, %v; want %d", tt.params, n, err, tt.want)
		}
		pkt := make([]byte, enc.MaxEncodedLen(tt.want))
		np, err := enc.Encode(pkt, codectest.SpeechLike(tt.want, SampleRate, 1))
		if err != nil {
			t.Fatal(err)
		}
		if n, err := dec.Decode(dst, pkt[:np]); n != tt.want || err != nil {
			t.Errorf("%v: Decode(packet) = %d, %v; want %d", tt.params, n, err, tt.want)
		}
		if n, err := dec.Decode(dst, []byte{}); n != tt.want || err != nil {
			t.Errorf("%v: Decode(lost) = %d, %v; want %d", tt.params, n, err, tt.want)
		}
		if _, err := dec.Decode(dst[:tt.want-1], nil); !errors.Is(err, codecs.ErrShortBuffer) {
			t.Errorf("%v: Decode(lost) into a short dst: %v, want ErrShortBuffer", tt.params, err)
		}
		enc.Close()
		dec.Close()
	}
}

// TestGarbage feeds the decoder every one- and two-byte payload, malformed
// packets and random bytes: it must never panic, and must either decode
// (at most MaxDecodedLen samples, whole frames of its channels) or fail
// with ErrBadPayload.
func TestGarbage(t *testing.T) {
	payloads := [][]byte{
		{0x03},                   // code 3 without a frame count byte
		{0x03, 0x00},             // code 3, zero frames
		{0x03, 0x3f},             // code 3, 63 frames (over 120 ms)
		{0x03, 0xbf, 0xff, 0xff}, // code 3 VBR with padding lengths past the end
		{0x02, 0xfc},             // code 2, first frame length past the end
		{0x01, 0x00, 0x00},       // code 1, odd length of two equal frames
		make([]byte, 1276),       // longer than a frame allows
		{0xfc, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
	}
	for b := range 256 {
		payloads = append(payloads, []byte{byte(b)}, []byte{byte(b), 0xff}, []byte{byte(b), 0x00, 0x55})
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for range 2000 {
		p := make([]byte, 1+rng.IntN(400))
		for i := range p {
			p[i] = byte(rng.Uint32())
		}
		payloads = append(payloads, p)
	}
	for _, params := range []codecs.Params{nil, {"stereo": "1"}} {
		dec, err := NewDecoder(params)
		if err != nil {
			t.Fatal(err)
		}
		dst := make([]int16, dec.MaxDecodedLen(1))
		var ok, bad int
		for _, p := range payloads {
			n, err := dec.Decode(dst, p)
			switch {
			case err != nil && !errors.Is(err, codecs.ErrBadPayload):
				t.Fatalf("Decode(% x): %v, want ErrBadPayload", p[:min(len(p), 8)], err)
			case err != nil:
				bad++
			case n > dec.MaxDecodedLen(len(p)) || n%dec.Channels() != 0:
				t.Fatalf("Decode(% x) = %d samples", p[:min(len(p), 8)], n)
			default:
				ok++
			}
		}
		t.Logf("%v: %d payloads decoded, %d refused", params, ok, bad)
		dec.Close()
	}
}

// TestShortDecodeBuffer checks ErrShortBuffer for a real packet.
func TestShortDecodeBuffer(t *testing.T) {
	enc, _ := NewEncoder(nil)
	dec, _ := NewDecoder(nil)
	defer closeAll(enc, dec)
	pkt := make([]byte, enc.MaxEncodedLen(frame20))
	n, err := enc.Encode(pkt, codectest.SpeechLike(frame20, SampleRate, 1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dec.Decode(make([]int16, frame20-1), pkt[:n]); !errors.Is(err, codecs.ErrShortBuffer) {
		t.Errorf("Decode into %d samples: %v, want ErrShortBuffer", frame20-1, err)
	}
	if m, err := dec.Decode(make([]int16, frame20), pkt[:n]); m != frame20 || err != nil {
		t.Errorf("Decode into %d samples = %d, %v", frame20, m, err)
	}
}

// TestClose checks that Close is idempotent and that a closed encoder or
// decoder refuses work.
func TestClose(t *testing.T) {
	enc, _ := NewEncoder(nil)
	dec, _ := NewDecoder(nil)
	codectest.CheckClose(t, enc, dec, make([]int16, frame20), []byte{0xf8, 0xff, 0xfe}, ErrClosed)
}

// TestNoAllocs checks that encoding and decoding (a packet and a lost one)
// do not allocate.
func TestNoAllocs(t *testing.T) {
	enc, _ := NewEncoder(nil)
	dec, _ := NewDecoder(nil)
	defer closeAll(enc, dec)
	pcm := codectest.SpeechLike(frame20, SampleRate, 1)
	pkt := make([]byte, enc.MaxEncodedLen(frame20))
	dst := make([]int16, dec.MaxDecodedLen(1))
	allocs := testing.AllocsPerRun(50, func() {
		n, err := enc.Encode(pkt, pcm)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := dec.Decode(dst, pkt[:n]); err != nil {
			t.Fatal(err)
		}
		if _, err := dec.Decode(dst, nil); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per encode+decode+conceal, want 0", allocs)
	}
}

// BenchmarkRoundTrip encodes and decodes one 20 ms mono frame in process,
// at libopus's default bit rate and at 16 kbit/s. It must report
// 0 allocs/op.
func BenchmarkRoundTrip(b *testing.B) {
	for _, bench := range []struct {
		name   string
		params codecs.Params
	}{{"default", nil}, {"16k", codecs.Params{"bitrate": "16000"}}} {
		b.Run(bench.name, func(b *testing.B) {
			enc, err := NewEncoder(bench.params)
			if err != nil {
				b.Fatal(err)
			}
			dec, err := NewDecoder(bench.params)
			if err != nil {
				b.Fatal(err)
			}
			defer closeAll(enc, dec)
			pcm := codectest.SpeechLike(SampleRate, SampleRate, 1)
			pkt := make([]byte, enc.MaxEncodedLen(frame20))
			dst := make([]int16, dec.MaxDecodedLen(1))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				frame := pcm[i : i+frame20]
				i = (i + frame20) % len(pcm)
				n, err := enc.Encode(pkt, frame)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := dec.Decode(dst, pkt[:n]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
