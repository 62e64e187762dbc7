package graphs

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/voxgraph/voxgraph/pipeline"
)

// LineFile is the file name used in the positions of errors and specs that
// come from ParseLine.
const LineFile = "<pipeline>"

// word is one lexical token of the one-line syntax: "!" or a run of
// non-blank text, quotes included.
type word struct {
	col   int    // 1-based byte column of the first byte
	raw   string // the text as written
	bang  bool   // the token is "!"
	eq    int    // index in raw of the first unquoted '=', or -1
	quote int    // index in raw of the first quote character, or -1
	value string // the decoded text after eq, quotes removed
	vcol  int    // column of the value (the byte after '=')
}

func isBlank(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func linePos(col int) pipeline.Pos { return pipeline.Pos{File: LineFile, Line: 1, Col: col} }

// lex splits text into words. Its only error is an unterminated quote.
func lex(text string) ([]word, *pipeline.Error) {
	var words []word
	i := 0
	for i < len(text) {
		c := text[i]
		if isBlank(c) {
			i++
			continue
		}
		if c == '!' {
			words = append(words, word{col: i + 1, raw: "!", bang: true, eq: -1, quote: -1})
			i++
			continue
		}
		start := i
		w := word{col: i + 1, eq: -1, quote: -1}
		var val strings.Builder
		for i < len(text) && !isBlank(text[i]) && text[i] != '!' {
			switch c := text[i]; c {
			case '"', '\'':
				if w.quote < 0 {
					w.quote = i - start
				}
				j := i + 1
				for {
					if j >= len(text) {
						kind := "double"
						if c == '\'' {
							kind = "single"
						}
						return nil, &pipeline.Error{Pos: linePos(i + 1),
							Msg:  fmt.Sprintf("unterminated %s quote", kind),
							Hint: fmt.Sprintf("add the closing %c; inside double quotes write \\\" for a quote and \\\\ for a backslash", c)}
					}
					d := text[j]
					if c == '"' && d == '\\' && j+1 < len(text) && (text[j+1] == '"' || text[j+1] == '\\') {
						val.WriteByte(text[j+1])
						j += 2
						continue
					}
					if d == c {
						break
					}
					val.WriteByte(d)
					j++
				}
				i = j + 1
			case '=':
				if w.eq < 0 {
					w.eq = i - start
					w.vcol = i + 2
					val.Reset()
				} else {
					val.WriteByte(c)
				}
				i++
			default:
				val.WriteByte(c)
				i++
			}
		}
		w.raw = text[start:i]
		if w.eq >= 0 {
			w.value = val.String()
		}
		words = append(words, w)
	}
	return words, nil
}

// lineElem is an element declared in one-line syntax.
type lineElem struct {
	typ     string
	name    string // explicit name, or "" until auto-named
	nameCol int
	col     int
	props   []pipeline.PropSpec
}

// lineItem is one member of a chain: an element declaration or a reference.
type lineItem struct {
	elem int // index into the elements; -1 for a reference; -2 for a bad token
	ref  string
	port string
	col  int
	text string
}

// ParseLine parses a pipeline in the one-line syntax, for example
//
//	tone freqs=350,440 ! tee name=t ! wav-sink path=a.wav  t. ! null-sink
//
// See the package documentation for the grammar. Positions in the spec and in
// errors use the file name LineFile, line 1 and the 1-based byte column.
// Errors are a *pipeline.Error or a pipeline.ErrorList.
func ParseLine(text string) (*pipeline.Spec, error) {
	words, lerr := lex(text)
	if lerr != nil {
		return nil, lerr
	}
	var (
		errs      errorSet
		spec      = &pipeline.Spec{}
		elems     []lineElem
		chains    [][]lineItem
		cur       []lineItem
		afterBang bool
		bangCol   int
		graphName bool // a leading name= has been seen
	)
	for _, w := range words {
		switch {
		case w.bang:
			switch {
			case afterBang:
				errs.add(linePos(w.col), "put an element between the two '!' or remove one", "'!' follows another '!' with nothing to link in between")
			case len(cur) == 0:
				errs.add(linePos(w.col), "a pipeline starts with an element type, e.g. \"tone ! null-sink\"", "'!' at the start of the pipeline has nothing to link from")
			}
			afterBang = true
			bangCol = w.col

		case w.eq >= 0:
			key := w.raw[:w.eq]
			switch {
			case afterBang:
				errs.add(linePos(w.col), "after '!' write the element type first, then its properties: \"! wav-sink path=out.wav\"",
					"expected an element type after '!', found the property %q", w.raw)
				continue
			case len(cur) == 0:
				if key == "name" && !graphName {
					graphName = true
					spec.Name = w.value
					continue
				}
				errs.add(linePos(w.col), "write properties after the element type: \"TYPE key=value\"",
					"property %q has no element", w.raw)
				continue
			}
			last := cur[len(cur)-1]
			if last.elem == -2 {
				continue // the element is already reported as bad
			}
			if last.elem == -1 {
				errs.add(linePos(w.col), "set properties where the element is declared (the word without a dot)",
					"property %q cannot be set on the reference %q", w.raw, last.text)
				continue
			}
			e := &elems[last.elem]
			switch {
			case key == "":
				errs.add(linePos(w.col), "write key=value, e.g. \"level=-10\"", "'=' without a property name in %q", w.raw)
			case w.quote >= 0 && w.quote < w.eq:
				errs.add(linePos(w.col+w.quote), "only the value may be quoted: key=\"value\"", "quoted property name in %q", w.raw)
			case !validName(key):
				errs.add(linePos(w.col), "property names "+nameHint, "bad property name %q", key)
			case key == "type":
				errs.add(linePos(w.col), "the type is the first word of the element: \""+w.value+" ...\"",
					"\"type\" cannot be set as a property")
			case key == "name":
				switch {
				case e.name != "":
					errs.add(linePos(w.col), "give each element one name", "element %q is named twice (%q)", e.name, w.value)
				case !validName(w.value):
					errs.add(linePos(w.vcol), "element names "+nameHint, "bad element name %q", w.value)
				default:
					e.name = w.value
					e.nameCol = w.vcol
				}
			default:
				dup := false
				for _, p := range e.props {
					if p.Key == key {
						errs.add(linePos(w.col), fmt.Sprintf("it is already set at column %d; give it once, a list as %s=a,b", p.Pos.Col, key),
							"property %q is set twice on %s", key, e.typ)
						dup = true
						break
					}
				}
				if !dup {
					e.props = append(e.props, pipeline.PropSpec{Key: key, Value: w.value, Pos: linePos(w.col), VPos: linePos(w.vcol)})
				}
			}

		default:
			it := lineItem{col: w.col, text: w.raw, elem: -2}
			switch {
			case w.quote >= 0:
				errs.add(linePos(w.col+w.quote), "only property values may be quoted: key=\"value\"", "unexpected quote in %q", w.raw)
			case strings.Contains(w.raw, "."):
				name, port, _ := strings.Cut(w.raw, ".")
				switch {
				case !validName(name):
					errs.add(linePos(w.col), "a reference is NAME. or NAME.PORT; element names "+nameHint, "bad element name %q in reference %q", name, w.raw)
				case port != "" && !validName(port):
					errs.add(linePos(w.col+len(name)+1), "a reference is NAME. or NAME.PORT; port names "+nameHint, "bad port name %q in reference %q", port, w.raw)
				default:
					it.elem, it.ref, it.port = -1, name, port
				}
			case !validName(w.raw):
				hint := "element types " + nameHint
				if strings.ContainsAny(w.raw, ":") {
					hint = "properties are written key=value after the element type"
				}
				errs.add(linePos(w.col), hint, "bad element type %q", w.raw)
			default:
				it.elem = len(elems)
				elems = append(elems, lineElem{typ: w.raw, col: w.col})
			}
			if !afterBang && len(cur) > 0 {
				chains = append(chains, cur)
				cur = nil
			}
			cur = append(cur, it)
			afterBang = false
		}
	}
	if afterBang && len(cur) > 0 {
		errs.add(linePos(bangCol), "add the element to link to after '!', or remove it", "'!' at the end of the pipeline has nothing to link to")
	}
	if len(cur) > 0 {
		chains = append(chains, cur)
	}
	if len(chains) == 0 {
		if len(errs.list) == 0 {
			errs.add(linePos(1), "write at least one element, e.g. \"tone freqs=440 duration=1s ! wav-sink path=out.wav\"", "empty pipeline")
		}
		return nil, errs.err()
	}

	// Names: explicit ones first, then automatic TYPE<n> names.
	taken := map[string]int{}
	for i := range elems {
		e := &elems[i]
		if e.name == "" {
			continue
		}
		if col, ok := taken[e.name]; ok {
			errs.add(linePos(e.nameCol), fmt.Sprintf("it is already used at column %d; element names must be unique", col),
				"duplicate element name %q", e.name)
			e.name = ""
			continue
		}
		taken[e.name] = e.nameCol
	}
	counters := map[string]int{}
	for i := range elems {
		e := &elems[i]
		if e.name != "" {
			continue
		}
		for {
			n := e.typ + strconv.Itoa(counters[e.typ])
			counters[e.typ]++
			if _, ok := taken[n]; !ok {
				e.name = n
				taken[n] = e.col
				break
			}
		}
	}
	names := make([]string, len(elems))
	for i, e := range elems {
		names[i] = e.name
	}

	// References and links.
	for _, ch := range chains {
		for _, it := range ch {
			if it.elem != -1 {
				continue
			}
			if _, ok := taken[it.ref]; !ok {
				hint := pipeline.DidYouMean(it.ref, names)
				if hint == "" {
					hint = fmt.Sprintf("declare it with name=%s on an element", it.ref)
				}
				errs.add(linePos(it.col), hint, "no element named %q", it.ref)
			}
		}
		if len(ch) == 1 && ch[0].elem == -1 {
			errs.add(linePos(ch[0].col), "link it with '!', e.g. \""+ch[0].text+" ! null-sink\"", "reference %q is not linked to anything", ch[0].text)
			continue
		}
		for i := 0; i+1 < len(ch); i++ {
			a, b := ch[i], ch[i+1]
			if a.elem == -2 || b.elem == -2 {
				continue
			}
			from, fromPort := endpointOf(a, elems)
			to, toPort := endpointOf(b, elems)
			spec.Links = append(spec.Links, pipeline.LinkSpec{From: from, FromPort: fromPort, To: to, ToPort: toPort, Pos: linePos(a.col)})
		}
	}
	if err := errs.err(); err != nil {
		return nil, err
	}
	for _, e := range elems {
		spec.Elements = append(spec.Elements, pipeline.ElementSpec{Name: e.name, Type: e.typ, Props: e.props, Pos: linePos(e.col)})
	}
	return spec, nil
}

func endpointOf(it lineItem, elems []lineElem) (name, port string) {
	if it.elem >= 0 {
		return elems[it.elem].name, ""
	}
	return it.ref, it.port
}

// FormatLine renders spec in the one-line syntax. Every element gets an
// explicit name= so that names survive, values are quoted where needed, and
// the graph name, if any, is written as a leading name=. Variables (Vars)
// and positions are not represented. For any spec whose names, types, keys
// and ports are valid identifiers (every spec ParseLine or ParseYAML
// returns), ParseLine(FormatLine(s)) equals s apart from positions and Vars.
func FormatLine(spec *pipeline.Spec) string {
	if spec == nil {
		return ""
	}
	var parts []string
	if spec.Name != "" {
		parts = append(parts, "name="+quoteValue(spec.Name))
	}
	declared := 0
	decl := func(e *pipeline.ElementSpec) string {
		var b strings.Builder
		b.WriteString(e.Type)
		if e.Name != "" {
			b.WriteString(" name=")
			b.WriteString(quoteValue(e.Name))
		}
		for _, p := range e.Props {
			b.WriteByte(' ')
			b.WriteString(p.Key)
			b.WriteByte('=')
			b.WriteString(quoteValue(p.Value))
		}
		return b.String()
	}
	item := func(name, port string) string {
		if port == "" && declared < len(spec.Elements) && spec.Elements[declared].Name == name {
			declared++
			return decl(&spec.Elements[declared-1])
		}
		return name + "." + port
	}
	links := spec.Links
	for i := 0; i < len(links); {
		chain := []string{item(links[i].From, links[i].FromPort), item(links[i].To, links[i].ToPort)}
		j := i + 1
		for j < len(links) && links[j].From == links[j-1].To && links[j].FromPort == links[j-1].ToPort {
			chain = append(chain, item(links[j].To, links[j].ToPort))
			j++
		}
		parts = append(parts, strings.Join(chain, " ! "))
		i = j
	}
	for ; declared < len(spec.Elements); declared++ {
		parts = append(parts, decl(&spec.Elements[declared]))
	}
	return strings.Join(parts, " ")
}

// quoteValue returns v as written in the one-line syntax: unchanged when it
// is non-empty and has no blanks, quotes, '!' or control characters, and in
// double quotes (with \" and \\ escapes) otherwise.
func quoteValue(v string) string {
	plain := v != ""
	for i := 0; i < len(v) && plain; i++ {
		c := v[i]
		if c <= ' ' || c == 0x7f || c == '!' || c == '"' || c == '\'' || c == '\\' {
			plain = false
		}
	}
	if plain {
		return v
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(v); i++ {
		if v[i] == '"' || v[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(v[i])
	}
	b.WriteByte('"')
	return b.String()
}

// Quote returns v as a one-line property value, quoted when it contains
// spaces, quotes or syntax characters, so callers can build pipelines from
// arbitrary strings (file paths): "wav-sink path=" + Quote(path).
func Quote(v string) string { return quoteValue(v) }
