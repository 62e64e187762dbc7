package pipeline

import (
	"encoding"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Presence says when a port exists, as GStreamer's pad templates do.
type Presence uint8

const (
	// Always ports exist on every instance.
	Always Presence = iota
	// Request ports are created when linked (by name "out_3" or as the next
	// free one) and can be added to and removed from a running graph. Their
	// PortInfo.Name is a template with %d, e.g. "out_%d".
	Request
)

func (p Presence) String() string {
	if p == Request {
		return "request"
	}
	return "always"
}

// PortInfo describes a port (or, for Request ports, a port template).
type PortInfo struct {
	Name     string
	Caps     Caps
	Presence Presence
	Optional bool // an Always input that may stay unlinked
	Doc      string
}

// ElementInfo registers an element type: its name, documentation, ports and
// constructor. Properties are read from the struct tags of New()'s result
// when the type is registered.
type ElementInfo struct {
	Name    string // type name used in graph files, e.g. "wav-src"
	Summary string // one line for `voxgraph inspect`
	Doc     string // longer description: what it does to the media
	Inputs  []PortInfo
	Outputs []PortInfo
	New     func() Element

	props []PropInfo
}

// Props returns the element's properties in declaration order.
func (e *ElementInfo) Props() []PropInfo { return e.props }

// Prop returns the property named name.
func (e *ElementInfo) Prop(name string) (*PropInfo, bool) {
	for i := range e.props {
		if e.props[i].Name == name {
			return &e.props[i], true
		}
	}
	return nil, false
}

// PropInfo describes one property, derived from a struct field tagged
//
//	Field T `prop:"name" default:"value" doc:"what it does" enum:"a,b"`
//
// Supported T: string, bool, int kinds, uint kinds, float64, time.Duration,
// slices of those (comma separated), and any type whose pointer implements
// encoding.TextUnmarshaler.
type PropInfo struct {
	Name    string
	Type    string // human name of the type: "float", "duration", "list of float", ...
	Default string
	Doc     string
	Enum    []string

	field []int
}

// Registry maps element type names to their descriptions. Registries are
// filled at init; lookups are safe for concurrent use.
type Registry struct {
	mu sync.RWMutex
	m  map[string]*ElementInfo
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{m: map[string]*ElementInfo{}} }

// DefaultRegistry holds the built-in elements (package elements registers
// them at init) and any an application adds.
var DefaultRegistry = NewRegistry()

// Register adds an element type to the default registry and panics on an
// invalid description; it is meant for init functions.
func Register(info ElementInfo) {
	if err := DefaultRegistry.Register(info); err != nil {
		panic(err)
	}
}

// Register adds an element type, deriving its properties from struct tags.
func (r *Registry) Register(info ElementInfo) error {
	if info.Name == "" || info.New == nil {
		return fmt.Errorf("register element: name and New are required")
	}
	props, err := deriveProps(info.New())
	if err != nil {
		return fmt.Errorf("register element %q: %w", info.Name, err)
	}
	info.props = props
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.m[info.Name]; dup {
		return fmt.Errorf("register element %q: already registered", info.Name)
	}
	r.m[info.Name] = &info
	return nil
}

// Lookup returns the element type named name.
func (r *Registry) Lookup(name string) (*ElementInfo, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	e, ok := r.m[name]
	return e, ok
}

// Names returns the registered type names, sorted.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.m))
	for n := range r.m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// All returns every registered element type, sorted by name.
func (r *Registry) All() []*ElementInfo {
	names := r.Names()
	out := make([]*ElementInfo, len(names))
	for i, n := range names {
		out[i], _ = r.Lookup(n)
	}
	return out
}

var (
	durationType  = reflect.TypeOf(time.Duration(0))
	unmarshalType = reflect.TypeOf((*encoding.TextUnmarshaler)(nil)).Elem()
)

func deriveProps(el Element) ([]PropInfo, error) {
	v := reflect.ValueOf(el)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil, nil // an element without a struct has no properties
	}
	var out []PropInfo
	var walk func(t reflect.Type, index []int) error
	walk = func(t reflect.Type, index []int) error {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			idx := append(append([]int(nil), index...), i)
			if f.Anonymous && f.Type.Kind() == reflect.Struct && f.Tag.Get("prop") == "" {
				if err := walk(f.Type, idx); err != nil {
					return err
				}
				continue
			}
			name := f.Tag.Get("prop")
			if name == "" {
				continue
			}
			if !f.IsExported() {
				return fmt.Errorf("property %q: field %s must be exported", name, f.Name)
			}
			typ, err := typeName(f.Type)
			if err != nil {
				return fmt.Errorf("property %q: %w", name, err)
			}
			p := PropInfo{Name: name, Type: typ, Default: f.Tag.Get("default"), Doc: f.Tag.Get("doc"), field: idx}
			if e := f.Tag.Get("enum"); e != "" {
				p.Enum = strings.Split(e, ",")
				p.Type = "enum"
			}
			if name == "name" || name == "type" {
				return fmt.Errorf("property name %q is reserved", name)
			}
			for _, q := range out {
				if q.Name == name {
					return fmt.Errorf("property %q declared twice", name)
				}
			}
			out = append(out, p)
		}
		return nil
	}
	if err := walk(v.Elem().Type(), nil); err != nil {
		return nil, err
	}
	// Check that defaults parse, so a bad tag fails at registration, not at a user's build.
	for _, p := range out {
		if p.Default == "" {
			continue
		}
		if err := setField(v.Elem().FieldByIndex(p.field), p.Default, p.Enum); err != nil {
			return nil, fmt.Errorf("property %q: bad default %q: %w", p.Name, p.Default, err)
		}
	}
	return out, nil
}

func typeName(t reflect.Type) (string, error) {
	if reflect.PointerTo(t).Implements(unmarshalType) {
		if t.Kind() == reflect.Struct || t.Kind() == reflect.Array {
			return strings.ToLower(t.Name()), nil
		}
	}
	if t == durationType {
		return "duration", nil
	}
	switch t.Kind() {
	case reflect.String:
		return "string", nil
	case reflect.Bool:
		return "bool", nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "int", nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "uint", nil
	case reflect.Float32, reflect.Float64:
		return "float", nil
	case reflect.Slice:
		e, err := typeName(t.Elem())
		if err != nil {
			return "", err
		}
		return "list of " + e, nil
	}
	return "", fmt.Errorf("unsupported property type %s", t)
}

// setField parses s into v according to v's type.
func setField(v reflect.Value, s string, enum []string) error {
	if len(enum) > 0 && !slices.Contains(enum, s) {
		return fmt.Errorf("must be one of %s", strings.Join(enum, ", "))
	}
	if v.CanAddr() {
		if u, ok := v.Addr().Interface().(encoding.TextUnmarshaler); ok {
			return u.UnmarshalText([]byte(s))
		}
	}
	if v.Type() == durationType {
		d, err := time.ParseDuration(s)
		if err != nil {
			if _, nerr := strconv.ParseFloat(s, 64); nerr == nil {
				return fmt.Errorf("%q has no unit (write e.g. %sms or %ss)", s, s, s)
			}
			return fmt.Errorf("%q is not a duration (e.g. 20ms, 2s, 1m30s)", s)
		}
		v.SetInt(int64(d))
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("%q is not a bool (true or false)", s)
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(s, 0, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("%q is not an integer in range for %s", s, v.Type())
		}
		v.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(s, 0, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("%q is not a non-negative integer in range for %s", s, v.Type())
		}
		v.SetUint(n)
	case reflect.Float32, reflect.Float64:
		n, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
			return fmt.Errorf("%q is not a number", s)
		}
		v.SetFloat(n)
	case reflect.Slice:
		var parts []string
		if strings.TrimSpace(s) != "" {
			parts = strings.Split(s, ",")
		}
		sl := reflect.MakeSlice(v.Type(), len(parts), len(parts))
		for i, p := range parts {
			if err := setField(sl.Index(i), strings.TrimSpace(p), nil); err != nil {
				return fmt.Errorf("item %d: %w", i+1, err)
			}
		}
		v.Set(sl)
	default:
		return fmt.Errorf("unsupported type %s", v.Type())
	}
	return nil
}

// configure creates an element from its spec: defaults first, then the
// spec's properties. Errors point at the offending property.
func (e *ElementInfo) configure(spec *ElementSpec) (Element, ErrorList) {
	el := e.New()
	v := reflect.ValueOf(el)
	var errs ErrorList
	if v.Kind() == reflect.Pointer && v.Elem().Kind() == reflect.Struct {
		for _, p := range e.props {
			if p.Default != "" {
				_ = setField(v.Elem().FieldByIndex(p.field), p.Default, p.Enum) // checked at registration
			}
		}
	}
	seen := map[string]bool{}
	for _, ps := range spec.Props {
		p, ok := e.Prop(ps.Key)
		if !ok {
			names := make([]string, len(e.props))
			for i, q := range e.props {
				names[i] = q.Name
			}
			hint := DidYouMean(ps.Key, names)
			if hint == "" {
				hint = e.propsHint()
			}
			errs = append(errs, &Error{Pos: ps.Pos, Msg: fmt.Sprintf("unknown property %q for element %q (type %s)", ps.Key, spec.Name, e.Name), Hint: hint})
			continue
		}
		if seen[ps.Key] {
			errs = append(errs, &Error{Pos: ps.Pos, Msg: fmt.Sprintf("property %q of %q is set twice", ps.Key, spec.Name), Hint: "keep one of them"})
			continue
		}
		seen[ps.Key] = true
		if err := setField(v.Elem().FieldByIndex(p.field), ps.Value, p.Enum); err != nil {
			errs = append(errs, &Error{Pos: ps.VPos, Msg: fmt.Sprintf("property %s of %q (%s): %v", ps.Key, spec.Name, p.Type, err),
				Hint: fmt.Sprintf("see `voxgraph inspect %s`", e.Name)})
		}
	}
	return el, errs
}

func (e *ElementInfo) propsHint() string {
	if len(e.props) == 0 {
		return e.Name + " has no properties"
	}
	names := make([]string, len(e.props))
	for i, q := range e.props {
		names[i] = q.Name
	}
	return e.Name + " properties: " + strings.Join(names, ", ")
}

// matchTemplate reports whether name fits a request template like "out_%d"
// and returns its number.
func matchTemplate(tmpl, name string) (int, bool) {
	i := strings.Index(tmpl, "%d")
	if i < 0 {
		return 0, false
	}
	prefix, suffix := tmpl[:i], tmpl[i+2:]
	if !strings.HasPrefix(name, prefix) || !strings.HasSuffix(name, suffix) || len(name) <= len(prefix)+len(suffix) {
		return 0, false
	}
	num := name[len(prefix) : len(name)-len(suffix)]
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 || n > 1<<20 || strconv.Itoa(n) != num {
		return 0, false
	}
	return n, true
}
