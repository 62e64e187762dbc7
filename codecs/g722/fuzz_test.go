package g722

import (
	"errors"
	"slices"
	"testing"

	"github.com/voxgraph/voxgraph/codecs"
)

// maxFuzzPayload bounds fuzzed payloads to 64 ms of G.722, more than the
// usual RTP packets (10-60 ms) carry; longer inputs only slow down the
// fuzzer's minimisation. Long streams of arbitrary bytes are covered by
// the random-byte comparison with ffmpeg in TestFFmpeg.
const maxFuzzPayload = 512

// FuzzDecode feeds arbitrary payloads to the decoder in each mode. It must
// never panic, must accept every payload and return exactly 2 samples per
// byte, must decode a payload split across two calls as in one, and must
// reject a short destination with ErrShortBuffer. Seeds are in
// testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	f.Fuzz(func(t *testing.T, payload []byte, mode uint8, split uint16) {
		if len(payload) > maxFuzzPayload {
			payload = payload[:maxFuzzPayload] // longer than an RTP payload: test its first part
		}
		bitrate := []int{Bitrate64k, Bitrate56k, Bitrate48k}[int(mode)%3]
		dec, err := NewDecoder(bitrate)
		if err != nil {
			t.Fatal(err)
		}
		want := make([]int16, dec.MaxDecodedLen(len(payload)))
		n, err := dec.Decode(want, payload)
		if err != nil || n != 2*len(payload) {
			t.Fatalf("Decode(%d bytes) = %d, %v; want %d, nil", len(payload), n, err, 2*len(payload))
		}

		dec.Reset()
		k := int(split) % (len(payload) + 1)
		got := make([]int16, len(want))
		n1, err1 := dec.Decode(got, payload[:k])
		n2, err2 := dec.Decode(got[n1:], payload[k:])
		if err1 != nil || err2 != nil || n1+n2 != len(want) || !slices.Equal(got, want) {
			t.Fatalf("split at %d: %d+%d samples (%v, %v), differ from one call", k, n1, n2, err1, err2)
		}

		if len(payload) > 0 {
			if _, err := dec.Decode(got[:len(want)-1], payload); !errors.Is(err, codecs.ErrShortBuffer) {
				t.Fatalf("short dst: %v, want ErrShortBuffer", err)
			}
		}
	})
}
