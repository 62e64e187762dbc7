// Package wav reads and writes 16-bit linear PCM WAV files as a stream.
//
// The [Reader] parses RIFF/WAVE (and RF64) headers, skipping chunks it does
// not need, and then streams interleaved int16 samples without allocating
// per call; [Reader.Rewind] restarts the data for looping. The [Writer]
// writes the canonical 44-byte header and patches the sizes on Close.
//
// Only 16-bit integer PCM is supported (WAVE_FORMAT_PCM, or
// WAVE_FORMAT_EXTENSIBLE with the PCM subformat). Other files are rejected
// with an error naming the format and suggesting a conversion, e.g.
// `sox in.wav -b 16 -e signed-integer out.wav`.
package wav

import "errors"

// Sentinel errors, wrapped with context by this package; test with errors.Is.
var (
	// ErrFormat means the input is not a WAV file or is malformed.
	ErrFormat = errors.New("malformed file")
	// ErrUnsupported means a valid WAV file in a format this package does
	// not handle (not 16-bit integer PCM).
	ErrUnsupported = errors.New("unsupported format")
	// ErrClosed means the Reader or Writer was already closed.
	ErrClosed = errors.New("already closed")
	// ErrTooLarge means a Writer would exceed the 4 GiB RIFF size limit.
	ErrTooLarge = errors.New("data exceeds the 4 GiB RIFF limit")
)

// Format tags of the WAVEFORMATEX structure.
const (
	formatPCM        = 0x0001
	formatExtensible = 0xFFFE
)

// formatName names the common WAVE format tags for error messages.
func formatName(tag uint16) string {
	switch tag {
	case 0x0001:
		return "PCM"
	case 0x0002:
		return "Microsoft ADPCM"
	case 0x0003:
		return "IEEE float"
	case 0x0006:
		return "G.711 A-law"
	case 0x0007:
		return "G.711 µ-law"
	case 0x0011:
		return "IMA ADPCM"
	case 0x0031:
		return "GSM 6.10"
	case 0x0040:
		return "G.721 ADPCM"
	case 0x0050:
		return "MPEG"
	case 0x0055:
		return "MPEG Layer 3"
	case 0x0064:
		return "G.726 ADPCM"
	case 0x00FF:
		return "AAC"
	case 0x0161, 0x0162, 0x0163:
		return "Windows Media Audio"
	case 0x1610:
		return "HE-AAC"
	case 0xF1AC:
		return "FLAC"
	case formatExtensible:
		return "extensible"
	default:
		return "unknown"
	}
}
