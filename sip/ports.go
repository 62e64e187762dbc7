package sip

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
)

// ErrNoPorts is returned when every RTP port of the range is in use.
var ErrNoPorts = errors.New("no free RTP port in the configured range")

// Ports hands out RTP ports from a range: even numbers, with the odd port
// above each reserved for its RTCP (RFC 3550 §11). A port is checked free
// by binding it (UDP, on the gateway's media address) before it is handed
// out, so ports taken by other programs are skipped.
type Ports struct {
	addr     netip.Addr
	min, max int

	mu    sync.Mutex
	used  map[int]bool
	next  int
	inUse int
}

// NewPorts returns an allocator for even ports in [min, max] on addr.
func NewPorts(addr netip.Addr, min, max int) (*Ports, error) {
	if min < 1024 || max > 65534 || min > max-1 {
		return nil, fmt.Errorf("RTP port range %d-%d: want 1024 <= min < max <= 65534", min, max)
	}
	if min%2 == 1 {
		min++
	}
	// Start at a random even port: separate allocators over one range (two
	// programs, or a restart while old sockets linger) rarely meet.
	start := min + 2*rand.IntN((max-min)/2+1)
	if start > max-1 {
		start = min
	}
	return &Ports{addr: addr, min: min, max: max, used: map[int]bool{}, next: start}, nil
}

// Allocate returns a free even port; Release gives it back.
func (p *Ports) Allocate() (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	span := (p.max-p.min)/2 + 1
	for i := 0; i < span; i++ {
		port := p.next
		p.next += 2
		if p.next > p.max-1 {
			p.next = p.min
		}
		if p.used[port] || !free(p.addr, port) || !free(p.addr, port+1) {
			continue
		}
		p.used[port] = true
		p.inUse++
		return port, nil
	}
	return 0, ErrNoPorts
}

// Release returns a port to the range. Releasing a port twice is harmless.
func (p *Ports) Release(port int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.used[port] {
		delete(p.used, port)
		p.inUse--
	}
}

// InUse is the number of ports handed out and not released.
func (p *Ports) InUse() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.inUse
}

// Addr is the media address the ports are on.
func (p *Ports) Addr() netip.Addr { return p.addr }

func free(addr netip.Addr, port int) bool {
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(addr, uint16(port))))
	if err != nil {
		return false
	}
	c.Close()
	return true
}
