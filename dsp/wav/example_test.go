package wav_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/voxgraph/voxgraph/dsp/wav"
)

func Example() {
	dir, err := os.MkdirTemp("", "wav-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "prompt.wav")

	w, err := wav.Create(path, 8000, 1)
	if err != nil {
		panic(err)
	}
	frame := make([]int16, 160) // one 20 ms frame, reused
	for i := range 50 {         // one second
		for j := range frame {
			frame[j] = int16(i*160 + j)
		}
		if err := w.Write(frame); err != nil {
			panic(err)
		}
	}
	if err := w.Close(); err != nil {
		panic(err)
	}

	r, err := wav.Open(path)
	if err != nil {
		panic(err)
	}
	defer r.Close()
	fmt.Println(r.SampleRate(), r.Channels(), r.NumFrames())

	frames := 0
	for {
		n, err := r.Read(frame)
		if err == io.EOF {
			break
		}
		if err != nil {
			panic(err)
		}
		frames++
		_ = frame[:n]
	}
	fmt.Println(frames, "frames of 20 ms")
	// Output:
	// 8000 1 8000
	// 50 frames of 20 ms
}

func ExampleReader_Rewind() {
	dir, _ := os.MkdirTemp("", "wav-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "beep.wav")
	w, _ := wav.Create(path, 8000, 1)
	_ = w.Write([]int16{1, 2, 3})
	_ = w.Close()

	r, err := wav.Open(path)
	if err != nil {
		panic(err)
	}
	defer r.Close()
	buf := make([]int16, 5)
	for range 3 { // play the prompt three times
		n, _ := r.Read(buf)
		fmt.Println(buf[:n])
		if _, err := r.Read(buf); err == io.EOF {
			_ = r.Rewind()
		}
	}
	// Output:
	// [1 2 3]
	// [1 2 3]
	// [1 2 3]
}

func ExampleNewReader_unsupported() {
	// A 32-bit float header, as written by many audio editors.
	hdr := "RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x03\x00\x01\x00\x80\xbb\x00\x00" +
		"\x00\xee\x02\x00\x04\x00\x20\x00data\x00\x00\x00\x00"
	_, err := wav.NewReader(strings.NewReader(hdr))
	fmt.Println(err)
	fmt.Println(errors.Is(err, wav.ErrUnsupported))
	// Output:
	// wav: 32-bit IEEE float is not supported, only 16-bit integer PCM; convert with `sox in.wav -b 16 -e signed-integer out.wav`: unsupported format
	// true
}
