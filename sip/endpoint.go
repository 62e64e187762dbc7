package sip

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// endpoint is one SIP user agent on sipgo: a server bound to sockets we
// open ourselves (so port 0 works and the bound port is known), a client
// whose requests go out from those sockets, and dialog caches for both roles.
type endpoint struct {
	ua      *sipgo.UserAgent
	srv     *sipgo.Server
	cli     *sipgo.Client
	addr    netip.AddrPort // the UDP listener (used for Contact and Via)
	contact sip.ContactHeader
	dsrv    *sipgo.DialogServerCache
	dcli    *sipgo.DialogClientCache
	log     *slog.Logger

	mu      sync.Mutex
	pending []func() error // listeners to serve once handlers are set
	closers []func() error
	wg      sync.WaitGroup
}

// newEndpoint listens on UDP at udpAddr (and TCP at tcpAddr when not empty).
func newEndpoint(name, udpAddr, tcpAddr string, log *slog.Logger) (*endpoint, error) {
	ap, err := netip.ParseAddrPort(udpAddr)
	if err != nil {
		return nil, fmt.Errorf("sip listen %q: want ip:port", udpAddr)
	}
	pc, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(ap))
	if err != nil {
		return nil, fmt.Errorf("sip listen udp %s: %w", udpAddr, err)
	}
	bound := pc.LocalAddr().(*net.UDPAddr).AddrPort()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent(name), sipgo.WithUserAgentHostname(bound.Addr().String()))
	if err != nil {
		pc.Close()
		return nil, err
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		ua.Close()
		pc.Close()
		return nil, err
	}
	cli, err := sipgo.NewClient(ua, sipgo.WithClientHostname(bound.Addr().String()), sipgo.WithClientPort(int(bound.Port())))
	if err != nil {
		ua.Close()
		pc.Close()
		return nil, err
	}
	e := &endpoint{ua: ua, srv: srv, cli: cli, addr: bound, log: log}
	e.contact = sip.ContactHeader{Address: sip.Uri{Host: bound.Addr().String(), Port: int(bound.Port())}}
	e.dsrv = sipgo.NewDialogServerCache(cli, e.contact)
	e.dcli = sipgo.NewDialogClientCache(cli, e.contact)
	// Closed in reverse order: our listening sockets first (sipgo does not
	// close sockets it was handed), then the transaction layer.
	e.closers = append(e.closers, ua.Close, pc.Close)
	e.pending = append(e.pending, func() error { return srv.ServeUDP(pc) })
	if tcpAddr != "" {
		l, err := net.Listen("tcp", tcpAddr)
		if err != nil {
			e.Close()
			return nil, fmt.Errorf("sip listen tcp %s: %w", tcpAddr, err)
		}
		e.closers = append(e.closers, l.Close)
		e.pending = append(e.pending, func() error { return srv.ServeTCP(l) })
	}
	return e, nil
}

// start serves the listeners. Call it after registering every handler:
// sipgo reads its handler table without a lock.
func (e *endpoint) start() {
	for _, f := range e.pending {
		e.serve(f)
	}
	e.pending = nil
}

func (e *endpoint) serve(f func() error) {
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		if err := f(); err != nil {
			e.log.Debug("sip listener ended", "err", err)
		}
	}()
}

// Close stops the listeners and the transaction layer.
func (e *endpoint) Close() error {
	e.mu.Lock()
	closers := e.closers
	e.closers = nil
	e.mu.Unlock()
	for i := len(closers) - 1; i >= 0; i-- {
		closers[i]()
	}
	e.wg.Wait()
	return nil
}

// uri is the endpoint's own SIP URI with a user part.
func (e *endpoint) uri(user string) sip.Uri {
	return sip.Uri{Scheme: "sip", User: user, Host: e.addr.Addr().String(), Port: int(e.addr.Port())}
}

// respond answers a request outside a dialog.
func respond(tx sip.ServerTransaction, req *sip.Request, code int, reason string) {
	if err := tx.Respond(sip.NewResponseFromRequest(req, code, reason, nil)); err != nil {
		_ = err // the transaction is gone; nothing more to tell
	}
}
