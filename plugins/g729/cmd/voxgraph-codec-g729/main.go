// Command voxgraph-codec-g729 is a voxgraph codec plugin serving G.729
// with Annex B ("G729", static payload type 18) on the system's bcg729. A
// voxgraph host starts it from a plugin directory; it is not run by hand:
//
//	go build -o /usr/lib/voxgraph/plugins/voxgraph-codec-g729 ./cmd/voxgraph-codec-g729
//	voxgraph plugins --plugins /usr/lib/voxgraph/plugins
//
// The plugin names itself after the library it runs on, e.g.
// "g729 (bcg729 1.1.1)". bcg729 is GPL-3.0-or-later, and so is this
// binary, which links it.
package main

import (
	"github.com/voxgraph/voxgraph/plugins/g729/g729codec"
	"github.com/voxgraph/voxgraph/plugins/sdk"
)

func main() {
	sdk.Serve("g729 ("+g729codec.Version()+")", g729codec.Factory())
}
