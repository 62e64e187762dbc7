package codecs

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Registry maps codec names and static payload types to factories. It is
// safe for concurrent use, so plugins may register codecs at run time.
type Registry struct {
	mu     sync.RWMutex
	byName map[string]*Factory // key: upper-case name
	byPT   map[uint8]*Factory  // static payload types only
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{
		byName: make(map[string]*Factory),
		byPT:   make(map[uint8]*Factory),
	}
}

// Default is the process-wide registry, filled at init with PCMU, PCMA and L16.
var Default = NewRegistry()

func init() {
	for _, f := range []Factory{PCMUFactory(), PCMAFactory(), L16Factory()} {
		if err := Default.Register(f); err != nil {
			panic(err) // programming error in a built-in codec
		}
	}
}

// Register adds f. It fails with an error wrapping ErrBadCodec when a field
// is missing or inconsistent (empty name, non-positive rates or channels,
// nil constructors, a dynamic payload type outside 96-127 or a static one
// above 95), and with one wrapping ErrDuplicate when the name (compared
// case-insensitively) or the static payload type is already taken.
func (r *Registry) Register(f Factory) error {
	if err := validate(&f); err != nil {
		return fmt.Errorf("codecs: register %q: %w", f.Name, err)
	}
	key := strings.ToUpper(f.Name)
	r.mu.Lock()
	defer r.mu.Unlock()
	if old, ok := r.byName[key]; ok {
		return fmt.Errorf("codecs: register %q: name taken by %q: %w", f.Name, old.Name, ErrDuplicate)
	}
	if !f.Dynamic {
		if old, ok := r.byPT[f.PayloadType]; ok {
			return fmt.Errorf("codecs: register %q: payload type %d taken by %q: %w",
				f.Name, f.PayloadType, old.Name, ErrDuplicate)
		}
	}
	p := &f
	r.byName[key] = p
	if !f.Dynamic {
		r.byPT[f.PayloadType] = p
	}
	return nil
}

func validate(f *Factory) error {
	switch {
	case f.Name == "":
		return fmt.Errorf("empty name: %w", ErrBadCodec)
	case strings.ContainsAny(f.Name, " \t/"):
		return fmt.Errorf("name contains space or '/': %w", ErrBadCodec)
	case f.ClockRate <= 0:
		return fmt.Errorf("clock rate %d: %w", f.ClockRate, ErrBadCodec)
	case f.SampleRate <= 0:
		return fmt.Errorf("sample rate %d: %w", f.SampleRate, ErrBadCodec)
	case f.Channels <= 0:
		return fmt.Errorf("%d channels: %w", f.Channels, ErrBadCodec)
	case f.NewEncoder == nil:
		return fmt.Errorf("nil NewEncoder: %w", ErrBadCodec)
	case f.NewDecoder == nil:
		return fmt.Errorf("nil NewDecoder: %w", ErrBadCodec)
	case f.Dynamic && (f.PayloadType < 96 || f.PayloadType > 127):
		return fmt.Errorf("dynamic payload type %d outside 96-127: %w", f.PayloadType, ErrBadCodec)
	case !f.Dynamic && f.PayloadType > 95:
		return fmt.Errorf("static payload type %d above 95: %w", f.PayloadType, ErrBadCodec)
	}
	return nil
}

// Lookup returns a copy of the factory registered under name, compared
// case-insensitively ("pcmu" finds "PCMU").
func (r *Registry) Lookup(name string) (*Factory, bool) {
	r.mu.RLock()
	f, ok := r.byName[strings.ToUpper(name)]
	r.mu.RUnlock()
	if !ok {
		return nil, false
	}
	c := *f
	return &c, true
}

// ByPayloadType returns a copy of the factory registered with static payload
// type pt. Dynamic payload types are negotiated per session and never match.
func (r *Registry) ByPayloadType(pt uint8) (*Factory, bool) {
	r.mu.RLock()
	f, ok := r.byPT[pt]
	r.mu.RUnlock()
	if !ok {
		return nil, false
	}
	c := *f
	return &c, true
}

// Names returns the canonical names of all registered codecs, sorted.
func (r *Registry) Names() []string {
	r.mu.RLock()
	names := make([]string, 0, len(r.byName))
	for _, f := range r.byName {
		names = append(names, f.Name)
	}
	r.mu.RUnlock()
	slices.Sort(names)
	return names
}
