package cn_test

import (
	"bytes"
	"testing"

	"github.com/voxgraph/voxgraph/dsp/cn"
)

// FuzzParse: no payload panics Parse; what it accepts marshals back to the
// same bytes and parses again to the same SID, and generating noise from
// it stays finite and bounded.
func FuzzParse(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0x80})
	f.Add([]byte{40})
	f.Add([]byte{0, 255, 255, 255, 0, 0, 0})
	f.Add([]byte{127, 127, 127})
	g, err := cn.NewGenerator(8000, 1)
	if err != nil {
		f.Fatal(err)
	}
	buf := make([]int16, 320)
	f.Fuzz(func(t *testing.T, p []byte) {
		s, err := cn.Parse(p)
		if err != nil {
			return
		}
		q, err := s.Marshal()
		if err != nil || !bytes.Equal(p, q) {
			t.Fatalf("Marshal(Parse(% x)) = % x, %v", p, q, err)
		}
		s2, err := cn.Parse(q)
		if err != nil || s2 != s {
			t.Fatalf("Parse(Marshal(s)) = %+v, %v; want %+v", s2, err, s)
		}
		g.Update(s)
		g.Generate(buf)
	})
}
