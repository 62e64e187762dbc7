package wav

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestReaderFormats(t *testing.T) {
	mono := fmtBody(formatPCM, 1, 8000, 16)
	stereo := fmtBody(formatPCM, 2, 48000, 16)
	data := pcmBytes(1, -2, 3, -4, 32767, -32768)
	all := []int16{1, -2, 3, -4, 32767, -32768}
	ds64 := make([]byte, 28)
	ds64[8] = byte(len(data)) // data size, 64-bit little endian
	tests := []struct {
		name     string
		file     []byte
		rate, ch int
		frames   int64
		samples  []int16
	}{
		{"canonical", wave(ck("fmt ", mono), ck("data", data)), 8000, 1, 6, all},
		{"stereo", wave(ck("fmt ", stereo), ck("data", data)), 48000, 2, 3, all},
		{"LIST and fact chunks", wave(ck("LIST", []byte("INFOISFT\x04\x00\x00\x00sox\x00")), ck("fmt ", mono),
			ck("fact", []byte{6, 0, 0, 0}), ck("data", data)), 8000, 1, 6, all},
		{"odd chunk padded", wave(ck("fmt ", mono), ck("junk", []byte{1, 2, 3}), ck("data", data)), 8000, 1, 6, all},
		{"fmt with cbSize", wave(ck("fmt ", append(slices.Clone(mono), 0, 0)), ck("data", data)), 8000, 1, 6, all},
		{"extensible PCM", wave(ck("fmt ", extBody(formatPCM, 2, 16000, 16)), ck("data", data)), 16000, 2, 3, all},
		{"data size 0 streams to EOF", wave(ck("fmt ", mono), chunk("data", 0, data)), 8000, 1, -1, all},
		{"data size FFFFFFFF streams to EOF", wave(ck("fmt ", mono), chunk("data", 0xFFFFFFFF, data)), 8000, 1, -1, all},
		{"data larger than file is truncated", wave(ck("fmt ", mono), chunk("data", 1000, data)), 8000, 1, 6, all},
		{"partial last frame dropped", wave(ck("fmt ", stereo), chunk("data", 1000, data[:10])), 48000, 2, 2, all[:4]},
		{"odd data size", wave(ck("fmt ", mono), ck("data", data[:11])), 8000, 1, 5, all[:5]},
		{"chunk after data not read", wave(ck("fmt ", mono), ck("data", data[:4]), ck("LIST", data)), 8000, 1, 2, all[:2]},
		{"data before fmt", wave(ck("data", data), ck("fmt ", mono)), 8000, 1, 6, all},
		{"empty data", wave(ck("fmt ", mono), ck("data", nil)), 8000, 1, -1, nil},
		{"RF64 with ds64", riff("RF64", "WAVE", ck("ds64", ds64), ck("fmt ", mono), chunk("data", 0xFFFFFFFF, data)), 8000, 1, 6, all},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewReader(bytes.NewReader(tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if r.SampleRate() != tt.rate || r.Channels() != tt.ch || r.NumFrames() != tt.frames {
				t.Errorf("rate %d ch %d frames %d, want %d %d %d",
					r.SampleRate(), r.Channels(), r.NumFrames(), tt.rate, tt.ch, tt.frames)
			}
			got, err := readAll(r, 160)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.samples) {
				t.Errorf("samples %v, want %v", got, tt.samples)
			}
		})
	}
}

func TestReaderRejects(t *testing.T) {
	mono := fmtBody(formatPCM, 1, 8000, 16)
	data := ck("data", pcmBytes(1, 2))
	tests := []struct {
		name string
		file []byte
		want error
		msg  string // substring of the error message
	}{
		{"empty", nil, ErrFormat, "truncated"},
		{"not RIFF", []byte("ID3\x04 this is an mp3 file"), ErrFormat, "not a RIFF file"},
		{"RIFX", riff("RIFX", "WAVE", ck("fmt ", mono), data), ErrUnsupported, "big-endian"},
		{"not WAVE", riff("RIFF", "AVI ", ck("fmt ", mono), data), ErrFormat, "not WAVE"},
		{"no fmt", wave(data), ErrFormat, "no fmt chunk"},
		{"no data", wave(ck("fmt ", mono)), ErrFormat, "no data chunk"},
		{"fmt too short", wave(ck("fmt ", mono[:14]), data), ErrFormat, "at least 16"},
		{"fmt truncated", wave(chunk("fmt ", 16, mono[:10])), ErrFormat, "truncated"},
		{"8-bit", wave(ck("fmt ", fmtBody(formatPCM, 1, 8000, 8)), data), ErrUnsupported, "sox in.wav -b 16 out.wav"},
		{"24-bit", wave(ck("fmt ", fmtBody(formatPCM, 2, 48000, 24)), data), ErrUnsupported, "24-bit PCM"},
		{"32-bit float", wave(ck("fmt ", fmtBody(3, 1, 48000, 32)), data), ErrUnsupported, "32-bit IEEE float"},
		{"extensible float", wave(ck("fmt ", extBody(3, 2, 48000, 32)), data), ErrUnsupported, "IEEE float"},
		{"extensible 24-bit", wave(ck("fmt ", extBody(formatPCM, 2, 48000, 24)), data), ErrUnsupported, "24-bit"},
		{"extensible short", wave(ck("fmt ", extBody(formatPCM, 2, 48000, 16)[:18]), data), ErrFormat, "EXTENSIBLE"},
		{"extensible unknown GUID", wave(ck("fmt ", append(extBody(1, 1, 8000, 16)[:39], 0)), data), ErrUnsupported, "GUID"},
		{"IMA ADPCM", wave(ck("fmt ", fmtBody(0x11, 1, 8000, 4)), data), ErrUnsupported, "0x0011 (IMA ADPCM)"},
		{"mu-law", wave(ck("fmt ", fmtBody(7, 1, 8000, 8)), data), ErrUnsupported, "µ-law"},
		{"MP3", wave(ck("fmt ", fmtBody(0x55, 2, 44100, 0)), data), ErrUnsupported, "MPEG Layer 3"},
		{"0 channels", wave(ck("fmt ", fmtBody(formatPCM, 0, 8000, 16)), data), ErrFormat, "0 channels"},
		{"0 rate", wave(ck("fmt ", fmtBody(formatPCM, 1, 0, 16)), data), ErrFormat, "sample rate 0"},
		{"two fmt", wave(ck("fmt ", mono), ck("fmt ", mono), data), ErrFormat, "second fmt"},
		{"streaming data before fmt", wave(chunk("data", 0, nil), ck("fmt ", mono)), ErrFormat, "before the fmt"},
		{"RF64 ds64 too short", riff("RF64", "WAVE", ck("ds64", make([]byte, 8)), ck("fmt ", mono), data), ErrFormat, "ds64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewReader(bytes.NewReader(tt.file))
			if err == nil {
				t.Fatalf("accepted: rate %d ch %d", r.SampleRate(), r.Channels())
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.msg) || !strings.HasPrefix(err.Error(), "wav: ") {
				t.Errorf("err = %q, want it to contain %q", err, tt.msg)
			}
		})
	}
}

func TestReadSizes(t *testing.T) {
	samples := ramp(-5000, 3*readBufSize+6) // several buffers, stereo and mono whole frames
	for _, ch := range []uint16{1, 2, 3} {
		n := len(samples) - len(samples)%int(ch)
		file := wave(ck("fmt ", fmtBody(formatPCM, ch, 8000, 16)), ck("data", pcmBytes(samples[:n]...)))
		for _, size := range []int{1, 2, 3, 7, 160, 4095, 4096, 5000, 100000} {
			if size < int(ch) {
				continue
			}
			r, err := NewReader(bytes.NewReader(file))
			if err != nil {
				t.Fatal(err)
			}
			dst := make([]int16, size)
			var got []int16
			for {
				k, err := r.Read(dst)
				if k%int(ch) != 0 {
					t.Fatalf("ch %d size %d: read %d, not whole frames", ch, size, k)
				}
				got = append(got, dst[:k]...)
				if err == io.EOF {
					break
				}
				if err != nil || k == 0 {
					t.Fatalf("ch %d size %d: Read = %d, %v", ch, size, k, err)
				}
			}
			if !slices.Equal(got, samples[:n]) {
				t.Fatalf("ch %d size %d: got %d samples, want %d equal", ch, size, len(got), n)
			}
			if k, err := r.Read(dst); k != 0 || err != io.EOF {
				t.Errorf("Read after EOF = %d, %v", k, err)
			}
		}
	}
}

func TestReadShortDst(t *testing.T) {
	r, err := NewReader(bytes.NewReader(wave(ck("fmt ", fmtBody(formatPCM, 2, 8000, 16)), ck("data", pcmBytes(1, 2)))))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := r.Read(make([]int16, 1)); n != 0 || !errors.Is(err, io.ErrShortBuffer) {
		t.Errorf("Read(1) in stereo = %d, %v", n, err)
	}
	if n, err := r.Read(nil); n != 0 || err != nil {
		t.Errorf("Read(nil) = %d, %v", n, err)
	}
}

func TestRewind(t *testing.T) {
	want := ramp(100, 1000)
	for _, size := range []uint32{uint32(2 * len(want)), 0} { // known and streaming sizes
		r, err := NewReader(bytes.NewReader(wave(ck("fmt ", fmtBody(formatPCM, 1, 8000, 16)), chunk("data", size, pcmBytes(want...)))))
		if err != nil {
			t.Fatal(err)
		}
		for loop := range 3 {
			got, err := readAll(r, 160)
			if err != nil || !slices.Equal(got, want) {
				t.Fatalf("loop %d: %d samples, %v", loop, len(got), err)
			}
			if err := r.Rewind(); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestReaderAtOffset(t *testing.T) {
	prefix := []byte("some container prefix")
	file := append(slices.Clone(prefix), wave(ck("fmt ", fmtBody(formatPCM, 1, 8000, 16)), ck("data", pcmBytes(7, 8, 9)))...)
	br := bytes.NewReader(file)
	if _, err := br.Seek(int64(len(prefix)), io.SeekStart); err != nil {
		t.Fatal(err)
	}
	r, err := NewReader(br)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		got, err := readAll(r, 2)
		if err != nil || !slices.Equal(got, []int16{7, 8, 9}) {
			t.Fatalf("got %v, %v", got, err)
		}
		if err := r.Rewind(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestReadAllocs(t *testing.T) {
	r, err := NewReader(bytes.NewReader(wave(ck("fmt ", fmtBody(formatPCM, 1, 8000, 16)), ck("data", pcmBytes(ramp(0, 16000)...)))))
	if err != nil {
		t.Fatal(err)
	}
	dst := make([]int16, 160)
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := r.Read(dst); err == io.EOF {
			_ = r.Rewind()
		}
	})
	if allocs != 0 {
		t.Errorf("Read allocates %v times per call", allocs)
	}
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.wav")
	if err := os.WriteFile(path, wave(ck("fmt ", fmtBody(formatPCM, 1, 16000, 16)), ck("data", pcmBytes(1, 2, 3))), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(r, 160)
	if err != nil || !slices.Equal(got, []int16{1, 2, 3}) || r.SampleRate() != 16000 {
		t.Errorf("got %v, %v, rate %d", got, err, r.SampleRate())
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("second Close = %v", err)
	}
	if _, err := r.Read(make([]int16, 4)); !errors.Is(err, ErrClosed) {
		t.Errorf("Read after Close = %v", err)
	}

	if _, err := Open(filepath.Join(dir, "missing.wav")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open missing = %v", err)
	}
	bad := filepath.Join(dir, "bad.wav")
	if err := os.WriteFile(bad, wave(ck("fmt ", fmtBody(formatPCM, 1, 8000, 24)), ck("data", nil)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Open(bad)
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), bad) {
		t.Errorf("Open 24-bit = %v", err)
	}
}

func BenchmarkRead(b *testing.B) {
	r, err := NewReader(bytes.NewReader(wave(ck("fmt ", fmtBody(formatPCM, 1, 8000, 16)), ck("data", pcmBytes(ramp(0, 16000)...)))))
	if err != nil {
		b.Fatal(err)
	}
	dst := make([]int16, 160)
	b.SetBytes(2 * 160)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Read(dst); err == io.EOF {
			if err := r.Rewind(); err != nil {
				b.Fatal(err)
			}
		}
	}
}
