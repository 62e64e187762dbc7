package pipeline

import (
	"fmt"
	"slices"
)

// Attach adds a branch to the graph while it runs: the fragment's elements
// are new, and its links may name elements already in the graph (linking to
// a request port such as a tee's out_%d or a mixer's in_%d adds that port).
// The fragment is built and negotiated completely before anything changes,
// so a failing Attach leaves the graph as it was. Other branches keep
// running: Attach happens between ticks and touches only the linked ports.
func (g *Graph) Attach(spec *Spec) error {
	g.mu.Lock()
	var toStop []*node
	defer func() {
		g.mu.Unlock()
		stopNodes(toStop) // outside the lock: see Graph.Stop
	}()
	if g.finished {
		return fmt.Errorf("attach to graph %q: graph has finished", g.name)
	}
	nodes, err := g.assemble(spec, false)
	if err != nil {
		return err
	}
	order, err := g.topoSort(nodes, spec)
	if err != nil {
		g.removeNodes(nodes)
		return err
	}
	scope := make(map[*node]bool, len(nodes))
	for _, n := range nodes {
		scope[n] = true
	}
	if err := g.negotiate(order, scope); err != nil {
		g.removeNodes(nodes)
		return err
	}
	// Commit first, so elements of the fragment can find each other (and
	// the rest of the graph) by name when they start.
	prev := append([]*node(nil), g.nodes...)
	g.commit(order)
	if g.started {
		for i := len(nodes) - 1; i >= 0; i-- {
			if err := g.startNode(nodes[i]); err != nil {
				for _, n := range nodes {
					n.removed = true
					if n.started {
						n.started = false
						toStop = append(toStop, n)
					}
					delete(g.byName, n.name)
				}
				g.removeNodes(nodes)
				g.commit(prev)
				return err
			}
		}
	}
	return nil
}

// Detach removes the named elements from the running graph. Links between
// them and the rest of the graph are cut; request ports they used on the
// remaining elements are released (DynamicPorts.RemovePort). Detached
// elements are stopped. Frames already delivered to the rest are unaffected.
func (g *Graph) Detach(names ...string) error {
	g.mu.Lock()
	var nodes []*node
	for _, name := range names {
		n := g.byName[name]
		if n == nil {
			g.mu.Unlock()
			return fmt.Errorf("detach from graph %q: no element named %q", g.name, name)
		}
		nodes = append(nodes, n)
	}
	var toStop []*node
	for _, n := range nodes {
		n.removed = true
		if n.started {
			n.started = false
			toStop = append(toStop, n)
		}
	}
	g.removeNodes(nodes)
	order := slices.DeleteFunc(append([]*node(nil), g.nodes...), func(n *node) bool { return slices.Contains(nodes, n) })
	for _, n := range nodes {
		delete(g.byName, n.name)
	}
	g.commit(order)
	g.mu.Unlock()
	return stopNodes(toStop) // outside the lock: see Graph.Stop
}

// removeNodes cuts every link between nodes and the rest of the graph,
// releasing request ports on the remaining elements.
func (g *Graph) removeNodes(nodes []*node) {
	in := func(x *node) bool { return slices.Contains(nodes, x) }
	for _, n := range nodes {
		for i := range n.outs {
			op := &n.outs[i]
			if op.to == nil || in(op.to) {
				continue
			}
			peer, pi := op.to, op.toPort
			ip := &peer.ins[pi]
			told := ip.seen
			g.unlinkPort(n, Out, i)
			if ip.info.Presence == Request {
				p := ip.Port
				g.releaseSlot(peer, In, pi)
				if dp, ok := peer.el.(DynamicPorts); ok && told {
					dp.RemovePort(p)
				}
			}
		}
		for i := range n.ins {
			ip := &n.ins[i]
			if ip.from == nil || in(ip.from) {
				continue
			}
			peer, po := ip.from, ip.fromPort
			op := &peer.outs[po]
			told := !op.format.IsZero()
			g.unlinkPort(n, In, i)
			if op.info.Presence == Request {
				p := op.Port
				g.releaseSlot(peer, Out, po)
				if dp, ok := peer.el.(DynamicPorts); ok && told {
					dp.RemovePort(p)
				}
			}
		}
	}
}
