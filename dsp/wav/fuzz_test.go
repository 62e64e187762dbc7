package wav

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzReader parses arbitrary bytes. NewReader must not panic and must
// fail only with ErrFormat or ErrUnsupported; an accepted file must read
// whole frames, no more samples than the input holds, and the same samples
// again after Rewind.
func FuzzReader(f *testing.F) {
	f.Add(wave(ck("fmt ", fmtBody(formatPCM, 1, 8000, 16)), ck("data", pcmBytes(1, 2, 3))))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrFormat) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if r.SampleRate() <= 0 || r.Channels() <= 0 {
			t.Fatalf("rate %d channels %d", r.SampleRate(), r.Channels())
		}
		if fr := r.NumFrames(); fr < -1 || fr*int64(2*r.Channels()) > int64(len(data)) {
			t.Fatalf("NumFrames %d for %d bytes", fr, len(data))
		}
		var first uint64
		var count int
		dst := make([]int16, max(r.Channels(), 97))
		for pass := range 2 {
			var sum uint64
			n := 0
			for {
				k, err := r.Read(dst)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if k <= 0 || k%r.Channels() != 0 || k > len(dst) {
					t.Fatalf("Read = %d with %d channels", k, r.Channels())
				}
				for _, s := range dst[:k] {
					sum = sum*31 + uint64(uint16(s))
				}
				n += k
				if 2*n > len(data) {
					t.Fatalf("read %d samples from %d bytes", n, len(data))
				}
			}
			if fr := r.NumFrames(); fr >= 0 && int64(n) != fr*int64(r.Channels()) {
				t.Fatalf("read %d samples, NumFrames %d", n, fr)
			}
			if pass == 0 {
				first, count = sum, n
			} else if sum != first || n != count {
				t.Fatalf("after Rewind read %d samples (sum %x), first %d (%x)", n, sum, count, first)
			}
			if err := r.Rewind(); err != nil {
				t.Fatal(err)
			}
		}
	})
}
