package sdp

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse and, when they parse, answers them
// and applies the answer. Nothing may panic; an accepted offer must give a
// well-formed Session; an answer must parse and satisfy ApplyAnswer on the
// offer (the two sides agree). Seeds: testdata/fuzz/FuzzParse (real-world
// and broken offers) plus testdata/sdp.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "sdp", "*.sdp"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	reg := testRegistry(f)
	params := []AnswerParams{
		{Codecs: []string{"G722", "PCMU", "PCMA", "opus", "L16"}, TelephoneEvent: true, SRTP: SRTPOptional},
		{Codecs: []string{"PCMA", "PCMU"}, PreferOfferOrder: true, SRTP: SRTPRequired, Direction: SendOnly},
	}
	for i := range params {
		params[i].Addr, params[i].Port, params[i].Registry, params[i].Key = netip.MustParseAddr("192.0.2.1"), 4000, reg, fixedKey
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Parse(b)
		if err != nil {
			if !errors.Is(err, ErrBadSDP) {
				t.Fatalf("Parse error %v does not wrap ErrBadSDP", err)
			}
			return
		}
		_ = s.String()
		if s.Audio == nil {
			if s.AudioIndex != -1 {
				t.Fatalf("AudioIndex %d without Audio", s.AudioIndex)
			}
		} else {
			a := s.Audio
			switch {
			case s.AudioIndex < 0 || s.AudioIndex >= len(s.Streams):
				t.Fatalf("AudioIndex %d of %d streams", s.AudioIndex, len(s.Streams))
			case !a.Addr.IsValid() || a.Port < 1 || a.Port > 65535 || a.RTCPPort < 0 || a.RTCPPort > 65535:
				t.Fatalf("bad media address %v rtcp %d", a.RTP(), a.RTCPPort)
			case a.PTime != 0 && (a.PTime < minPTime || a.PTime > maxPTime):
				t.Fatalf("ptime %v", a.PTime)
			case a.Direction > Inactive || a.NullAddr && a.Direction.Receives():
				t.Fatalf("direction %v null %v", a.Direction, a.NullAddr)
			}
			for _, c := range append(a.Codecs, a.TelephoneEvents...) {
				if c.Name == "" || c.ClockRate <= 0 || c.Channels < 1 || c.PT > 127 {
					t.Fatalf("bad codec %+v", c)
				}
			}
		}
		for _, p := range params {
			ans, n, err := Answer(s, p)
			if err != nil {
				if !errors.Is(err, ErrNoAudio) && !errors.Is(err, ErrNoCommonCodec) &&
					!errors.Is(err, ErrSRTPRequired) && !errors.Is(err, ErrNoCommonCrypto) {
					t.Fatalf("Answer error %v wraps no 488 sentinel", err)
				}
				continue
			}
			if len(ans) > MaxSize {
				continue
			}
			checkAnswer(t, s, ans, n)
		}
	})
}
