package wav

import (
	"encoding/binary"
	"errors"
	"io"
)

// chunk returns a RIFF chunk with the given id, declared size and body,
// padded to even length.
func chunk(id string, size uint32, body []byte) []byte {
	b := append([]byte(id), 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(b[4:], size)
	b = append(b, body...)
	if len(body)%2 == 1 {
		b = append(b, 0)
	}
	return b
}

// ck is chunk with the declared size equal to len(body).
func ck(id string, body []byte) []byte { return chunk(id, uint32(len(body)), body) }

// riff wraps chunks in a RIFF header with the given magic and form type.
func riff(magic, form string, chunks ...[]byte) []byte {
	var body []byte
	for _, c := range chunks {
		body = append(body, c...)
	}
	b := append([]byte(magic), 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(b[4:], uint32(4+len(body)))
	b = append(b, form...)
	return append(b, body...)
}

// wave is riff("RIFF", "WAVE", chunks...).
func wave(chunks ...[]byte) []byte { return riff("RIFF", "WAVE", chunks...) }

// fmtBody returns a 16-byte WAVEFORMAT body.
func fmtBody(tag, channels uint16, rate uint32, bits uint16) []byte {
	b := make([]byte, 16)
	binary.LittleEndian.PutUint16(b[0:], tag)
	binary.LittleEndian.PutUint16(b[2:], channels)
	binary.LittleEndian.PutUint32(b[4:], rate)
	align := uint32(channels) * uint32(bits) / 8
	binary.LittleEndian.PutUint32(b[8:], rate*align)
	binary.LittleEndian.PutUint16(b[12:], uint16(align))
	binary.LittleEndian.PutUint16(b[14:], bits)
	return b
}

// extBody returns a 40-byte WAVEFORMATEXTENSIBLE body with the subformat
// GUID derived from subTag.
func extBody(subTag, channels uint16, rate uint32, bits uint16) []byte {
	b := fmtBody(formatExtensible, channels, rate, bits)
	b = append(b, 22, 0) // cbSize
	b = binary.LittleEndian.AppendUint16(b, bits)
	b = binary.LittleEndian.AppendUint32(b, 3) // channel mask
	b = binary.LittleEndian.AppendUint16(b, subTag)
	return append(b, subformatTail...)
}

// pcmBytes encodes samples as little-endian 16-bit.
func pcmBytes(s ...int16) []byte {
	var b []byte
	for _, v := range s {
		b = binary.LittleEndian.AppendUint16(b, uint16(v))
	}
	return b
}

// ramp returns n samples counting up from start.
func ramp(start, n int) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(start + i)
	}
	return s
}

// readAll reads r to EOF with a dst of the given size.
func readAll(r *Reader, size int) ([]int16, error) {
	var out []int16
	dst := make([]int16, size)
	for {
		n, err := r.Read(dst)
		out = append(out, dst[:n]...)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

// memFile is an in-memory io.ReadWriteSeeker.
type memFile struct {
	b   []byte
	off int64
}

func (m *memFile) Write(p []byte) (int, error) {
	end := m.off + int64(len(p))
	if end > int64(len(m.b)) {
		m.b = append(m.b, make([]byte, end-int64(len(m.b)))...)
	}
	copy(m.b[m.off:], p)
	m.off = end
	return len(p), nil
}

func (m *memFile) Read(p []byte) (int, error) {
	if m.off >= int64(len(m.b)) {
		return 0, io.EOF
	}
	n := copy(p, m.b[m.off:])
	m.off += int64(n)
	return n, nil
}

func (m *memFile) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		off += m.off
	case io.SeekEnd:
		off += int64(len(m.b))
	}
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	m.off = off
	return off, nil
}
