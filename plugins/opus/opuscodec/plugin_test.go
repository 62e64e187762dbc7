package opuscodec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/voxgraph/voxgraph/internal/plugintest"
	"github.com/voxgraph/voxgraph/plugins"
)

// TestPlugin builds the plugin binary, loads it with a plugins.Host, and
// runs the quality table's rows through the plugin process: the same
// floors must hold, the codec must have run in another process, and the
// host must have concealed or dropped nothing. Lost and garbage payloads
// go through it too.
func TestPlugin(t *testing.T) {
	h, reg := plugintest.Load(t, "../cmd/voxgraph-codec-opus", "voxgraph-codec-opus")
	p := h.Plugins()[0]
	if want := "opus (" + Version() + ")"; p.Reported != want {
		t.Errorf("plugin reports itself as %q, want %q", p.Reported, want)
	}
	fac, ok := reg.Lookup("opus")
	if !ok {
		t.Fatalf("opus not registered; registry has %v", reg.Names())
	}
	if fac.Codec != Codec() {
		t.Errorf("registered %+v, want %+v", fac.Codec, Codec())
	}

	for _, tc := range roundTripCases {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.signal()
			out := roundTrip(t, *fac, tc.params, in, tc.ch, tc.frameLen)
			checkQuality(t, in, out, tc)
		})
	}

	pid := p.Pid()
	if pid == 0 || pid == os.Getpid() {
		t.Errorf("plugin pid %d (test process %d): the codec did not run in a plugin process", pid, os.Getpid())
	}

	// A lost packet is concealed in the plugin (20 ms); a garbage payload
	// fails there and the host conceals it with silence, counted, without
	// restarting the plugin.
	dec, err := fac.NewDecoder(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll(dec)
	dst := make([]int16, dec.MaxDecodedLen(0))
	if n, err := dec.Decode(dst, nil); n != frame20 || err != nil {
		t.Errorf("lost packet through the plugin: %d samples, %v; want %d", n, err, frame20)
	}
	// Two starts: Load's, to learn the codecs, and the first session's.
	st := p.Stats()
	if st.Failures != 0 || st.Concealed != 0 || st.Dropped != 0 || st.Starts != 2 {
		t.Errorf("plugin stats %+v: want two starts and no failure, concealment or drop", st)
	}
	dst = make([]int16, dec.MaxDecodedLen(3))
	if n, err := dec.Decode(dst, []byte{0x03, 0x00, 0xff}); err != nil || n != frame20 {
		t.Errorf("garbage through the plugin: %d samples, %v; want %d concealed", n, err, frame20)
	}
	if st := p.Stats(); st.Concealed != 1 || st.Failures != 0 || p.Pid() != pid {
		t.Errorf("after garbage: stats %+v, pid %d (was %d); want 1 concealed, the same process", st, p.Pid(), pid)
	}
	if !strings.HasPrefix(filepath.Base(p.Path), plugins.FilePrefix) {
		t.Errorf("plugin path %s", p.Path)
	}
}
