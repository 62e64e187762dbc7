package sip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/voxgraph/voxgraph/elements/rtp"
	"github.com/voxgraph/voxgraph/graphs"
	"github.com/voxgraph/voxgraph/pipeline"
	"github.com/voxgraph/voxgraph/sip/sdp"
)

// Gateway is a transcoding B2BUA: each INVITE it receives is routed by the
// configuration to a target, called there as a second leg, and the two legs'
// media are joined by a graph from the b2bua template — transcoding when
// their codecs differ. Everything a call owns is released when it ends.
type Gateway struct {
	cfg   *Config
	ep    *endpoint
	ports *Ports
	sched *pipeline.Scheduler
	srtp  sdp.SRTPPolicy
	reg   *Registrar // nil without a registrar: section
	log   *slog.Logger

	mu    sync.Mutex
	calls map[*gwCall]bool
	rooms map[string]*room
	wg    sync.WaitGroup

	stats GatewayStats
}

// GatewayStats counts calls.
type GatewayStats struct {
	Calls, Answered, Failed, Rejected atomic.Uint64
	// SessionRefreshes counts RFC 4028 refreshes: the gateway's own (as
	// refresher) that succeeded and the peers' it accepted.
	SessionRefreshes atomic.Uint64
	// Transfers counts completed blind transfers (REFER).
	Transfers atomic.Uint64
}

// gwCall is one B2BUA call.
type gwCall struct {
	id    string
	route string
	a     *sipgo.DialogServerSession // the caller's dialog, for setting the call up
	b     *sipgo.DialogClientSession // the callee's; nil for calls answered here
	// sa and sb are the legs' dialogs (guarded by mu): the caller's and the
	// callee's until a blind transfer replaces one; swapped tells watch.
	sa, sb   legSession
	swapped  chan struct{}
	g        *pipeline.Graph
	portA    int
	portB    int
	legA     Leg
	legB     Leg
	started  time.Time
	cancel   context.CancelFunc // aborts the setup (leg B's INVITE)
	leave    func()             // conference: detach the caller's branch (the room's graph is shared)
	timedOut func() bool        // conference: the caller's stream has timed out
	ackSDP   chan []byte        // late offer: the caller's answer, from its ACK
	sessA    uint64             // o= session id and version of our SDP towards each leg
	verA     uint64
	sessB    uint64
	verB     uint64
	answered bool          // leg A has our 200 OK (guarded by Gateway.mu)
	infos    []pendingInfo // DTMF INFOs to send, in order (guarded by Gateway.mu)
	infoBusy bool          // a goroutine is sending them
	// Session timers (RFC 4028): leg A's from its INVITE with the headers
	// for our 200, leg B's from its 200; running timers per leg; the SDP we
	// last sent each leg (a refresh by re-INVITE repeats it).
	timerA     *sessionTimer
	timerAHdrs []sip.Header
	timerB     *sessionTimer
	timers     map[string]*sessionTimer // guarded by Gateway.mu
	sdp        map[string][]byte        // guarded by Gateway.mu
	released   bool                     // guarded by Gateway.mu
	// transferFrom is the leg ("a" or "b") whose REFER is being carried
	// out, "" for none (guarded by Gateway.mu).
	transferFrom string
	rel          *reliable // the caller requires 100rel; nil otherwise
	once         sync.Once
	ended        chan struct{}
	endCause     string
}

// NewGateway starts listening as cfg says.
func NewGateway(cfg *Config, log *slog.Logger) (*Gateway, error) {
	if log == nil {
		log = slog.Default()
	}
	if err := cfg.check(); err != nil {
		return nil, err
	}
	lo, hi, _ := cfg.portRange()
	ports, err := NewPorts(netip.MustParseAddr(cfg.Media.Address), lo, hi)
	if err != nil {
		return nil, err
	}
	policy, err := sdp.ParseSRTPPolicy(cfg.Media.SRTP)
	if err != nil {
		return nil, err
	}
	udp, tcp, ws := "", "", ""
	var tl, wss *tlsListen
	for _, l := range cfg.Listen {
		switch {
		case l.Transport == "udp" && udp == "":
			udp = l.Addr
		case l.Transport == "tcp" && tcp == "":
			tcp = l.Addr
		case l.Transport == "ws" && ws == "":
			ws = l.Addr
		case l.Transport == "tls" && tl == nil:
			tl = &tlsListen{addr: l.Addr, cert: l.Cert, key: l.Key}
		case l.Transport == "wss" && wss == nil:
			wss = &tlsListen{addr: l.Addr, cert: l.Cert, key: l.Key}
		}
	}
	if udp == "" {
		udp = "127.0.0.1:5060"
	}
	ep, err := newEndpoint(cfg.UserAgent, udp, tcp, ws, tl, wss, nil, log)
	if err != nil {
		return nil, err
	}
	gw := &Gateway{cfg: cfg, ep: ep, ports: ports, srtp: policy, log: log, calls: map[*gwCall]bool{}, rooms: map[string]*room{}}
	allow := "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE, REFER, PRACK"
	unsupported := []sip.RequestMethod{sip.SUBSCRIBE, sip.NOTIFY, sip.PUBLISH, sip.MESSAGE}
	if cfg.Registrar != nil {
		if gw.reg, err = NewRegistrar(*cfg.Registrar); err != nil {
			ep.Close()
			return nil, err
		}
		ep.srv.OnRegister(gw.safe(gw.reg.OnRegister))
		allow += ", REGISTER"
	} else {
		unsupported = append(unsupported, sip.REGISTER)
	}
	gw.sched = pipeline.NewScheduler()
	gw.sched.Start()
	ep.srv.OnInvite(gw.safe(gw.onInvite))
	ep.srv.OnAck(gw.safe(gw.onAck))
	ep.srv.OnBye(gw.safe(gw.onBye))
	ep.srv.OnRequest(sip.INFO, gw.safe(gw.onInfo))
	ep.srv.OnRequest(sip.REFER, gw.safe(gw.onRefer))
	ep.srv.OnRequest(sip.PRACK, gw.safe(gw.onPrack))
	ep.srv.OnRequest(sip.UPDATE, gw.safe(gw.onReinvite)) // RFC 3311: offer/answer without ACK
	ep.srv.OnOptions(gw.safe(func(req *sip.Request, tx sip.ServerTransaction) {
		res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil)
		res.AppendHeader(sip.NewHeader("Allow", allow))
		res.AppendHeader(sip.NewHeader("Supported", strings.Join(extensions, ", ")))
		tx.Respond(res)
	}))
	for _, m := range unsupported {
		ep.srv.OnRequest(m, func(req *sip.Request, tx sip.ServerTransaction) {
			res := sip.NewResponseFromRequest(req, sip.StatusNotImplemented, "Not Implemented", nil)
			res.AppendHeader(sip.NewHeader("Allow", allow))
			tx.Respond(res)
		})
	}
	ep.start()
	log.Info("gateway listening", "udp", ep.addr.String(), "tcp", tcp, "media", cfg.Media.Address, "ports", cfg.Media.Ports)
	return gw, nil
}

// safe runs a SIP handler so that a panic in it (ours or the SIP library's)
// fails that request with 500 and is logged, instead of ending the process
// and every other call with it.
func (gw *Gateway) safe(h sipgo.RequestHandler) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		defer func() {
			if r := recover(); r != nil {
				gw.log.Error("SIP handler panicked", "method", req.Method, "panic", r)
				respond(tx, req, sip.StatusInternalServerError, "Server Internal Error")
			}
		}()
		if ext := unsupportedRequire(req); len(ext) > 0 && req.Method != sip.ACK && req.Method != sip.CANCEL {
			respond(tx, req, sip.StatusBadExtension, "Bad Extension", sip.NewHeader("Unsupported", strings.Join(ext, ", ")))
			return
		}
		if code, reason := validate(req); code != 0 {
			gw.log.Debug("bad request", "method", req.Method, "code", code, "reason", reason)
			if req.Method != sip.ACK {
				res := sip.NewResponseFromRequest(req, code, reason, nil)
				res.SipVersion = "SIP/2.0" // never echo a version we do not speak
				tx.Respond(res)
			}
			return
		}
		h(req, tx)
	}
}

// Addr is the gateway's SIP UDP address.
func (gw *Gateway) Addr() netip.AddrPort { return gw.ep.addr }

// WSAddr is the gateway's SIP-over-WebSocket address ("" without a ws listener).
func (gw *Gateway) WSAddr() string { return gw.ep.wsAddr }

// WSSAddr is the gateway's SIP-over-secure-WebSocket address ("" without a wss listener).
func (gw *Gateway) WSSAddr() string { return gw.ep.wssAddr }

// TLSAddr is the gateway's SIP TLS address ("" without a tls listener).
func (gw *Gateway) TLSAddr() string { return gw.ep.tlsAddr }

// Stats returns the call counters.
func (gw *Gateway) Stats() *GatewayStats { return &gw.stats }

// ActiveCalls is the number of calls in progress.
func (gw *Gateway) ActiveCalls() int {
	gw.mu.Lock()
	defer gw.mu.Unlock()
	return len(gw.calls)
}

// PortsInUse is the number of RTP ports held by calls.
func (gw *Gateway) PortsInUse() int { return gw.ports.InUse() }

// Close hangs up every call and stops listening.
func (gw *Gateway) Close() error {
	gw.mu.Lock()
	calls := make([]*gwCall, 0, len(gw.calls))
	for c := range gw.calls {
		calls = append(calls, c)
	}
	gw.mu.Unlock()
	for _, c := range calls {
		gw.hangup(c, "gateway shutdown")
	}
	gw.wg.Wait()
	gw.sched.Close()
	return gw.ep.Close()
}

func (gw *Gateway) route(req *sip.Request, source string) (*Route, []string) {
	from, to := "", ""
	if f := req.From(); f != nil {
		from = f.Address.String()
	}
	if t := req.To(); t != nil {
		to = t.Address.String()
	}
	return gw.routeFor(req.Recipient.String(), from, to, source)
}

// routeFor returns the first route matching a request URI, From and To
// URIs and the sender's ip:port, with the request URI's groups.
func (gw *Gateway) routeFor(ruri, from, to, source string) (*Route, []string) {
	for i := range gw.cfg.Routes {
		r := &gw.cfg.Routes[i]
		if groups, ok := r.Match(ruri, from, to, source); ok {
			return r, groups
		}
	}
	return nil, nil
}

// target resolves where a forward or registered route sends a call.
func (gw *Gateway) target(r *Route, groups []string) (sip.Uri, int, string, error) {
	var uri sip.Uri
	if r.Registered != "" {
		user := r.User(groups)
		contact, ok := gw.reg.Lookup(user)
		if !ok {
			return uri, sip.StatusTemporarilyUnavailable, "Not Registered", fmt.Errorf("route %s: %q is not registered", r.Name, user)
		}
		return contact, 0, "", nil
	}
	target := r.Target(groups)
	if err := sip.ParseUri(target, &uri); err != nil {
		return uri, sip.StatusInternalServerError, "Bad Route Target", fmt.Errorf("route %s target %q: %w", r.Name, target, err)
	}
	return uri, 0, "", nil
}

func (gw *Gateway) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to != nil && to.Params.Has("tag") {
		gw.onReinvite(req, tx) // in-dialog: never a new call
		return
	}
	gw.stats.Calls.Add(1)
	if mf := req.MaxForwards(); mf != nil && mf.Val() <= 1 {
		gw.stats.Rejected.Add(1)
		respond(tx, req, sip.StatusTooManyHops, "Too Many Hops")
		return
	}
	if gw.cfg.MaxCalls > 0 && gw.ActiveCalls() >= gw.cfg.MaxCalls {
		gw.stats.Rejected.Add(1)
		respond(tx, req, sip.StatusServiceUnavailable, "Too Many Calls", sip.NewHeader("Retry-After", "5"))
		return
	}
	r, groups := gw.route(req, req.Source())
	if r == nil {
		gw.stats.Rejected.Add(1)
		respond(tx, req, sip.StatusNotFound, "No Route")
		return
	}
	if r.Reject != 0 {
		gw.stats.Rejected.Add(1)
		respond(tx, req, r.Reject, "Rejected By Route")
		return
	}
	if r.Forward != "" && !r.Open {
		// A trunk route: only authenticated callers (no open relay).
		if _, res := gw.reg.Authenticate(req, true); res != authOK {
			gw.stats.Rejected.Add(1)
			gw.reg.respondAuth(req, tx, res, true)
			return
		}
	}
	timerA, timerAHdrs, code := gw.timerFromRequest(req)
	if code != 0 {
		gw.stats.Rejected.Add(1)
		respond(tx, req, code, timerReason(code), timerAHdrs...)
		return
	}
	// An INVITE without SDP is a late offer (RFC 3261 §13.2.1): we offer in
	// our 200 and the caller answers in its ACK.
	var offerA *sdp.Session
	if len(req.Body()) > 0 {
		var err error
		if offerA, err = sdp.Parse(req.Body()); err != nil {
			gw.stats.Rejected.Add(1)
			respond(tx, req, sip.StatusNotAcceptableHere, "Not Acceptable Here")
			return
		}
		// Refuse what leg A could never be answered with before calling anyone.
		if _, _, err := sdp.Answer(offerA, sdp.AnswerParams{Addr: gw.ports.Addr(), Port: 9, Codecs: gw.cfg.Codecs, SRTP: gw.srtp}); err != nil {
			gw.stats.Rejected.Add(1)
			respond(tx, req, sip.StatusNotAcceptableHere, "Not Acceptable Here")
			return
		}
	} else if r.App != "" {
		gw.stats.Rejected.Add(1)
		respond(tx, req, sip.StatusNotAcceptableHere, "Offerless INVITE Not Supported For This Route")
		return
	}
	a, err := gw.ep.readInvite(req, tx)
	if err != nil {
		respond(tx, req, sip.StatusBadRequest, err.Error())
		return
	}
	c := &gwCall{id: req.CallID().Value(), route: r.Name, a: a, sa: legSession{srv: a}, swapped: make(chan struct{}, 1),
		ended: make(chan struct{}), started: time.Now(), timerA: timerA, timerAHdrs: timerAHdrs}
	if offerA == nil {
		c.ackSDP = make(chan []byte, 1)
	}
	if hasOption(req, "100rel", "Require") {
		c.rel = &reliable{}
	}
	gw.mu.Lock()
	gw.calls[c] = true
	gw.mu.Unlock()
	gw.wg.Add(1)
	defer gw.wg.Done()
	connect := func() (int, string, error) { return gw.connect(c, req, tx, r, groups, offerA) }
	if r.App != "" {
		connect = func() (int, string, error) { return gw.answerApp(c, r, groups, offerA) }
	}
	if code, reason, err := connect(); err != nil {
		gw.stats.Failed.Add(1)
		gw.log.Info("call failed", "call", c.id, "route", r.Name, "code", code, "err", err)
		if code != 0 { // 0: the caller was already answered (and has had a BYE)
			a.Respond(code, reason, nil)
		}
		gw.release(c, err.Error())
		return
	}
	gw.stats.Answered.Add(1)
	gw.startTimer(c, "a", c.timerA)
	if c.timerB != nil {
		gw.startTimer(c, "b", c.timerB)
	}
	gw.wg.Add(1)
	go gw.watch(c)
}

// connect calls leg B, answers leg A and starts the media. On failure it
// returns the status to give leg A; the caller releases what was taken.
func (gw *Gateway) connect(c *gwCall, req *sip.Request, tx sip.ServerTransaction, r *Route, groups []string, offerA *sdp.Session) (int, string, error) {
	var err error
	if c.portA, err = gw.ports.Allocate(); err != nil {
		return sip.StatusServiceUnavailable, "No Media Ports", err
	}
	if c.portB, err = gw.ports.Allocate(); err != nil {
		return sip.StatusServiceUnavailable, "No Media Ports", err
	}
	prefs := gw.cfg.Codecs
	if len(r.Codecs) > 0 {
		prefs = r.Codecs
	}
	// Leg B: a registered user's contact, or the route's target.
	uri, code, reason, err := gw.target(r, groups)
	if err != nil {
		return code, reason, err
	}
	target := uri.String()
	c.sessA, c.verA, c.sessB, c.verB = rand.Uint64()>>1, 1, rand.Uint64()>>1, 1
	offerB, err := sdp.BuildOffer(sdp.OfferParams{SessionID: c.sessB, Version: c.verB, Addr: gw.ports.Addr(), Port: c.portB,
		Codecs: prefs, PTime: 20 * time.Millisecond, TelephoneEvent: true})
	if err != nil {
		return sip.StatusInternalServerError, "Server Error", err
	}
	offerBSess, _ := sdp.Parse(offerB)
	gw.setSDP(c, "b", offerB)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	gw.mu.Lock()
	c.cancel = cancel
	gw.mu.Unlock()
	// A CANCEL from leg A cancels leg B (sipgo has already answered it with
	// 487); the transaction ending for another reason does too.
	tx.OnCancel(func(*sip.Request) { cancel() })
	go func() {
		select {
		case <-tx.Done():
			cancel()
		case <-ctx.Done():
		}
	}()
	expires, minSE := gw.cfg.SessionTimer.Expires, gw.cfg.SessionTimer.MinSE
	// Early media: on the first 183 with SDP the call's media is set up and
	// the caller gets 183 with our answer, so a trunk's ringback or
	// announcement reaches it before the answer. Ringing without SDP is
	// relayed as 180.
	ringing := false
	var answerA []byte
	var earlyErr error
	var b *sipgo.DialogClientSession
	for attempt := 0; ; attempt++ {
		hdrs := append([]sip.Header{sip.NewHeader("Content-Type", "application/sdp")}, gw.inviteHeadersFor(expires, minSE)...)
		if mf := req.MaxForwards(); mf != nil {
			hdrs = append(hdrs, sip.NewHeader("Max-Forwards", strconv.Itoa(int(mf.Val())-1)))
		}
		if b, err = gw.ep.invite(ctx, uri, offerB, hdrs...); err != nil {
			return sip.StatusServiceUnavailable, "Target Unreachable", err
		}
		gw.mu.Lock()
		c.b, c.sb = b, legSession{cli: b}
		gw.mu.Unlock()
		err = gw.waitAnswerB(ctx, c, b, offerA, offerBSess, &ringing, &answerA, &earlyErr)
		// 422 (RFC 4028 §7.2): the callee wants a longer session interval;
		// try once more with its Min-SE.
		var de *sipgo.ErrDialogResponse
		if attempt == 0 && errors.As(err, &de) && de.Res.StatusCode == 422 && !gw.cfg.SessionTimer.Disabled {
			if d, _, perr := parseSessionExpires(header(de.Res, "Min-SE")); perr == nil && d > expires {
				gw.log.Info("callee asks a longer session interval: retrying", "call", c.id, "min_se", d)
				expires, minSE = d, d
				b.Close()
				continue
			}
		}
		break
	}
	if err != nil {
		var de *sipgo.ErrDialogResponse
		if errors.As(err, &de) {
			return de.Res.StatusCode, de.Res.Reason, err
		}
		if ctx.Err() != nil {
			return sip.StatusRequestTerminated, "Request Terminated", err
		}
		return sip.StatusServiceUnavailable, "Target Failed", err
	}
	if err := b.Ack(ctx); err != nil {
		return sip.StatusServiceUnavailable, "Target Failed", err
	}
	c.timerB = gw.timerFromResponse(b.InviteResponse)
	final := b.InviteResponse.Body()
	if c.g != nil { // early media: keep it unless the answer moved leg B
		if n, err := negotiateB(offerBSess, final); err != nil || n.Codec.Name != c.legB.Codec || n.Remote != c.legB.Remote {
			gw.mu.Lock()
			g := c.g
			c.g = nil
			gw.mu.Unlock()
			gw.sched.Remove(g)
			g.Stop()
		}
	}
	if offerA == nil {
		if err := gw.lateOffer(c, offerBSess, final); err != nil {
			gw.bye(b.Bye)
			gw.bye(c.a.Bye)
			return 0, "", err // the caller has our 200 already: BYE, not an error status
		}
		gw.mu.Lock()
		c.answered = true
		gw.mu.Unlock()
		return 0, "", nil
	}
	if c.g == nil {
		if answerA, err = gw.setupMedia(c, offerA, offerBSess, final); err != nil {
			gw.bye(b.Bye)
			return sip.StatusNotAcceptableHere, "Target Answered Badly", err
		}
	}
	if err := gw.answerA(c, answerA); err != nil {
		gw.bye(b.Bye)
		return sip.StatusInternalServerError, "Answer Failed", err
	}
	gw.mu.Lock()
	c.answered = true
	gw.mu.Unlock()
	gw.log.Info("call connected", "call", c.id, "route", r.Name, "target", target, "a", c.legA.Codec, "b", c.legB.Codec,
		"transcoding", c.legA.Codec != c.legB.Codec)
	return 0, "", nil
}

// waitAnswerB waits for leg B's final response, PRACKing reliable
// provisionals, relaying ringing and setting up early media on the first
// 183 with SDP (the caller then gets 183 with our answer, answerA).
func (gw *Gateway) waitAnswerB(ctx context.Context, c *gwCall, b *sipgo.DialogClientSession, offerA, offerBSess *sdp.Session,
	ringing *bool, answerA *[]byte, earlyErr *error) error {
	prack := gw.prackFor(b)
	return b.WaitAnswer(ctx, sipgo.AnswerOptions{OnResponse: func(res *sip.Response) error {
		prack(res)
		code := res.StatusCode
		if code == sip.StatusSessionInProgress && len(res.Body()) > 0 && c.g == nil && *earlyErr == nil && offerA != nil {
			if *answerA, *earlyErr = gw.setupMedia(c, offerA, offerBSess, res.Body()); *earlyErr == nil {
				gw.provisional(c, sip.StatusSessionInProgress, "Session Progress", *answerA)
				*ringing = true
				gw.log.Info("early media", "call", c.id, "a", c.legA.Codec, "b", c.legB.Codec)
				return nil
			}
			gw.log.Info("early media refused", "call", c.id, "err", *earlyErr)
		}
		if (code == sip.StatusRinging || code == sip.StatusSessionInProgress) && !*ringing {
			*ringing = true
			gw.provisional(c, sip.StatusRinging, "Ringing", nil)
		}
		return nil
	}})
}

// answerA sends leg A our 200 with body (an SDP answer, or an offer for
// a late-offer call) and the session-timer headers its INVITE settled.
func (gw *Gateway) answerA(c *gwCall, body []byte) error {
	if err := gw.waitPRACK(c); err != nil {
		return err
	}
	gw.setSDP(c, "a", body)
	res := sip.NewSDPResponseFromRequest(c.a.InviteRequest, body)
	for _, h := range c.timerAHdrs {
		res.AppendHeader(h)
	}
	return c.a.WriteResponse(res)
}

// negotiateB checks leg B's SDP answer against our offer.
func negotiateB(offer *sdp.Session, body []byte) (sdp.Negotiated, error) {
	answer, err := sdp.Parse(body)
	if err != nil {
		return sdp.Negotiated{}, err
	}
	return sdp.ApplyAnswer(offer, answer)
}

// setupMedia negotiates leg B from its SDP answer, answers leg A (B's codec
// first, so matching legs need no transcoding), and builds and starts the
// call's graph. It returns our SDP answer for leg A.
func (gw *Gateway) setupMedia(c *gwCall, offerA, offerB *sdp.Session, bSDP []byte) ([]byte, error) {
	negB, err := negotiateB(offerB, bSDP)
	if err != nil {
		return nil, err
	}
	// Leg A: the gateway's codecs (the route's list is for the target side).
	aPrefs := append([]string{negB.Codec.Name}, gw.cfg.Codecs...)
	answerA, negA, err := sdp.Answer(offerA, sdp.AnswerParams{SessionID: c.sessA, Version: c.verA, Addr: gw.ports.Addr(), Port: c.portA,
		Codecs: slices.Compact(aPrefs), PTime: 20 * time.Millisecond, SRTP: gw.srtp, TelephoneEvent: true})
	if err != nil {
		return nil, err
	}
	return answerA, gw.startMedia(c, negA, negB)
}

// startMedia builds and starts the call's graph for the negotiated legs.
func (gw *Gateway) startMedia(c *gwCall, negA, negB sdp.Negotiated) error {
	legA, legB := legFrom(negA, gw.ports.Addr(), c.portA), legFrom(negB, gw.ports.Addr(), c.portB)
	g, err := buildCallGraph("call-"+c.id, legA, legB, gw.cfg.Media.RTPTimeout, gw.log.With("call", c.id))
	if err == nil {
		gw.wireEvents(c, g)
		err = runGraph(context.Background(), g, gw.sched)
	}
	if err != nil {
		return err
	}
	gw.mu.Lock()
	c.g, c.legA, c.legB = g, legA, legB // Calls reads them under the lock
	gw.mu.Unlock()
	return nil
}

// lateOffer completes a call whose INVITE had no SDP: leg B has answered;
// we offer leg A its codec first (so the legs can match), and the caller's
// answer arrives in its ACK.
func (gw *Gateway) lateOffer(c *gwCall, offerB *sdp.Session, bSDP []byte) error {
	negB, err := negotiateB(offerB, bSDP)
	if err != nil {
		return err
	}
	op := sdp.OfferParams{SessionID: c.sessA, Version: c.verA, Addr: gw.ports.Addr(), Port: c.portA,
		Codecs: slices.Compact(append([]string{negB.Codec.Name}, gw.cfg.Codecs...)), PTime: 20 * time.Millisecond, TelephoneEvent: true}
	if gw.srtp != sdp.SRTPOff {
		op.SRTP = gw.srtp
		if op.Crypto, err = sdp.NewCrypto(sdp.DefaultSuites()...); err != nil {
			return err
		}
	}
	offer, err := sdp.BuildOffer(op)
	if err != nil {
		return err
	}
	ours, err := sdp.Parse(offer)
	if err != nil {
		return err
	}
	if err := gw.answerA(c, offer); err != nil {
		return err
	}
	var body []byte
	select {
	case body = <-c.ackSDP:
	case <-time.After(32 * time.Second): // 64*T1: the caller never ACKed
		return fmt.Errorf("late offer: no ACK")
	case <-c.a.Context().Done():
		return fmt.Errorf("late offer: caller left")
	}
	answer, err := sdp.Parse(body)
	if err != nil {
		return fmt.Errorf("late offer: the ACK has no usable SDP answer: %w", err)
	}
	negA, err := sdp.ApplyAnswer(ours, answer)
	if err != nil {
		return fmt.Errorf("late offer: %w", err)
	}
	return gw.startMedia(c, negA, negB)
}

func legFrom(n sdp.Negotiated, addr netip.Addr, port int) Leg {
	l := Leg{Codec: n.Codec.Name, PT: n.Codec.PT, RecvPT: n.RecvPT, Local: netip.AddrPortFrom(addr, uint16(port)), Remote: n.Remote,
		Fmtp: encoderFmtp(n.Codec.Fmtp)}
	if n.SRTP != nil {
		l.TxKey, l.RxKey, l.SRTPSuite = n.SRTP.LocalKey, n.SRTP.RemoteKey, n.SRTP.Suite
	}
	if n.TelephoneEvent != nil {
		l.Events, l.EventPT, l.RecvEventPT = true, n.TelephoneEvent.PT, n.RecvEventPT
	}
	return l
}

// watch ends the call when either leg hangs up or the media stops.
func (gw *Gateway) watch(c *gwCall) {
	defer gw.wg.Done()
	// A conference member shares the room's graph, so its own RTP timeout
	// is its receiver ending, not the graph finishing: poll for it.
	var memberTimeout <-chan struct{}
	if c.timedOut != nil {
		ch := make(chan struct{})
		memberTimeout = ch
		go func() {
			t := time.NewTicker(250 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-t.C:
					if c.timedOut() {
						close(ch)
						return
					}
				case <-c.ended:
					return
				}
			}
		}()
	}
	var goneA, goneB legSession // dialogs of transferors that hung up mid-transfer
	for {
		gw.mu.Lock()
		g, sa, sb := c.g, c.sa, c.sb
		gw.mu.Unlock()
		aDone, bDone := sa.done(), sb.done()
		if sa == goneA {
			aDone = nil
		}
		if sb == goneB {
			bDone = nil
		}
		select {
		case <-memberTimeout:
			gw.bye(sa.bye)
			gw.release(c, "media ended (RTP timeout)")
		case <-aDone:
			if gw.session(c, "a") != sa {
				continue // transferred: watch the new dialog
			}
			if gw.transferring(c, "a") {
				goneA = sa // the transferor left; the transfer goes on
				continue
			}
			gw.bye(sb.bye)
			gw.release(c, "caller hung up")
		case <-bDone: // nil for calls answered here: never ready
			if gw.session(c, "b") != sb {
				continue
			}
			if gw.transferring(c, "b") {
				goneB = sb
				continue
			}
			gw.bye(sa.bye)
			gw.release(c, "callee hung up")
		case <-c.swapped:
			continue // a transfer replaced a leg's dialog
		case <-g.Done():
			gw.mu.Lock()
			replaced := c.g != g
			gw.mu.Unlock()
			if replaced {
				continue // a codec change or transfer rebuilt the graph: watch the new one
			}
			gw.bye(sa.bye)
			gw.bye(sb.bye)
			gw.release(c, "media ended (RTP timeout)")
		case <-c.ended:
		}
		return
	}
}

// transferring reports whether leg's REFER is being carried out.
func (gw *Gateway) transferring(c *gwCall, leg string) bool {
	gw.mu.Lock()
	defer gw.mu.Unlock()
	return c.transferFrom == leg
}

// hangup ends a call from our side: BYE to both legs of an answered call;
// a call still being set up has its setup cancelled, which answers leg A
// with an error and releases the call (an unanswered dialog takes no BYE).
func (gw *Gateway) hangup(c *gwCall, cause string) {
	gw.mu.Lock()
	answered, cancel := c.answered, c.cancel
	gw.mu.Unlock()
	if !answered {
		if cancel != nil {
			cancel()
		}
		return
	}
	gw.bye(gw.session(c, "b").bye)
	gw.bye(gw.session(c, "a").bye)
	gw.release(c, cause)
}

func (gw *Gateway) bye(f func(context.Context) error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = f(ctx)
}

// release frees everything the call holds, once.
func (gw *Gateway) release(c *gwCall, cause string) {
	c.once.Do(func() {
		gw.stopTimers(c)
		c.endCause = cause
		switch {
		case c.leave != nil:
			c.leave()
		case c.g != nil:
			gw.sched.Remove(c.g)
			c.g.Stop()
		}
		if c.portA != 0 {
			gw.ports.Release(c.portA)
		}
		if c.portB != 0 {
			gw.ports.Release(c.portB)
		}
		gw.mu.Lock()
		sa, sb := c.sa, c.sb
		gw.mu.Unlock()
		sb.close(gw.ep)
		sa.close(gw.ep)
		gw.mu.Lock()
		delete(gw.calls, c)
		gw.mu.Unlock()
		close(c.ended)
		attrs := []any{"call", c.id, "cause", cause, "duration", time.Since(c.started).Round(time.Millisecond)}
		if c.leave == nil && c.g != nil {
			attrs = append(attrs, mediaSummary(c.g))
		}
		gw.log.Info("call ended", attrs...)
	})
}

// mediaSummary is a call's media counters for its end-of-call log line:
// per leg, RTP packets received and sent, packets the jitter buffer found
// lost, and telephone-events received.
func mediaSummary(g *pipeline.Graph) slog.Attr {
	var attrs []any
	for _, e := range g.Stats() {
		var key string
		switch e.Name {
		case "a_rx", "b_rx", "a_tx", "b_tx":
			key = "packets"
		case "a_jb", "b_jb":
			key = "lost"
		default:
			continue
		}
		for _, st := range e.Extra {
			if st.Name == key || st.Name == "events" {
				attrs = append(attrs, e.Name+"_"+st.Name, uint64(st.Value))
			}
		}
	}
	return slog.Group("media", attrs...)
}

// onInfo relays an in-dialog INFO (DTMF as application/dtmf-relay or
// application/dtmf, or anything else) to the other leg and passes its final
// answer back. Calls answered by the gateway itself accept and drop it.
func (gw *Gateway) onInfo(req *sip.Request, tx sip.ServerTransaction) {
	c, leg := gw.callFor(req, tx)
	fromA := leg == "a"
	if c == nil {
		return
	}
	if c.b == nil {
		respond(tx, req, sip.StatusOK, "OK")
		return
	}
	other := otherLeg(leg)
	to := gw.leg(c, other)
	ct := ""
	if h := req.ContentType(); h != nil {
		ct = h.Value()
	}
	if code, d, ok := parseDTMFInfo(ct, req.Body()); ok && to.Events {
		// The other leg takes DTMF as telephone-events: convert.
		if sink, ok := gw.element(c, other+"_tx").(*rtp.Sink); ok && sink.SendEvent(rtp.Event{Code: code, Volume: 10, Duration: d, End: true}) == nil {
			respond(tx, req, sip.StatusOK, "OK")
			gw.log.Debug("INFO DTMF sent as telephone-event", "call", c.id, "leg", other)
			return
		}
	}
	dl := gw.session(c, other).in()
	target, do := dl.target, dl.do
	if target == nil {
		respond(tx, req, sip.StatusInternalServerError, "No Contact For The Other Leg")
		return
	}
	out := sip.NewRequest(sip.INFO, target.Address)
	if ct := req.ContentType(); ct != nil {
		out.AppendHeader(sip.NewHeader("Content-Type", ct.Value()))
	}
	out.SetBody(req.Body())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := do(ctx, out)
	if err != nil {
		respond(tx, req, sip.StatusRequestTimeout, "Other Leg Did Not Answer")
		return
	}
	respond(tx, req, res.StatusCode, res.Reason)
	gw.log.Debug("INFO relayed", "call", c.id, "from_caller", fromA, "status", res.StatusCode)
}

// onAck confirms the dialog and, for a late-offer call, hands the caller's
// SDP answer to the call waiting for it.
func (gw *Gateway) onAck(req *sip.Request, tx sip.ServerTransaction) {
	if c, leg := gw.callOf(req); c != nil && leg == "a" && c.ackSDP != nil {
		select {
		case c.ackSDP <- req.Body():
		default:
		}
	}
	_ = gw.ep.readAck(req, tx)
}

func (gw *Gateway) onBye(req *sip.Request, tx sip.ServerTransaction) {
	err := gw.ep.readBye(req, tx)
	if err == nil {
		return
	}
	gw.log.Debug("BYE matches no dialog", "call", req.CallID().Value(), "err", err)
	respond(tx, req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
}

// CallReport describes a call in progress.
type CallReport struct {
	ID          string
	Route       string
	A, B        Leg // leg A (caller side) and leg B (target side)
	Transcoding bool
	Duration    time.Duration
	Stats       []pipeline.ElementSnapshot // the call graph's per-element statistics
}

// Calls reports the calls in progress.
func (gw *Gateway) Calls() []CallReport {
	type live struct {
		r CallReport
		g *pipeline.Graph
	}
	var calls []live
	gw.mu.Lock()
	for c := range gw.calls {
		if c.g == nil {
			continue // still being set up
		}
		calls = append(calls, live{CallReport{ID: c.id, Route: c.route, A: c.legA, B: c.legB, Transcoding: c.b != nil && c.legA.Codec != c.legB.Codec,
			Duration: time.Since(c.started)}, c.g})
	}
	gw.mu.Unlock()
	out := make([]CallReport, len(calls))
	for i, l := range calls {
		out[i] = l.r
		out[i].Stats = l.g.Stats()
	}
	return out
}

// onReinvite answers a re-INVITE (or UPDATE) on the leg it arrives on
// (RFC 3264 §8): hold and resume by direction (sendonly/inactive/c=0.0.0.0).
// While the peer sends nothing, its leg's RTP timeout is
// suspended; while it wants nothing, the gateway does not send to it. The
// other leg is re-invited with the same direction (forwardDirection); a
// codec change rebuilds the call's graph (changeCodec).
func (gw *Gateway) onReinvite(req *sip.Request, tx sip.ServerTransaction) {
	c, leg := gw.callFor(req, tx)
	if c == nil {
		return
	}
	// Before the answer (an early dialog) only UPDATE is allowed (RFC 3311),
	// and an offer in it only once the caller's offer has been answered, in
	// a 183 with early media (§5.2: otherwise 500 with Retry-After).
	gw.mu.Lock()
	early, haveMedia := !c.answered, c.g != nil
	gw.mu.Unlock()
	if early {
		switch {
		case req.Method == sip.INVITE:
			respond(tx, req, sip.StatusRequestPending, "Request Pending")
			return
		case len(req.Body()) == 0:
			respond(tx, req, sip.StatusOK, "OK")
			return
		case !haveMedia:
			respond(tx, req, sip.StatusInternalServerError, "Offer Not Yet Answered", sip.NewHeader("Retry-After", strconv.Itoa(rand.IntN(11))))
			return
		}
	}
	if len(req.Body()) == 0 && req.Method == sip.UPDATE {
		// A session refresh (RFC 4028): no change to the media.
		st, hdrs, code := gw.timerFromRequest(req)
		if code != 0 {
			respond(tx, req, code, timerReason(code), hdrs...)
			return
		}
		if err := respondTimer(tx, req, nil, hdrs, nil); err == nil {
			gw.stats.SessionRefreshes.Add(1)
			gw.startTimer(c, leg, st)
		}
		return
	}
	st, stHdrs, code := gw.timerFromRequest(req)
	if code != 0 {
		respond(tx, req, code, timerReason(code), stHdrs...)
		return
	}
	offer, err := sdp.Parse(req.Body())
	if err != nil {
		code, reason := sip.StatusNotAcceptableHere, "Not Acceptable Here"
		if len(req.Body()) == 0 {
			reason = "re-INVITE without SDP not supported"
		}
		respond(tx, req, code, reason)
		return
	}
	gw.mu.Lock()
	l, port, sess := c.legA, c.portA, c.sessA
	c.verA++
	ver := c.verA
	if leg == "b" {
		l, port, sess = c.legB, c.portB, c.sessB
		c.verB++
		ver = c.verB
	}
	gw.mu.Unlock()
	// Keep the codec if the offer still has it; calls between two legs may
	// also change it (the media graph is rebuilt on the same ports).
	codecs := []string{l.Codec}
	if c.b != nil && !early { // the early media graph is kept as it is until the answer
		codecs = slices.Compact(append(codecs, gw.cfg.Codecs...))
	}
	ap := sdp.AnswerParams{SessionID: sess, Version: ver, Addr: gw.ports.Addr(), Port: port, Codecs: codecs,
		PTime: 20 * time.Millisecond, SRTP: gw.srtp, TelephoneEvent: true}
	if l.TxKey != "" {
		ap.Key = func(string) (string, error) { return l.TxKey, nil } // keep our key for the dialog
	}
	answer, neg, err := sdp.Answer(offer, ap)
	if err != nil {
		respond(tx, req, sip.StatusNotAcceptableHere, "Not Acceptable Here")
		return
	}
	if nl := legFrom(neg, gw.ports.Addr(), port); nl.Codec != l.Codec || nl.Events != l.Events || nl.EventPT != l.EventPT || nl.RecvEventPT != l.RecvEventPT {
		if err := gw.changeCodec(c, leg, neg); err != nil {
			gw.log.Warn("codec change", "call", c.id, "err", err)
			respond(tx, req, sip.StatusInternalServerError, "Codec Change Failed")
			return
		}
	}
	if src, ok := gw.element(c, leg+"_rx").(interface{ SetHeld(bool) }); ok {
		src.SetHeld(!neg.Direction.Receives())
	}
	if sink, ok := gw.element(c, leg+"_tx").(interface{ SetMuted(bool) }); ok {
		sink.SetMuted(!neg.Direction.Sends())
	}
	gw.setSDP(c, leg, answer)
	if early {
		stHdrs = nil // session timers start with the answer
	}
	if err := respondTimer(tx, req, answer, stHdrs, &sip.ContactHeader{Address: gw.ep.contact.Address}); err != nil {
		gw.log.Debug("re-INVITE answer", "err", err)
	}
	if early {
		gw.log.Info("early UPDATE", "call", c.id, "leg", leg, "direction", neg.Direction.String())
		return // the other leg's dialog is early too: nothing is passed on
	}
	gw.startTimer(c, leg, st)
	gw.log.Info("re-INVITE", "call", c.id, "leg", leg, "direction", neg.Direction.String(), "hold", offer.IsHold())
	// Pass the hold (or resume) on: the other leg is re-invited with what
	// this leg asked for, so it stops sending while held and plays what the
	// holder sends (music on hold).
	d := offer.Audio.Direction
	if offer.Audio.NullAddr && d.Sends() {
		d = sdp.SendOnly
	}
	gw.forwardDirection(c, leg, d)
}

// changeCodec rebuilds a call's media graph after leg (a or b) agreed on a
// new codec in a re-INVITE: same ports, the other leg unchanged; the graph
// becomes a relay or a transcoder as the legs now match or not.
func (gw *Gateway) changeCodec(c *gwCall, leg string, neg sdp.Negotiated) error {
	gw.mu.Lock()
	old, legA, legB := c.g, c.legA, c.legB
	gw.mu.Unlock()
	if leg == "a" {
		legA = legFrom(neg, gw.ports.Addr(), c.portA)
	} else {
		legB = legFrom(neg, gw.ports.Addr(), c.portB)
	}
	// Build (which binds nothing), publish the new graph so the call's
	// watcher follows it, then stop the old one (freeing the ports) and
	// start the new one on them.
	g, err := buildCallGraph("call-"+c.id, legA, legB, gw.cfg.Media.RTPTimeout, gw.log.With("call", c.id))
	if err != nil {
		return err
	}
	gw.wireEvents(c, g)
	gw.mu.Lock()
	c.g, c.legA, c.legB = g, legA, legB
	gw.mu.Unlock()
	if old != nil {
		gw.sched.Remove(old)
		old.Stop()
	}
	if err := runGraph(context.Background(), g, gw.sched); err != nil {
		go gw.hangup(c, "codec change failed") // the call has no media left
		return err
	}
	gw.log.Info("codec changed", "call", c.id, "leg", leg, "a", legA.Codec, "b", legB.Codec, "transcoding", legA.Codec != legB.Codec)
	return nil
}

// forwardDirection re-invites the leg other than from with direction d and
// applies its answer to that leg's media.
func (gw *Gateway) forwardDirection(c *gwCall, from string, d sdp.Direction) {
	if c.b == nil {
		return // answered by the gateway itself: there is no other leg
	}
	other := "b"
	gw.mu.Lock()
	l, port, sess := c.legB, c.portB, c.sessB
	c.verB++
	ver := c.verB
	if from == "b" {
		other = "a"
		l, port, sess = c.legA, c.portA, c.sessA
		c.verA++
		ver = c.verA
	}
	gw.mu.Unlock()
	op := sdp.OfferParams{SessionID: sess, Version: ver, Addr: gw.ports.Addr(), Port: port, Codecs: []string{l.Codec},
		PTime: 20 * time.Millisecond, Direction: d, TelephoneEvent: l.Events}
	if l.TxKey != "" {
		op.SRTP, op.Crypto = sdp.SRTPOptional, []sdp.Crypto{{Tag: 1, Suite: l.SRTPSuite, Key: l.TxKey}}
	}
	offer, err := sdp.BuildOffer(op)
	if err != nil {
		gw.log.Warn("re-INVITE offer", "call", c.id, "err", err)
		return
	}
	ours, _ := sdp.Parse(offer)
	gw.setSDP(c, other, offer)
	dl := gw.session(c, other).in()
	target, do, write := dl.target, dl.do, dl.write
	if target == nil {
		return
	}
	req := sip.NewRequest(sip.INVITE, target.Address)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.AppendHeader(&sip.ContactHeader{Address: gw.ep.contact.Address})
	req.SetBody(offer)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := do(ctx, req)
	if err != nil || res.StatusCode != sip.StatusOK {
		gw.log.Info("re-INVITE to the other leg failed", "call", c.id, "leg", other, "err", err)
		return
	}
	// ACK within the dialog: sipgo gives it the re-INVITE's CSeq.
	if err := write(sip.NewRequest(sip.ACK, target.Address)); err != nil {
		gw.log.Info("re-INVITE ACK", "call", c.id, "err", err)
	}
	answer, err := sdp.Parse(res.Body())
	if err != nil {
		return
	}
	neg, err := sdp.ApplyAnswer(ours, answer)
	if err != nil {
		gw.log.Info("re-INVITE answer", "call", c.id, "err", err)
		return
	}
	if src, ok := gw.element(c, other+"_rx").(interface{ SetHeld(bool) }); ok {
		src.SetHeld(!neg.Direction.Receives())
	}
	if sink, ok := gw.element(c, other+"_tx").(interface{ SetMuted(bool) }); ok {
		sink.SetMuted(!neg.Direction.Sends())
	}
	gw.log.Info("re-INVITE passed on", "call", c.id, "leg", other, "direction", neg.Direction.String())
}

// callFor is callOf for a request handler: when no call matches it
// answers 481 and returns nil.
func (gw *Gateway) callFor(req *sip.Request, tx sip.ServerTransaction) (*gwCall, string) {
	c, leg := gw.callOf(req)
	if c == nil {
		respond(tx, req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
	}
	return c, leg
}

// callOf finds the call an in-dialog request belongs to and the leg it
// came from: "a" (the caller's dialog, where we are the UAS) or "b".
func (gw *Gateway) callOf(req *sip.Request) (*gwCall, string) {
	var d any
	if sd, err := gw.ep.matchServer(req); err == nil {
		d = sd
	} else if cd, err := gw.ep.matchClient(req); err == nil {
		d = cd
	} else {
		return nil, ""
	}
	leg := ""
	c := gw.callBy(func(x *gwCall) bool {
		switch {
		case x.sa.is(d):
			leg = "a"
		case x.sb.is(d):
			leg = "b"
		}
		return leg != ""
	})
	return c, leg
}

func (gw *Gateway) callBy(match func(*gwCall) bool) *gwCall {
	gw.mu.Lock()
	defer gw.mu.Unlock()
	for c := range gw.calls {
		if match(c) {
			return c
		}
	}
	return nil
}

// element returns an element of a call's running graph, or nil.
func (gw *Gateway) element(c *gwCall, name string) pipeline.Element {
	gw.mu.Lock()
	g := c.g
	gw.mu.Unlock()
	if g == nil {
		return nil
	}
	e, _ := g.Element(name)
	return e
}

// answerLocally takes leg A's RTP port and answers its offer with the
// gateway's codecs, for calls the gateway answers itself (app routes).
func (gw *Gateway) answerLocally(c *gwCall, offerA *sdp.Session) (answer []byte, leg Leg, rate int, code int, reason string, err error) {
	if c.portA, err = gw.ports.Allocate(); err != nil {
		return nil, Leg{}, 0, sip.StatusServiceUnavailable, "No Media Ports", err
	}
	c.sessA, c.verA = rand.Uint64()>>1, 1
	answer, neg, err := sdp.Answer(offerA, sdp.AnswerParams{SessionID: c.sessA, Version: c.verA, Addr: gw.ports.Addr(), Port: c.portA,
		Codecs: gw.cfg.Codecs, PTime: 20 * time.Millisecond, SRTP: gw.srtp, TelephoneEvent: true})
	if err != nil {
		return nil, Leg{}, 0, sip.StatusNotAcceptableHere, "Not Acceptable Here", err
	}
	leg = legFrom(neg, gw.ports.Addr(), c.portA)
	if rate, err = leg.rate(); err != nil {
		return nil, Leg{}, 0, sip.StatusInternalServerError, "Server Error", err
	}
	return answer, leg, rate, 0, "", nil
}

// answerApp answers a call here with a graph template (echo, play, record)
// instead of calling a second leg.
func (gw *Gateway) answerApp(c *gwCall, r *Route, groups []string, offerA *sdp.Session) (int, string, error) {
	if r.App == "conference" {
		return gw.joinConference(c, r, groups, offerA)
	}
	answer, leg, rate, code, reason, err := gw.answerLocally(c, offerA)
	if err != nil {
		return code, reason, err
	}
	vars := map[string]string{"rtp_timeout": gw.cfg.Media.RTPTimeout.String(), "file": expandGroups(r.File, groups), "rate": strconv.Itoa(rate)}
	leg.vars("", vars)
	spec, err := graphs.Resolve("std:app-"+r.App, vars)
	if err != nil {
		return sip.StatusInternalServerError, "Server Error", err
	}
	spec.Name = "call-" + c.id
	g, err := pipeline.Build(spec, pipeline.WithLogger(gw.log.With("call", c.id)))
	if err == nil {
		err = runGraph(context.Background(), g, gw.sched)
	}
	if err != nil {
		return sip.StatusInternalServerError, "Media Failure", err
	}
	gw.mu.Lock()
	c.g, c.legA = g, leg
	gw.mu.Unlock()
	if err := gw.answerA(c, answer); err != nil {
		return sip.StatusInternalServerError, "Answer Failed", err
	}
	gw.mu.Lock()
	c.answered = true
	gw.mu.Unlock()
	gw.log.Info("call answered by app", "call", c.id, "route", r.Name, "app", r.App, "codec", leg.Codec)
	return 0, "", nil
}

// room is a conference: one graph with a mixer that callers' branches
// are attached to and detached from while it runs.
type room struct {
	name    string
	g       *pipeline.Graph
	members int
	next    int // member numbers pair mix.in_K with mix.minus_K
}

// roomRate is the conference mix's sample rate: wideband, so G.722 callers
// keep their bandwidth; narrowband callers are resampled.
const roomRate = 16000

// joinConference answers a call and attaches it to a room's mixer: its audio
// joins the mix and it hears everybody but itself (mix-minus). Joining and
// leaving touch only the caller's own branch.
func (gw *Gateway) joinConference(c *gwCall, r *Route, groups []string, offerA *sdp.Session) (int, string, error) {
	answer, leg, rate, code, reason, err := gw.answerLocally(c, offerA)
	if err != nil {
		return code, reason, err
	}
	name := expandGroups(r.Room, groups)
	gw.mu.Lock()
	locked := true
	defer func() {
		if locked {
			gw.mu.Unlock()
		}
	}()
	rm := gw.rooms[name]
	if rm == nil {
		spec := &pipeline.Spec{Name: "room-" + name, Elements: []pipeline.ElementSpec{{Name: "mix", Type: "mix",
			Props: []pipeline.PropSpec{{Key: "rate", Value: strconv.Itoa(roomRate)}}}}}
		g, err := pipeline.Build(spec, pipeline.WithLogger(gw.log.With("room", name)))
		if err == nil {
			err = runGraph(context.Background(), g, gw.sched)
		}
		if err != nil {
			return sip.StatusInternalServerError, "Conference Failure", err
		}
		rm = &room{name: name, g: g}
		gw.rooms[name] = rm
	}
	k := rm.next
	rm.next++
	n := func(s string) string { return fmt.Sprintf("%s_%d", s, k) }
	prop := func(kv ...string) []pipeline.PropSpec {
		var ps []pipeline.PropSpec
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] != "" {
				ps = append(ps, pipeline.PropSpec{Key: kv[i], Value: kv[i+1]})
			}
		}
		return ps
	}
	profile := leg.profile()
	_, revent := leg.eventPTs()
	frag := &pipeline.Spec{Elements: []pipeline.ElementSpec{
		{Name: n("rx"), Type: "rtp-src", Props: prop("listen", leg.Local.String(), "codec", leg.Codec, "pt", strconv.Itoa(int(leg.RecvPT)), "event-pt", revent, "key", leg.RxKey, "profile", profile,
			"timeout", gw.cfg.Media.RTPTimeout.String())},
		{Name: n("jb"), Type: "jitter"},
		{Name: n("dec"), Type: "decode"},
		{Name: n("up"), Type: "resample", Props: prop("rate", strconv.Itoa(roomRate))},
		{Name: n("down"), Type: "resample", Props: prop("rate", strconv.Itoa(rate))},
		{Name: n("enc"), Type: "encode", Props: prop("codec", leg.Codec, "pt", strconv.Itoa(int(leg.PT)))},
		{Name: n("tx"), Type: "rtp-sink", Props: prop("via", n("rx"), "remote", leg.remote(), "key", leg.TxKey, "profile", profile)},
	}, Links: []pipeline.LinkSpec{
		{From: n("rx"), To: n("jb")}, {From: n("jb"), To: n("dec")}, {From: n("dec"), To: n("up")},
		{From: n("up"), To: "mix", ToPort: n("in")},
		{From: "mix", FromPort: n("minus"), To: n("down")}, {From: n("down"), To: n("enc")}, {From: n("enc"), To: n("tx")},
	}}
	if err := rm.g.Attach(frag); err != nil {
		gw.closeRoomLocked(rm)
		return sip.StatusInternalServerError, "Conference Failure", err
	}
	rm.members++
	branch := []string{n("rx"), n("jb"), n("dec"), n("up"), n("down"), n("enc"), n("tx")}
	c.g, c.legA = rm.g, leg
	if e, ok := rm.g.Element(n("rx")); ok {
		if src, ok := e.(interface{ Ended() bool }); ok {
			c.timedOut = src.Ended
		}
	}
	c.leave = func() {
		if err := rm.g.Detach(branch...); err != nil {
			gw.log.Warn("conference leave", "room", rm.name, "err", err)
		}
		gw.mu.Lock()
		rm.members--
		if rm.members == 0 {
			gw.closeRoomLocked(rm)
		}
		gw.mu.Unlock()
	}
	members := rm.members
	// Never hold the gateway's lock across SIP I/O: answering waits for the
	// ACK, whose handler takes the lock.
	gw.mu.Unlock()
	locked = false
	if err := gw.answerA(c, answer); err != nil {
		return sip.StatusInternalServerError, "Answer Failed", err
	}
	gw.mu.Lock()
	c.answered = true
	gw.mu.Unlock()
	gw.log.Info("joined conference", "call", c.id, "room", name, "member", k, "members", members, "codec", leg.Codec)
	return 0, "", nil
}

// closeRoomLocked stops an empty room (caller holds gw.mu).
func (gw *Gateway) closeRoomLocked(rm *room) {
	if gw.rooms[rm.name] != rm || rm.members > 0 {
		return
	}
	delete(gw.rooms, rm.name)
	gw.sched.Remove(rm.g)
	rm.g.Stop()
}
