// Command voxgraph-codec-opus is a voxgraph codec plugin serving Opus
// ("opus", dynamic payload type 111) on the system's libopus. A voxgraph
// host starts it from a plugin directory; it is not run by hand:
//
//	go build -o /usr/lib/voxgraph/plugins/voxgraph-codec-opus ./cmd/voxgraph-codec-opus
//	voxgraph plugins --plugins /usr/lib/voxgraph/plugins
//
// The plugin names itself after the library it runs on, e.g.
// "opus (libopus 1.3.1)".
package main

import (
	"github.com/voxgraph/voxgraph/plugins/opus/opuscodec"
	"github.com/voxgraph/voxgraph/plugins/sdk"
)

func main() {
	sdk.Serve("opus ("+opuscodec.Version()+")", opuscodec.Factory())
}
