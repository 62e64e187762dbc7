// Package graphs holds the standard benchmark graphs of voxgraph bench
// (relay, g711-transcode, full, opus-transcode, conference-10), embedded
// in the binary and named std:NAME on its command line.
//
// Every graph takes the variables the harness fills per call: local_rtp
// (where each rtp-src listens; port 0 picks one), remote_rtp (the drain the
// sinks send to) and srtp_key (a fresh SDES key per call).
package graphs

import (
	"embed"
	"io/fs"
	"sort"
	"strings"

	"github.com/voxgraph/voxgraph/graphs"
	"github.com/voxgraph/voxgraph/pipeline"
)

//go:embed *.yaml
var files embed.FS

// Names lists the benchmark graphs, sorted.
func Names() []string {
	entries, _ := fs.ReadDir(files, ".")
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".yaml"); ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// Get returns the benchmark graph name, parsed and unexpanded, with
// positions naming benchmarks/graphs/NAME.yaml.
func Get(name string) (*pipeline.Spec, bool, error) {
	data, err := files.ReadFile(strings.TrimSuffix(name, ".yaml") + ".yaml")
	if err != nil || strings.ContainsAny(name, "/\\") {
		return nil, false, nil
	}
	spec, err := graphs.ParseYAML("benchmarks/graphs/"+name+".yaml", data)
	return spec, true, err
}

// Resolve turns a voxgraph bench argument into an unexpanded spec:
// std:NAME is a benchmark graph, else a standard graph of package graphs
// (std:demo); anything else is a graph file or a one-line pipeline, as for
// voxgraph run (graphs.Parse). The caller expands its variables
// (Spec.Expand) per call.
func Resolve(arg string) (*pipeline.Spec, error) {
	if name, ok := strings.CutPrefix(arg, graphs.StdPrefix); ok {
		if spec, found, err := Get(name); found {
			return spec, err
		}
		if _, err := graphs.StdSource(name); err != nil {
			return nil, &pipeline.Error{Pos: pipeline.Pos{File: arg}, Msg: "no benchmark or standard graph named " + `"` + name + `"`,
				Hint: "benchmark graphs: " + strings.Join(Names(), ", ") + "; standard graphs: " + strings.Join(graphs.StdNames(), ", ")}
		}
	}
	return graphs.Parse(arg)
}
