package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/voxgraph/voxgraph/graphs"
	"github.com/voxgraph/voxgraph/pipeline"
)

func cmdInspect(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("inspect", "[--graphs] [ELEMENT|std:NAME]",
		"Without an argument, lists every element with a one-line summary.\n"+
			"With one, describes the element: what it does, its ports and formats, and its\n"+
			"properties with types, defaults and documentation.\n"+
			"--graphs lists the standard graphs; inspect std:NAME prints one's source.", stderr)
	listGraphs := fs.Bool("graphs", false, "list the standard graphs (run them as std:NAME)")
	pos, code, ok := parseInterspersed(fs, args, stdout)
	if !ok {
		return code
	}
	if *listGraphs {
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		for _, name := range graphs.StdNames() {
			src, _ := graphs.StdSource(name)
			fmt.Fprintf(tw, "std:%s\t%s\n", name, firstComment(src))
		}
		tw.Flush()
		return exitOK
	}
	if len(pos) == 1 && strings.HasPrefix(pos[0], graphs.StdPrefix) {
		src, err := graphs.StdSource(strings.TrimPrefix(pos[0], graphs.StdPrefix))
		if err != nil {
			printErrors(stderr, err)
			return exitError
		}
		stdout.Write(src)
		return exitOK
	}
	reg := pipeline.DefaultRegistry
	switch len(pos) {
	case 0:
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		for _, e := range reg.All() {
			fmt.Fprintf(tw, "%s\t%s\n", e.Name, e.Summary)
		}
		tw.Flush()
		return exitOK
	case 1:
		info, ok := reg.Lookup(pos[0])
		if !ok {
			hint := pipeline.DidYouMean(pos[0], reg.Names())
			if hint == "" {
				hint = "run `voxgraph inspect` for the list"
			}
			fmt.Fprintf(stderr, "voxgraph inspect: no element %q (%s)\n", pos[0], hint)
			return exitError
		}
		describe(stdout, info)
		return exitOK
	default:
		fmt.Fprintln(stderr, "voxgraph inspect: at most one element")
		return exitUsage
	}
}

func describe(w io.Writer, e *pipeline.ElementInfo) {
	fmt.Fprintf(w, "%s — %s\n\n", e.Name, e.Summary)
	if e.Doc != "" {
		fmt.Fprintln(w, wrap(e.Doc, 78, ""))
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "Ports:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if len(e.Inputs)+len(e.Outputs) == 0 {
		fmt.Fprintln(tw, "  none")
	}
	for _, p := range e.Inputs {
		fmt.Fprintf(tw, "  %s\tinput\t%s\taccepts %s\t%s\n", p.Name, presence(p), p.Caps, p.Doc)
	}
	for _, p := range e.Outputs {
		fmt.Fprintf(tw, "  %s\toutput\t%s\t\t%s\n", p.Name, presence(p), p.Doc)
	}
	tw.Flush()
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Properties:")
	if len(e.Props()) == 0 {
		fmt.Fprintln(w, "  none")
	}
	for _, p := range e.Props() {
		typ := p.Type
		if len(p.Enum) > 0 {
			typ = "one of " + strings.Join(p.Enum, "|")
		}
		def := p.Default
		if def == "" {
			def = `""`
		}
		fmt.Fprintf(w, "  %s (%s, default %s)\n%s\n", p.Name, typ, def, wrap(p.Doc, 74, "      "))
	}
}

func presence(p pipeline.PortInfo) string {
	switch {
	case p.Presence == pipeline.Request:
		return "request"
	case p.Optional:
		return "optional"
	default:
		return "always"
	}
}

// wrap breaks text into lines of at most width runes, each prefixed.
func wrap(text string, width int, prefix string) string {
	var lines []string
	line := prefix
	for _, word := range strings.Fields(text) {
		if len(line) > len(prefix) && len(line)+1+len(word) > width {
			lines = append(lines, line)
			line = prefix
		}
		if len(line) > len(prefix) {
			line += " "
		}
		line += word
	}
	lines = append(lines, line)
	return strings.Join(lines, "\n")
}

// firstComment returns the first comment line of a YAML source, for listings.
func firstComment(src []byte) string {
	for _, line := range strings.Split(string(src), "\n") {
		if c, ok := strings.CutPrefix(strings.TrimSpace(line), "#"); ok {
			return strings.TrimSpace(c)
		}
	}
	return ""
}
