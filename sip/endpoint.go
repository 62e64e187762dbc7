package sip

import (
	"crypto/tls"
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
	tlsAddr string         // the TLS listener's address, if any
	wsAddr  string         // the WebSocket listener's address, if any
	wssAddr string         // the secure WebSocket listener's address, if any
	contact sip.ContactHeader
	dsrv    *sipgo.DialogServerCache            // UDP dialogs
	dsrvBy  map[string]*sipgo.DialogServerCache // by transport: a dialog's Contact names the listener it came in on
	dcli    *sipgo.DialogClientCache
	log     *slog.Logger

	mu      sync.Mutex
	pending []func() error // listeners to serve once handlers are set
	closers []func() error
	wg      sync.WaitGroup
}

// tlsListen is a TLS listener's address and certificate.
type tlsListen struct {
	addr      string
	cert, key string
}

// listenTLS opens a TLS listener with the certificate and key files.
func (t *tlsListen) listen(what string) (net.Listener, error) {
	cert, err := tls.LoadX509KeyPair(t.cert, t.key)
	if err != nil {
		return nil, fmt.Errorf("sip %s certificate: %w", what, err)
	}
	l, err := tls.Listen("tcp", t.addr, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	if err != nil {
		return nil, fmt.Errorf("sip listen %s %s: %w", what, t.addr, err)
	}
	return l, nil
}

// newEndpoint listens on UDP at udpAddr (and TCP at tcpAddr, WebSocket at
// wsAddr, TLS at tl, secure WebSocket at wss, when given). clientTLS, when
// not nil, is used to dial TLS targets.
func newEndpoint(name, udpAddr, tcpAddr, wsAddr string, tl, wss *tlsListen, clientTLS *tls.Config, log *slog.Logger) (*endpoint, error) {
	ap, err := netip.ParseAddrPort(udpAddr)
	if err != nil {
		return nil, fmt.Errorf("sip listen %q: want ip:port", udpAddr)
	}
	pc, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(ap))
	if err != nil {
		return nil, fmt.Errorf("sip listen udp %s: %w", udpAddr, err)
	}
	bound := pc.LocalAddr().(*net.UDPAddr).AddrPort()
	uaOpts := []sipgo.UserAgentOption{sipgo.WithUserAgent(name), sipgo.WithUserAgentHostname(bound.Addr().String())}
	if clientTLS != nil {
		uaOpts = append(uaOpts, sipgo.WithUserAgenTLSConfig(clientTLS))
	}
	ua, err := sipgo.NewUA(uaOpts...)
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
	e.dsrvBy = map[string]*sipgo.DialogServerCache{"UDP": e.dsrv}
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
		e.addTransportContact("TCP", "tcp", l.Addr())
	}
	if wsAddr != "" {
		l, err := net.Listen("tcp", wsAddr)
		if err != nil {
			e.Close()
			return nil, fmt.Errorf("sip listen ws %s: %w", wsAddr, err)
		}
		e.wsAddr = l.Addr().String()
		e.closers = append(e.closers, l.Close)
		e.pending = append(e.pending, func() error { return srv.ServeWS(l) })
		e.addTransportContact("WS", "ws", l.Addr())
	}
	if wss != nil {
		l, err := wss.listen("wss")
		if err != nil {
			e.Close()
			return nil, err
		}
		e.wssAddr = l.Addr().String()
		e.addTransportContact("WSS", "wss", l.Addr())
		e.closers = append(e.closers, l.Close)
		e.pending = append(e.pending, func() error { return srv.ServeWSS(l) })
	}
	if tl != nil {
		l, err := tl.listen("tls")
		if err != nil {
			e.Close()
			return nil, err
		}
		e.tlsAddr = l.Addr().String()
		e.addTransportContact("TLS", "tls", l.Addr())
		e.closers = append(e.closers, l.Close)
		e.pending = append(e.pending, func() error { return srv.ServeTLS(l) })
	}
	return e, nil
}

// addTransportContact makes a server-dialog cache whose Contact is the
// listener at addr with ;transport=name, for dialogs that arrive on it.
func (e *endpoint) addTransportContact(key, name string, addr net.Addr) {
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		return
	}
	u := sip.Uri{Host: ap.Addr().String(), Port: int(ap.Port()), UriParams: sip.NewParams()}
	u.UriParams.Add("transport", name)
	e.dsrvBy[key] = sipgo.NewDialogServerCache(e.cli, sip.ContactHeader{Address: u})
}

// readInvite starts a server dialog in the cache of the request's transport.
func (e *endpoint) readInvite(req *sip.Request, tx sip.ServerTransaction) (*sipgo.DialogServerSession, error) {
	c := e.dsrvBy[req.Transport()]
	if c == nil {
		c = e.dsrv
	}
	return c.ReadInvite(req, tx)
}

// matchServer finds the server dialog of an in-dialog request.
func (e *endpoint) matchServer(req *sip.Request) (*sipgo.DialogServerSession, error) {
	var first error
	for _, c := range e.dsrvBy {
		d, err := c.MatchDialogRequest(req)
		if err == nil {
			return d, nil
		}
		if first == nil {
			first = err
		}
	}
	return nil, first
}

// readAck and readBye pass an ACK or BYE to its server dialog.
func (e *endpoint) readAck(req *sip.Request, tx sip.ServerTransaction) error {
	d, err := e.matchServer(req)
	if err != nil {
		return err
	}
	return d.ReadAck(req, tx)
}

func (e *endpoint) readBye(req *sip.Request, tx sip.ServerTransaction) error {
	d, err := e.matchServer(req)
	if err != nil {
		return err
	}
	return d.ReadBye(req, tx)
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
func respond(tx sip.ServerTransaction, req *sip.Request, code int, reason string, hdrs ...sip.Header) {
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	if err := tx.Respond(res); err != nil {
		_ = err // the transaction is gone; nothing more to tell
	}
}
