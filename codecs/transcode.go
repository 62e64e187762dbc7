package codecs

import (
	"fmt"

	"github.com/zaf/g711"
)

// UlawToAlaw converts G.711 µ-law bytes in src to A-law in dst with the
// G.711 direct mapping tables (no linear step) and returns len(src). dst
// may be src (in-place conversion). A dst shorter than src gives an error
// wrapping ErrShortBuffer.
func UlawToAlaw(dst, src []byte) (int, error) {
	if len(dst) < len(src) {
		return 0, fmt.Errorf("ulaw to alaw: %d bytes into %d: %w", len(src), len(dst), ErrShortBuffer)
	}
	dst = dst[:len(src)]
	for i, b := range src {
		dst[i] = g711.Ulaw2AlawFrame(b)
	}
	return len(src), nil
}

// AlawToUlaw converts G.711 A-law bytes in src to µ-law in dst with the
// G.711 direct mapping tables (no linear step) and returns len(src). dst
// may be src (in-place conversion). A dst shorter than src gives an error
// wrapping ErrShortBuffer.
func AlawToUlaw(dst, src []byte) (int, error) {
	if len(dst) < len(src) {
		return 0, fmt.Errorf("alaw to ulaw: %d bytes into %d: %w", len(src), len(dst), ErrShortBuffer)
	}
	dst = dst[:len(src)]
	for i, b := range src {
		dst[i] = g711.Alaw2UlawFrame(b)
	}
	return len(src), nil
}
