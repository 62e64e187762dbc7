// Package udpimpair is a UDP impairment proxy for tests and demos: it
// receives datagrams on a loopback address and forwards each one to another
// loopback address after seeded-random loss, duplication, reordering, delay
// and jitter, keeping a log of what it did to every packet.
//
// Decisions are drawn per packet, in arrival order, from a generator seeded
// by Config.Seed, always the same number of draws per packet: the same seed
// and the same input give the same decisions, so a failing test can be
// replayed and its log read packet by packet (an RTP sequence number is in
// Event.Head[2:4]).
//
// The proxy forwards one way, from whoever sends to Addr towards the forward
// address; it sends from a socket of its own, so replies do not loop back
// through it. It runs two goroutines — a reader and a scheduler with a
// timer heap — whatever the packet rate.
package udpimpair

import (
	"container/heap"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Distribution is the shape of the jitter added to Config.Delay.
type Distribution uint8

const (
	// Uniform jitter is uniform in [0, Jitter).
	Uniform Distribution = iota
	// Normal jitter is half-normal: |N(0, Jitter²)|, mean ≈ 0.8·Jitter,
	// occasionally several times Jitter (a long tail, as on real networks).
	Normal
)

func (d Distribution) String() string {
	if d == Normal {
		return "normal"
	}
	return "uniform"
}

// Config says how to impair the stream. The zero value forwards every
// packet at once, in order.
type Config struct {
	Seed int64 // seeds the decisions; equal seeds give equal decisions

	Loss      float64 // probability a packet is dropped
	Duplicate float64 // probability a forwarded packet is sent twice (the copy right after it)
	Reorder   float64 // probability a forwarded packet is held back until ReorderGap later packets have been sent

	// ReorderGap is how many later packets overtake a held packet (default 1).
	ReorderGap int
	// MaxHold bounds how long past its due time a held packet waits for the
	// packets that should overtake it (default 100 ms); it is then sent anyway.
	MaxHold time.Duration

	// Delay is added to every packet; Jitter adds a random extra delay on
	// top, drawn from Distribution, so no packet is sent before Delay.
	Delay  time.Duration
	Jitter time.Duration
	// Distribution of the jitter: Uniform (default) or Normal.
	Distribution Distribution
	// KeepOrder sends packets in arrival order despite jitter (a packet
	// waits for the one before it, as in a queue); otherwise jitter may
	// reorder them. Reorder holds packets back either way.
	KeepOrder bool

	// LogSize is how many events Log keeps, the first ones (default 65536;
	// negative keeps none). Counters count every packet regardless.
	LogSize int
}

// Action is what the proxy did to a packet; several can apply.
type Action uint8

const (
	// Forwarded packets were sent to the forward address (at least once).
	Forwarded Action = 1 << iota
	// Dropped packets were not sent.
	Dropped
	// Duplicated packets were sent twice.
	Duplicated
	// Reordered packets were held back so later packets overtook them.
	Reordered
)

func (a Action) String() string {
	var parts []string
	for _, x := range []struct {
		a    Action
		name string
	}{{Forwarded, "forwarded"}, {Dropped, "dropped"}, {Duplicated, "duplicated"}, {Reordered, "reordered"}} {
		if a&x.a != 0 {
			parts = append(parts, x.name)
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "+")
}

// HeadLen is how many leading bytes of each packet an Event keeps: an RTP
// fixed header without CSRCs.
const HeadLen = 12

// Event is the log entry of one received packet.
type Event struct {
	Index  int           // arrival index, from 0
	Len    int           // datagram length in bytes
	Head   [HeadLen]byte // its first bytes (zero-padded when shorter)
	Action Action
	// Delay is the scheduled delay before sending: Config.Delay + jitter,
	// plus any wait behind earlier packets with KeepOrder. A Reordered
	// packet is sent once later packets have overtaken it, not before Delay.
	Delay time.Duration
}

// Seq reads an RTP sequence number from the head (bytes 2-3, big-endian).
func (e Event) Seq() uint16 { return uint16(e.Head[2])<<8 | uint16(e.Head[3]) }

func (e Event) String() string {
	if e.Action&Dropped != 0 {
		return fmt.Sprintf("#%d seq=%d len=%d dropped", e.Index, e.Seq(), e.Len)
	}
	return fmt.Sprintf("#%d seq=%d len=%d %s delay=%s", e.Index, e.Seq(), e.Len, e.Action, e.Delay)
}

// Counters count packets since the proxy started.
type Counters struct {
	Received   uint64 // datagrams received
	Sent       uint64 // datagrams sent, duplicates included
	Dropped    uint64
	Duplicated uint64
	Reordered  uint64
	SendErrors uint64 // sends that failed (nobody listening at the forward address)
	Discarded  uint64 // packets still pending when the proxy closed
}

// Proxy is a running impairment proxy. Its methods are safe for concurrent use.
type Proxy struct {
	cfg  Config
	in   *net.UDPConn // listens
	out  *net.UDPConn // sends to the forward address
	wake chan struct{}
	quit chan struct{}
	wg   sync.WaitGroup
	once sync.Once
	err  error

	mu      sync.Mutex
	rng     *rand.Rand
	next    int       // arrival index of the next packet
	last    time.Time // due time of the previous packet (KeepOrder)
	order   uint64    // heap tie-break: insertion order
	pending pqueue
	held    []*packet // held packets, in arrival order
	log     []Event
	count   Counters
	free    [][]byte // packet buffers for reuse
}

// packet is a datagram waiting to be sent.
type packet struct {
	due    time.Time
	order  uint64
	index  int
	data   []byte
	copies int  // 2 when duplicated
	wait   int  // held: later packets still to be sent before it
	sent   bool // sent (a held packet also sits in the heap for its MaxHold timeout)
}

// New starts a proxy that listens on listen (a loopback host:port; port 0
// picks a free one, see Addr) and forwards to forward (a loopback
// host:port). Addresses that are not loopback are refused.
func New(listen, forward string, cfg Config) (*Proxy, error) {
	if err := cfg.check(); err != nil {
		return nil, fmt.Errorf("udpimpair: %w", err)
	}
	la, err := loopback("listen", listen)
	if err != nil {
		return nil, err
	}
	fa, err := loopback("forward", forward)
	if err != nil {
		return nil, err
	}
	in, err := net.ListenUDP("udp", la)
	if err != nil {
		return nil, fmt.Errorf("udpimpair: listen on %s: %w", listen, err)
	}
	out, err := net.DialUDP("udp", nil, fa)
	if err != nil {
		in.Close()
		return nil, fmt.Errorf("udpimpair: forward to %s: %w", forward, err)
	}
	_ = in.SetReadBuffer(1 << 20) // best effort: absorb bursts from fast test senders
	if cfg.ReorderGap == 0 {
		cfg.ReorderGap = 1
	}
	if cfg.MaxHold == 0 {
		cfg.MaxHold = 100 * time.Millisecond
	}
	if cfg.LogSize == 0 {
		cfg.LogSize = 1 << 16
	}
	p := &Proxy{
		cfg: cfg, in: in, out: out,
		wake: make(chan struct{}, 1),
		quit: make(chan struct{}),
		rng:  rand.New(rand.NewPCG(uint64(cfg.Seed), 0x9e3779b97f4a7c15)),
	}
	p.wg.Add(2)
	go p.read()
	go p.schedule()
	return p, nil
}

func (c *Config) check() error {
	for _, pr := range []struct {
		name string
		v    float64
	}{{"Loss", c.Loss}, {"Duplicate", c.Duplicate}, {"Reorder", c.Reorder}} {
		if !(pr.v >= 0 && pr.v <= 1) {
			return fmt.Errorf("%s %g is not a probability (0 to 1)", pr.name, pr.v)
		}
	}
	if c.Delay < 0 || c.Jitter < 0 || c.MaxHold < 0 {
		return fmt.Errorf("negative Delay, Jitter or MaxHold (%s, %s, %s)", c.Delay, c.Jitter, c.MaxHold)
	}
	if c.ReorderGap < 0 {
		return fmt.Errorf("ReorderGap %d is negative", c.ReorderGap)
	}
	if c.Distribution > Normal {
		return fmt.Errorf("unknown jitter distribution %d", c.Distribution)
	}
	return nil
}

// loopback resolves addr and refuses anything but a loopback IP: the proxy
// is for tests and must never relay traffic off the machine.
func loopback(what, addr string) (*net.UDPAddr, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("udpimpair: %s address %q: %w", what, addr, err)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return nil, fmt.Errorf("udpimpair: %s address %q: port %q is not a number", what, addr, port)
	}
	if host != "localhost" {
		ip := net.ParseIP(host)
		if ip == nil || !ip.IsLoopback() {
			return nil, fmt.Errorf("udpimpair: %s address %q is not loopback: use 127.0.0.1, ::1 or localhost", what, addr)
		}
	}
	a, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("udpimpair: %s address %q: %w", what, addr, err)
	}
	if !a.IP.IsLoopback() {
		return nil, fmt.Errorf("udpimpair: %s address %q resolves to %s, not loopback", what, addr, a.IP)
	}
	return a, nil
}

// Addr is the address the proxy listens on: send here.
func (p *Proxy) Addr() *net.UDPAddr { return p.in.LocalAddr().(*net.UDPAddr) }

// Log returns a copy of the events so far, in arrival order.
func (p *Proxy) Log() []Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Event(nil), p.log...)
}

// Counters returns the counters so far.
func (p *Proxy) Counters() Counters {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.count
}

func (p *Proxy) String() string {
	c := p.Counters()
	return fmt.Sprintf("udpimpair %s -> %s loss=%g dup=%g reorder=%g delay=%s jitter=%s(%s): received %d sent %d dropped %d",
		p.Addr(), p.out.RemoteAddr(), p.cfg.Loss, p.cfg.Duplicate, p.cfg.Reorder, p.cfg.Delay, p.cfg.Jitter, p.cfg.Distribution,
		c.Received, c.Sent, c.Dropped)
}

// Close stops the proxy: it stops receiving, discards packets not yet sent
// (counted as Discarded) and returns once both goroutines have exited. It
// is safe to call more than once.
func (p *Proxy) Close() error {
	p.once.Do(func() {
		close(p.quit)
		p.err = p.in.Close()
		p.wg.Wait()
		if err := p.out.Close(); p.err == nil {
			p.err = err
		}
		p.mu.Lock()
		for _, pk := range p.pending {
			if !pk.sent {
				p.count.Discarded++
			}
		}
		p.pending, p.held = nil, nil
		p.mu.Unlock()
	})
	return p.err
}

// read receives datagrams and decides their fate, in arrival order.
func (p *Proxy) read() {
	defer p.wg.Done()
	buf := make([]byte, 64<<10)
	for {
		n, _, err := p.in.ReadFromUDP(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			select {
			case <-p.quit:
				return
			default:
				continue // a transient error: keep serving
			}
		}
		p.arrive(buf[:n], time.Now())
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
}

// arrive draws the packet's decisions and queues it.
func (p *Proxy) arrive(b []byte, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	// Always four draws per packet, so packet i's fate depends only on the seed and i.
	uLoss, uDup, uReorder := p.rng.Float64(), p.rng.Float64(), p.rng.Float64()
	var jitter time.Duration
	if p.cfg.Distribution == Normal {
		jitter = time.Duration(math.Abs(p.rng.NormFloat64()) * float64(p.cfg.Jitter))
	} else {
		jitter = time.Duration(p.rng.Float64() * float64(p.cfg.Jitter))
	}

	ev := Event{Index: p.next, Len: len(b)}
	copy(ev.Head[:], b)
	p.next++
	p.count.Received++
	switch {
	case uLoss < p.cfg.Loss:
		ev.Action = Dropped
		p.count.Dropped++
	default:
		ev.Action = Forwarded
		due := now.Add(p.cfg.Delay + jitter)
		if p.cfg.KeepOrder && due.Before(p.last) {
			due = p.last
		}
		p.last = due
		ev.Delay = due.Sub(now)
		pk := &packet{due: due, index: ev.Index, data: p.buffer(b), copies: 1}
		if uDup < p.cfg.Duplicate {
			ev.Action |= Duplicated
			pk.copies = 2
			p.count.Duplicated++
		}
		if uReorder < p.cfg.Reorder && p.cfg.ReorderGap > 0 {
			ev.Action |= Reordered
			p.count.Reordered++
			pk.wait = p.cfg.ReorderGap
			pk.due = due.Add(p.cfg.MaxHold) // timeout if nothing overtakes it
			p.held = append(p.held, pk)
		}
		p.order++
		pk.order = p.order
		heap.Push(&p.pending, pk)
	}
	if len(p.log) < p.cfg.LogSize {
		p.log = append(p.log, ev)
	}
}

func (p *Proxy) buffer(b []byte) []byte {
	var buf []byte
	if n := len(p.free); n > 0 {
		buf, p.free = p.free[n-1], p.free[:n-1]
	}
	return append(buf[:0], b...)
}

// schedule sends packets when they are due; one timer serves the whole heap.
func (p *Proxy) schedule() {
	defer p.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var batch []*packet
	for {
		p.mu.Lock()
		now := time.Now()
		batch = batch[:0]
		for len(p.pending) > 0 && !p.pending[0].due.After(now) {
			pk := heap.Pop(&p.pending).(*packet)
			if pk.sent {
				continue // a held packet released earlier; this was its timeout
			}
			batch = p.release(batch, pk)
		}
		wait := time.Hour
		if len(p.pending) > 0 {
			wait = p.pending[0].due.Sub(now)
		}
		p.mu.Unlock()

		var sent, failed uint64
		for _, pk := range batch {
			for range pk.copies {
				if _, err := p.out.Write(pk.data); err != nil {
					failed++
				} else {
					sent++
				}
			}
		}
		p.mu.Lock()
		p.count.Sent += sent
		p.count.SendErrors += failed
		for _, pk := range batch {
			p.free = append(p.free, pk.data)
			pk.data = nil
		}
		p.mu.Unlock()

		timer.Reset(wait)
		select {
		case <-p.quit:
			return
		case <-p.wake:
		case <-timer.C:
		}
	}
}

// release appends pk to the batch to send and, if pk is not itself held,
// counts it as overtaking the held packets that arrived before it; those
// it completes follow it, in arrival order.
func (p *Proxy) release(batch []*packet, pk *packet) []*packet {
	pk.sent = true
	batch = append(batch, pk)
	if pk.wait > 0 { // a held packet sent on its MaxHold timeout
		p.dropHeld(pk)
		return batch
	}
	var done []*packet
	for _, h := range p.held {
		if h.index < pk.index && !h.sent {
			h.wait--
			if h.wait == 0 {
				done = append(done, h)
			}
		}
	}
	for _, h := range done {
		h.sent = true
		batch = append(batch, h)
		p.dropHeld(h)
	}
	return batch
}

func (p *Proxy) dropHeld(pk *packet) {
	for i, h := range p.held {
		if h == pk {
			p.held = append(p.held[:i], p.held[i+1:]...)
			return
		}
	}
}

// pqueue is a min-heap of packets by due time, then insertion order.
type pqueue []*packet

func (q pqueue) Len() int { return len(q) }
func (q pqueue) Less(i, j int) bool {
	if !q[i].due.Equal(q[j].due) {
		return q[i].due.Before(q[j].due)
	}
	return q[i].order < q[j].order
}
func (q pqueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *pqueue) Push(x any)   { *q = append(*q, x.(*packet)) }
func (q *pqueue) Pop() any {
	old := *q
	pk := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return pk
}
