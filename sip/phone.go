package sip

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/voxgraph/voxgraph/elements/rtp"
	"github.com/voxgraph/voxgraph/pipeline"
	"github.com/voxgraph/voxgraph/sip/sdp"
)

// PhoneConfig configures a Phone.
type PhoneConfig struct {
	Listen     string              // SIP UDP address, ip:port (port 0 picks one)
	Ports      *Ports              // RTP ports; nil: 127.0.0.1, 42000-42999
	Codecs     []string            // preference list, e.g. ["PCMU"]
	SRTP       sdp.SRTPPolicy      // offer/accept SDES SRTP
	Play       string              // WAV file played to the peer; "" sends silence
	Loop       bool                // loop the file
	Record     string              // WAV file of what the peer sends; "" records nothing
	RTPTimeout time.Duration       // hang up after this long without RTP (default 10s)
	UserAgent  string              // User-Agent header
	User       string              // user part of From and Contact (default "phone")
	Password   string              // digest password for User, answered to 401/407 challenges
	Logger     *slog.Logger        // nil: slog.Default()
	TLS        *tls.Config         // for calling sips: or ;transport=tls targets (nil: system roots)
	Scheduler  *pipeline.Scheduler // shared scheduler; nil: the phone runs its own
	// NoTelephoneEvent neither offers nor accepts RFC 4733 telephone-events:
	// DTMF then goes by SIP INFO, like a phone that lacks them.
	NoTelephoneEvent bool
}

// Phone is a SIP user agent with media: it places calls (Call) and answers
// incoming ones, playing a file and recording what it hears. It is the UA
// behind `voxgraph call`, the demo's caller and callee, and the gateway's
// integration tests.
type Phone struct {
	cfg   PhoneConfig
	ep    *endpoint
	ports *Ports
	sched *pipeline.Scheduler
	own   bool // sched is ours to close
	log   *slog.Logger

	mu       sync.Mutex
	calls    map[*Call]bool
	answered chan *Call
}

// Call is one call of a Phone.
type Call struct {
	// Negotiated is what SDP settled.
	Negotiated sdp.Negotiated
	// Graph is the call's media graph.
	Graph *pipeline.Graph

	phone  *Phone
	port   int
	hangup func(context.Context) error
	dlgCtx context.Context
	dialog any      // *sipgo.DialogClientSession or *sipgo.DialogServerSession
	info   inDialog // for DTMF INFO

	sdpSession, sdpVersion uint64 // o= of our SDP (version guarded by the SIP handler's serial use)
	txKey                  func(string) (string, error)

	referred chan int // final status of our REFER, from the peer's NOTIFY

	digitsMu sync.Mutex
	digits   []rune // DTMF received, as events or INFO
	once     sync.Once
	ending   atomic.Bool // claimed by whoever ends the call first
	done     chan struct{}
	reason   string
}

// NewPhone starts a phone listening for SIP.
func NewPhone(cfg PhoneConfig) (*Phone, error) {
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if len(cfg.Codecs) == 0 {
		cfg.Codecs = []string{"PCMU", "PCMA"}
	}
	if cfg.RTPTimeout == 0 {
		cfg.RTPTimeout = 10 * time.Second
	}
	if cfg.User == "" {
		cfg.User = "phone"
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "voxgraph-phone"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	p := &Phone{cfg: cfg, ports: cfg.Ports, log: cfg.Logger, calls: map[*Call]bool{}, answered: make(chan *Call, 16)}
	if p.ports == nil {
		ports, err := NewPorts(netip.MustParseAddr("127.0.0.1"), 42000, 42999)
		if err != nil {
			return nil, err
		}
		p.ports = ports
	}
	ep, err := newEndpoint(cfg.UserAgent, cfg.Listen, "", "", nil, nil, cfg.TLS, p.log)
	if err != nil {
		return nil, err
	}
	p.ep = ep
	p.sched = cfg.Scheduler
	if p.sched == nil {
		p.sched = pipeline.NewScheduler()
		p.sched.Start()
		p.own = true
	}
	ep.srv.OnInvite(p.onInvite)
	ep.srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) { _ = ep.readAck(req, tx) })
	ep.srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		if err := ep.readBye(req, tx); err != nil {
			respond(tx, req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		}
	})
	ep.srv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) { respond(tx, req, sip.StatusOK, "OK") })
	ep.srv.OnRequest(sip.INFO, p.onInfo)
	ep.srv.OnRequest(sip.UPDATE, p.onRefresh)
	ep.srv.OnRequest(sip.NOTIFY, p.onNotify)
	ep.start()
	return p, nil
}

// Addr is the phone's SIP address.
func (p *Phone) Addr() netip.AddrPort { return p.ep.addr }

// URI is the phone's SIP URI.
func (p *Phone) URI() string {
	u := p.ep.uri(p.cfg.User)
	return u.String()
}

// Answered delivers calls the phone has answered.
func (p *Phone) Answered() <-chan *Call { return p.answered }

// Close hangs up every call and stops the phone.
func (p *Phone) Close() error {
	p.mu.Lock()
	calls := make([]*Call, 0, len(p.calls))
	for c := range p.calls {
		calls = append(calls, c)
	}
	p.mu.Unlock()
	for _, c := range calls {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		c.Hangup(ctx)
		cancel()
	}
	if p.own {
		p.sched.Close()
	}
	return p.ep.Close()
}

func (p *Phone) offerParams(port int) (sdp.OfferParams, error) {
	op := sdp.OfferParams{SessionID: rand.Uint64() >> 1, Version: 1, Addr: p.ports.Addr(), Port: port,
		Codecs: p.cfg.Codecs, PTime: 20 * time.Millisecond, Direction: sdp.SendRecv, SRTP: p.cfg.SRTP, TelephoneEvent: !p.cfg.NoTelephoneEvent}
	if p.cfg.SRTP != sdp.SRTPOff {
		cr, err := sdp.NewCrypto(sdp.DefaultSuites()...)
		if err != nil {
			return op, err
		}
		op.Crypto = cr
	}
	return op, nil
}

// Call places a call to target (a SIP URI) and returns once it is answered.
func (p *Phone) Call(ctx context.Context, target string) (*Call, error) {
	var uri sip.Uri
	if err := sip.ParseUri(target, &uri); err != nil {
		return nil, fmt.Errorf("call %q: %w", target, err)
	}
	port, err := p.ports.Allocate()
	if err != nil {
		return nil, err
	}
	c, err := p.call(ctx, uri, port)
	if err != nil {
		p.ports.Release(port)
		return nil, fmt.Errorf("call %s: %w", target, err)
	}
	return c, nil
}

func (p *Phone) call(ctx context.Context, uri sip.Uri, port int) (*Call, error) {
	op, err := p.offerParams(port)
	if err != nil {
		return nil, err
	}
	offer, err := sdp.BuildOffer(op)
	if err != nil {
		return nil, err
	}
	offerSess, err := sdp.Parse(offer)
	if err != nil {
		return nil, err
	}
	from := &sip.FromHeader{Address: p.ep.uri(p.cfg.User), Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	dlg, err := p.ep.invite(ctx, uri, offer, sip.NewHeader("Content-Type", "application/sdp"), from)
	if err != nil {
		return nil, err
	}
	if err := p.waitAnswer(ctx, dlg); err != nil {
		return nil, err
	}
	answer, err := sdp.Parse(dlg.InviteResponse.Body())
	if err == nil {
		var neg sdp.Negotiated
		if neg, err = sdp.ApplyAnswer(offerSess, answer); err == nil {
			if err = dlg.Ack(ctx); err != nil {
				dlg.Close()
				return nil, err
			}
			c, err := p.startCall(neg, port, op.SessionID, dlg, inDialog{dlg.InviteResponse.Contact(), dlg.Do, dlg.WriteRequest}, dlg.Context(), dlg.Bye, func() error { p.ep.forget(dlg); return dlg.Close() })
			if err != nil {
				p.byeQuietly(dlg.Bye)
				dlg.Close()
			}
			return c, err
		}
	}
	// An answer we cannot use: ACK it (the dialog exists) and hang up.
	dlg.Ack(ctx)
	p.byeQuietly(dlg.Bye)
	dlg.Close()
	return nil, fmt.Errorf("bad SDP answer: %w", err)
}

// waitAnswer waits for the final response. With no provisional response a
// CANCEL may not be sent (RFC 3261 §9.1), so sipgo waits out the transaction
// (timer B, 32 s) before giving up; the phone gives up at ctx's deadline
// instead and leaves a goroutine to settle the transaction: it hangs up a
// late answer and releases the dialog.
func (p *Phone) waitAnswer(ctx context.Context, dlg *sipgo.DialogClientSession) error {
	res := make(chan error, 1)
	auth := sipgo.AnswerOptions{Username: p.cfg.User, Password: p.cfg.Password}
	go func() { res <- dlg.WaitAnswer(ctx, auth) }()
	select {
	case err := <-res:
		if err != nil {
			dlg.Close()
		}
		return err
	case <-ctx.Done():
	}
	select {
	case err := <-res: // CANCEL went through
		if err == nil {
			dlg.Ack(context.Background())
			p.byeQuietly(dlg.Bye)
		}
		dlg.Close()
		return ctx.Err()
	case <-time.After(500 * time.Millisecond):
	}
	go func() {
		if err := <-res; err == nil { // answered after we gave up
			dlg.Ack(context.Background())
			p.byeQuietly(dlg.Bye)
		}
		dlg.Close()
	}()
	return fmt.Errorf("no answer: %w", ctx.Err())
}

func (p *Phone) byeQuietly(bye func(context.Context) error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = bye(ctx)
}

// onInvite answers an incoming call.
func (p *Phone) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to != nil && to.Params.Has("tag") {
		p.onRefresh(req, tx) // in-dialog: never a new call
		return
	}
	dlg, err := p.ep.readInvite(req, tx)
	if err != nil {
		respond(tx, req, sip.StatusBadRequest, err.Error())
		return
	}
	offer, err := sdp.Parse(req.Body())
	if err != nil {
		dlg.Respond(sip.StatusNotAcceptableHere, "Not Acceptable Here", nil)
		dlg.Close()
		return
	}
	port, err := p.ports.Allocate()
	if err != nil {
		dlg.Respond(sip.StatusServiceUnavailable, "No Media Ports", nil)
		dlg.Close()
		return
	}
	sid := rand.Uint64() >> 1
	answer, neg, err := sdp.Answer(offer, sdp.AnswerParams{SessionID: sid, Version: 1, Addr: p.ports.Addr(), Port: port,
		Codecs: p.cfg.Codecs, PTime: 20 * time.Millisecond, Direction: sdp.SendRecv, SRTP: p.cfg.SRTP, TelephoneEvent: !p.cfg.NoTelephoneEvent})
	if err != nil {
		p.ports.Release(port)
		dlg.Respond(sip.StatusNotAcceptableHere, "Not Acceptable Here", nil)
		dlg.Close()
		return
	}
	c, err := p.startCall(neg, port, sid, dlg, inDialog{req.Contact(), dlg.Do, dlg.WriteRequest}, dlg.Context(), dlg.Bye, func() error { p.ep.forget(dlg); return dlg.Close() })
	if err != nil {
		p.ports.Release(port)
		dlg.Respond(sip.StatusInternalServerError, "Media Failure", nil)
		dlg.Close()
		return
	}
	dlg.Respond(sip.StatusRinging, "Ringing", nil)
	if err := dlg.RespondSDP(answer); err != nil {
		c.end("answer failed: " + err.Error())
		return
	}
	select {
	case p.answered <- c:
	default:
	}
}

// startCall builds and starts the call's media and watches for its end.
func (p *Phone) startCall(neg sdp.Negotiated, port int, sessionID uint64, dialog any, info inDialog, dlgCtx context.Context, bye func(context.Context) error, closeDlg func() error) (*Call, error) {
	leg := legFrom(neg, p.ports.Addr(), port)
	g, err := phoneGraph("call", leg, p.cfg.Play, p.cfg.Record, p.cfg.Loop, p.cfg.RTPTimeout, p.log)
	if err != nil {
		return nil, err
	}
	c := &Call{Negotiated: neg, Graph: g, phone: p, port: port, dialog: dialog, info: info, dlgCtx: dlgCtx, done: make(chan struct{}), referred: make(chan int, 1),
		sdpSession: sessionID, sdpVersion: 1}
	if neg.SRTP != nil {
		key := neg.SRTP.LocalKey
		c.txKey = func(string) (string, error) { return key, nil }
	}
	if e, ok := g.Element("rx"); ok {
		e.(*rtp.Src).OnEvent(func(ev rtp.Event) {
			if ev.End {
				c.addDigit(ev.Code)
			}
		})
	}
	if err := runGraph(context.Background(), g, p.sched); err != nil {
		return nil, err
	}
	c.hangup = func(ctx context.Context) error {
		err := bye(ctx)
		closeDlg()
		return err
	}
	p.mu.Lock()
	p.calls[c] = true
	p.mu.Unlock()
	go c.watch(closeDlg)
	return c, nil
}

// watch ends the call when the peer hangs up or the media ends (RTP timeout).
// Only the first of the ways a call can end acts: stopping the media closes
// the graph's Done too, which must not send a second BYE.
func (c *Call) watch(closeDlg func() error) {
	select {
	case <-c.dlgCtx.Done():
		if c.ending.CompareAndSwap(false, true) {
			c.end("remote hangup")
			closeDlg()
		}
	case <-c.Graph.Done():
		if c.ending.CompareAndSwap(false, true) {
			c.end("media ended")
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			c.hangup(ctx)
			cancel()
		}
	case <-c.done:
	}
}

// end releases the call's media once.
func (c *Call) end(reason string) {
	c.once.Do(func() {
		c.reason = reason
		c.Graph.Stop()
		c.phone.sched.Remove(c.Graph)
		c.phone.ports.Release(c.port)
		c.phone.mu.Lock()
		delete(c.phone.calls, c)
		c.phone.mu.Unlock()
		close(c.done)
	})
}

// Hangup sends BYE and releases the call.
func (c *Call) Hangup(ctx context.Context) error {
	if !c.ending.CompareAndSwap(false, true) {
		<-c.done // the peer or the media ended it already
		return nil
	}
	c.end("local hangup")
	err := c.hangup(ctx)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// SendDTMF sends digits (0-9, *, #, A-D) to the peer, each lasting d
// (0: 160 ms): as RFC 4733 telephone-events when the call agreed them
// (queued, sent one after the other in the media), otherwise as SIP INFO
// (application/dtmf-relay), one at a time.
func (c *Call) SendDTMF(ctx context.Context, digits string, d time.Duration) error {
	if d <= 0 {
		d = defaultDigitDuration
	}
	codes := make([]uint8, 0, len(digits))
	for _, r := range digits {
		code, ok := rtp.DigitEvent(r)
		if !ok {
			return fmt.Errorf("DTMF %q: %q is not a digit (0-9, *, #, A-D)", digits, r)
		}
		codes = append(codes, code)
	}
	if c.Negotiated.TelephoneEvent != nil {
		e, _ := c.Graph.Element("tx")
		for _, code := range codes {
			if err := e.(*rtp.Sink).SendEvent(rtp.Event{Code: code, Volume: 10, Duration: d, End: true}); err != nil {
				return err
			}
		}
		return nil
	}
	if c.info.target == nil {
		return errors.New("DTMF: the peer gave no Contact to send INFO to")
	}
	for _, code := range codes {
		res, err := c.info.do(ctx, dtmfInfo(c.info.target.Address, code, d))
		if err != nil {
			return fmt.Errorf("DTMF INFO: %w", err)
		}
		if res.StatusCode >= 300 {
			return fmt.Errorf("DTMF INFO: %d %s", res.StatusCode, res.Reason)
		}
	}
	return nil
}

// Digits returns the DTMF digits received so far, as telephone-events or INFO.
func (c *Call) Digits() string {
	c.digitsMu.Lock()
	defer c.digitsMu.Unlock()
	return string(c.digits)
}

func (c *Call) addDigit(code uint8) {
	if d, ok := rtp.EventDigit(code); ok {
		c.digitsMu.Lock()
		c.digits = append(c.digits, d)
		c.digitsMu.Unlock()
	}
}

// callFor is callOf for a request handler: when no call matches it
// answers 481 and returns nil.
func (p *Phone) callFor(req *sip.Request, tx sip.ServerTransaction) *Call {
	c := p.callOf(req)
	if c == nil {
		respond(tx, req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
	}
	return c
}

// callOf finds the call an in-dialog request belongs to, or nil.
func (p *Phone) callOf(req *sip.Request) *Call {
	var dialog any
	if d, err := p.ep.matchServer(req); err == nil {
		dialog = d
	} else if d, err := p.ep.matchClient(req); err == nil {
		dialog = d
	}
	if dialog == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.calls {
		if c.dialog == dialog {
			return c
		}
	}
	return nil
}

// onRefresh answers an in-dialog re-INVITE or UPDATE (a session refresh,
// RFC 4028, or a peer's new offer): the phone keeps its media as it is and
// answers an offer with its codec at the same address.
func (p *Phone) onRefresh(req *sip.Request, tx sip.ServerTransaction) {
	c := p.callFor(req, tx)
	if c == nil {
		return
	}
	var hdrs []sip.Header
	if v := header(req, "Session-Expires", "x"); v != "" {
		hdrs = append(hdrs, sip.NewHeader("Session-Expires", v)) // the requester's terms
	}
	if len(req.Body()) == 0 {
		respondTimer(tx, req, nil, hdrs, nil)
		return
	}
	offer, err := sdp.Parse(req.Body())
	if err != nil {
		respond(tx, req, sip.StatusNotAcceptableHere, "Not Acceptable Here")
		return
	}
	c.sdpVersion++
	answer, _, err := sdp.Answer(offer, sdp.AnswerParams{SessionID: c.sdpSession, Version: c.sdpVersion, Addr: p.ports.Addr(), Port: c.port,
		Codecs: []string{c.Negotiated.Codec.Name}, PTime: 20 * time.Millisecond, Direction: sdp.SendRecv, SRTP: p.cfg.SRTP,
		TelephoneEvent: c.Negotiated.TelephoneEvent != nil, Key: c.txKey})
	if err != nil {
		respond(tx, req, sip.StatusNotAcceptableHere, "Not Acceptable Here")
		return
	}
	respondTimer(tx, req, answer, hdrs, &sip.ContactHeader{Address: p.ep.contact.Address})
}

// Transfer asks the peer to call target (a SIP URI) in our place: a blind
// transfer (RFC 3515 REFER). It returns when the peer reports the outcome
// by NOTIFY: nil when the target answered (the peer then hangs this call
// up), an error with the target's status otherwise.
func (c *Call) Transfer(ctx context.Context, target string) error {
	if err := c.Refer(ctx, target); err != nil {
		return err
	}
	select {
	case code := <-c.referred:
		if code < 200 || code >= 300 {
			return fmt.Errorf("transfer: the target answered %d", code)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("transfer: no final NOTIFY: %w", ctx.Err())
	}
}

// Refer sends the REFER of a blind transfer to target and returns once the
// peer has accepted it (202), without waiting for the outcome: a phone that
// hangs up right away does this.
func (c *Call) Refer(ctx context.Context, target string) error {
	if c.info.target == nil {
		return errors.New("transfer: the peer gave no Contact")
	}
	req := sip.NewRequest(sip.REFER, c.info.target.Address)
	req.AppendHeader(sip.NewHeader("Refer-To", "<"+target+">"))
	req.AppendHeader(&sip.ContactHeader{Address: c.phone.ep.contact.Address})
	res, err := c.info.do(ctx, req)
	if err != nil {
		return fmt.Errorf("transfer: REFER: %w", err)
	}
	if res.StatusCode != sip.StatusAccepted && res.StatusCode != sip.StatusOK {
		return fmt.Errorf("transfer: REFER refused: %d %s", res.StatusCode, res.Reason)
	}
	return nil
}

// onNotify takes the NOTIFYs of a REFER we sent (message/sipfrag).
func (p *Phone) onNotify(req *sip.Request, tx sip.ServerTransaction) {
	c := p.callFor(req, tx)
	if c == nil {
		return
	}
	if ev := header(req, "Event", "o"); !strings.HasPrefix(strings.ToLower(strings.TrimSpace(ev)), "refer") {
		respond(tx, req, 489, "Bad Event")
		return
	}
	respond(tx, req, sip.StatusOK, "OK")
	var code int
	if _, err := fmt.Sscanf(string(req.Body()), "SIP/2.0 %d", &code); err != nil {
		return
	}
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(header(req, "Subscription-State"))), "terminated") || code >= 200 {
		select {
		case c.referred <- code:
		default:
		}
	}
}

// onInfo takes a DTMF INFO for one of the phone's calls.
func (p *Phone) onInfo(req *sip.Request, tx sip.ServerTransaction) {
	call := p.callFor(req, tx)
	if call == nil {
		return
	}
	ct := ""
	if h := req.ContentType(); h != nil {
		ct = h.Value()
	}
	code, _, ok := parseDTMFInfo(ct, req.Body())
	if !ok {
		respond(tx, req, sip.StatusUnsupportedMediaType, "Unsupported Media Type")
		return
	}
	call.addDigit(code)
	respond(tx, req, sip.StatusOK, "OK")
}

// Done is closed when the call has ended.
func (c *Call) Done() <-chan struct{} { return c.done }

// Reason says why the call ended (after Done).
func (c *Call) Reason() string { return c.reason }

// Register registers the phone's contact for its user at registrar (a SIP
// URI such as sip:gw.example:5060), answering a digest challenge with
// Password. expires 0 removes the registration.
func (p *Phone) Register(ctx context.Context, registrar string, expires time.Duration) error {
	var reg sip.Uri
	if err := sip.ParseUri(registrar, &reg); err != nil {
		return fmt.Errorf("register at %q: %w", registrar, err)
	}
	aor := sip.Uri{Scheme: "sip", User: p.cfg.User, Host: reg.Host, Port: reg.Port}
	req := sip.NewRequest(sip.REGISTER, reg)
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor})
	req.AppendHeader(&sip.ContactHeader{Address: p.ep.uri(p.cfg.User)})
	req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(int(expires.Seconds()))))
	res, err := p.ep.cli.Do(ctx, req)
	if err != nil {
		return fmt.Errorf("register: %w", err)
	}
	if res.StatusCode == sip.StatusUnauthorized || res.StatusCode == sip.StatusProxyAuthRequired {
		res, err = p.ep.cli.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: p.cfg.User, Password: p.cfg.Password})
		if err != nil {
			return fmt.Errorf("register: %w", err)
		}
	}
	if res.StatusCode != sip.StatusOK {
		return fmt.Errorf("register: %d %s", res.StatusCode, res.Reason)
	}
	return nil
}
