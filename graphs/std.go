package graphs

import (
	"embed"
	"io/fs"
	"os"
	"sort"
	"strings"

	"github.com/voxgraph/voxgraph/pipeline"
)

// stdFS holds the standard graphs: every *.yaml file of this directory.
//
//go:embed *.yaml
var stdFS embed.FS

// StdPrefix marks a standard graph in an argument to Resolve: "std:demo".
const StdPrefix = "std:"

// StdNames returns the names of the standard graphs, sorted.
func StdNames() []string {
	entries, err := fs.ReadDir(stdFS, ".")
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".yaml"); ok && !e.IsDir() {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// StdSource returns the YAML text of the standard graph name. An unknown
// name is a *pipeline.Error whose hint lists the closest standard names.
func StdSource(name string) ([]byte, error) {
	name = strings.TrimSuffix(name, ".yaml")
	if validName(name) {
		if data, err := stdFS.ReadFile(name + ".yaml"); err == nil {
			return data, nil
		}
	}
	names := StdNames()
	hint := pipeline.DidYouMean(name, names)
	if hint == "" {
		hint = "the standard graphs are " + strings.Join(names, ", ")
	}
	return nil, &pipeline.Error{Pos: pipeline.Pos{File: StdPrefix + name}, Msg: "no standard graph named " + `"` + name + `"`, Hint: hint}
}

// stdParsed holds every standard graph parsed once at init (the embedded
// files never change): a gateway builds a call's graph from a template for
// every call, and parsing YAML each time cost a quarter of its CPU.
var stdParsed = func() map[string]stdEntry {
	m := map[string]stdEntry{}
	for _, name := range StdNames() {
		data, _ := stdFS.ReadFile(name + ".yaml")
		spec, err := ParseYAML("graphs/"+name+".yaml", data)
		m[name] = stdEntry{spec, err}
	}
	return m
}()

type stdEntry struct {
	spec *pipeline.Spec
	err  error
}

// Std returns the standard graph name, parsed (a fresh copy the caller may
// change). Positions name the file "graphs/NAME.yaml" (its path in the
// source tree).
func Std(name string) (*pipeline.Spec, error) {
	e, ok := stdParsed[strings.TrimSuffix(name, ".yaml")]
	if !ok {
		_, err := StdSource(name) // the error with its did-you-mean hint
		return nil, err
	}
	if e.err != nil {
		return nil, e.err
	}
	return e.spec.Clone(), nil
}

// Resolve turns a command-line graph argument into a spec (see Parse) and
// expands its variables with vars (then the graph's own vars: defaults).
// Errors are returned unchanged: a *pipeline.Error or a pipeline.ErrorList.
func Resolve(arg string, vars map[string]string) (*pipeline.Spec, error) {
	spec, err := Parse(arg)
	if err != nil {
		return nil, err
	}
	return spec.Expand(vars)
}

// Parse turns a command-line graph argument into a spec whose variables
// are not yet expanded (for callers that expand one spec many times):
//
//   - "std:NAME" is the standard graph NAME (see Std);
//   - the path of an existing file, or a word ending in .yaml or .yml that
//     contains no '!' or '=', is a YAML graph file (see Load);
//   - anything else is a pipeline in the one-line syntax (see ParseLine).
func Parse(arg string) (*pipeline.Spec, error) {
	switch {
	case strings.HasPrefix(arg, StdPrefix):
		return Std(strings.TrimPrefix(arg, StdPrefix))
	case isFile(arg) || (strings.HasSuffix(arg, ".yaml") || strings.HasSuffix(arg, ".yml")) && !strings.ContainsAny(arg, "!="):
		return Load(arg)
	default:
		return ParseLine(arg)
	}
}

func isFile(path string) bool {
	if path == "" || strings.ContainsAny(path, "\n") {
		return false
	}
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}
