package pipeline

import (
	"fmt"
	"strings"
)

// Pos is a position in a graph source (a YAML file or a one-line pipeline).
// Line and Col are 1-based; a zero Pos means "unknown".
type Pos struct {
	File string
	Line int
	Col  int
}

// String formats the position as file:line:col, the form editors jump to.
func (p Pos) String() string {
	file := p.File
	if file == "" {
		file = "<graph>"
	}
	if p.Line == 0 {
		return file
	}
	return fmt.Sprintf("%s:%d:%d", file, p.Line, p.Col)
}

// Spec is a graph description independent of its textual form: the YAML
// loader and the one-line parser in package graphs both produce it, and
// Build turns it into a runnable Graph.
type Spec struct {
	Name     string
	Vars     map[string]string // defaults for ${name} variables
	Elements []ElementSpec     // in declaration order
	Links    []LinkSpec
}

// ElementSpec declares one element instance.
type ElementSpec struct {
	Name  string
	Type  string
	Props []PropSpec // in declaration order
	Pos   Pos
}

// PropSpec is one property setting. Value is the textual value; lists are
// comma separated. ${var} references are resolved by Spec.Expand.
type PropSpec struct {
	Key   string
	Value string
	Pos   Pos // position of the key
	VPos  Pos // position of the value
}

// LinkSpec connects an output port of one element to an input port of another.
// An empty port name means "the element's only free port of that direction,
// or a new request port".
type LinkSpec struct {
	From     string
	FromPort string
	To       string
	ToPort   string
	Pos      Pos
}

// String renders the link in the graph-file syntax.
func (l LinkSpec) String() string {
	return endpoint(l.From, l.FromPort) + " -> " + endpoint(l.To, l.ToPort)
}

func endpoint(name, port string) string {
	if port == "" {
		return name
	}
	return name + "." + port
}

// Prop returns the value of property key and whether it is set.
func (e *ElementSpec) Prop(key string) (string, bool) {
	for _, p := range e.Props {
		if p.Key == key {
			return p.Value, true
		}
	}
	return "", false
}

// Element returns the element spec named name, or nil.
func (s *Spec) Element(name string) *ElementSpec {
	for i := range s.Elements {
		if s.Elements[i].Name == name {
			return &s.Elements[i]
		}
	}
	return nil
}

// Clone returns a deep copy of the spec.
func (s *Spec) Clone() *Spec {
	c := &Spec{Name: s.Name}
	if s.Vars != nil {
		c.Vars = make(map[string]string, len(s.Vars))
		for k, v := range s.Vars {
			c.Vars[k] = v
		}
	}
	c.Elements = make([]ElementSpec, len(s.Elements))
	for i, e := range s.Elements {
		e.Props = append([]PropSpec(nil), e.Props...)
		c.Elements[i] = e
	}
	c.Links = append([]LinkSpec(nil), s.Links...)
	return c
}

// StripPos returns a copy of the spec with every position cleared, so specs
// from different sources can be compared for equality.
func (s *Spec) StripPos() *Spec {
	c := s.Clone()
	for i := range c.Elements {
		c.Elements[i].Pos = Pos{}
		for j := range c.Elements[i].Props {
			c.Elements[i].Props[j].Pos = Pos{}
			c.Elements[i].Props[j].VPos = Pos{}
		}
	}
	for i := range c.Links {
		c.Links[i].Pos = Pos{}
	}
	return c
}

// Expand returns a copy of the spec with every ${name} in property values
// replaced: first from vars, then from the spec's own defaults. An unset
// variable is an error that names it and where it is used. "$$" is a literal "$".
func (s *Spec) Expand(vars map[string]string) (*Spec, error) {
	c := s.Clone()
	var errs ErrorList
	for i := range c.Elements {
		e := &c.Elements[i]
		for j := range e.Props {
			p := &e.Props[j]
			v, err := expand(p.Value, func(name string) (string, bool) {
				if v, ok := vars[name]; ok {
					return v, true
				}
				v, ok := s.Vars[name]
				return v, ok
			})
			if err != nil {
				errs = append(errs, &Error{Pos: p.VPos, Msg: fmt.Sprintf("property %s of %q: %v", p.Key, e.Name, err.Error()),
					Hint: varHint(err)})
				continue
			}
			p.Value = v
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return c, nil
}

type unsetVarError struct{ name string }

func (e *unsetVarError) Error() string { return fmt.Sprintf("variable ${%s} is not set", e.name) }

func varHint(err error) string {
	if u, ok := err.(*unsetVarError); ok {
		return fmt.Sprintf("pass --set %s=VALUE or give it a default under vars:", u.name)
	}
	return ""
}

func expand(s string, lookup func(string) (string, bool)) (string, error) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '$' {
			b.WriteByte(c)
			continue
		}
		if i+1 < len(s) && s[i+1] == '$' {
			b.WriteByte('$')
			i++
			continue
		}
		if i+1 >= len(s) || s[i+1] != '{' {
			b.WriteByte('$')
			continue
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return "", fmt.Errorf("unterminated ${ in %q", s)
		}
		name := s[i+2 : i+end]
		if !validVarName(name) {
			return "", fmt.Errorf("bad variable name %q in %q (use letters, digits, _ and -)", name, s)
		}
		v, ok := lookup(name)
		if !ok {
			return "", &unsetVarError{name}
		}
		b.WriteString(v)
		i += end
	}
	return b.String(), nil
}

func validVarName(n string) bool {
	if n == "" {
		return false
	}
	for _, r := range n {
		if !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// VarRefs lists the distinct variable names referenced by the spec's property
// values, in first-use order.
func (s *Spec) VarRefs() []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range s.Elements {
		for _, p := range e.Props {
			_, _ = expand(p.Value, func(name string) (string, bool) {
				if !seen[name] {
					seen[name] = true
					out = append(out, name)
				}
				return "", true
			})
		}
	}
	return out
}
