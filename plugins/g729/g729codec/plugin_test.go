package g729codec

import (
	"testing"

	"github.com/voxgraph/voxgraph/internal/plugintest"
)

// TestPlugin builds the plugin binary, loads it with a plugins.Host, and
// runs the quality table's rows through the plugin process: the same
// floors must hold, the codec must have run in another process, and the
// host must have concealed or dropped nothing. Lost and garbage payloads
// go through it too.
func TestPlugin(t *testing.T) {
	h, reg := plugintest.Load(t, "../cmd/voxgraph-codec-g729", "voxgraph-codec-g729")
	p := h.Plugins()[0]
	if want := "g729 (" + Version() + ")"; p.Reported != want {
		t.Errorf("plugin reports itself as %q, want %q", p.Reported, want)
	}
	fac, ok := reg.Lookup("G729")
	if !ok {
		t.Fatalf("G729 not registered; registry has %v", reg.Names())
	}
	if byPT, ok := reg.ByPayloadType(PayloadType); !ok || byPT.Name != Name {
		t.Errorf("payload type %d not registered as %s", PayloadType, Name)
	}
	if fac.Codec != Codec() {
		t.Errorf("registered %+v, want %+v", fac.Codec, Codec())
	}

	for _, tc := range roundTripCases {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.signal()
			out, _ := roundTrip(t, *fac, tc.params, in, tc.frameLen)
			checkQuality(t, in, out, tc)
		})
	}

	// A lost packet is concealed in the plugin (20 ms); a payload of a
	// length G.729 does not have fails there and the host conceals it with
	// silence, counted, without restarting the plugin.
	plugintest.CheckContained(t, p, fac, []byte{1, 2, 3, 4, 5}, frame20)
}
