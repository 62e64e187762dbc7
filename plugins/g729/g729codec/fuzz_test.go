package g729codec

import (
	"errors"
	"testing"

	"github.com/voxgraph/voxgraph/codecs"
)

// maxFuzzPayload bounds fuzzed payloads to 64 bytes (six frames and a SID
// frame, 60 ms), more than RTP packets of G.729 usually carry; longer
// ones only repeat the same per-frame decoding and slow the fuzzer down.
const maxFuzzPayload = 64

// FuzzDecode feeds arbitrary payloads to a decoder, each followed by a
// lost packet (concealment on whatever state the payload left). It must
// never panic; a payload of 10·k or 10·k+2 bytes must decode to exactly
// 80 samples per frame, any other must fail with ErrBadPayload, and the
// lost packet must give 160 samples. Seeds (real voice and SID frames,
// their concatenations, bad lengths) are in testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	f.Fuzz(func(t *testing.T, payload []byte) {
		if len(payload) > maxFuzzPayload {
			payload = payload[:maxFuzzPayload]
		}
		dec, err := NewDecoder(nil)
		if err != nil {
			t.Fatal(err)
		}
		defer dec.Close()
		dst := make([]int16, max(dec.MaxDecodedLen(len(payload)), ErasureSamples))
		n, err := dec.Decode(dst, payload)
		voice, sid, ok := frames(len(payload))
		want := voice * FrameSamples
		if sid {
			want += FrameSamples
		}
		switch {
		case len(payload) == 0:
			if n != ErasureSamples || err != nil {
				t.Fatalf("Decode(empty) = %d, %v; want %d", n, err, ErasureSamples)
			}
		case ok:
			if n != want || err != nil {
				t.Fatalf("Decode(%d bytes) = %d, %v; want %d", len(payload), n, err, want)
			}
		default:
			if !errors.Is(err, codecs.ErrBadPayload) {
				t.Fatalf("Decode(%d bytes) = %d, %v; want ErrBadPayload", len(payload), n, err)
			}
		}
		if n, err := dec.Decode(dst, nil); n != ErasureSamples || err != nil {
			t.Fatalf("Decode(lost) after %d bytes = %d, %v; want %d", len(payload), n, err, ErasureSamples)
		}
	})
}
