package wav_test

import (
	"errors"
	"io/fs"
	"path/filepath"
	"slices"
	"testing"

	"github.com/voxgraph/voxgraph/dsp/wav"
)

func TestFileRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		rate, channels int
		pcm            []int16
	}{
		{8000, 1, []int16{0, 1, -1, 32767, -32768}},
		{48000, 2, []int16{1, 2, 3, 4, 5, 6}},
		{16000, 1, nil},
		{8000, 1, make([]int16, 10000)}, // several read buffers
	} {
		path := filepath.Join(t.TempDir(), "x.wav")
		if err := wav.WriteFile(path, tc.rate, tc.channels, tc.pcm); err != nil {
			t.Fatal(err)
		}
		pcm, rate, channels, err := wav.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if rate != tc.rate || channels != tc.channels || !slices.Equal(pcm, tc.pcm) && len(pcm)+len(tc.pcm) > 0 {
			t.Errorf("read %d Hz, %d channels, %d samples; wrote %d Hz, %d channels, %d samples", rate, channels, len(pcm), tc.rate, tc.channels, len(tc.pcm))
		}
	}
}

func TestFileErrors(t *testing.T) {
	if _, _, _, err := wav.ReadFile(filepath.Join(t.TempDir(), "missing.wav")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if err := wav.WriteFile(filepath.Join(t.TempDir(), "no", "dir.wav"), 8000, 1, nil); err == nil {
		t.Error("write into a missing directory: no error")
	}
}
