package sdp

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/voxgraph/voxgraph/codecs"
)

// errNotLinked is what the description-only test codecs return: this package
// negotiates codecs, it never encodes.
var errNotLinked = errors.New("codec implementation not linked into the sdp tests")

// testRegistry holds the built-in codecs plus G722 and opus as their packages
// register them (capabilities only: SDP needs nothing else).
func testRegistry(t testing.TB) *codecs.Registry {
	t.Helper()
	r := codecs.NewRegistry()
	enc := func(codecs.Params) (codecs.Encoder, error) { return nil, errNotLinked }
	dec := func(codecs.Params) (codecs.Decoder, error) { return nil, errNotLinked }
	for _, f := range []codecs.Factory{
		codecs.PCMUFactory(), codecs.PCMAFactory(), codecs.L16Factory(),
		{Codec: codecs.Codec{Name: "G722", PayloadType: 9, ClockRate: 8000, SampleRate: 16000, Channels: 1},
			NewEncoder: enc, NewDecoder: dec},
		// As plugins/opus describes it: mono PCM, "opus/48000/2" in SDP (RFC 7587).
		{Codec: codecs.Codec{Name: "opus", PayloadType: 111, Dynamic: true, ClockRate: 48000, SampleRate: 48000,
			Channels: 1, SDPChannels: 2, Fmtp: "minptime=10;useinbandfec=1"}, NewEncoder: enc, NewDecoder: dec},
	} {
		if err := r.Register(f); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// readSDP reads testdata/sdp/name.
func readSDP(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "sdp", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mustParse parses b or fails the test.
func mustParse(t testing.TB, b []byte) *Session {
	t.Helper()
	s, err := Parse(b)
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, b)
	}
	return s
}

var (
	ourAddr  = netip.MustParseAddr("192.0.2.10")
	peerAddr = netip.MustParseAddr("198.51.100.20")
)

// Deterministic SDES keys (key ‖ salt of the right length for each suite).
const (
	keyCM128a = "inline:5VUpT7tvyBctIOdbS89r3eK8fC4LeRo9rXZ9Qpp7"
	keyCM128b = "inline:wyp9F3MxjBDEkfuG/FanXlvXBa3lupbhW3lAy6Dt"
	keyCM128c = "inline:swjbJKWHQUaLOK5atCoPS26vlL3xVAP1PYSUlKpl"
	keyCM256a = "inline:jQDYwvzV0dbwipSB4QUjVssGVN+H7p58FISk03J6+iQadlPQuve+11jXSMM/+Q=="
	keyGCM256 = "inline:YeMQ986k3f5I/598liFk/6bRp/u35T2/bOXzo/+imAXlse5lAOdd2+CJ7rU="
)
