package graphs_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/voxgraph/voxgraph/graphs"
	"github.com/voxgraph/voxgraph/pipeline"
)

// same compares two specs ignoring positions.
func same(t *testing.T, got, want *pipeline.Spec) {
	t.Helper()
	g, w := got.StripPos(), want.StripPos()
	if !reflect.DeepEqual(g, w) {
		t.Errorf("specs differ\n got: %#v\nwant: %#v", g, w)
	}
}

func TestYAMLAndLineAgree(t *testing.T) {
	cases := []struct {
		name, yaml, line string
	}{
		{
			name: "tee branch with ports and lists",
			yaml: `name: transcode
elements:
  src:  {type: tone, freqs: [350, 440], level: -10, duration: 2s}
  t:    {type: tee}
  enc:  {type: encode, codec: PCMU}
  out:  {type: wav-sink, path: "my file.wav"}
  n:    {type: null-sink}
links:
  - src -> t -> enc -> out
  - t.out_1 -> n
`,
			line: `name=transcode tone name=src freqs=350,440 level=-10 duration=2s ! tee name=t ! encode name=enc codec=PCMU ! wav-sink name=out path="my file.wav"  t.out_1 ! null-sink name=n`,
		},
		{
			name: "automatic names and a reference",
			yaml: `elements:
  tone0: {type: tone, freqs: 1000, duration: 2s}
  t: {type: tee}
  wav-sink0: {type: wav-sink, path: a.wav}
  wav-sink1: {type: wav-sink, path: 'b c.wav'}
links:
  - tone0 -> t -> wav-sink0
  - "t -> wav-sink1"
`,
			line: `tone freqs=1000 duration=2s ! tee name=t ! wav-sink path=a.wav t. ! wav-sink path='b c.wav'`,
		},
		{
			name: "reference before declaration",
			yaml: `elements:
  tone0: {type: tone}
  mix: {type: mix}
  null-sink0: {type: null-sink}
links: ["tone0 -> mix.in_0", "mix -> null-sink0"]
`,
			line: `tone ! mix.in_0  mix name=mix ! null-sink`,
		},
		{
			name: "explicit names are skipped by automatic ones",
			yaml: `elements:
  tone1: {type: tone}
  tone0: {type: tone}
  tone2: {type: tone}
links:
  - tone1 -> tone0 -> tone2
`,
			line: `tone ! tone name=tone0 ! tone`,
		},
		{
			name: "reference in the middle of a chain",
			yaml: `elements:
  a: {type: tone}
  c: {type: null-sink}
  b: {type: mix}
  d: {type: tone}
links:
  - a -> b.in_1 -> c
  - d -> b
`,
			line: `tone name=a ! b.in_1 ! null-sink name=c  mix name=b  tone name=d ! b.`,
		},
		{
			name: "single element, escapes, empty value",
			yaml: `elements:
  s: {type: wav-sink, path: "say \"hi\"\\.wav", note: "", list: []}
`,
			line: `wav-sink name=s path="say \"hi\"\\.wav" note= list=""`,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ys, err := graphs.ParseYAML("g.yaml", []byte(c.yaml))
			if err != nil {
				t.Fatalf("ParseYAML: %v", err)
			}
			ls, err := graphs.ParseLine(c.line)
			if err != nil {
				t.Fatalf("ParseLine: %v", err)
			}
			same(t, ls, ys)
			// Both render to a line that parses back to the same spec.
			for _, s := range []*pipeline.Spec{ys, ls} {
				text := graphs.FormatLine(s)
				back, err := graphs.ParseLine(text)
				if err != nil {
					t.Fatalf("ParseLine(FormatLine) %q: %v", text, err)
				}
				same(t, back, s)
			}
		})
	}
}

func TestYAMLPositions(t *testing.T) {
	src := `name: p
elements:
  src: {type: tone, freqs: [350, 440]}
  out: {type: null-sink}
links:
  - src -> out
  - "src.out_0 ->  out"
`
	s, err := graphs.ParseYAML("p.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	pos := func(l, c int) pipeline.Pos { return pipeline.Pos{File: "p.yaml", Line: l, Col: c} }
	checks := []struct {
		what      string
		got, want pipeline.Pos
	}{
		{"element src", s.Elements[0].Pos, pos(3, 3)},
		{"prop key", s.Elements[0].Props[0].Pos, pos(3, 21)},
		{"prop value", s.Elements[0].Props[0].VPos, pos(3, 28)},
		{"plain link", s.Links[0].Pos, pos(6, 5)},
		{"quoted link", s.Links[1].Pos, pos(7, 6)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: pos %v, want %v", c.what, c.got, c.want)
		}
	}
	if v := s.Elements[0].Props[0].Value; v != "350,440" {
		t.Errorf("list value %q", v)
	}
}

func TestLinePositions(t *testing.T) {
	s, err := graphs.ParseLine(`tone level=-10 ! tee name=t  t.out_1 ! null-sink`)
	if err != nil {
		t.Fatal(err)
	}
	p := func(c int) pipeline.Pos { return pipeline.Pos{File: graphs.LineFile, Line: 1, Col: c} }
	if s.Elements[0].Pos != p(1) || s.Elements[0].Props[0].Pos != p(6) || s.Elements[0].Props[0].VPos != p(12) {
		t.Errorf("tone positions: %+v", s.Elements[0])
	}
	if s.Elements[1].Pos != p(18) {
		t.Errorf("tee pos %v", s.Elements[1].Pos)
	}
	if s.Links[1].Pos != p(30) || s.Links[1].String() != "t.out_1 -> null-sink0" {
		t.Errorf("link %v at %v", s.Links[1], s.Links[1].Pos)
	}
}

// errCase is an input that must fail with an error at pos whose text contains msg.
type errCase struct {
	name, in string
	pos      string // file:line:col expected in the error text
	msg      string // substring of the message
}

func checkErr(t *testing.T, err error, c errCase) {
	t.Helper()
	if err == nil {
		t.Fatalf("%q: no error", c.in)
	}
	var pe *pipeline.Error
	if !errors.As(err, &pe) {
		t.Fatalf("%q: error %T is not a *pipeline.Error/ErrorList: %v", c.in, err, err)
	}
	for _, e := range pipeline.Errors(err) {
		if e.Pos.File == "" {
			t.Errorf("%q: error without file: %v", c.in, e)
		}
	}
	text := err.Error()
	if !strings.Contains(text, c.pos+": ") {
		t.Errorf("%q: error %q does not contain position %s", c.in, text, c.pos)
	}
	if !strings.Contains(text, c.msg) {
		t.Errorf("%q: error %q does not contain %q", c.in, text, c.msg)
	}
}

func TestLineErrors(t *testing.T) {
	cases := []errCase{
		{"empty", "", "<pipeline>:1:1", "empty pipeline"},
		{"blank", "  \t ", "<pipeline>:1:1", "empty pipeline"},
		{"bang at start", "! tone", "<pipeline>:1:1", "at the start"},
		{"bang at end", "tone !", "<pipeline>:1:6", "at the end"},
		{"double bang", "tone ! ! null-sink", "<pipeline>:1:8", "follows another '!'"},
		{"property first", "freqs=1 ! tone", "<pipeline>:1:1", "has no element"},
		{"property after bang", "tone ! freqs=1", "<pipeline>:1:8", "expected an element type"},
		{"empty key", "tone =5", "<pipeline>:1:6", "without a property name"},
		{"unterminated double quote", `tone ! wav-sink path="a.wav`, "<pipeline>:1:22", "unterminated double quote"},
		{"unterminated single quote", `tone ! wav-sink path='a.wav`, "<pipeline>:1:22", "unterminated single quote"},
		{"escaped final quote", `wav-sink path="a\"`, "<pipeline>:1:15", "unterminated"},
		{"bad name", "tone name=1x", "<pipeline>:1:11", `bad element name "1x"`},
		{"duplicate name", "tone name=a ! tee name=a", "<pipeline>:1:24", `duplicate element name "a"`},
		{"named twice", "tone name=a name=b", "<pipeline>:1:13", "named twice"},
		{"type like property", "tone ! path:x", "<pipeline>:1:8", `bad element type "path:x"`},
		{"bad type", "to/ne", "<pipeline>:1:1", "bad element type"},
		{"quoted type", `"tone"`, "<pipeline>:1:1", "unexpected quote"},
		{"quoted key", `tone "a"=1`, "<pipeline>:1:6", "quoted property name"},
		{"bad key", "tone 1a=1", "<pipeline>:1:6", "bad property name"},
		{"type property", "tone type=x", "<pipeline>:1:6", "\"type\" cannot be set"},
		{"duplicate property", "tone freqs=1 freqs=2", "<pipeline>:1:14", "set twice"},
		{"unknown reference", "tone name=src ! srx.", "<pipeline>:1:17", `no element named "srx" (did you mean "src"?)`},
		{"bad port", "tone name=t ! t.1x", "<pipeline>:1:17", `bad port name "1x"`},
		{"bad reference name", "tone ! 1.x", "<pipeline>:1:8", "bad element name"},
		{"property on reference", "tone name=t ! t. level=3", "<pipeline>:1:18", "cannot be set on the reference"},
		{"lonely reference", "tone name=t t.", "<pipeline>:1:13", "not linked"},
		{"only graph name", "name=g", "<pipeline>:1:1", "empty pipeline"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := graphs.ParseLine(c.in)
			if s != nil {
				t.Errorf("spec returned with error")
			}
			checkErr(t, err, c)
		})
	}
}

func TestLineCollectsErrors(t *testing.T) {
	_, err := graphs.ParseLine("tone 1a=1 ! tee 2b=2 ! x.")
	if n := len(pipeline.Errors(err)); n != 3 {
		t.Errorf("got %d errors, want 3: %v", n, err)
	}
}

func TestYAMLErrors(t *testing.T) {
	cases := []errCase{
		{"unknown top key", "name: x\nelement:\n  a: {type: tone}\n", "g.yaml:2:1", `unknown key "element" (did you mean "elements"`},
		{"no elements", "name: x\n", "g.yaml:1:1", "no elements"},
		{"empty file", "", "g.yaml:1:1", "empty graph file"},
		{"comment only", "# nothing\n", "g.yaml:1:1", "empty graph file"},
		{"not a mapping", "- a\n", "g.yaml:1:1", "must be a mapping"},
		{"missing type", "elements:\n  a: {level: 1}\n", "g.yaml:2:3", `"a" has no type`},
		{"null element", "elements:\n  a:\n", "g.yaml:2:3", `"a" has no type`},
		{"empty type", "elements:\n  a: {type: \"\"}\n", "g.yaml:2:13", "empty type"},
		{"scalar element", "elements:\n  a: tone\n", "g.yaml:2:6", `write "a: {type: tone}"`},
		{"name inside", "elements:\n  a: {type: tone, name: b}\n", "g.yaml:2:19", "name property"},
		{"duplicate element", "elements:\n  a: {type: tone}\n  a: {type: tee}\n", "g.yaml:3:3", `duplicate element "a"`},
		{"bad element name", "elements:\n  1x: {type: tone}\n", "g.yaml:2:3", `bad element name "1x"`},
		{"map value", "elements:\n  a: {type: tone, opts: {x: 1}}\n", "g.yaml:2:25", "mapping is not allowed"},
		{"nested list", "elements:\n  a: {type: tone, f: [[1]]}\n", "g.yaml:2:23", "items must be scalars"},
		{"duplicate prop", "elements:\n  a: {type: tone, f: 1, f: 2}\n", "g.yaml:2:25", "set twice"},
		{"link end", "elements:\n  a: {type: tone}\nlinks:\n  - a ->\n", "g.yaml:4:7", "ends with '->'"},
		{"link start", "elements:\n  a: {type: tone}\nlinks:\n  - -> a\n", "g.yaml:4:5", "starts with '->'"},
		{"empty step", "elements:\n  a: {type: tone}\nlinks:\n  - a -> -> a\n", "g.yaml:4:10", "empty step"},
		{"bad port", "elements:\n  a: {type: tone}\nlinks:\n  - a.1 -> a\n", "g.yaml:4:7", `bad port name "1"`},
		{"missing port", "elements:\n  a: {type: tone}\nlinks:\n  - \"a -> a.\"\n", "g.yaml:4:12", "missing port"},
		{"no arrow", "elements:\n  a: {type: tone}\nlinks:\n  - a\n", "g.yaml:4:5", "has no '->'"},
		{"unknown link target", "elements:\n  src: {type: tone}\nlinks:\n  - src -> srx\n", "g.yaml:4:12", `unknown element "srx" (did you mean "src"?)`},
		{"links not a list", "elements:\n  a: {type: tone}\nlinks: a -> a\n", "g.yaml:3:8", "must be a list"},
		{"link not a string", "elements:\n  a: {type: tone}\nlinks:\n  - [a, b]\n", "g.yaml:4:5", "must be a string"},
		{"duplicate top key", "elements:\n  a: {type: tone}\nelements:\n  b: {type: tone}\n", "g.yaml:3:1", "duplicate key"},
		{"bad var", "vars: {x: [1]}\nelements:\n  a: {type: tone}\n", "g.yaml:1:11", "must be a scalar"},
		{"syntax error", "elements:\n  a: {type: tone\n", "g.yaml:2:1", "YAML syntax error: did not find expected ',' or '}'"},
		{"syntax error line", "name: a\nelements:\n  a: {type: tone}\n b: c\n", "g.yaml:4:1", "YAML syntax error"},
		{"tab indent", "elements:\n\ta: {type: tone}\n", "g.yaml:2:1", "YAML syntax error"},
		{"bad utf8", "name: a\nelements: \xff\n", "g.yaml:2:11", "YAML syntax error"},
		{"unknown anchor", "name: a\nelements:\n  a: *b\n", "g.yaml:3:6", "unknown anchor"},
		{"two documents", "elements:\n  a: {type: tone}\n---\nname: x\n", "g.yaml:3:1", "more than one YAML document"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := graphs.ParseYAML("g.yaml", []byte(c.in))
			if s != nil {
				t.Errorf("spec returned with error")
			}
			checkErr(t, err, c)
		})
	}
}

func TestYAMLCollectsErrors(t *testing.T) {
	_, err := graphs.ParseYAML("g.yaml", []byte("elements:\n  a: {}\n  b: {type: tee, name: x}\nlinks: [a -> c]\n"))
	if n := len(pipeline.Errors(err)); n != 3 {
		t.Errorf("got %d errors, want 3: %v", n, err)
	}
}

func TestYAMLAliasesAndVars(t *testing.T) {
	s, err := graphs.ParseYAML("g.yaml", []byte(`vars: {f: &f 440}
elements:
  a: &body {type: tone, freqs: *f, level: "${lvl}"}
  b: *body
links: [a -> b]
`))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s.Vars, map[string]string{"f": "440"}) {
		t.Errorf("vars %v", s.Vars)
	}
	if v, _ := s.Elements[1].Prop("freqs"); v != "440" || s.Elements[1].Type != "tone" {
		t.Errorf("alias element %+v", s.Elements[1])
	}
}

func TestFormatLine(t *testing.T) {
	spec := &pipeline.Spec{
		Name: "my graph",
		Vars: map[string]string{"x": "1"},
		Elements: []pipeline.ElementSpec{
			{Name: "a", Type: "tone", Props: []pipeline.PropSpec{{Key: "text", Value: `it's "odd" \ !`}, {Key: "e", Value: ""}}},
			{Name: "b", Type: "mix"},
			{Name: "c", Type: "null-sink"},
			{Name: "d", Type: "tee"},
		},
		Links: []pipeline.LinkSpec{
			{From: "b", To: "c"},
			{From: "a", To: "b", ToPort: "in_1"},
			{From: "a", To: "a"},
			{From: "a", FromPort: "x", To: "b", ToPort: "y"},
			{From: "b", FromPort: "y", To: "c"},
		},
	}
	text := graphs.FormatLine(spec)
	want := `name="my graph" b. ! c. tone name=a text="it's \"odd\" \\ !" e="" ! b.in_1 a. ! a. a.x ! b.y ! c. mix name=b null-sink name=c tee name=d`
	if text != want {
		t.Errorf("FormatLine:\n got %s\nwant %s", text, want)
	}
	back, err := graphs.ParseLine(text)
	if err != nil {
		t.Fatalf("ParseLine(%q): %v", text, err)
	}
	exp := spec.StripPos()
	exp.Vars = nil
	same(t, back, exp)

	if got := graphs.FormatLine(&pipeline.Spec{Elements: []pipeline.ElementSpec{{Name: "x", Type: "tone"}}}); got != "tone name=x" {
		t.Errorf("single element: %q", got)
	}
}

func TestStd(t *testing.T) {
	names := graphs.StdNames()
	if len(names) == 0 || !strings.Contains(strings.Join(names, ","), "demo") {
		t.Fatalf("StdNames = %v", names)
	}
	for _, n := range names {
		s, err := graphs.Std(n)
		if err != nil {
			t.Fatalf("Std(%q): %v", n, err)
		}
		if s.Name != n {
			t.Errorf("std graph %q is named %q", n, s.Name)
		}
	}
	s, err := graphs.Std("demo")
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Elements) != 10 || len(s.Links) != 9 {
		t.Errorf("demo: %d elements, %d links", len(s.Elements), len(s.Links))
	}
	if s.Elements[0].Pos.File != "graphs/demo.yaml" {
		t.Errorf("demo positions name %q", s.Elements[0].Pos.File)
	}
	if v, _ := s.Elements[0].Prop("digits"); v != "0123456789*#" {
		t.Errorf("digits = %q", v)
	}
	src, err := graphs.StdSource("demo")
	if err != nil || !strings.Contains(string(src), "name: demo") {
		t.Errorf("StdSource: %v", err)
	}
	_, err = graphs.Std("dem")
	checkErr(t, err, errCase{in: "dem", pos: "std:dem", msg: `no standard graph named "dem" (did you mean "demo"?)`})
	_, err = graphs.StdSource("../graphs/demo")
	checkErr(t, err, errCase{in: "../graphs/demo", pos: "std:../graphs/demo", msg: "no standard graph"})
}

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "g.yml")
	if err := os.WriteFile(file, []byte("vars: {p: def.wav}\nelements:\n  s: {type: wav-sink, path: \"${p}\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	noExt := filepath.Join(dir, "graph")
	if err := os.WriteFile(noExt, []byte("elements:\n  s: {type: null-sink}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, arg string
		vars      map[string]string
		check     func(*pipeline.Spec) bool
		errPos    string // expected error position; "" for success
		errMsg    string
	}{
		{name: "std", arg: "std:demo", check: func(s *pipeline.Spec) bool { return s.Name == "demo" }},
		{name: "file default var", arg: file, check: func(s *pipeline.Spec) bool { v, _ := s.Elements[0].Prop("path"); return v == "def.wav" }},
		{name: "file set var", arg: file, vars: map[string]string{"p": "x.wav"}, check: func(s *pipeline.Spec) bool { v, _ := s.Elements[0].Prop("path"); return v == "x.wav" }},
		{name: "file without extension", arg: noExt, check: func(s *pipeline.Spec) bool { return s.Elements[0].Type == "null-sink" }},
		{name: "line", arg: "tone freqs=${f} ! null-sink", vars: map[string]string{"f": "440"}, check: func(s *pipeline.Spec) bool {
			v, _ := s.Elements[0].Prop("freqs")
			return v == "440" && len(s.Links) == 1
		}},
		{name: "line ending in .yaml", arg: "tone ! wav-sink path=out.yaml", check: func(s *pipeline.Spec) bool { return len(s.Elements) == 2 }},
		{name: "missing file", arg: "nope.yaml", errPos: "nope.yaml", errMsg: "cannot read graph file"},
		{name: "unknown std", arg: "std:nope", errPos: "std:nope", errMsg: "no standard graph"},
		{name: "unset var", arg: "tone freqs=${f}", errPos: "<pipeline>:1:12", errMsg: "${f} is not set"},
		{name: "line error", arg: "tone !", errPos: "<pipeline>:1:6", errMsg: "at the end"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := graphs.Resolve(c.arg, c.vars)
			if c.errPos != "" {
				checkErr(t, err, errCase{in: c.arg, pos: c.errPos, msg: c.errMsg})
				return
			}
			if err != nil {
				t.Fatalf("Resolve(%q): %v", c.arg, err)
			}
			if !c.check(s) {
				t.Errorf("Resolve(%q) = %+v", c.arg, s)
			}
		})
	}
}

func TestLoadNamesPath(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(file, []byte("elements:\n  a: {type: tone}\nlinks:\n  - a -> b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := graphs.Load(file)
	checkErr(t, err, errCase{in: file, pos: file + ":4:10", msg: `unknown element "b"`})
}

func TestLineDetails(t *testing.T) {
	cases := []struct{ in, want string }{
		{"tone ! wav-sink ! wav-sink name=wav-sink0", "tone name=tone0 ! wav-sink name=wav-sink1 ! wav-sink name=wav-sink0"},
		{"tone!null-sink", "tone name=tone0 ! null-sink name=null-sink0"},
		{`wav-sink path=my" "file.wav`, `wav-sink name=wav-sink0 path="my file.wav"`},
		{`wav-sink path='C:\x "y"' q="C:\dir"`, `wav-sink name=wav-sink0 path="C:\\x \"y\"" q="C:\\dir"`},
		{"name=g\ttone\n! null-sink", "name=g tone name=tone0 ! null-sink name=null-sink0"},
		{"tone a=b=c", "tone name=tone0 a=b=c"},
		{"tone0. ! null-sink  tone", "tone0. ! null-sink name=null-sink0 tone name=tone0"},
	}
	for _, c := range cases {
		s, err := graphs.ParseLine(c.in)
		if err != nil {
			t.Errorf("ParseLine(%q): %v", c.in, err)
			continue
		}
		if got := graphs.FormatLine(s); got != c.want {
			t.Errorf("FormatLine(ParseLine(%q))\n got %s\nwant %s", c.in, got, c.want)
		}
	}
}
