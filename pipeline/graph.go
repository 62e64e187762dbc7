package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ErrFinished is returned by Injector.Emit when the graph (or the element)
// no longer takes frames: it finished, was stopped, or the element was detached.
var ErrFinished = errors.New("graph finished")

// DefaultPTime is the frame period graphs use unless told otherwise.
const DefaultPTime = 20 * time.Millisecond

type inPort struct {
	Port
	info     *PortInfo
	from     *node
	fromPort int
	format   Format
	eos      bool
	seen     bool // the element has been told about this port
}

type outPort struct {
	Port
	info   *PortInfo
	to     *node
	toPort int
	format Format
}

type node struct {
	name         string
	info         *ElementInfo
	spec         ElementSpec
	el           Element
	ticker       Ticker
	eosHandler   EOSHandler
	ins          []inPort
	outs         []outPort
	stats        *ElementStats
	log          *slog.Logger
	started      bool
	eos          bool
	eosPending   bool
	skipDangling bool // a link to it failed to resolve: don't also report its inputs unlinked
	removed      bool // detached from the graph: injections are refused
	out          Output
	injector     Injector
	latency      atomic.Int64 // delay the element declares (Output.SetLatency), ns
}

func (n *node) String() string { return n.name + " (" + n.info.Name + ")" }

type work struct {
	to    *node
	port  int
	frame *Frame // nil: end-of-stream on that port
}

// Graph is a built, runnable graph of elements. Its methods are safe for
// concurrent use; frames travel through it synchronously on the goroutine
// that ticks it (or injects into it), one at a time.
type Graph struct {
	name     string
	registry *Registry
	pool     *Pool
	ptime    time.Duration
	log      *slog.Logger
	timing   bool
	epoch    time.Time     // monotonic reference for latency timing
	last     time.Duration // end of the previous timed call
	e2e      Histogram     // input arrival → output send, per frame sent (Output.Sent)

	mu      sync.Mutex
	nodes   []*node // topological order
	byName  map[string]*node
	tickers []*node
	queue   []work
	qhead   int
	clock   time.Duration
	cur     *node

	started  bool
	stopped  bool
	finished bool
	err      error
	done     chan struct{}
	ctx      context.Context
	cancel   context.CancelFunc
}

// Option configures Build.
type Option func(*Graph)

// WithRegistry builds from registry r instead of DefaultRegistry.
func WithRegistry(r *Registry) Option { return func(g *Graph) { g.registry = r } }

// WithPool draws frames from p (share one pool among many graphs).
func WithPool(p *Pool) Option { return func(g *Graph) { g.pool = p } }

// WithPTime sets the frame period (default 20 ms).
func WithPTime(d time.Duration) Option { return func(g *Graph) { g.ptime = d } }

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(g *Graph) { g.log = l } }

// WithTiming turns per-element latency timing on (the default) or off.
// Frame counters are kept either way.
func WithTiming(on bool) Option { return func(g *Graph) { g.timing = on } }

var nameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// Build creates a graph from a spec: it instantiates and configures every
// element, resolves links to ports, rejects cycles and unlinked required
// inputs, and negotiates the format of every link. All problems found are
// returned together as an ErrorList with positions from the spec.
func Build(spec *Spec, opts ...Option) (*Graph, error) {
	g := &Graph{name: spec.Name, registry: DefaultRegistry, ptime: DefaultPTime, timing: true, byName: map[string]*node{}, done: make(chan struct{}), epoch: time.Now()}
	for _, o := range opts {
		o(g)
	}
	if g.pool == nil {
		g.pool = NewPool()
	}
	if g.log == nil {
		g.log = slog.Default()
	}
	if g.ptime <= 0 || g.ptime > time.Second {
		return nil, fmt.Errorf("build graph %q: ptime %s out of range", spec.Name, g.ptime)
	}
	if len(spec.Elements) == 0 {
		return nil, ErrorList{{Pos: Pos{File: posFile(spec)}, Msg: "graph has no elements", Hint: "declare at least a source and a sink"}}
	}
	nodes, err := g.assemble(spec, true)
	if err != nil {
		return nil, err
	}
	order, err := g.topoSort(nodes, spec)
	if err != nil {
		return nil, err
	}
	if err := g.negotiate(order, nil); err != nil {
		return nil, err
	}
	g.commit(order)
	return g, nil
}

func posFile(s *Spec) string {
	if len(s.Elements) > 0 {
		return s.Elements[0].Pos.File
	}
	return ""
}

// assemble instantiates the spec's elements and resolves its links. When
// fresh is false the spec is a fragment attached to the existing graph: its
// links may name existing elements. It returns the new nodes; on error it
// undoes every port it created on existing nodes.
func (g *Graph) assemble(spec *Spec, fresh bool) (_ []*node, err error) {
	var errs ErrorList
	local := map[string]*node{}
	var nodes []*node
	for i := range spec.Elements {
		es := &spec.Elements[i]
		if !nameRE.MatchString(es.Name) {
			errs = append(errs, &Error{Pos: es.Pos, Msg: fmt.Sprintf("bad element name %q", es.Name), Hint: "use letters, digits, _ and -, starting with a letter"})
			continue
		}
		if _, dup := local[es.Name]; dup || g.byName[es.Name] != nil {
			errs = append(errs, &Error{Pos: es.Pos, Msg: fmt.Sprintf("element name %q is used twice", es.Name), Hint: "give each element its own name"})
			continue
		}
		info, ok := g.registry.Lookup(es.Type)
		if !ok {
			hint := DidYouMean(es.Type, g.registry.Names())
			if hint == "" {
				hint = "`voxgraph inspect` lists the element types"
			}
			errs = append(errs, &Error{Pos: es.Pos, Msg: fmt.Sprintf("unknown element type %q for %q", es.Type, es.Name), Hint: hint})
			local[es.Name] = nil // known name, failed element: links to it are not reported again
			continue
		}
		el, perrs := info.configure(es)
		errs = append(errs, perrs...)
		n := &node{name: es.Name, info: info, spec: *es, el: el, stats: &ElementStats{}, log: g.log.With("element", es.Name)}
		n.ticker, _ = el.(Ticker)
		n.eosHandler, _ = el.(EOSHandler)
		n.out = Output{g: g, n: n}
		n.injector = Injector{g: g, n: n}
		for j := range info.Inputs {
			if pi := &info.Inputs[j]; pi.Presence == Always {
				n.ins = append(n.ins, inPort{Port: Port{Dir: In, Index: len(n.ins), Name: pi.Name, Active: true}, info: pi})
			}
		}
		for j := range info.Outputs {
			if pi := &info.Outputs[j]; pi.Presence == Always {
				n.outs = append(n.outs, outPort{Port: Port{Dir: Out, Index: len(n.outs), Name: pi.Name, Active: true}, info: pi})
			}
		}
		local[es.Name] = n
		nodes = append(nodes, n)
	}
	defer func() {
		if err != nil {
			g.removeNodes(nodes)
		}
	}()
	find := func(name string, pos Pos) (*node, bool) {
		if n, ok := local[name]; ok {
			return n, n != nil
		}
		if n := g.byName[name]; n != nil && !fresh {
			return n, true
		}
		var names []string
		for k := range local {
			names = append(names, k)
		}
		if !fresh {
			for k := range g.byName {
				names = append(names, k)
			}
		}
		sort.Strings(names)
		hint := DidYouMean(name, names)
		if hint == "" {
			hint = "declare it under elements:"
		}
		errs = append(errs, &Error{Pos: pos, Msg: fmt.Sprintf("link : no element named %q", name), Hint: hint})
		return nil, false
	}
	for _, l := range spec.Links {
		from, ok1 := find(l.From, l.Pos)
		to, ok2 := find(l.To, l.Pos)
		if !ok1 || !ok2 {
			// The link is not made; spare its other end a second, misleading error.
			if from != nil {
				from.skipDangling = true
			}
			if to != nil {
				to.skipDangling = true
			}
			for _, e := range errs {
				if strings.HasPrefix(e.Msg, "link : ") {
					e.Msg = "link " + l.String() + ": " + strings.TrimPrefix(e.Msg, "link : ")
				}
			}
			continue
		}
		if from == to {
			errs = append(errs, &Error{Pos: l.Pos, Msg: "link " + l.String() + ": an element cannot link to itself", Hint: "remove the link"})
			continue
		}
		oi, newOut, e1 := g.resolvePort(from, Out, l.FromPort)
		if e1 != nil {
			errs = append(errs, &Error{Pos: l.Pos, Msg: "link " + l.String() + ": " + e1.Error(), Hint: portsHint(from, Out)})
			continue
		}
		ii, _, e2 := g.resolvePort(to, In, l.ToPort)
		if e2 != nil {
			if newOut {
				g.releaseSlot(from, Out, oi)
			}
			errs = append(errs, &Error{Pos: l.Pos, Msg: "link " + l.String() + ": " + e2.Error(), Hint: portsHint(to, In)})
			continue
		}
		op, ip := &from.outs[oi], &to.ins[ii]
		op.to, op.toPort, op.Linked = to, ii, true
		ip.from, ip.fromPort, ip.Linked = from, oi, true
	}
	// Required inputs.
	for _, n := range nodes {
		for _, ip := range n.ins {
			if ip.Active && !ip.Linked && !ip.info.Optional && !n.skipDangling {
				errs = append(errs, &Error{Pos: n.spec.Pos, Msg: fmt.Sprintf("element %q (%s): input port %q is not linked", n.name, n.info.Name, ip.Name),
					Hint: fmt.Sprintf("link something to %s.%s", n.name, ip.Name)})
			}
		}
		if len(n.info.Inputs) == 0 && n.ticker == nil {
			if _, ok := n.el.(Starter); !ok {
				errs = append(errs, &Error{Pos: n.spec.Pos, Msg: fmt.Sprintf("element %q (%s) has no inputs and produces nothing", n.name, n.info.Name)})
			}
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return nodes, nil
}

func portsHint(n *node, dir Direction) string {
	var ports []string
	infos := n.info.Outputs
	if dir == In {
		infos = n.info.Inputs
	}
	for _, p := range infos {
		ports = append(ports, p.Name)
	}
	if len(ports) == 0 {
		return fmt.Sprintf("%s has no %s ports", n.info.Name, dir)
	}
	return fmt.Sprintf("%s %s ports: %s", n.info.Name, dir, strings.Join(ports, ", "))
}

// resolvePort finds (or, for request templates, creates) the port slot a
// link names. An empty name picks the first free Always port, else a new
// request port.
func (g *Graph) resolvePort(n *node, dir Direction, name string) (idx int, created bool, err error) {
	infos := n.info.Outputs
	if dir == In {
		infos = n.info.Inputs
	}
	linked := func(i int) bool {
		if dir == In {
			return n.ins[i].Linked
		}
		return n.outs[i].Linked
	}
	slots := len(n.outs)
	if dir == In {
		slots = len(n.ins)
	}
	portName := func(i int) string {
		if dir == In {
			return n.ins[i].Name
		}
		return n.outs[i].Name
	}
	active := func(i int) bool {
		if dir == In {
			return n.ins[i].Active
		}
		return n.outs[i].Active
	}
	if name == "" {
		for i := 0; i < slots; i++ {
			if active(i) && !linked(i) && infoOf(n, dir, i).Presence == Always {
				return i, false, nil
			}
		}
		for j := range infos {
			if infos[j].Presence == Request {
				return g.newSlot(n, dir, &infos[j], -1)
			}
		}
		if len(infos) == 0 {
			return 0, false, fmt.Errorf("%q (%s) has no %s ports", n.name, n.info.Name, dir)
		}
		return 0, false, fmt.Errorf("%q (%s) has no free %s port", n.name, n.info.Name, dir)
	}
	for i := 0; i < slots; i++ {
		if active(i) && portName(i) == name {
			if linked(i) {
				return 0, false, fmt.Errorf("%s.%s is already linked", n.name, name)
			}
			return i, false, nil
		}
	}
	for j := range infos {
		if infos[j].Presence == Request {
			if num, ok := matchTemplate(infos[j].Name, name); ok {
				return g.newSlot(n, dir, &infos[j], num)
			}
		}
	}
	return 0, false, fmt.Errorf("%q (%s) has no %s port %q", n.name, n.info.Name, dir, name)
}

func infoOf(n *node, dir Direction, i int) *PortInfo {
	if dir == In {
		return n.ins[i].info
	}
	return n.outs[i].info
}

// newSlot creates a request port from template pi, numbered num (or the
// lowest free number when num < 0), reusing a released slot if there is one.
func (g *Graph) newSlot(n *node, dir Direction, pi *PortInfo, num int) (int, bool, error) {
	used := map[int]bool{}
	free := -1
	count := len(n.outs)
	if dir == In {
		count = len(n.ins)
	}
	for i := 0; i < count; i++ {
		p := n.port(dir, i)
		if !p.Active {
			if free < 0 && infoOf(n, dir, i) == pi {
				free = i
			}
			continue
		}
		if k, ok := matchTemplate(pi.Name, p.Name); ok {
			used[k] = true
		}
	}
	if num < 0 {
		for num = 0; used[num]; num++ {
		}
	} else if used[num] {
		return 0, false, fmt.Errorf("%s.%s is already linked", n.name, fmt.Sprintf(pi.Name, num))
	}
	p := Port{Dir: dir, Name: fmt.Sprintf(pi.Name, num), Active: true}
	if dir == In {
		if free < 0 {
			free = len(n.ins)
			n.ins = append(n.ins, inPort{})
		}
		p.Index = free
		n.ins[free] = inPort{Port: p, info: pi}
	} else {
		if free < 0 {
			free = len(n.outs)
			n.outs = append(n.outs, outPort{})
		}
		p.Index = free
		n.outs[free] = outPort{Port: p, info: pi}
	}
	return free, true, nil
}

func (n *node) port(dir Direction, i int) *Port {
	if dir == In {
		return &n.ins[i].Port
	}
	return &n.outs[i].Port
}

func (g *Graph) releaseSlot(n *node, dir Direction, i int) {
	if dir == In {
		n.ins[i] = inPort{Port: Port{Dir: In, Index: i}, info: n.ins[i].info}
	} else {
		n.outs[i] = outPort{Port: Port{Dir: Out, Index: i}, info: n.outs[i].info}
	}
}

// unlinkPort clears the link at port i of n and the matching end.
func (g *Graph) unlinkPort(n *node, dir Direction, i int) {
	if dir == Out {
		op := &n.outs[i]
		if op.to != nil {
			ip := &op.to.ins[op.toPort]
			ip.from, ip.Linked, ip.format = nil, false, Format{}
		}
		op.to, op.Linked = nil, false
		return
	}
	ip := &n.ins[i]
	if ip.from != nil {
		op := &ip.from.outs[ip.fromPort]
		op.to, op.Linked = nil, false
	}
	ip.from, ip.Linked, ip.format = nil, false, Format{}
}

// topoSort orders the union of the graph's nodes and extra so that every
// element comes after its upstream elements, or reports a cycle.
func (g *Graph) topoSort(extra []*node, spec *Spec) ([]*node, error) {
	all := append(append([]*node(nil), g.nodes...), extra...)
	indeg := map[*node]int{}
	for _, n := range all {
		indeg[n] += 0
		for _, op := range n.outs {
			if op.to != nil {
				indeg[op.to]++
			}
		}
	}
	var order, ready []*node
	for _, n := range all {
		if indeg[n] == 0 {
			ready = append(ready, n)
		}
	}
	for len(ready) > 0 {
		n := ready[0]
		ready = ready[1:]
		order = append(order, n)
		for _, op := range n.outs {
			if op.to != nil {
				indeg[op.to]--
				if indeg[op.to] == 0 {
					ready = append(ready, op.to)
				}
			}
		}
	}
	if len(order) == len(all) {
		return order, nil
	}
	// Find one cycle to report: walk from a node left with indegree > 0.
	var start *node
	for _, n := range all {
		if indeg[n] > 0 {
			start = n
			break
		}
	}
	seen := map[*node]int{}
	path := []*node{}
	cur := start
	for {
		if i, ok := seen[cur]; ok {
			path = path[i:]
			break
		}
		seen[cur] = len(path)
		path = append(path, cur)
		var next *node
		for _, op := range cur.outs {
			if op.to != nil && indeg[op.to] > 0 {
				next = op.to
				break
			}
		}
		if next == nil {
			break
		}
		cur = next
	}
	names := make([]string, 0, len(path)+1)
	for _, n := range path {
		names = append(names, n.name)
	}
	names = append(names, path[0].name)
	pos := path[0].spec.Pos
	for _, l := range spec.Links {
		if len(path) > 1 && l.From == path[len(path)-1].name && l.To == path[0].name {
			pos = l.Pos
		}
	}
	return nil, ErrorList{{Pos: pos, Msg: "links form a cycle: " + strings.Join(names, " -> "), Hint: "media must flow one way; remove one of these links"}}
}

// negotiate fixes formats for the nodes in order (topological). Nodes not in
// scope (already running) keep their formats; existing nodes listed in
// addedPorts get AddPort calls for their new ports instead of Negotiate.
func (g *Graph) negotiate(order []*node, scope map[*node]bool) error {
	var errs ErrorList
	failed := map[*node]bool{}
	for _, n := range order {
		newNode := scope == nil || scope[n]
		// Collect input formats; check caps on every link into n.
		bad := false
		for i := range n.ins {
			ip := &n.ins[i]
			if !ip.Linked {
				continue
			}
			if failed[ip.from] {
				bad = true
				continue
			}
			f := ip.from.outs[ip.fromPort].format
			if !newNode && !ip.format.IsZero() {
				continue
			}
			if f.IsZero() {
				errs = append(errs, &Error{Pos: n.spec.Pos, Msg: fmt.Sprintf("%s.%s produces no format for %s.%s", ip.from.name, ip.from.outs[ip.fromPort].Name, n.name, ip.Name)})
				bad = true
				continue
			}
			if err := ip.info.Caps.Accepts(f); err != nil {
				errs = append(errs, &Error{Pos: n.spec.Pos,
					Msg:  fmt.Sprintf("cannot link %s.%s to %s.%s: %s (port %s) %v", ip.from.name, ip.from.outs[ip.fromPort].Name, n.name, ip.Name, n.info.Name, ip.Name, err),
					Hint: capsHint(ip.info.Caps, f, ip.from, n)})
				bad = true
				continue
			}
			ip.format = f
		}
		if bad {
			failed[n] = true
			continue
		}
		neg := n.negotiation(g)
		if newNode {
			if err := n.el.Negotiate(neg); err != nil {
				errs = append(errs, &Error{Pos: n.spec.Pos, Msg: fmt.Sprintf("element %q (%s): %v", n.name, n.info.Name, err), Hint: fmt.Sprintf("see `voxgraph inspect %s`", n.info.Name)})
				failed[n] = true
				continue
			}
		} else {
			// An existing node: announce ports that are new since it was negotiated.
			dp, _ := n.el.(DynamicPorts)
			for _, p := range append(append([]Port(nil), neg.InPorts...), neg.OutPorts...) {
				if !p.Active || !p.Linked {
					continue
				}
				if p.Dir == In && !n.ins[p.Index].format.IsZero() && n.ins[p.Index].fresh() {
					if dp == nil {
						errs = append(errs, &Error{Msg: fmt.Sprintf("element %q (%s) cannot add ports while running", n.name, n.info.Name)})
						failed[n] = true
						continue
					}
					if err := dp.AddPort(p, neg); err != nil {
						errs = append(errs, &Error{Pos: n.spec.Pos, Msg: fmt.Sprintf("element %q: add port %s: %v", n.name, p.Name, err)})
						failed[n] = true
					}
				}
				if p.Dir == Out && n.outs[p.Index].format.IsZero() {
					if dp == nil {
						errs = append(errs, &Error{Msg: fmt.Sprintf("element %q (%s) cannot add ports while running", n.name, n.info.Name)})
						failed[n] = true
						continue
					}
					if err := dp.AddPort(p, neg); err != nil {
						errs = append(errs, &Error{Pos: n.spec.Pos, Msg: fmt.Sprintf("element %q: add port %s: %v", n.name, p.Name, err)})
						failed[n] = true
					}
				}
			}
			for i := range n.ins {
				n.ins[i].markSeen()
			}
		}
		for i := range n.outs {
			op := &n.outs[i]
			if op.Active && !failed[n] {
				if neg.Out[i].IsZero() && op.Linked {
					errs = append(errs, &Error{Pos: n.spec.Pos, Msg: fmt.Sprintf("element %q (%s) set no format for output %s", n.name, n.info.Name, op.Name)})
					failed[n] = true
				}
				op.format = neg.Out[i]
			}
		}
		if newNode {
			for i := range n.ins {
				n.ins[i].markSeen()
			}
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// fresh reports whether an input port was linked since the element last
// negotiated (its format has not been announced to the element yet).
func (ip *inPort) fresh() bool { return !ip.eos && ip.seen == false }

func (ip *inPort) markSeen() {
	if ip.Linked {
		ip.seen = true
	}
}

func capsHint(c Caps, f Format, from, to *node) string {
	switch {
	case c.Kind == KindPCM && f.Kind == KindEncoded:
		return fmt.Sprintf("insert decode between %s and %s", from.name, to.name)
	case c.Kind == KindEncoded && f.Kind == KindPCM:
		return fmt.Sprintf("insert encode codec=PCMU (or another codec) between %s and %s", from.name, to.name)
	case len(c.Rates) > 0 && f.Kind == KindPCM:
		return fmt.Sprintf("insert resample between %s and %s", from.name, to.name)
	}
	return fmt.Sprintf("see `voxgraph inspect %s`", to.info.Name)
}

func (n *node) negotiation(g *Graph) *Negotiation {
	neg := &Negotiation{Name: n.name, PTime: g.ptime, Logger: n.log,
		In: make([]Format, len(n.ins)), Out: make([]Format, len(n.outs)),
		InPorts: make([]Port, len(n.ins)), OutPorts: make([]Port, len(n.outs))}
	for i := range n.ins {
		neg.In[i] = n.ins[i].format
		neg.InPorts[i] = n.ins[i].Port
	}
	for i := range n.outs {
		neg.Out[i] = n.outs[i].format
		neg.OutPorts[i] = n.outs[i].Port
	}
	return neg
}

func (g *Graph) commit(order []*node) {
	g.nodes = order
	g.tickers = g.tickers[:0]
	for _, n := range order {
		g.byName[n.name] = n
		if n.ticker != nil {
			g.tickers = append(g.tickers, n)
		}
	}
}

// Name is the graph's name from its spec.
func (g *Graph) Name() string { return g.name }

// PTime is the graph's frame period.
func (g *Graph) PTime() time.Duration { return g.ptime }

// Realtime reports whether some element needs wall-clock pacing.
func (g *Graph) Realtime() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, n := range g.nodes {
		if r, ok := n.el.(Realtimer); ok && r.Realtime() {
			return true
		}
	}
	return false
}

// Element returns the element instance named name, for callers that
// configure or query it directly.
func (g *Graph) Element(name string) (Element, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := g.byName[name]
	if n == nil {
		return nil, false
	}
	return n.el, true
}

// Links describes the graph's links with their negotiated formats, in
// topological order of the upstream element.
func (g *Graph) Links() []LinkInfo {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []LinkInfo
	for _, n := range g.nodes {
		for _, op := range n.outs {
			if op.to != nil {
				out = append(out, LinkInfo{From: n.name, FromPort: op.Name, To: op.to.name, ToPort: op.to.ins[op.toPort].Name, Format: op.format})
			}
		}
	}
	return out
}

// LinkInfo is one link of a built graph.
type LinkInfo struct {
	From, FromPort, To, ToPort string
	Format                     Format
}

// Nodes lists element names and types in topological order.
func (g *Graph) Nodes() []NodeInfo {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]NodeInfo, len(g.nodes))
	for i, n := range g.nodes {
		out[i] = NodeInfo{Name: n.name, Type: n.info.Name, Props: n.spec.Props}
	}
	return out
}

// NodeInfo names one element of a built graph.
type NodeInfo struct {
	Name, Type string
	Props      []PropSpec
}

// String prints the graph on one line: its chains with formats, for logs.
func (g *Graph) String() string {
	var b strings.Builder
	b.WriteString("graph ")
	b.WriteString(g.name)
	b.WriteString(":")
	for _, l := range g.Links() {
		fmt.Fprintf(&b, " %s.%s -[%s]-> %s.%s;", l.From, l.FromPort, l.Format, l.To, l.ToPort)
	}
	return b.String()
}

// Start acquires every element's resources (Starter), sinks first so they
// are ready before sources produce. On failure it stops what it started.
func (g *Graph) Start(ctx context.Context) error {
	g.mu.Lock()
	if g.started {
		g.mu.Unlock()
		return errors.New("graph already started")
	}
	g.started = true
	g.ctx, g.cancel = context.WithCancel(ctx)
	for i := len(g.nodes) - 1; i >= 0; i-- {
		if err := g.startNode(g.nodes[i]); err != nil {
			toStop := g.beginStopLocked()
			g.mu.Unlock()
			stopNodes(toStop)
			return err
		}
	}
	g.mu.Unlock()
	return nil
}

func (g *Graph) startNode(n *node) error {
	n.started = true
	if s, ok := n.el.(Starter); ok {
		if err := s.Start(g.ctx, &n.injector); err != nil {
			return fmt.Errorf("start %s: %w", n, err)
		}
	}
	return nil
}

// Stop stops every element (Stopper), sources first so sinks see all data,
// and returns the first error. It is safe to call more than once.
//
// The graph is marked finished under its lock — no tick or injected frame
// runs after that — and the elements' Stop methods run after the lock is
// released, so an element may wait there for its own reader goroutine even
// if that goroutine is blocked injecting a frame.
func (g *Graph) Stop() error {
	g.mu.Lock()
	toStop := g.beginStopLocked()
	g.mu.Unlock()
	return stopNodes(toStop)
}

// beginStopLocked marks the graph stopped and finished and returns the
// started elements, in topological order, for stopNodes.
func (g *Graph) beginStopLocked() []*node {
	if g.stopped {
		return nil
	}
	g.stopped = true
	if g.cancel != nil {
		g.cancel()
	}
	var out []*node
	for _, n := range g.nodes {
		if n.started {
			n.started = false
			out = append(out, n)
		}
	}
	g.finishLocked(nil)
	return out
}

// stopNodes calls Stop on each element; call it without the graph lock.
func stopNodes(nodes []*node) error {
	var first error
	for _, n := range nodes {
		if s, ok := n.el.(Stopper); ok {
			if err := s.Stop(); err != nil && first == nil {
				first = fmt.Errorf("stop %s: %w", n, err)
			}
		}
	}
	return first
}

func (g *Graph) finishLocked(err error) {
	if err != nil && g.err == nil {
		g.err = err
	}
	if !g.finished {
		g.finished = true
		close(g.done)
	}
}

// Done is closed when the graph has finished: every element reached
// end-of-stream, an element failed, or Stop was called.
func (g *Graph) Done() <-chan struct{} { return g.done }

// Err returns the error that ended the graph, if any.
func (g *Graph) Err() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.err
}

// Step runs one tick: every clock-driven element ticks once (in topological
// order) and all frames it produces travel downstream. It returns done when
// the graph has finished. The scheduler calls it every ptime; a graph that
// need not keep real time can be stepped in a loop.
func (g *Graph) Step() (done bool, err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.finished {
		return true, g.err
	}
	if !g.started {
		return true, errors.New("graph not started")
	}
	if err := g.runTick(); err != nil {
		g.finishLocked(err)
		return true, err
	}
	g.clock += g.ptime
	if g.allEOS() {
		g.finishLocked(nil)
		return true, nil
	}
	return false, nil
}

func (g *Graph) runTick() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("element %s panicked: %v", g.cur, r)
			g.log.Error("element panicked", "graph", g.name, "element", g.cur.String(), "panic", r)
			g.queue, g.qhead = g.queue[:0], 0
		}
	}()
	for _, n := range g.tickers {
		if n.eos {
			continue
		}
		g.cur = n
		if g.timing {
			g.last = time.Since(g.epoch)
		}
		queued := len(g.queue)
		err := n.ticker.Tick(&n.out)
		if g.timing {
			t := time.Since(g.epoch)
			if len(n.ins) == 0 || len(g.queue) > queued {
				n.stats.Latency.Record(t - g.last)
			} else {
				n.stats.Ticks.Record(t - g.last)
			}
			g.last = t
		}
		if err != nil {
			return fmt.Errorf("%s: tick: %w", n, err)
		}
		if n.eosPending {
			g.markEOS(n)
		}
		if err := g.drain(); err != nil {
			return err
		}
	}
	return nil
}

func (g *Graph) allEOS() bool {
	for _, n := range g.nodes {
		if !n.eos {
			return false
		}
	}
	return true
}

func (g *Graph) emit(n *node, port int, f *Frame) {
	n.stats.Out.Add(1)
	if port < 0 || port >= len(n.outs) || n.outs[port].to == nil {
		f.Release()
		return
	}
	op := &n.outs[port]
	g.queue = append(g.queue, work{to: op.to, port: op.toPort, frame: f})
}

func (g *Graph) markEOS(n *node) {
	n.eosPending = false
	if n.eos {
		return
	}
	n.eos = true
	for _, op := range n.outs {
		if op.to != nil {
			g.queue = append(g.queue, work{to: op.to, port: op.toPort})
		}
	}
}

// drain delivers queued frames breadth-first until none are left. Frames
// reaching an element that already ended are released.
func (g *Graph) drain() error {
	for g.qhead < len(g.queue) {
		w := g.queue[g.qhead]
		g.queue[g.qhead] = work{}
		g.qhead++
		n := w.to
		g.cur = n
		if w.frame == nil {
			if err := g.inputEOS(n, w.port); err != nil {
				return err
			}
			continue
		}
		if n.eos {
			w.frame.Release()
			continue
		}
		n.stats.In.Add(1)
		err := n.el.Process(w.port, w.frame, &n.out)
		if g.timing {
			// One monotonic clock read per call: the previous call's end is this
			// call's start, so the few ns of dispatch count towards this element.
			t := time.Since(g.epoch)
			n.stats.Latency.Record(t - g.last)
			g.last = t
		}
		if err != nil {
			return fmt.Errorf("%s: %w", n, err)
		}
		if n.eosPending {
			g.markEOS(n)
		}
	}
	g.queue, g.qhead = g.queue[:0], 0
	return nil
}

func (g *Graph) inputEOS(n *node, port int) error {
	if n.eos || port >= len(n.ins) {
		return nil
	}
	n.ins[port].eos = true
	if n.eosHandler != nil {
		if err := n.eosHandler.EndOfStream(port, &n.out); err != nil {
			return fmt.Errorf("%s: end of stream: %w", n, err)
		}
	}
	for _, ip := range n.ins {
		if ip.Linked && !ip.eos {
			return nil
		}
	}
	n.eosPending = true
	g.markEOS(n)
	return nil
}

func (g *Graph) inject(n *node, port int, f *Frame) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.finished || n.eos || n.removed {
		f.Release()
		return ErrFinished
	}
	g.emit(n, port, f)
	if g.timing {
		g.last = time.Since(g.epoch)
	}
	err := g.drainSafe()
	if err != nil {
		g.finishLocked(err)
	}
	return err
}

func (g *Graph) drainSafe() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("element %s panicked: %v", g.cur, r)
			g.queue, g.qhead = g.queue[:0], 0
		}
	}()
	return g.drain()
}

// Stats returns a snapshot of every element's statistics in topological order.
func (g *Graph) Stats() []ElementSnapshot {
	g.mu.Lock()
	nodes := append([]*node(nil), g.nodes...)
	g.mu.Unlock()
	out := make([]ElementSnapshot, len(nodes))
	for i, n := range nodes {
		out[i] = snapshot(n)
	}
	return out
}

// EachElementStats calls fn with every element's name, type and live
// statistics, in topological order: the counters and histograms a
// benchmark sums over many graph instances (Histogram.Merge). fn reads
// them; it must not Record into or Reset them.
func (g *Graph) EachElementStats(fn func(name, typ string, st *ElementStats)) {
	g.mu.Lock()
	nodes := append([]*node(nil), g.nodes...)
	g.mu.Unlock()
	for _, n := range nodes {
		fn(n.name, n.info.Name, n.stats)
	}
}

// SetTiming turns latency timing (per element and end to end) on or off
// on a running graph, from the next frame on: a benchmark times only its
// measurement window, after the warm-up.
func (g *Graph) SetTiming(on bool) {
	g.mu.Lock()
	g.timing = on
	g.last = time.Since(g.epoch)
	g.mu.Unlock()
}

// EndToEnd is the histogram of the graph's measured end-to-end latency:
// for every frame a sink sent (Output.Sent) that came from the network,
// the time from its arrival at the socket reader to its send. It includes
// what the jitter buffer holds back on purpose (see Latency for the
// declared part). Read it from any goroutine; do not Record into it.
func (g *Graph) EndToEnd() *Histogram { return &g.e2e }

// Latency is the largest sum of declared element latencies (SetLatency)
// along any path from a source to a sink: the graph's added end-to-end delay.
func (g *Graph) Latency() time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	acc := make(map[*node]time.Duration, len(g.nodes))
	var worst time.Duration
	for _, n := range g.nodes { // topological order: upstream sums are final
		total := acc[n] + time.Duration(n.latency.Load())
		worst = max(worst, total)
		for _, op := range n.outs {
			if op.to != nil && total > acc[op.to] {
				acc[op.to] = total
			}
		}
	}
	return worst
}

// Progress reports the progress of the graph's file sources, if any.
func (g *Graph) Progress() (done, total time.Duration, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, n := range g.nodes {
		if p, isP := n.el.(Progresser); isP {
			d, t := p.Progress()
			done += d
			total += t
			ok = true
		}
	}
	return done, total, ok
}

// Run starts the graph, drives it until end-of-stream, failure or ctx is
// done, and stops it. A graph with a real-time element is ticked every
// ptime by a private Scheduler; otherwise it runs as fast as it can.
func (g *Graph) Run(ctx context.Context) error {
	if err := g.Start(ctx); err != nil {
		return err
	}
	var runErr error
	if g.Realtime() {
		s := NewScheduler(WithWorkers(1), WithPeriod(g.ptime))
		s.Start()
		s.Add(g)
		select {
		case <-g.Done():
		case <-ctx.Done():
		}
		s.Close()
	} else {
		for i := 0; ; i++ {
			done, err := g.Step()
			if done {
				runErr = err
				break
			}
			if i%64 == 0 && ctx.Err() != nil {
				break
			}
		}
	}
	stopErr := g.Stop()
	if err := g.Err(); err != nil {
		return err
	}
	if runErr != nil {
		return runErr
	}
	return stopErr
}
