package codecs

import (
	"errors"
	"strconv"
	"testing"
)

// FuzzDecode feeds arbitrary payloads to every codec in Default with
// arbitrary destination sizes and channel counts. Decoders must not panic,
// must report errors through the sentinels, must respect dst and
// MaxDecodedLen, and what they decode must re-encode and decode to the same
// samples.
func FuzzDecode(f *testing.F) {
	f.Add([]byte{}, uint16(0), uint8(1))
	f.Add([]byte{0xFF, 0x7F, 0x00, 0x80}, uint16(4), uint8(1))
	f.Add([]byte{1, 2, 3}, uint16(2), uint8(1))
	f.Add([]byte{1, 2, 3, 4, 5, 6}, uint16(3), uint8(2))
	f.Fuzz(func(t *testing.T, payload []byte, dstLen uint16, channels uint8) {
		for _, name := range Default.Names() {
			fac, _ := Default.Lookup(name)
			p := Params{"channels": strconv.Itoa(int(channels))}
			dec, err := fac.NewDecoder(p)
			if err != nil {
				p = nil
				if dec, err = fac.NewDecoder(nil); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
			}
			dst := make([]int16, dstLen)
			n, err := dec.Decode(dst, payload)
			if err != nil {
				if n != 0 {
					t.Errorf("%s: n = %d with error %v", name, n, err)
				}
				if !errors.Is(err, ErrShortBuffer) && !errors.Is(err, ErrBadPayload) {
					t.Errorf("%s: unexpected error %v", name, err)
				}
				if errors.Is(err, ErrShortBuffer) && int(dstLen) >= dec.MaxDecodedLen(len(payload)) {
					t.Errorf("%s: short buffer with %d >= MaxDecodedLen %d", name, dstLen, dec.MaxDecodedLen(len(payload)))
				}
				continue
			}
			if n < 0 || n > len(dst) || n > dec.MaxDecodedLen(len(payload)) {
				t.Fatalf("%s: n = %d, dst %d, max %d", name, n, len(dst), dec.MaxDecodedLen(len(payload)))
			}
			enc, err := fac.NewEncoder(p)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			re := make([]byte, enc.MaxEncodedLen(n))
			m, err := enc.Encode(re, dst[:n])
			if err != nil {
				t.Fatalf("%s: re-encode: %v", name, err)
			}
			again := make([]int16, dec.MaxDecodedLen(m))
			k, err := dec.Decode(again, re[:m])
			if err != nil || k != n {
				t.Fatalf("%s: decode again = %d, %v; want %d", name, k, err, n)
			}
			for i := range n {
				if again[i] != dst[i] {
					t.Fatalf("%s: sample %d: %d then %d", name, i, dst[i], again[i])
				}
			}
		}
	})
}
