package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/voxgraph/voxgraph/graphs"
	"github.com/voxgraph/voxgraph/pipeline"
)

func cmdDot(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("dot", "[--set key=value]... FILE|std:NAME|\"PIPELINE\"",
		"Builds the graph (without running it) and prints it as Graphviz DOT, each link\n"+
			"labelled with its negotiated format:  voxgraph dot std:demo | dot -Tpng -o demo.png", stderr)
	vars := setFlag{}
	fs.Var(vars, "set", "set a graph variable: --set key=value (repeatable)")
	pos, code, ok := parseInterspersed(fs, args, stdout)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "voxgraph dot: want exactly one graph")
		fs.Usage()
		return exitUsage
	}
	spec, err := graphs.Resolve(pos[0], vars)
	if err != nil {
		printErrors(stderr, err)
		return exitError
	}
	g, err := pipeline.Build(spec)
	if err != nil {
		printErrors(stderr, err)
		return exitError
	}
	writeDot(stdout, g)
	return exitOK
}

func writeDot(w io.Writer, g *pipeline.Graph) {
	name := g.Name()
	if name == "" {
		name = "pipeline"
	}
	fmt.Fprintf(w, "digraph %s {\n", dotID(name))
	fmt.Fprintln(w, "  rankdir=LR;")
	fmt.Fprintln(w, `  node [shape=box, style="rounded", fontname="Helvetica"];`)
	fmt.Fprintln(w, `  edge [fontname="Helvetica", fontsize=10];`)
	for _, n := range g.Nodes() {
		label := n.Name + "\\n" + n.Type
		for _, p := range n.Props {
			label += "\\n" + p.Key + "=" + p.Value
		}
		fmt.Fprintf(w, "  %s [label=%s];\n", dotID(n.Name), dotString(label))
	}
	for _, l := range g.Links() {
		fmt.Fprintf(w, "  %s -> %s [label=%s, taillabel=%s, headlabel=%s];\n", dotID(l.From), dotID(l.To),
			dotString(l.Format.String()), dotString(l.FromPort), dotString(l.ToPort))
	}
	fmt.Fprintln(w, "}")
}

func dotID(s string) string { return dotString(s) }

// dotString quotes s for DOT, keeping \n line breaks in labels.
func dotString(s string) string {
	s = strings.ReplaceAll(s, `"`, `\"`)
	return `"` + s + `"`
}
