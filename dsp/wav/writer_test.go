package wav

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestWriterHeader(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.wav")
	w, err := Create(path, 8000, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write([]int16{1, -1, 0x1234, -32768}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{
		'R', 'I', 'F', 'F', 44, 0, 0, 0, // RIFF size: 36 + 8 data bytes
		'W', 'A', 'V', 'E',
		'f', 'm', 't', ' ', 16, 0, 0, 0,
		1, 0, // PCM
		2, 0, // channels
		0x40, 0x1F, 0, 0, // 8000 Hz
		0x00, 0x7D, 0, 0, // byte rate 32000
		4, 0, // block align
		16, 0, // bits per sample
		'd', 'a', 't', 'a', 8, 0, 0, 0,
		1, 0, 0xFF, 0xFF, 0x34, 0x12, 0x00, 0x80,
	}
	if !bytes.Equal(got, want) {
		t.Errorf("file\n% x\nwant\n% x", got, want)
	}
}

func TestWriteReadBack(t *testing.T) {
	tests := []struct {
		name     string
		rate, ch int
		samples  int
		chunk    int // frames per Write
	}{
		{"empty", 8000, 1, 0, 160},
		{"one frame", 8000, 1, 160, 160},
		{"stereo 48k", 48000, 2, 2 * 48000, 480},
		{"many small writes", 16000, 1, 20000, 7},
		{"one large write", 44100, 2, 2 * 20000, 20000},
		{"6 channels", 32000, 6, 6 * 1001, 13},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := ramp(-10000, tt.samples)
			f := &memFile{}
			w, err := NewWriter(f, tt.rate, tt.ch)
			if err != nil {
				t.Fatal(err)
			}
			for rest := want; len(rest) > 0; {
				k := min(len(rest), tt.chunk*tt.ch)
				if err := w.Write(rest[:k]); err != nil {
					t.Fatal(err)
				}
				rest = rest[k:]
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if len(f.b) != headerSize+2*tt.samples {
				t.Errorf("file is %d bytes, want %d", len(f.b), headerSize+2*tt.samples)
			}
			if _, err := f.Seek(0, 0); err != nil {
				t.Fatal(err)
			}
			r, err := NewReader(f)
			if err != nil {
				t.Fatal(err)
			}
			if r.SampleRate() != tt.rate || r.Channels() != tt.ch {
				t.Errorf("rate %d ch %d", r.SampleRate(), r.Channels())
			}
			if tt.samples > 0 && r.NumFrames() != int64(tt.samples/tt.ch) {
				t.Errorf("NumFrames %d, want %d", r.NumFrames(), tt.samples/tt.ch)
			}
			got, err := readAll(r, 960)
			if err != nil || !slices.Equal(got, want) {
				t.Errorf("read back %d samples (%v), want %d equal", len(got), err, len(want))
			}
		})
	}
}

// TestWriterInterrupted checks that a file whose Writer was never closed
// reads as streaming data up to what was flushed.
func TestWriterInterrupted(t *testing.T) {
	f := &memFile{}
	w, err := NewWriter(f, 8000, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := ramp(0, writeBufSize) // two buffers' worth: the first is flushed
	if err := w.Write(want); err != nil {
		t.Fatal(err)
	}
	r, err := NewReader(bytes.NewReader(slices.Clone(f.b)))
	if err != nil {
		t.Fatal(err)
	}
	if r.NumFrames() != -1 {
		t.Errorf("NumFrames = %d, want -1", r.NumFrames())
	}
	got, err := readAll(r, 160)
	if err != nil || !slices.Equal(got, want[:writeBufSize/2]) {
		t.Errorf("read %d samples, %v; want the %d flushed", len(got), err, writeBufSize/2)
	}
}

func TestWriterErrors(t *testing.T) {
	tests := []struct {
		name     string
		rate, ch int
	}{
		{"0 channels", 8000, 0},
		{"too many channels", 8000, 40000},
		{"0 rate", 0, 1},
		{"negative rate", -8000, 1},
		{"rate overflows byte rate", 1 << 31, 2},
	}
	for _, tt := range tests {
		if _, err := NewWriter(&memFile{}, tt.rate, tt.ch); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: NewWriter err = %v", tt.name, err)
		}
	}

	w, err := NewWriter(&memFile{}, 8000, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write([]int16{1, 2, 3}); err == nil {
		t.Error("partial frame accepted")
	}
	w.dataBytes = maxDataBytes - 2
	if err := w.Write([]int16{1, 2}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Write past 4 GiB = %v", err)
	}
	w.dataBytes = 0
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Write([]int16{1, 2}); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Close = %v", err)
	}
	if err := w.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("second Close = %v", err)
	}
	if _, err := Create(filepath.Join(t.TempDir(), "no", "such", "dir.wav"), 8000, 1); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Create in missing dir = %v", err)
	}
}

func TestWriteAllocs(t *testing.T) {
	w, err := NewWriter(&memFile{b: make([]byte, 0, 1<<22)}, 8000, 1)
	if err != nil {
		t.Fatal(err)
	}
	frame := ramp(0, 160)
	if allocs := testing.AllocsPerRun(1000, func() { _ = w.Write(frame) }); allocs != 0 {
		t.Errorf("Write allocates %v times per call", allocs)
	}
}

// discard is an io.WriteSeeker that drops what it is given.
type discard struct{}

func (discard) Write(p []byte) (int, error)    { return len(p), nil }
func (discard) Seek(int64, int) (int64, error) { return 0, nil }

func BenchmarkWrite(b *testing.B) {
	w, err := NewWriter(discard{}, 8000, 1)
	if err != nil {
		b.Fatal(err)
	}
	frame := ramp(0, 160)
	b.SetBytes(2 * 160)
	b.ReportAllocs()
	for b.Loop() {
		if err := w.Write(frame); err != nil {
			b.Fatal(err)
		}
		w.dataBytes = 0 // keep under the 4 GiB limit
	}
}
