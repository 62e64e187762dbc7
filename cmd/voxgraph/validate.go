package main

import (
	"fmt"
	"io"

	"github.com/voxgraph/voxgraph/graphs"
	"github.com/voxgraph/voxgraph/pipeline"
)

func cmdValidate(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("validate", "[--set key=value]... FILE|std:NAME|\"PIPELINE\"...",
		"Parses and builds each graph without running it: syntax, element types, properties,\n"+
			"links, cycles and formats are all checked. Exits 0 when every graph is valid, 1 otherwise.", stderr)
	vars := setFlag{}
	fs.Var(vars, "set", "set a graph variable: --set key=value (repeatable)")
	pos, code, ok := parseInterspersed(fs, args, stdout)
	if !ok {
		return code
	}
	if len(pos) == 0 {
		fmt.Fprintln(stderr, "voxgraph validate: name at least one graph")
		fs.Usage()
		return exitUsage
	}
	failed := 0
	for _, arg := range pos {
		if err := validate(arg, vars); err != nil {
			failed++
			printErrors(stderr, err)
			continue
		}
		fmt.Fprintf(stdout, "%s: ok\n", arg)
	}
	if failed > 0 {
		fmt.Fprintf(stderr, "%d of %d graphs invalid\n", failed, len(pos))
		return exitError
	}
	return exitOK
}

func validate(arg string, vars map[string]string) error {
	spec, err := graphs.Resolve(arg, vars)
	if err != nil {
		return err
	}
	_, err = pipeline.Build(spec)
	return err
}
