package opuscodec

import (
	"errors"
	"testing"

	"github.com/voxgraph/voxgraph/codecs"
)

// FuzzDecode feeds arbitrary payloads to a mono or stereo decoder, twice
// (the second call runs on the state the first left). It must never
// panic; each call must either fail with ErrBadPayload or return at most
// MaxDecodedLen samples in whole frames of its channels; a zero-length
// payload must conceal exactly one 20 ms frame. Seeds (a real 20 ms
// packet, a DTX packet, malformed code 1-3 packets) are in
// testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	f.Fuzz(func(t *testing.T, payload []byte, stereo bool) {
		params := codecs.Params{"stereo": "0"}
		if stereo {
			params["stereo"] = "1"
		}
		dec, err := NewDecoder(params)
		if err != nil {
			t.Fatal(err)
		}
		defer dec.Close()
		dst := make([]int16, dec.MaxDecodedLen(len(payload)))
		for range 2 {
			n, err := dec.Decode(dst, payload)
			if err != nil {
				if !errors.Is(err, codecs.ErrBadPayload) {
					t.Fatalf("Decode(%d bytes): %v, want ErrBadPayload", len(payload), err)
				}
				continue
			}
			if n > len(dst) || n%dec.Channels() != 0 {
				t.Fatalf("Decode(%d bytes) = %d samples, %d channel(s), room for %d", len(payload), n, dec.Channels(), len(dst))
			}
			if len(payload) == 0 && n != frame20*dec.Channels() {
				t.Fatalf("concealment = %d samples, want %d", n, frame20*dec.Channels())
			}
		}
	})
}
