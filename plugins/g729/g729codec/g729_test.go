package g729codec

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/voxgraph/voxgraph/codecs"
	"github.com/voxgraph/voxgraph/internal/codectest"
)

// frame20 is one 20 ms packet of PCM at 8 kHz.
const frame20 = SampleRate / 50

// codecDelay is the round trip's delay measured with bcg729 1.1.1 (by
// TestDelay's wide search); the alignment searches lagWindow samples
// (1 ms) either side of it. G.729's look-ahead is 5 ms (40 samples).
const (
	codecDelay = 40
	lagWindow  = SampleRate / 1000
)

// maxLag bounds TestDelay's wide search: 20 ms.
const maxLag = SampleRate / 50

// packetStats counts the payloads of a round trip by kind.
type packetStats struct {
	voice, sid, empty, short int // short: decoded to less than the packet's PCM
}

// roundTrip encodes pcm packet by packet of frameLen samples with a fresh
// encoder of params and decodes every payload with a fresh decoder, as a
// receiver that follows the RTP timestamps would: each packet's audio is
// placed at the packet's time, an empty payload (all silence untransmitted
// under Annex B) is decoded as a lost packet (bcg729 continues the comfort
// noise), and a payload that carries less than the packet's time (a SID
// frame standing for silence, or voice after untransmitted silence) is
// followed by zeros up to the next packet. Without Annex B every packet
// must decode to exactly its PCM's length.
func roundTrip(t testing.TB, fac codecs.Factory, params codecs.Params, pcm []int16, frameLen int) ([]int16, packetStats) {
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
	annexB := !strings.EqualFold(params["annexb"], "no")
	pkt := make([]byte, enc.MaxEncodedLen(frameLen))
	out := make([]int16, 0, len(pcm))
	frame := make([]int16, max(dec.MaxDecodedLen(len(pkt)), dec.MaxDecodedLen(0)))
	var st packetStats
	for i := 0; i+frameLen <= len(pcm); i += frameLen {
		n, err := enc.Encode(pkt, pcm[i:i+frameLen])
		if err != nil {
			t.Fatalf("encode packet at %d: %v", i, err)
		}
		switch {
		case n == 0:
			st.empty++
		case n%FrameBytes == SIDBytes:
			st.sid++
		default:
			st.voice++
		}
		if !annexB && n != frameLen/FrameSamples*FrameBytes {
			t.Fatalf("annexb=no: packet at %d is %d bytes, want %d", i, n, frameLen/FrameSamples*FrameBytes)
		}
		m, err := dec.Decode(frame, pkt[:n])
		if err != nil {
			t.Fatalf("decode packet at %d (%d bytes): %v", i, n, err)
		}
		if m > frameLen && n > 0 || m < frameLen && !annexB {
			t.Fatalf("packet at %d (%d bytes): decoded %d samples of %d", i, n, m, frameLen)
		}
		if m < frameLen {
			st.short++
		}
		m = min(m, frameLen) // an erasure of 20 ms in a 10 ms packet
		out = append(out, frame[:m]...)
		for range frameLen - m {
			out = append(out, 0)
		}
	}
	return out, st
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
	frameLen int            // samples per packet
	signal   func() []int16 // 1 s at 8 kHz
	minCorr  float64
}

// Thresholds: each floor is the correlation coefficient measured with
// bcg729 1.1.1 on x86-64 (in the comment, with the segmental SNR) less a
// margin of about 0.05-0.07 (G.729 is bit-exact by design, but the margin
// allows for another build or version of the library and a VAD that
// decides a frame differently). The figures are those of an 8 kbit/s CELP
// codec with a 140 Hz high-pass and a postfilter, on a signal whose
// fundamental is at 90-170 Hz: a waveform match well short of a copy
// (segmental SNR about 1 dB) though the speech is clearly kept; the
// multi-tone, above the high-pass, does better. The speech-like signal
// has no pause, so Annex B sends every frame (TestDTX has pauses).
var roundTripCases = []roundTripCase{
	{name: "speech", params: codecs.Params{"annexb": "no"}, frameLen: frame20, // r = 0.7620, segSNR 0.8 dB
		signal: func() []int16 { return codectest.SpeechLike(SampleRate, SampleRate, 1) }, minCorr: 0.70},
	{name: "speech annexb default", frameLen: frame20, // r = 0.7721, 0.9 dB
		signal: func() []int16 { return codectest.SpeechLike(SampleRate, SampleRate, 2) }, minCorr: 0.70},
	{name: "speech 10 ms packets", params: codecs.Params{"annexb": "NO"}, frameLen: FrameSamples, // r = 0.7678, 0.8 dB
		signal: func() []int16 { return codectest.SpeechLike(SampleRate, SampleRate, 3) }, minCorr: 0.70},
	{name: "speech 40 ms annexb", params: codecs.Params{"annexb": "yes"}, frameLen: 2 * frame20, // r = 0.7630, 0.8 dB
		signal: func() []int16 { return codectest.SpeechLike(SampleRate, SampleRate, 4) }, minCorr: 0.70},
	{name: "multitone", params: codecs.Params{"annexb": "no"}, frameLen: frame20, // r = 0.9274, 8.4 dB
		signal: func() []int16 { return codectest.MultiTone(SampleRate, SampleRate, 12000, 500, 1100, 2300) }, minCorr: 0.87},
}

// TestRoundTrip encodes and decodes 1 s of a speech-like or multi-tone
// signal per row and checks the correlation coefficient of the aligned
// output (see quality_test.go) against the row's floor.
func TestRoundTrip(t *testing.T) {
	for _, tc := range roundTripCases {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.signal()
			out, st := roundTrip(t, Factory(), tc.params, in, tc.frameLen)
			t.Logf("%s: payloads %+v", tc.name, st)
			checkQuality(t, in, out, tc)
		})
	}
}

// checkQuality measures out against in.
func checkQuality(t *testing.T, in, out []int16, tc roundTripCase) {
	t.Helper()
	q := codectest.Measure(in, out, codectest.WarmupMS*SampleRate/1000, codecDelay-lagWindow, codecDelay+lagWindow, frame20)
	t.Logf("%s: delay %d samples (%.2f ms), r = %.4f, segSNR %.1f dB",
		tc.name, q.Lag, float64(q.Lag)*1000/SampleRate, q.Corr, q.SegSNR)
	if q.Corr < tc.minCorr {
		t.Errorf("%s: correlation %.4f, want >= %.2f", tc.name, q.Corr, tc.minCorr)
	}
}

// TestDelay checks the codec delay the alignment window is centred on
// with a wide search on an aperiodic signal.
func TestDelay(t *testing.T) {
	in := codectest.SpeechLike(SampleRate, SampleRate, 1)
	out, _ := roundTrip(t, Factory(), codecs.Params{"annexb": "no"}, in, frame20)
	q := codectest.Measure(in, out, codectest.WarmupMS*SampleRate/1000, 0, maxLag, frame20)
	t.Logf("delay %d samples (%.2f ms), r = %.4f", q.Lag, float64(q.Lag)*1000/SampleRate, q.Corr)
	if q.Lag < codecDelay-2 || q.Lag > codecDelay+2 {
		t.Errorf("measured delay %d samples, want %d±2", q.Lag, codecDelay)
	}
}

// TestCodec checks the codec description and the version.
func TestCodec(t *testing.T) {
	f := Factory()
	if f.Name != "G729" || f.PayloadType != 18 || f.Dynamic || f.ClockRate != 8000 || f.SampleRate != 8000 || f.Channels != 1 {
		t.Errorf("codec %+v", f.Codec)
	}
	if err := codecs.NewRegistry().Register(f); err != nil {
		t.Errorf("register: %v", err)
	}
	if v := Version(); v != "bcg729 1.1.1" {
		t.Logf("built with %s (the figures in the tests are bcg729 1.1.1's)", v)
	}
}

// talkAndPause returns 1 s of speech-like signal with a pause from 300 to
// 700 ms of quiet background noise (RMS about 30, -60 dBFS).
func talkAndPause() []int16 {
	pcm := codectest.SpeechLike(SampleRate, SampleRate, 9)
	rng := rand.New(rand.NewPCG(9, 9))
	for i := 3 * SampleRate / 10; i < 7*SampleRate/10; i++ {
		pcm[i] = int16(math.Round(30 * rng.NormFloat64()))
	}
	return pcm
}

// rms is the RMS of pcm.
func rms(pcm []int16) float64 {
	var s float64
	for _, v := range pcm {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s / float64(max(len(pcm), 1)))
}

// TestDTX checks Annex B on a signal with a pause: with annexb=yes the
// pause is sent as SID frames and untransmitted (empty) packets, each
// decoding to the length the package documents (SID 80 samples, empty
// 160 of comfort noise) at about the background's level; with annexb=no
// every packet is two voice frames. The talk either side must survive
// (correlation over the talk only).
func TestDTX(t *testing.T) {
	in := talkAndPause()
	for _, tt := range []struct {
		annexb string
		dtx    bool
	}{{"yes", true}, {"no", false}} {
		out, st := roundTrip(t, Factory(), codecs.Params{"annexb": tt.annexb}, in, frame20)
		t.Logf("annexb=%s: payloads %+v", tt.annexb, st)
		if tt.dtx && (st.sid == 0 || st.empty == 0 || st.voice < 25) {
			t.Errorf("annexb=yes: payloads %+v, want SID and empty packets in the pause and voice in the talk", st)
		}
		if !tt.dtx && (st.voice != 50 || st.sid+st.empty != 0) {
			t.Errorf("annexb=no: payloads %+v, want 50 voice packets", st)
		}
		// The pause's last 300 ms (the VAD's hang-over is over) against
		// the background's RMS of 30: measured 21.7 (comfort noise,
		// annexb=yes) and 17.8 (coded noise, annexb=no).
		pause := out[4*SampleRate/10+codecDelay : 7*SampleRate/10+codecDelay]
		t.Logf("annexb=%s: pause decoded at RMS %.1f (input 30)", tt.annexb, rms(pause))
		if r := rms(pause); r > 90 {
			t.Errorf("annexb=%s: pause decoded at RMS %.1f, want < 90 (input 30)", tt.annexb, r)
		}
		for _, span := range [][2]int{{SampleRate / 10, 3 * SampleRate / 10}, {3 * SampleRate / 4, SampleRate - 2*maxLag}} {
			q := codectest.Measure(in[:span[1]], out, span[0], codecDelay-lagWindow, codecDelay+lagWindow, frame20)
			t.Logf("annexb=%s: talk %d-%d ms: r = %.4f", tt.annexb, span[0]/8, span[1]/8, q.Corr)
			// Measured 0.8734 and 0.80 (either setting).
			if q.Corr < 0.74 {
				t.Errorf("annexb=%s: talk %d-%d ms: correlation %.4f, want >= 0.74", tt.annexb, span[0]/8, span[1]/8, q.Corr)
			}
		}
	}
}

// TestParams checks parameter validation for both constructors.
func TestParams(t *testing.T) {
	tests := []struct {
		name   string
		params codecs.Params
		ok     bool
		annexB bool
	}{
		{"nil", nil, true, true},
		{"empty", codecs.Params{}, true, true},
		{"annexb=yes", codecs.Params{"annexb": "yes"}, true, true},
		{"annexb=no", codecs.Params{"annexb": "no"}, true, false},
		{"annexb=No", codecs.Params{"annexb": "No"}, true, false},
		{"annexb=YES", codecs.Params{"annexb": "YES"}, true, true},
		{"channels=1 and others", codecs.Params{"channels": "1", "ptime": "20", "x-unknown": "1"}, true, true},
		{"annexb=1", codecs.Params{"annexb": "1"}, false, false},
		{"annexb empty", codecs.Params{"annexb": ""}, false, false},
		{"annexb=maybe", codecs.Params{"annexb": "maybe"}, false, false},
		{"channels=2", codecs.Params{"channels": "2"}, false, false},
		{"channels=one", codecs.Params{"channels": "one"}, false, false},
	}
	f := Factory()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc, encErr := f.NewEncoder(tt.params)
			dec, decErr := f.NewDecoder(tt.params)
			defer closeAll(enc, dec)
			if !tt.ok {
				if !errors.Is(encErr, codecs.ErrBadParams) || !errors.Is(decErr, codecs.ErrBadParams) {
					t.Fatalf("errors %v / %v, want ErrBadParams", encErr, decErr)
				}
				return
			}
			if encErr != nil || decErr != nil {
				t.Fatalf("errors %v / %v", encErr, decErr)
			}
			if got := enc.(*Encoder).AnnexB(); got != tt.annexB {
				t.Errorf("AnnexB() = %v, want %v", got, tt.annexB)
			}
		})
	}
}

// TestEncodeErrors checks the PCM lengths and buffers the encoder takes.
func TestEncodeErrors(t *testing.T) {
	enc, err := NewEncoder(codecs.Params{"annexb": "no"})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	tests := []struct {
		samples, dst int // dst -1: MaxEncodedLen
		want         int
		err          error
	}{
		{80, -1, 10, nil},
		{160, -1, 20, nil},
		{240, -1, 30, nil},
		{160, 20, 20, nil},
		{0, -1, 0, codecs.ErrBadInput},
		{1, -1, 0, codecs.ErrBadInput},
		{79, -1, 0, codecs.ErrBadInput},
		{81, -1, 0, codecs.ErrBadInput},
		{159, -1, 0, codecs.ErrBadInput},
		{160, 19, 0, codecs.ErrShortBuffer},
		{160, 0, 0, codecs.ErrShortBuffer},
	}
	for _, tt := range tests {
		n := tt.dst
		if n < 0 {
			n = enc.MaxEncodedLen(tt.samples)
		}
		got, err := enc.Encode(make([]byte, n), codectest.SpeechLike(tt.samples, SampleRate, 1))
		if got != tt.want || !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
			t.Errorf("Encode(%d samples into %d bytes) = %d, %v; want %d, %v", tt.samples, n, got, err, tt.want, tt.err)
		}
	}
}

// TestDecodeLengths checks what each payload length decodes to: 80
// samples per 10-byte frame and per trailing SID frame, 160 for a lost
// packet, ErrBadPayload for other lengths, ErrShortBuffer for a dst one
// sample short.
func TestDecodeLengths(t *testing.T) {
	tests := []struct {
		bytes, samples int // samples 0: ErrBadPayload
	}{
		{0, 160}, {10, 80}, {20, 160}, {30, 240}, {2, 80}, {12, 160}, {22, 240}, {60, 480},
		{1, 0}, {3, 0}, {4, 0}, {9, 0}, {11, 0}, {13, 0}, {19, 0}, {21, 0}, {24, 0},
	}
	dec, err := NewDecoder(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tt := range tests {
		payload := make([]byte, tt.bytes)
		for i := range payload {
			payload[i] = byte(rng.Uint32())
		}
		if tt.samples > 0 && dec.MaxDecodedLen(tt.bytes) < tt.samples {
			t.Errorf("MaxDecodedLen(%d) = %d, want >= %d", tt.bytes, dec.MaxDecodedLen(tt.bytes), tt.samples)
		}
		dst := make([]int16, max(dec.MaxDecodedLen(tt.bytes), tt.samples))
		n, err := dec.Decode(dst, payload)
		if tt.samples == 0 {
			if !errors.Is(err, codecs.ErrBadPayload) {
				t.Errorf("Decode(%d bytes) = %d, %v; want ErrBadPayload", tt.bytes, n, err)
			}
			continue
		}
		if n != tt.samples || err != nil {
			t.Errorf("Decode(%d bytes) = %d, %v; want %d", tt.bytes, n, err, tt.samples)
		}
		if _, err := dec.Decode(dst[:tt.samples-1], payload); !errors.Is(err, codecs.ErrShortBuffer) {
			t.Errorf("Decode(%d bytes) into %d samples: %v, want ErrShortBuffer", tt.bytes, tt.samples-1, err)
		}
	}
}

// TestGarbage decodes random payloads of every length up to 64 bytes,
// many times each, on one decoder: it must never panic nor fail on a
// well-sized payload, and must refuse the others with ErrBadPayload.
// Erasures are mixed in, so that concealment runs on garbage state.
func TestGarbage(t *testing.T) {
	dec, err := NewDecoder(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	rng := rand.New(rand.NewPCG(3, 4))
	dst := make([]int16, dec.MaxDecodedLen(64))
	payload := make([]byte, 64)
	for range 50 {
		for l := range 65 {
			p := payload[:l]
			for i := range p {
				p[i] = byte(rng.Uint32())
			}
			n, err := dec.Decode(dst, p)
			_, _, wellSized := frames(l)
			switch {
			case wellSized && (err != nil || n != dec.MaxDecodedLen(l) && l%FrameBytes == 0):
				t.Fatalf("Decode(%d random bytes) = %d, %v", l, n, err)
			case !wellSized && !errors.Is(err, codecs.ErrBadPayload):
				t.Fatalf("Decode(%d random bytes) = %d, %v; want ErrBadPayload", l, n, err)
			}
		}
	}
}

// TestClose checks that Close is idempotent and that a closed encoder or
// decoder refuses work.
func TestClose(t *testing.T) {
	enc, _ := NewEncoder(nil)
	dec, _ := NewDecoder(nil)
	codectest.CheckClose(t, enc, dec, make([]int16, frame20), make([]byte, 20), ErrClosed)
}

// TestNoAllocs checks that encoding, decoding and concealing do not
// allocate, with Annex B on and off.
func TestNoAllocs(t *testing.T) {
	for _, annexb := range []string{"yes", "no"} {
		enc, _ := NewEncoder(codecs.Params{"annexb": annexb})
		dec, _ := NewDecoder(nil)
		pcm := talkAndPause()
		pkt := make([]byte, enc.MaxEncodedLen(frame20))
		dst := make([]int16, dec.MaxDecodedLen(len(pkt)))
		i := 0
		allocs := testing.AllocsPerRun(100, func() {
			n, err := enc.Encode(pkt, pcm[i:i+frame20])
			if err != nil {
				t.Fatal(err)
			}
			i = (i + frame20) % len(pcm)
			if _, err := dec.Decode(dst, pkt[:n]); err != nil {
				t.Fatal(err)
			}
			if _, err := dec.Decode(dst, nil); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("annexb=%s: %.1f allocations per encode+decode+conceal, want 0", annexb, allocs)
		}
		enc.Close()
		dec.Close()
	}
}

// BenchmarkRoundTrip encodes and decodes one 20 ms frame (160 samples, 20
// bytes) in process, Annex B off and on. It must report 0 allocs/op.
func BenchmarkRoundTrip(b *testing.B) {
	for _, annexb := range []string{"no", "yes"} {
		b.Run("annexb="+annexb, func(b *testing.B) {
			enc, err := NewEncoder(codecs.Params{"annexb": annexb})
			if err != nil {
				b.Fatal(err)
			}
			dec, err := NewDecoder(nil)
			if err != nil {
				b.Fatal(err)
			}
			defer closeAll(enc, dec)
			pcm := codectest.SpeechLike(SampleRate, SampleRate, 1)
			pkt := make([]byte, enc.MaxEncodedLen(frame20))
			dst := make([]int16, dec.MaxDecodedLen(len(pkt)))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				n, err := enc.Encode(pkt, pcm[i:i+frame20])
				if err != nil {
					b.Fatal(err)
				}
				i = (i + frame20) % len(pcm)
				if _, err := dec.Decode(dst, pkt[:n]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
