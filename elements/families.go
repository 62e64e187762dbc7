package elements

// Element families that live in packages of their own register themselves
// at init; importing package elements brings them all in.
import (
	_ "github.com/voxgraph/voxgraph/elements/jitter"   // jitter
	_ "github.com/voxgraph/voxgraph/elements/mix"      // mix
	_ "github.com/voxgraph/voxgraph/elements/resample" // resample
	_ "github.com/voxgraph/voxgraph/elements/rtp"      // rtp-src, rtp-sink, srtp-src, srtp-sink, rtcp
)
