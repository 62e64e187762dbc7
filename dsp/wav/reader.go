package wav

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// readBufSize is the size of the Reader's byte buffer (rounded down to
// whole frames).
const readBufSize = 8192

// subformatTail is bytes 2-15 of KSDATAFORMAT_SUBTYPE_PCM and the other
// WAVE_FORMAT_EXTENSIBLE subformat GUIDs derived from a format tag (whose
// first two bytes are the tag).
const subformatTail = "\x00\x00\x00\x00\x10\x00\x80\x00\x00\xAA\x00\x38\x9B\x71"

// Reader streams interleaved 16-bit samples from a WAV file.
type Reader struct {
	rs        io.ReadSeeker
	closer    io.Closer // the file opened by Open, else nil
	rate      int
	channels  int
	dataStart int64 // absolute offset of the first sample
	dataLen   int64 // bytes of whole frames, -1: read to EOF
	remaining int64 // bytes left, -1: read to EOF
	eof       bool
	err       error // sticky read error
	closed    bool
	buf       []byte // reused by every Read; a whole number of frames
}

// Open opens the WAV file at path. Close the Reader to close the file.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("wav: %w", err)
	}
	r, err := newReader(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("wav: %s: %w", path, err)
	}
	r.closer = f
	return r, nil
}

// NewReader parses the WAV header at the current position of rs and leaves
// rs at the first sample. It accepts RIFF/WAVE and RF64 files holding
// 16-bit integer PCM, as WAVE_FORMAT_PCM or WAVE_FORMAT_EXTENSIBLE with the
// PCM subformat, in any number of channels; it skips other chunks (LIST,
// fact, ...) honouring odd-size padding. A data chunk size of 0 or
// 0xFFFFFFFF (written by streaming writers) means the samples run to the
// end of the input, and a size beyond the end of the input is truncated.
//
// Errors wrap ErrFormat for malformed input and ErrUnsupported for valid
// files in other formats (float, 8/24/32-bit, compressed), with a message
// naming the format and the sox command that converts it.
func NewReader(rs io.ReadSeeker) (*Reader, error) {
	r, err := newReader(rs)
	if err != nil {
		return nil, fmt.Errorf("wav: %w", err)
	}
	return r, nil
}

func newReader(rs io.ReadSeeker) (*Reader, error) {
	base, err := rs.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, err
	}
	end, err := rs.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, err
	}
	if _, err := rs.Seek(base, io.SeekStart); err != nil {
		return nil, err
	}

	var hdr [12]byte
	if _, err := io.ReadFull(rs, hdr[:]); err != nil {
		return nil, fmt.Errorf("reading RIFF header: %w", eofAsFormat(err))
	}
	rf64 := false
	switch string(hdr[0:4]) {
	case "RIFF":
	case "RF64":
		rf64 = true
	case "RIFX":
		return nil, fmt.Errorf("big-endian RIFX is not supported; convert with `sox in.wav -b 16 -L out.wav`: %w", ErrUnsupported)
	default:
		return nil, fmt.Errorf("not a RIFF file (starts with %q): %w", hdr[0:4], ErrFormat)
	}
	if string(hdr[8:12]) != "WAVE" {
		return nil, fmt.Errorf("RIFF form type %q, not WAVE: %w", hdr[8:12], ErrFormat)
	}

	r := &Reader{rs: rs}
	var (
		haveFmt, haveData bool
		ds64Data          int64 = -1 // data size from an RF64 ds64 chunk
		pos                     = base + 12
	)
	for !(haveFmt && haveData) {
		var ch [8]byte
		if _, err := io.ReadFull(rs, ch[:]); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				break
			}
			return nil, err
		}
		id := string(ch[0:4])
		size := int64(binary.LittleEndian.Uint32(ch[4:8]))
		body := pos + 8
		next := body + size + size&1 // chunks are padded to even size
		switch id {
		case "ds64":
			if !rf64 {
				break
			}
			var b [16]byte
			if size < int64(len(b)) {
				return nil, fmt.Errorf("ds64 chunk of %d bytes: %w", size, ErrFormat)
			}
			if _, err := io.ReadFull(rs, b[:]); err != nil {
				return nil, fmt.Errorf("reading ds64 chunk: %w", eofAsFormat(err))
			}
			if v := binary.LittleEndian.Uint64(b[8:16]); v <= 1<<62 {
				ds64Data = int64(v)
			}
		case "fmt ":
			if haveFmt {
				return nil, fmt.Errorf("second fmt chunk: %w", ErrFormat)
			}
			if err := r.parseFmt(size); err != nil {
				return nil, err
			}
			haveFmt = true
		case "data":
			if haveData {
				return nil, fmt.Errorf("second data chunk: %w", ErrFormat)
			}
			haveData = true
			r.dataStart = body
			r.dataLen = size
			switch {
			case rf64 && size == 0xFFFFFFFF && ds64Data >= 0:
				r.dataLen = ds64Data
			case size == 0 || size == 0xFFFFFFFF:
				r.dataLen = -1
			}
			if !haveFmt && r.dataLen < 0 {
				return nil, fmt.Errorf("data chunk of unknown size before the fmt chunk: %w", ErrFormat)
			}
			next = body + r.dataLen + r.dataLen&1
		}
		if haveFmt && haveData {
			break
		}
		if _, err := rs.Seek(next, io.SeekStart); err != nil {
			return nil, err
		}
		pos = next
	}
	switch {
	case !haveFmt:
		return nil, fmt.Errorf("no fmt chunk: %w", ErrFormat)
	case !haveData:
		return nil, fmt.Errorf("no data chunk: %w", ErrFormat)
	}

	frame := int64(2 * r.channels)
	if r.dataLen >= 0 {
		avail := max(end-r.dataStart, 0)
		r.dataLen = min(r.dataLen, avail)
		r.dataLen -= r.dataLen % frame
	}
	r.buf = make([]byte, max(frame, readBufSize-readBufSize%frame))
	if err := r.Rewind(); err != nil {
		return nil, err
	}
	return r, nil
}

// parseFmt reads the fmt chunk body of size bytes at the current position.
func (r *Reader) parseFmt(size int64) error {
	if size < 16 {
		return fmt.Errorf("fmt chunk of %d bytes, want at least 16: %w", size, ErrFormat)
	}
	var b [40]byte
	n := min(size, int64(len(b)))
	if _, err := io.ReadFull(r.rs, b[:n]); err != nil {
		return fmt.Errorf("reading fmt chunk: %w", eofAsFormat(err))
	}
	tag := binary.LittleEndian.Uint16(b[0:2])
	channels := binary.LittleEndian.Uint16(b[2:4])
	rate := binary.LittleEndian.Uint32(b[4:8])
	bits := binary.LittleEndian.Uint16(b[14:16])
	if tag == formatExtensible {
		if n < 40 {
			return fmt.Errorf("WAVE_FORMAT_EXTENSIBLE fmt chunk of %d bytes, want 40: %w", size, ErrFormat)
		}
		if string(b[26:40]) != subformatTail {
			return fmt.Errorf("WAVE_FORMAT_EXTENSIBLE with unknown subformat GUID %x: %w", b[24:40], ErrUnsupported)
		}
		tag = binary.LittleEndian.Uint16(b[24:26])
	}
	switch {
	case channels == 0:
		return fmt.Errorf("fmt chunk says 0 channels: %w", ErrFormat)
	case rate == 0:
		return fmt.Errorf("fmt chunk says sample rate 0: %w", ErrFormat)
	case tag == 0x0003:
		return fmt.Errorf("%d-bit IEEE float is not supported, only 16-bit integer PCM; "+
			"convert with `sox in.wav -b 16 -e signed-integer out.wav`: %w", bits, ErrUnsupported)
	case tag != formatPCM:
		return fmt.Errorf("format tag %#04x (%s) is not supported, only 16-bit PCM; "+
			"convert with `sox in.wav -b 16 -e signed-integer out.wav`: %w", tag, formatName(tag), ErrUnsupported)
	case bits != 16:
		return fmt.Errorf("%d-bit PCM is not supported, only 16-bit; convert with `sox in.wav -b 16 out.wav`: %w",
			bits, ErrUnsupported)
	}
	r.channels = int(channels)
	r.rate = int(rate)
	return nil
}

func eofAsFormat(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("truncated: %w", ErrFormat)
	}
	return err
}

// SampleRate returns the sample rate in Hz.
func (r *Reader) SampleRate() int { return r.rate }

// Channels returns the number of interleaved channels.
func (r *Reader) Channels() int { return r.channels }

// NumFrames returns the number of sample frames (one sample per channel)
// in the data chunk, or -1 when the header does not say (streamed files).
// A data size beyond the end of the input counts only the frames present.
func (r *Reader) NumFrames() int64 {
	if r.dataLen < 0 {
		return -1
	}
	return r.dataLen / int64(2*r.channels)
}

// Read reads interleaved samples into dst and returns how many it read,
// always whole frames: len(dst) rounded down to a multiple of Channels().
// At the end of the data it returns 0, io.EOF; a partial frame at the end
// of a truncated file is dropped. A dst shorter than one frame gives an
// error wrapping io.ErrShortBuffer. Read does not allocate.
func (r *Reader) Read(dst []int16) (int, error) {
	if r.closed {
		return 0, fmt.Errorf("wav: read: %w", ErrClosed)
	}
	if r.err != nil {
		return 0, r.err
	}
	if len(dst) == 0 {
		return 0, nil
	}
	want := len(dst) - len(dst)%r.channels
	if want == 0 {
		return 0, fmt.Errorf("wav: read into %d samples, less than one frame of %d channels: %w",
			len(dst), r.channels, io.ErrShortBuffer)
	}
	frame := 2 * r.channels
	n := 0
	for n < want && !r.eof {
		nb := min(2*(want-n), len(r.buf))
		if r.remaining >= 0 {
			nb = int(min(int64(nb), r.remaining))
		}
		if nb == 0 {
			r.eof = true
			break
		}
		got, err := io.ReadFull(r.rs, r.buf[:nb])
		if r.remaining >= 0 {
			r.remaining -= int64(got)
		}
		got -= got % frame
		for i, out := 0, dst[n:n+got/2]; i < len(out); i++ {
			out[i] = int16(binary.LittleEndian.Uint16(r.buf[2*i:]))
		}
		n += got / 2
		if err != nil {
			r.eof = true
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				break
			}
			r.err = fmt.Errorf("wav: read: %w", err)
			if n > 0 {
				return n, nil
			}
			return 0, r.err
		}
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// Rewind restarts reading at the first sample, e.g. to loop a prompt.
func (r *Reader) Rewind() error {
	if r.closed {
		return fmt.Errorf("wav: rewind: %w", ErrClosed)
	}
	if _, err := r.rs.Seek(r.dataStart, io.SeekStart); err != nil {
		return fmt.Errorf("wav: rewind: %w", err)
	}
	r.remaining = r.dataLen
	r.eof = false
	r.err = nil
	return nil
}

// Close closes the file if the Reader was made by Open; for NewReader it
// only marks the Reader closed. Later calls return an error wrapping
// ErrClosed.
func (r *Reader) Close() error {
	if r.closed {
		return fmt.Errorf("wav: close: %w", ErrClosed)
	}
	r.closed = true
	if r.closer != nil {
		if err := r.closer.Close(); err != nil {
			return fmt.Errorf("wav: close: %w", err)
		}
	}
	return nil
}
