package sip

import (
	"context"
	"crypto/tls"
	"errors"
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
// whose requests go out from those sockets, and dialog tables for both
// roles.
//
// NAT: responses go to the source of a request whose Via has rport
// (RFC 3581; sipgo fills rport and received), and in-dialog requests
// (ACK, BYE, re-INVITE, INFO, NOTIFY) go to where the peer's INVITE or 2xx
// came from rather than to its Contact, when no proxy Record-Routed the
// dialog: a phone behind NAT puts a private address in its Contact. The
// Request-URI stays the Contact. sipgo's dialog caches cannot do this (their
// DialogUA is private), so the endpoint keeps its own tables, on DialogUAs
// with RewriteContact.
type endpoint struct {
	ua      *sipgo.UserAgent
	srv     *sipgo.Server
	cli     *sipgo.Client
	addr    netip.AddrPort // the UDP listener (used for Contact and Via)
	tlsAddr string         // the TLS listener's address, if any
	wsAddr  string         // the WebSocket listener's address, if any
	wssAddr string         // the secure WebSocket listener's address, if any
	contact sip.ContactHeader
	uas     map[string]*sipgo.DialogUA // by transport: a dialog's Contact names the listener it came in on
	uac     *sipgo.DialogUA
	server  sync.Map // UAS dialog ID → *sipgo.DialogServerSession
	client  sync.Map // UAC dialog ID → *sipgo.DialogClientSession
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
	e.uas = map[string]*sipgo.DialogUA{"UDP": {Client: cli, ContactHDR: e.contact, RewriteContact: true}}
	e.uac = &sipgo.DialogUA{Client: cli, ContactHDR: e.contact, RewriteContact: true}
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
	e.uas[key] = &sipgo.DialogUA{Client: e.cli, ContactHDR: sip.ContactHeader{Address: u}, RewriteContact: true}
}

// readInvite starts a server dialog with the Contact of the request's
// transport; the dialog leaves the table when it ends (or forget).
func (e *endpoint) readInvite(req *sip.Request, tx sip.ServerTransaction) (*sipgo.DialogServerSession, error) {
	ua := e.uas[req.Transport()]
	if ua == nil {
		ua = e.uas["UDP"]
	}
	d, err := ua.ReadInvite(req, tx)
	if err != nil {
		return nil, err
	}
	id := d.ID
	e.server.Store(id, d)
	d.OnState(func(s sip.DialogState) {
		if s == sip.DialogStateEnded {
			e.server.CompareAndDelete(id, d)
		}
	})
	return d, nil
}

// invite starts a client dialog: INVITE to recipient; the dialog enters
// the table once established and leaves it when it ends (or forget).
func (e *endpoint) invite(ctx context.Context, recipient sip.Uri, body []byte, hdrs ...sip.Header) (*sipgo.DialogClientSession, error) {
	d, err := e.uac.Invite(ctx, recipient, body, hdrs...)
	if err != nil {
		return nil, err
	}
	d.OnState(func(s sip.DialogState) {
		switch s {
		case sip.DialogStateEstablished:
			e.client.Store(d.ID, d)
		case sip.DialogStateEnded:
			e.client.CompareAndDelete(d.ID, d)
		}
	})
	return d, nil
}

// forget drops a dialog from the tables (it is closed without having
// ended, e.g. a BYE that got no answer).
func (e *endpoint) forget(d any) {
	switch d := d.(type) {
	case *sipgo.DialogServerSession:
		e.server.CompareAndDelete(d.ID, d)
	case *sipgo.DialogClientSession:
		e.client.CompareAndDelete(d.ID, d)
	}
}

// dialogs is the number of dialogs in the tables (for leak checks).
func (e *endpoint) dialogs() int {
	n := 0
	count := func(any, any) bool { n++; return true }
	e.server.Range(count)
	e.client.Range(count)
	return n
}

// matchServer finds the server dialog of an in-dialog request.
func (e *endpoint) matchServer(req *sip.Request) (*sipgo.DialogServerSession, error) {
	id, err := sip.DialogIDFromRequestUAS(req)
	return match[*sipgo.DialogServerSession](&e.server, id, err)
}

// matchClient finds the client dialog of an in-dialog request.
func (e *endpoint) matchClient(req *sip.Request) (*sipgo.DialogClientSession, error) {
	id, err := sip.DialogIDFromRequestUAC(req)
	return match[*sipgo.DialogClientSession](&e.client, id, err)
}

// match looks a dialog ID up in a table.
func match[D any](table *sync.Map, id string, err error) (D, error) {
	var none D
	if err != nil {
		return none, errors.Join(sipgo.ErrDialogOutsideDialog, err)
	}
	if d, ok := table.Load(id); ok {
		return d.(D), nil
	}
	return none, sipgo.ErrDialogDoesNotExists
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
	if d, err := e.matchServer(req); err == nil {
		return d.ReadBye(req, tx)
	}
	d, err := e.matchClient(req)
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
