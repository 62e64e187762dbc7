package graphs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/voxgraph/voxgraph/pipeline"
	"go.yaml.in/yaml/v3"
)

// topKeys are the keys allowed at the top level of a graph file.
var topKeys = []string{"name", "vars", "elements", "links"}

// Load reads and parses the YAML graph file at path. Positions in the spec
// and in errors name path. Errors are a *pipeline.Error or a
// pipeline.ErrorList.
func Load(path string) (*pipeline.Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		hint := "check the path"
		if errors.Is(err, fs.ErrNotExist) {
			hint = "check the path; built-in graphs are named std:NAME (" + strings.Join(StdNames(), ", ") + ")"
		}
		return nil, &pipeline.Error{Pos: pipeline.Pos{File: path}, Msg: "cannot read graph file: " + err.Error(), Hint: hint}
	}
	return ParseYAML(path, data)
}

// yamlParser holds the state of one ParseYAML call.
type yamlParser struct {
	file string
	errs errorSet
}

func (p *yamlParser) pos(n *yaml.Node) pipeline.Pos {
	return pipeline.Pos{File: p.file, Line: n.Line, Col: n.Column}
}

// deref follows YAML aliases (*name) to the anchored node. It returns nil
// for a dangling alias.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode; i++ {
		if i > 100 {
			return nil
		}
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// ParseYAML parses a graph in the YAML syntax. file names the source in
// positions and errors (use "<yaml>" or similar when there is no file).
// Errors are a *pipeline.Error or a pipeline.ErrorList; ParseYAML does not
// panic on any input.
func ParseYAML(file string, data []byte) (spec *pipeline.Spec, err error) {
	if file == "" {
		file = "<yaml>"
	}
	defer func() {
		if r := recover(); r != nil {
			spec = nil
			err = &pipeline.Error{Pos: pipeline.Pos{File: file, Line: 1, Col: 1},
				Msg: fmt.Sprintf("internal error while parsing YAML: %v", r), Hint: "check the file's YAML syntax, and please report this"}
		}
	}()
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return nil, emptyFile(file)
		}
		return nil, yamlError(file, data, err)
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == io.EOF:
	case err != nil:
		return nil, yamlError(file, data, err)
	default:
		return nil, &pipeline.Error{Pos: pipeline.Pos{File: file, Line: max(extra.Line, 1), Col: max(extra.Column, 1)},
			Msg: "more than one YAML document", Hint: "a graph file holds one graph; remove the '---' separator and what follows"}
	}
	p := &yamlParser{file: file}
	spec = p.parse(&doc)
	if err := p.errs.err(); err != nil {
		return nil, err
	}
	return spec, nil
}

func emptyFile(file string) error {
	return &pipeline.Error{Pos: pipeline.Pos{File: file, Line: 1, Col: 1}, Msg: "empty graph file",
		Hint: "a graph file has the keys name, vars, elements and links; see the graphs package documentation"}
}

func (p *yamlParser) parse(doc *yaml.Node) *pipeline.Spec {
	root := doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			p.errs.list = append(p.errs.list, emptyFile(p.file).(*pipeline.Error))
			return nil
		}
		root = root.Content[0]
	}
	root = deref(root)
	if root == nil || isNull(root) {
		p.errs.list = append(p.errs.list, emptyFile(p.file).(*pipeline.Error))
		return nil
	}
	if root.Kind != yaml.MappingNode {
		p.errs.add(p.pos(root), "a graph file is a mapping with the keys name, vars, elements and links", "the graph must be a mapping, not a %s", kindName(root))
		return nil
	}
	spec := &pipeline.Spec{}
	seen := map[string]*yaml.Node{}
	var elements, links *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		key, ok := p.scalarKey(k)
		if !ok {
			continue
		}
		if prev, dup := seen[key]; dup {
			p.errs.add(p.pos(k), fmt.Sprintf("it is already given at line %d; give each key once", prev.Line), "duplicate key %q", key)
			continue
		}
		seen[key] = k
		switch key {
		case "name":
			if s, ok := p.scalar(v, "the graph name"); ok {
				spec.Name = s
			}
		case "vars":
			spec.Vars = p.vars(v)
		case "elements":
			elements = v
		case "links":
			links = v
		default:
			hint := pipeline.DidYouMean(key, topKeys)
			if hint == "" {
				hint = "the top-level keys are name, vars, elements and links"
			}
			p.errs.add(p.pos(k), hint, "unknown key %q", key)
		}
	}
	declared := map[string]bool{}
	var names []string
	if elements == nil {
		if len(p.errs.list) == 0 {
			p.errs.add(p.pos(root), "add an elements: mapping, e.g. \"elements: {src: {type: tone}}\"", "the graph has no elements")
		}
	} else {
		spec.Elements = p.elements(elements, declared)
		for _, e := range spec.Elements {
			names = append(names, e.Name)
		}
	}
	if links != nil {
		spec.Links = p.links(links, declared, names)
	}
	return spec
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "scalar"
	case yaml.DocumentNode:
		return "document"
	case yaml.AliasNode:
		return "alias"
	}
	return "node"
}

// scalarKey returns the text of a mapping key, reporting non-scalar keys.
func (p *yamlParser) scalarKey(k *yaml.Node) (string, bool) {
	d := deref(k)
	if d == nil || d.Kind != yaml.ScalarNode {
		p.errs.add(p.pos(k), "keys are plain words", "a key must be a scalar, not a %s", kindName(k))
		return "", false
	}
	return d.Value, true
}

// scalar returns the literal text of a scalar value.
func (p *yamlParser) scalar(v *yaml.Node, what string) (string, bool) {
	d := deref(v)
	if d == nil {
		p.errs.add(p.pos(v), "define the anchor before using it", "%s is an unresolved alias", what)
		return "", false
	}
	if d.Kind != yaml.ScalarNode {
		p.errs.add(p.pos(v), "write a single value, quoted if it contains special characters", "%s must be a scalar, not a %s", what, kindName(d))
		return "", false
	}
	return d.Value, true
}

func (p *yamlParser) vars(v *yaml.Node) map[string]string {
	d := deref(v)
	if d != nil && isNull(d) {
		return nil
	}
	if d == nil || d.Kind != yaml.MappingNode {
		p.errs.add(p.pos(v), "write vars as a mapping: \"vars: {remote: 127.0.0.1:40000}\"", "vars must be a mapping")
		return nil
	}
	vars := map[string]string{}
	for i := 0; i+1 < len(d.Content); i += 2 {
		k, val := d.Content[i], d.Content[i+1]
		name, ok := p.scalarKey(k)
		if !ok {
			continue
		}
		if !validVar(name) {
			p.errs.add(p.pos(k), "variable names use only letters, digits, _ and -", "bad variable name %q", name)
			continue
		}
		if _, dup := vars[name]; dup {
			p.errs.add(p.pos(k), "give each variable once", "variable %q is defined twice", name)
			continue
		}
		if s, ok := p.scalar(val, fmt.Sprintf("variable %q", name)); ok {
			vars[name] = s
		}
	}
	return vars
}

func validVar(n string) bool {
	if n == "" {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !(c == '_' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func (p *yamlParser) elements(v *yaml.Node, declared map[string]bool) []pipeline.ElementSpec {
	d := deref(v)
	if d != nil && isNull(d) {
		p.errs.add(p.pos(v), "add elements, e.g. \"elements: {src: {type: tone}}\"", "the graph has no elements")
		return nil
	}
	if d == nil || d.Kind != yaml.MappingNode {
		p.errs.add(p.pos(v), "elements is a mapping from element name to its settings: \"NAME: {type: TYPE, key: value}\"",
			"elements must be a mapping, not a %s", kindName(v))
		return nil
	}
	var out []pipeline.ElementSpec
	firstLine := map[string]int{}
	for i := 0; i+1 < len(d.Content); i += 2 {
		k, body := d.Content[i], d.Content[i+1]
		name, ok := p.scalarKey(k)
		if !ok {
			continue
		}
		if !validName(name) {
			p.errs.add(p.pos(k), "element names "+nameHint, "bad element name %q", name)
			continue
		}
		if declared[name] {
			p.errs.add(p.pos(k), fmt.Sprintf("it is already declared at line %d; element names must be unique", firstLine[name]),
				"duplicate element %q", name)
			continue
		}
		declared[name] = true
		firstLine[name] = k.Line
		if e, ok := p.element(name, k, body); ok {
			out = append(out, e)
		}
	}
	return out
}

func (p *yamlParser) element(name string, k, body *yaml.Node) (pipeline.ElementSpec, bool) {
	e := pipeline.ElementSpec{Name: name, Pos: p.pos(k)}
	b := deref(body)
	if b == nil || isNull(b) {
		p.errs.add(p.pos(k), fmt.Sprintf("write \"%s: {type: TYPE}\"", name), "element %q has no type", name)
		return e, false
	}
	if b.Kind != yaml.MappingNode {
		hint := fmt.Sprintf("write \"%s: {type: TYPE, key: value}\"", name)
		if b.Kind == yaml.ScalarNode && validName(b.Value) {
			hint = fmt.Sprintf("write \"%s: {type: %s}\"", name, b.Value)
		}
		p.errs.add(p.pos(body), hint, "element %q must be a mapping with a type, not a %s", name, kindName(b))
		return e, false
	}
	ok := true
	var typeKey *yaml.Node
	for i := 0; i+1 < len(b.Content); i += 2 {
		pk, pv := b.Content[i], b.Content[i+1]
		key, kok := p.scalarKey(pk)
		if !kok {
			ok = false
			continue
		}
		switch {
		case key == "type":
			if typeKey != nil {
				p.errs.add(p.pos(pk), "give the type once", "element %q has two types", name)
				ok = false
				continue
			}
			typeKey = pk
			t, tok := p.scalar(pv, fmt.Sprintf("the type of %q", name))
			switch {
			case !tok:
				ok = false
			case t == "":
				p.errs.add(p.pos(pv), "write the element type, e.g. \"type: tone\"", "element %q has an empty type", name)
				ok = false
			case !validName(t):
				p.errs.add(p.pos(pv), "element types "+nameHint, "bad element type %q", t)
				ok = false
			default:
				e.Type = t
			}
		case key == "name":
			p.errs.add(p.pos(pk), fmt.Sprintf("the element's name is its key under elements: (%q); remove this line", name),
				"element %q has a name property", name)
			ok = false
		case key == "<<":
			p.errs.add(p.pos(pk), "write the properties out in each element", "YAML merge keys (<<) are not supported")
			ok = false
		case !validName(key):
			p.errs.add(p.pos(pk), "property names "+nameHint, "bad property name %q", key)
			ok = false
		default:
			if prev, found := findProp(e.Props, key); found {
				p.errs.add(p.pos(pk), fmt.Sprintf("it is already set at line %d; set it once", prev.Pos.Line),
					"property %q is set twice on %q", key, name)
				ok = false
				continue
			}
			val, vok := p.propValue(name, key, pv)
			if !vok {
				ok = false
				continue
			}
			e.Props = append(e.Props, pipeline.PropSpec{Key: key, Value: val, Pos: p.pos(pk), VPos: p.pos(pv)})
		}
	}
	if typeKey == nil {
		p.errs.add(p.pos(k), fmt.Sprintf("add \"type: TYPE\" to %q, e.g. {type: tone}", name), "element %q has no type", name)
		ok = false
	}
	return e, ok
}

func findProp(props []pipeline.PropSpec, key string) (pipeline.PropSpec, bool) {
	for _, p := range props {
		if p.Key == key {
			return p, true
		}
	}
	return pipeline.PropSpec{}, false
}

// propValue returns a property value: the literal text of a scalar, or the
// comma-joined items of a list of scalars.
func (p *yamlParser) propValue(elem, key string, v *yaml.Node) (string, bool) {
	d := deref(v)
	if d == nil {
		p.errs.add(p.pos(v), "define the anchor before using it", "property %q of %q is an unresolved alias", key, elem)
		return "", false
	}
	switch d.Kind {
	case yaml.ScalarNode:
		return d.Value, true
	case yaml.SequenceNode:
		items := make([]string, 0, len(d.Content))
		for _, it := range d.Content {
			di := deref(it)
			if di == nil || di.Kind != yaml.ScalarNode {
				p.errs.add(p.pos(it), "a list value holds plain values: [350, 440]", "property %q of %q: list items must be scalars", key, elem)
				return "", false
			}
			if strings.Contains(di.Value, ",") {
				p.errs.add(p.pos(it), "lists are stored comma separated, so an item cannot contain a comma; use a single quoted string instead",
					"property %q of %q: list item %q contains a comma", key, elem, di.Value)
				return "", false
			}
			items = append(items, di.Value)
		}
		return strings.Join(items, ","), true
	}
	p.errs.add(p.pos(v), "a value is a scalar (level: -10) or a list of scalars (freqs: [350, 440])",
		"property %q of %q: a %s is not allowed as a value", key, elem, kindName(d))
	return "", false
}

func (p *yamlParser) links(v *yaml.Node, declared map[string]bool, names []string) []pipeline.LinkSpec {
	d := deref(v)
	if d != nil && isNull(d) {
		return nil
	}
	if d == nil || d.Kind != yaml.SequenceNode {
		p.errs.add(p.pos(v), "links is a list of chains: \"links: [\\\"src -> sink\\\"]\"", "links must be a list, not a %s", kindName(v))
		return nil
	}
	var out []pipeline.LinkSpec
	for _, it := range d.Content {
		s := deref(it)
		if s == nil || s.Kind != yaml.ScalarNode {
			p.errs.add(p.pos(it), "write each link as a string: \"- a -> b -> c\"", "a link must be a string, not a %s", kindName(it))
			continue
		}
		out = append(out, p.chain(it, s, declared, names)...)
	}
	return out
}

type endpointTok struct {
	name, port string
	pos        pipeline.Pos
}

// chain parses one "a -> b.port -> c" link string held by the scalar s (it
// is the node in the file; they differ for an alias).
func (p *yamlParser) chain(it, s *yaml.Node, declared map[string]bool, names []string) []pipeline.LinkSpec {
	text := s.Value
	// The column of byte off of the text, for single-line plain or quoted scalars.
	at := func(off int) pipeline.Pos {
		pos := p.pos(it)
		if it != s || s.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
			return pos
		}
		if s.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
			pos.Col++
		}
		pos.Col += off
		return pos
	}
	parts := strings.Split(text, "->")
	if len(parts) == 1 {
		p.errs.add(at(0), "write links as \"from -> to\", e.g. \"src -> sink\"", "link %q has no '->'", text)
		return nil
	}
	var toks []endpointTok
	bad := false
	off := 0
	for i, part := range parts {
		trimmed := strings.Trim(part, " \t\r\n")
		lead := strings.Index(part, trimmed)
		if trimmed == "" {
			lead = 0
		}
		tokOff := off + lead
		arrowBefore := off - 2
		arrowAfter := off + len(part)
		off += len(part) + 2
		switch {
		case trimmed == "" && i == 0:
			p.errs.add(at(arrowAfter), "put an element name before '->'", "link %q starts with '->'", text)
			bad = true
			continue
		case trimmed == "" && i == len(parts)-1:
			p.errs.add(at(arrowBefore), "put an element name after '->'", "link %q ends with '->'", text)
			bad = true
			continue
		case trimmed == "":
			p.errs.add(at(arrowAfter), "put an element name between the arrows, or remove one", "link %q has an empty step between two '->'", text)
			bad = true
			continue
		}
		name, port, hasDot := strings.Cut(trimmed, ".")
		switch {
		case !validName(name):
			hint := "a link endpoint is NAME or NAME.PORT; element names " + nameHint
			if strings.Contains(trimmed, ">") || strings.Contains(trimmed, "-") && strings.Contains(trimmed, " ") {
				hint = "separate the steps of a link with \"->\""
			}
			p.errs.add(at(tokOff), hint, "bad element name %q in link", trimmed)
			bad = true
			continue
		case hasDot && port == "":
			p.errs.add(at(tokOff+len(name)), fmt.Sprintf("write %s for any free port or %s.PORT for a specific one", name, name),
				"missing port name after %q", name+".")
			bad = true
			continue
		case hasDot && !validName(port):
			p.errs.add(at(tokOff+len(name)+1), "port names "+nameHint, "bad port name %q in link", port)
			bad = true
			continue
		}
		if !declared[name] {
			hint := pipeline.DidYouMean(name, names)
			if hint == "" {
				hint = "declare it under elements:"
			}
			p.errs.add(at(tokOff), hint, "link to unknown element %q", name)
			bad = true
			continue
		}
		toks = append(toks, endpointTok{name, port, at(tokOff)})
	}
	if bad {
		return nil
	}
	out := make([]pipeline.LinkSpec, 0, len(toks)-1)
	for i := 0; i+1 < len(toks); i++ {
		a, b := toks[i], toks[i+1]
		out = append(out, pipeline.LinkSpec{From: a.name, FromPort: a.port, To: b.name, ToPort: b.port, Pos: a.pos})
	}
	return out
}

var yamlLineRe = regexp.MustCompile(`^line (\d+): (.*)$`)

// parserErrors are the messages of the YAML library's parser (as opposed to
// its scanner), whose line numbers are one too small.
var parserErrors = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

// yamlError turns an error of the YAML library into a *pipeline.Error with
// the best position that can be recovered from it.
func yamlError(file string, data []byte, err error) *pipeline.Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line, col := 0, 0
	if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
		if n, cerr := strconv.Atoi(m[1]); cerr == nil {
			line, col, msg = n, 1, m[2]
			if parserErrors[msg] {
				// The library reports parser errors with the 0-based line
				// of the construct being parsed (scanner errors are 1-based).
				line++
			}
		}
	}
	if line == 0 {
		line, col = guessErrorPos(data, msg)
	}
	return &pipeline.Error{Pos: pipeline.Pos{File: file, Line: line, Col: col}, Msg: "YAML syntax error: " + msg, Hint: yamlHint(msg)}
}

// guessErrorPos finds the likely position of a YAML error reported without
// a line: the first bad byte for encoding errors, the alias for anchor
// errors, else the start of the file.
func guessErrorPos(data []byte, msg string) (line, col int) {
	off := -1
	switch {
	case strings.Contains(msg, "UTF-8") || strings.Contains(msg, "utf-8"):
		for i := 0; i < len(data); {
			r, n := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && n <= 1 {
				off = i
				break
			}
			i += n
		}
	case strings.Contains(msg, "control characters"):
		for i, c := range data {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
				off = i
				break
			}
		}
	case strings.HasPrefix(msg, "unknown anchor '"):
		name, _, _ := strings.Cut(strings.TrimPrefix(msg, "unknown anchor '"), "'")
		off = bytes.Index(data, []byte("*"+name))
	case strings.HasPrefix(msg, "anchor '"):
		name, _, _ := strings.Cut(strings.TrimPrefix(msg, "anchor '"), "'")
		off = bytes.Index(data, []byte("&"+name))
	}
	if off < 0 {
		return 1, 1
	}
	line = 1 + bytes.Count(data[:off], []byte("\n"))
	col = off - (bytes.LastIndexByte(data[:off], '\n') + 1) + 1
	return line, col
}

func yamlHint(msg string) string {
	switch {
	case strings.Contains(msg, "found character that cannot start any token"):
		return "indent with spaces, not tabs, and quote values that start with special characters such as @ or `"
	case strings.Contains(msg, "mapping values are not allowed"):
		return "quote values that contain \": \", or check the indentation of this line"
	case strings.Contains(msg, "did not find expected key"), strings.Contains(msg, "could not find expected ':'"):
		return "check the indentation and that every key is followed by ':'"
	case strings.Contains(msg, "did not find expected"):
		return "check for a missing closing bracket, brace or quote"
	case strings.Contains(msg, "anchor"):
		return "define an anchor (&name) before using it (*name), and not inside itself"
	case strings.Contains(msg, "UTF-8") || strings.Contains(msg, "control characters"):
		return "save the file as UTF-8 text"
	}
	return "check the indentation and quoting near this position"
}
