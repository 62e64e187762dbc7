package wav

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
)

const (
	headerSize     = 44
	writeBufSize   = 8192
	maxDataBytes   = math.MaxUint32 - (headerSize - 8) // RIFF size must fit in 32 bits
	streamingSize  = 0xFFFFFFFF                        // size placeholder until Close
	maxChannels    = math.MaxUint16 / 2                // block align must fit in 16 bits
	fmtChunkSize   = 16
	bitsPerSample  = 16
	bytesPerSample = bitsPerSample / 8
)

// Writer writes interleaved 16-bit samples as a canonical 44-byte-header
// WAV file.
type Writer struct {
	ws        io.WriteSeeker
	closer    io.Closer // the file created by Create, else nil
	base      int64     // offset of the RIFF header in ws
	channels  int
	dataBytes int64 // sample bytes accepted so far
	buf       []byte
	n         int // bytes pending in buf
	err       error
	closed    bool
}

// Create creates (or truncates) the file at path and returns a Writer for
// it; Close patches the header and closes the file.
func Create(path string, rate, channels int) (*Writer, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("wav: %w", err)
	}
	w, err := NewWriter(f, rate, channels)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("wav: %s: %w", path, err)
	}
	w.closer = f
	return w, nil
}

// NewWriter writes a WAV header for 16-bit PCM at rate Hz with the given
// number of interleaved channels at the current position of ws. Until Close
// patches them, the RIFF and data sizes read 0xFFFFFFFF, which this
// package's Reader (and most tools) take as "data runs to end of file", so
// an interrupted recording stays readable.
func NewWriter(ws io.WriteSeeker, rate, channels int) (*Writer, error) {
	if channels < 1 || channels > maxChannels {
		return nil, fmt.Errorf("wav: %d channels, want 1-%d: %w", channels, maxChannels, ErrUnsupported)
	}
	if rate < 1 || int64(rate)*int64(channels)*bytesPerSample > math.MaxUint32 {
		return nil, fmt.Errorf("wav: sample rate %d out of range: %w", rate, ErrUnsupported)
	}
	base, err := ws.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, fmt.Errorf("wav: %w", err)
	}
	w := &Writer{ws: ws, base: base, channels: channels, buf: make([]byte, writeBufSize)}
	h := w.buf[:headerSize]
	copy(h[0:], "RIFF")
	binary.LittleEndian.PutUint32(h[4:], streamingSize)
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], fmtChunkSize)
	binary.LittleEndian.PutUint16(h[20:], formatPCM)
	binary.LittleEndian.PutUint16(h[22:], uint16(channels))
	binary.LittleEndian.PutUint32(h[24:], uint32(rate))
	binary.LittleEndian.PutUint32(h[28:], uint32(rate*channels*bytesPerSample))
	binary.LittleEndian.PutUint16(h[32:], uint16(channels*bytesPerSample))
	binary.LittleEndian.PutUint16(h[34:], bitsPerSample)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], streamingSize)
	if _, err := ws.Write(h); err != nil {
		return nil, fmt.Errorf("wav: writing header: %w", err)
	}
	return w, nil
}

// Write appends interleaved samples; len(samples) must be a multiple of
// the channel count. Samples are buffered, so errors from the underlying
// writer may surface on a later Write or on Close; after an error every
// call fails. Write does not allocate.
func (w *Writer) Write(samples []int16) error {
	switch {
	case w.closed:
		return fmt.Errorf("wav: write: %w", ErrClosed)
	case w.err != nil:
		return w.err
	case len(samples)%w.channels != 0:
		return fmt.Errorf("wav: write of %d samples is not whole frames of %d channels", len(samples), w.channels)
	case w.dataBytes+int64(bytesPerSample*len(samples)) > maxDataBytes:
		return fmt.Errorf("wav: write: %w", ErrTooLarge)
	}
	for len(samples) > 0 {
		if w.n == len(w.buf) {
			if err := w.flush(); err != nil {
				return err
			}
		}
		k := min(len(samples), (len(w.buf)-w.n)/bytesPerSample)
		out := w.buf[w.n : w.n+bytesPerSample*k]
		for i, s := range samples[:k] {
			binary.LittleEndian.PutUint16(out[bytesPerSample*i:], uint16(s))
		}
		w.n += len(out)
		w.dataBytes += int64(len(out))
		samples = samples[k:]
	}
	return nil
}

func (w *Writer) flush() error {
	if w.n == 0 {
		return nil
	}
	if _, err := w.ws.Write(w.buf[:w.n]); err != nil {
		w.err = fmt.Errorf("wav: write: %w", err)
		return w.err
	}
	w.n = 0
	return nil
}

// Close flushes buffered samples, patches the RIFF and data chunk sizes,
// leaves the position of ws after the data and closes the file if Create
// opened it. Later calls return an error wrapping ErrClosed.
func (w *Writer) Close() error {
	if w.closed {
		return fmt.Errorf("wav: close: %w", ErrClosed)
	}
	w.closed = true
	err := w.finish()
	if w.closer != nil {
		if cerr := w.closer.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("wav: close: %w", cerr)
		}
	}
	return err
}

func (w *Writer) finish() error {
	if w.err != nil {
		return w.err
	}
	if err := w.flush(); err != nil {
		return err
	}
	var b [4]byte
	patch := func(off int64, v uint32) error {
		binary.LittleEndian.PutUint32(b[:], v)
		if _, err := w.ws.Seek(w.base+off, io.SeekStart); err != nil {
			return err
		}
		_, err := w.ws.Write(b[:])
		return err
	}
	if err := patch(4, uint32(headerSize-8+w.dataBytes)); err != nil {
		return fmt.Errorf("wav: patching header: %w", err)
	}
	if err := patch(40, uint32(w.dataBytes)); err != nil {
		return fmt.Errorf("wav: patching header: %w", err)
	}
	if _, err := w.ws.Seek(w.base+headerSize+w.dataBytes, io.SeekStart); err != nil {
		return fmt.Errorf("wav: %w", err)
	}
	return nil
}
