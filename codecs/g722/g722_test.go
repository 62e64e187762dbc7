package g722

import (
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/voxgraph/voxgraph/codecs"
	"github.com/voxgraph/voxgraph/internal/codectest"
)

// codecDelay is the delay of the QMF analysis/synthesis pair in samples at
// 16 kHz, measured by TestDelay: 22 samples (1.375 ms), the figure ffmpeg
// declares as its G.722 encoder delay. (Two 24-tap linear-phase filters
// have 2 x 11.5 samples of group delay; the synthesis emits each output
// pair as soon as its byte arrives, one sample ahead of that.)
const codecDelay = 22

// tone returns n samples of a sine of freq Hz at amplitude amp (16 kHz).
func tone(n int, freq, amp float64) []int16 {
	pcm := make([]int16, n)
	for i := range pcm {
		pcm[i] = int16(math.Round(amp * math.Sin(2*math.Pi*freq*float64(i)/SampleRate)))
	}
	return pcm
}

// chirp returns n samples of a linear sweep from f0 to f1 Hz at amplitude amp.
func chirp(n int, f0, f1, amp float64) []int16 {
	pcm := make([]int16, n)
	dur := float64(n) / SampleRate
	for i := range pcm {
		t := float64(i) / SampleRate
		phase := 2 * math.Pi * (f0*t + (f1-f0)*t*t/(2*dur))
		pcm[i] = int16(math.Round(amp * math.Sin(phase)))
	}
	return pcm
}

// snrAt returns the SNR in dB of out against ref when out lags ref by lag
// samples, over ref[skip:].
func snrAt(ref, out []int16, lag, skip int) float64 {
	var sig, noise float64
	for i := skip; i < len(ref) && i+lag < len(out); i++ {
		r := float64(ref[i])
		e := float64(out[i+lag]) - r
		sig += r * r
		noise += e * e
	}
	if noise == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(sig/noise)
}

// bestLag returns the lag in [0, 64] with the highest SNR and that SNR.
func bestLag(ref, out []int16, skip int) (int, float64) {
	best, bestSNR := 0, math.Inf(-1)
	for lag := 0; lag <= 64; lag++ {
		if s := snrAt(ref, out, lag, skip); s > bestSNR {
			best, bestSNR = lag, s
		}
	}
	return best, bestSNR
}

// encodeAll encodes pcm with a fresh encoder.
func encodeAll(t testing.TB, pcm []int16) []byte {
	t.Helper()
	enc := NewEncoder()
	out := make([]byte, enc.MaxEncodedLen(len(pcm)))
	n, err := enc.Encode(out, pcm)
	if err != nil {
		t.Fatal(err)
	}
	return out[:n]
}

// decodeAll decodes payload with a fresh decoder of the given bitrate.
func decodeAll(t testing.TB, payload []byte, bitrate int) []int16 {
	t.Helper()
	dec, err := NewDecoder(bitrate)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int16, dec.MaxDecodedLen(len(payload)))
	n, err := dec.Decode(out, payload)
	if err != nil {
		t.Fatal(err)
	}
	return out[:n]
}

// warmup is the start of a signal left out of SNR figures (100 ms) while
// the ADPCM scale factors adapt from their initial values.
const warmup = SampleRate / 10

// TestDelay measures the codec delay on a speech-like signal: the lag that
// maximises the SNR must be codecDelay.
func TestDelay(t *testing.T) {
	in := codectest.SpeechLike(SampleRate, SampleRate, 1)
	out := decodeAll(t, encodeAll(t, in), Bitrate64k)
	lag, snr := bestLag(in, out, warmup)
	t.Logf("best lag %d samples (%.4f ms), SNR %.2f dB", lag, float64(lag)*1000/SampleRate, snr)
	if lag != codecDelay {
		t.Errorf("codec delay %d samples, want %d", lag, codecDelay)
	}
}

// TestRoundTripTones encodes tones across the G.722 band (50 Hz-7 kHz) at
// -12 dBFS and decodes them in each mode. The floors are the measured
// figures less about 5 dB: in the 6-bit lower band (below 4 kHz) the
// 64 kbit/s mode reaches 41-63 dB and each lower-band bit dropped (56 and
// 48 kbit/s) costs up to 6 dB; the 2-bit upper band gives 22-31 dB in
// every mode, which differ only in the lower band.
func TestRoundTripTones(t *testing.T) {
	tests := []struct {
		freq                float64
		min64, min56, min48 float64 // SNR floors in dB per mode
	}{
		{50, 57, 53, 47},
		{200, 57, 54, 49},
		{500, 49, 44, 38},
		{1000, 42, 36, 30},
		{2000, 44, 39, 33},
		{3000, 36, 33, 29},
		{3600, 31, 31, 31},
		{4400, 25, 25, 25},
		{5000, 17, 17, 17},
		{6000, 22, 22, 22},
		{7000, 17, 17, 17},
	}
	for _, tt := range tests {
		in := tone(SampleRate/2, tt.freq, 8000)
		payload := encodeAll(t, in)
		for _, m := range []struct {
			bitrate int
			min     float64
		}{{Bitrate64k, tt.min64}, {Bitrate56k, tt.min56}, {Bitrate48k, tt.min48}} {
			out := decodeAll(t, payload, m.bitrate)
			snr := snrAt(in, out, codecDelay, warmup)
			t.Logf("%5.0f Hz %d bit/s: SNR %.1f dB", tt.freq, m.bitrate, snr)
			if snr < m.min {
				t.Errorf("%.0f Hz at %d bit/s: SNR %.1f dB, want >= %.0f", tt.freq, m.bitrate, snr, m.min)
			}
		}
	}
}

// TestRoundTripSignals checks the SNR of a speech-like signal and a chirp
// over the whole band in the three modes. The floors are the measured
// figures (speech 24.5/23.9/22.1 dB, chirp 27.6/27.5/27.4 dB) less about
// 3 dB. The speech figure mixes voiced segments, coded at 31-39 dB, with
// the noise-like fricatives, which the 2-bit upper band codes at about
// 9 dB: waveform coding of noise with 2 bits can do no better.
func TestRoundTripSignals(t *testing.T) {
	tests := []struct {
		name                string
		pcm                 []int16
		min64, min56, min48 float64
	}{
		{"speech", codectest.SpeechLike(2*SampleRate, SampleRate, 2), 21, 21, 19},
		{"chirp", chirp(2*SampleRate, 50, 7000, 8000), 24, 24, 24},
	}
	for _, tt := range tests {
		payload := encodeAll(t, tt.pcm)
		for _, m := range []struct {
			bitrate int
			min     float64
		}{{Bitrate64k, tt.min64}, {Bitrate56k, tt.min56}, {Bitrate48k, tt.min48}} {
			snr := snrAt(tt.pcm, decodeAll(t, payload, m.bitrate), codecDelay, warmup)
			t.Logf("%s %d bit/s: SNR %.1f dB", tt.name, m.bitrate, snr)
			if snr < m.min {
				t.Errorf("%s at %d bit/s: SNR %.1f dB, want >= %.0f", tt.name, m.bitrate, snr, m.min)
			}
		}
	}
}

// TestChunking checks that state carries across calls: encoding or decoding
// in uneven pieces gives the same result as in one call.
func TestChunking(t *testing.T) {
	in := codectest.SpeechLike(SampleRate/2, SampleRate, 3)
	want := encodeAll(t, in)
	for _, bitrate := range []int{Bitrate64k, Bitrate56k, Bitrate48k} {
		wantPCM := decodeAll(t, want, bitrate)
		enc := NewEncoder()
		dec, _ := NewDecoder(bitrate)
		var got []byte
		var gotPCM []int16
		buf := make([]byte, 1000)
		pcm := make([]int16, 2000)
		for rest, size := in, 2; len(rest) > 0; size = size*3%998 + 2 {
			k := min(size, len(rest))
			n, err := enc.Encode(buf, rest[:k])
			if err != nil {
				t.Fatal(err)
			}
			m, err := dec.Decode(pcm, buf[:n])
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, buf[:n]...)
			gotPCM = append(gotPCM, pcm[:m]...)
			rest = rest[k:]
		}
		if !slices.Equal(got, want) {
			t.Errorf("chunked encoding differs from one-shot encoding")
		}
		if !slices.Equal(gotPCM, wantPCM) {
			t.Errorf("%d bit/s: chunked decoding differs from one-shot decoding", bitrate)
		}
	}
}

// TestReset checks that Reset returns encoder and decoder to the initial
// state, and that the zero values equal the constructed ones.
func TestReset(t *testing.T) {
	a := codectest.SpeechLike(SampleRate/4, SampleRate, 4)
	b := chirp(SampleRate/4, 100, 6000, 10000)
	wantB := encodeAll(t, b)

	enc := NewEncoder()
	buf := make([]byte, len(b)/2)
	if _, err := enc.Encode(buf, a); err != nil {
		t.Fatal(err)
	}
	enc.Reset()
	if _, err := enc.Encode(buf, b); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(buf, wantB) {
		t.Error("encoder after Reset differs from a new encoder")
	}
	var zeroEnc Encoder
	if _, err := zeroEnc.Encode(buf, b); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(buf, wantB) {
		t.Error("zero Encoder differs from NewEncoder")
	}

	for _, bitrate := range []int{Bitrate64k, Bitrate56k, Bitrate48k} {
		wantPCM := decodeAll(t, wantB, bitrate)
		dec, _ := NewDecoder(bitrate)
		pcm := make([]int16, len(b))
		if _, err := dec.Decode(pcm, encodeAll(t, a)); err != nil {
			t.Fatal(err)
		}
		dec.Reset()
		if dec.Bitrate() != bitrate {
			t.Errorf("Reset changed the bitrate from %d to %d", bitrate, dec.Bitrate())
		}
		if _, err := dec.Decode(pcm, wantB); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(pcm, wantPCM) {
			t.Errorf("%d bit/s: decoder after Reset differs from a new decoder", bitrate)
		}
	}
	var zeroDec Decoder
	pcm := make([]int16, len(b))
	if _, err := zeroDec.Decode(pcm, wantB); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(pcm, decodeAll(t, wantB, Bitrate64k)) || zeroDec.Bitrate() != Bitrate64k {
		t.Error("zero Decoder differs from NewDecoder(64000)")
	}
}

// TestSilence checks that digital silence stays (near) silent: the idle
// channel noise of G.722 is a few LSB.
func TestSilence(t *testing.T) {
	out := decodeAll(t, encodeAll(t, make([]int16, SampleRate)), Bitrate64k)
	for i, s := range out {
		if s < -4 || s > 4 {
			t.Fatalf("sample %d of decoded silence is %d", i, s)
		}
	}
}

// TestFullScale drives the codec with full-scale square waves and
// extremes: output must stay bounded and correlated (no wrap-around).
func TestFullScale(t *testing.T) {
	for _, period := range []int{2, 16, 160} {
		in := make([]int16, SampleRate/4)
		for i := range in {
			if i/(period/2)%2 == 0 {
				in[i] = 32767
			} else {
				in[i] = -32768
			}
		}
		out := decodeAll(t, encodeAll(t, in), Bitrate64k)
		if period >= 16 {
			if snr := snrAt(in, out, codecDelay, warmup); snr < 5 {
				t.Errorf("square wave period %d: SNR %.1f dB, want >= 5", period, snr)
			}
		}
	}
}

func TestErrors(t *testing.T) {
	enc := NewEncoder()
	dec := &Decoder{}
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"odd samples", func() error { _, err := enc.Encode(make([]byte, 10), make([]int16, 3)); return err }(), codecs.ErrBadInput},
		{"short dst encode", func() error { _, err := enc.Encode(make([]byte, 1), make([]int16, 4)); return err }(), codecs.ErrShortBuffer},
		{"short dst decode", func() error { _, err := dec.Decode(make([]int16, 3), make([]byte, 2)); return err }(), codecs.ErrShortBuffer},
		{"empty encode", func() error { _, err := enc.Encode(nil, nil); return err }(), nil},
		{"empty decode", func() error { _, err := dec.Decode(nil, nil); return err }(), nil},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, tt.want) || (tt.want == nil) != (tt.err == nil) {
			t.Errorf("%s: error %v, want %v", tt.name, tt.err, tt.want)
		}
	}
	if got := enc.MaxEncodedLen(320); got != 160 {
		t.Errorf("MaxEncodedLen(320) = %d", got)
	}
	if got := dec.MaxDecodedLen(160); got != 320 {
		t.Errorf("MaxDecodedLen(160) = %d", got)
	}
	if enc.MaxEncodedLen(-1) != 0 || dec.MaxDecodedLen(-1) != 0 {
		t.Error("negative lengths must give 0")
	}
}

func TestParams(t *testing.T) {
	f := Factory()
	tests := []struct {
		p          codecs.Params
		encOK      bool
		decOK      bool
		decBitrate int
	}{
		{nil, true, true, 64000},
		{codecs.Params{"bitrate": "64000"}, true, true, 64000},
		{codecs.Params{"bitrate": "56000"}, false, true, 56000},
		{codecs.Params{"bitrate": "48000"}, false, true, 48000},
		{codecs.Params{"bitrate": "32000"}, false, false, 0},
		{codecs.Params{"bitrate": "fast"}, false, false, 0},
		{codecs.Params{"rate": "8000"}, true, true, 64000},
		{codecs.Params{"rate": "16000"}, true, true, 64000},
		{codecs.Params{"rate": "48000"}, false, false, 0},
		{codecs.Params{"channels": "1"}, true, true, 64000},
		{codecs.Params{"channels": "2"}, false, false, 0},
		{codecs.Params{"channels": "x"}, false, false, 0},
		{codecs.Params{"other": "ignored"}, true, true, 64000},
	}
	for _, tt := range tests {
		_, err := f.NewEncoder(tt.p)
		if (err == nil) != tt.encOK || (err != nil && !errors.Is(err, codecs.ErrBadParams)) {
			t.Errorf("NewEncoder(%v): %v", tt.p, err)
		}
		d, err := f.NewDecoder(tt.p)
		if (err == nil) != tt.decOK || (err != nil && !errors.Is(err, codecs.ErrBadParams)) {
			t.Errorf("NewDecoder(%v): %v", tt.p, err)
		}
		if err == nil && d.(*Decoder).Bitrate() != tt.decBitrate {
			t.Errorf("NewDecoder(%v): bitrate %d, want %d", tt.p, d.(*Decoder).Bitrate(), tt.decBitrate)
		}
	}
}

func TestRegistered(t *testing.T) {
	f, ok := codecs.Default.Lookup("g722")
	if !ok {
		t.Fatal("G722 not in codecs.Default")
	}
	want := codecs.Codec{Name: "G722", PayloadType: 9, ClockRate: 8000, SampleRate: 16000, Channels: 1}
	if f.Codec != want {
		t.Errorf("registered %+v, want %+v", f.Codec, want)
	}
	if g, ok := codecs.Default.ByPayloadType(9); !ok || g.Name != "G722" {
		t.Errorf("payload type 9: %v %v", g, ok)
	}
	if s := f.Codec.String(); s != "G722/8000 pt=9" {
		t.Errorf("String() = %q", s)
	}
}

// TestQuantizeLow checks the binary search of QUANTL against the linear
// search of the recommendation for every difference and scale factor
// range.
func TestQuantizeLow(t *testing.T) {
	linear := func(el, det int) uint8 {
		wd := el
		if el < 0 {
			wd = -(el + 1)
		}
		i := 1
		for ; i < 30; i++ {
			if wd < q6[i]*det>>12 {
				break
			}
		}
		if el < 0 {
			return iln[i]
		}
		return ilp[i]
	}
	for _, det := range []int{32, 33, 100, 1000, 4008, 8016, 16032, 32064} {
		for el := -32768; el <= 32767; el += 7 {
			if got, want := quantizeLow(el, det), linear(el, det); got != want {
				t.Fatalf("quantizeLow(%d, %d) = %d, want %d", el, det, got, want)
			}
		}
	}
}
