package sip

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/voxgraph/voxgraph/sip/sdp"
)

// Blind transfer (RFC 3515 REFER, RFC 5589 §6). Either party may transfer
// the other: the gateway accepts the REFER (202), calls the Refer-To target
// as a new leg in place of the transferor's, joins the media of the party
// that stays to it (transcoding if needed, on the staying party's
// unchanged port and SDP), reports progress to the transferor with NOTIFY
// (message/sipfrag) and hangs the transferor up. A transferor that hangs
// up right after the 202, as many phones do, does not end the call. The
// target is routed by the same rules as a new call, with the REFER as the
// request: a trunk route needs an authenticated REFER unless it is open.

// onRefer answers a REFER and starts the transfer.
func (gw *Gateway) onRefer(req *sip.Request, tx sip.ServerTransaction) {
	c, leg := gw.callFor(req, tx)
	if c == nil {
		return
	}
	if c.b == nil {
		respond(tx, req, sip.StatusForbidden, "Transfer Not Supported For This Call") // answered by an app
		return
	}
	referTo := header(req, "Refer-To", "r")
	var uri sip.Uri
	params := sip.NewParams()
	if _, err := sip.ParseAddressValue(referTo, &uri, &params); err != nil || referTo == "" {
		respond(tx, req, sip.StatusBadRequest, "Bad Refer-To")
		return
	}
	if uri.Headers != nil && uri.Headers.Has("Replaces") || strings.Contains(strings.ToLower(referTo), "replaces=") {
		respond(tx, req, sip.StatusNotImplemented, "Attended Transfer Not Supported")
		return
	}
	from := ""
	if f := req.From(); f != nil {
		from = f.Address.String()
	}
	target := (&sip.Uri{Scheme: uri.Scheme, User: uri.User, Host: uri.Host, Port: uri.Port, UriParams: uri.UriParams}).String()
	r, groups := gw.routeFor(target, from, target, req.Source())
	if r == nil || r.Reject != 0 || r.App != "" {
		respond(tx, req, sip.StatusForbidden, "Transfer Target Not Allowed")
		return
	}
	if r.Forward != "" && !r.Open {
		if gw.reg == nil {
			respond(tx, req, sip.StatusForbidden, "Transfer Target Not Allowed")
			return
		}
		if _, res := gw.reg.Authenticate(req, true); res != authOK {
			gw.reg.respondAuth(req, tx, res, true)
			return
		}
	}
	gw.mu.Lock()
	busy := c.transferFrom != "" || !c.answered || c.released
	if !busy {
		c.transferFrom = leg
	}
	gw.mu.Unlock()
	if busy {
		respond(tx, req, sip.StatusRequestPending, "Request Pending")
		return
	}
	res := sip.NewResponseFromRequest(req, sip.StatusAccepted, "Accepted", nil)
	res.AppendHeader(&sip.ContactHeader{Address: gw.ep.contact.Address})
	if err := tx.Respond(res); err != nil {
		gw.mu.Lock()
		c.transferFrom = ""
		gw.mu.Unlock()
		return
	}
	gw.log.Info("transfer requested", "call", c.id, "by_leg", leg, "target", target, "route", r.Name)
	gw.wg.Add(1)
	go func() {
		defer gw.wg.Done()
		gw.transfer(c, leg, r, groups)
	}()
}

// transfer replaces leg from's party with the route's target.
func (gw *Gateway) transfer(c *gwCall, from string, r *Route, groups []string) {
	old := gw.session(c, from)
	gw.notifyRefer(old, "SIP/2.0 100 Trying", "active;expires=60")
	err := gw.callTransferTarget(c, from, r, groups, old)
	gw.mu.Lock()
	c.transferFrom = ""
	gw.mu.Unlock()
	if err == nil {
		gw.stats.Transfers.Add(1)
		return
	}
	var fail *transferError
	frag := "SIP/2.0 503 Service Unavailable"
	if errors.As(err, &fail) {
		frag = fmt.Sprintf("SIP/2.0 %d %s", fail.code, fail.reason)
	}
	gw.log.Info("transfer failed", "call", c.id, "by_leg", from, "err", err)
	gw.notifyRefer(old, frag, "terminated;reason=noresource")
	select {
	case <-old.done(): // the transferor left already: nobody is left for the other party
		gw.hangup(c, "transfer failed after the transferor left")
	default:
	}
}

type transferError struct {
	code   int
	reason string
	err    error
}

func (e *transferError) Error() string { return fmt.Sprintf("%d %s: %v", e.code, e.reason, e.err) }

// callTransferTarget calls the target, rebuilds the call's media between
// the staying party and it, and swaps the transferor's dialog for the
// target's. The transferor gets the final NOTIFY and a BYE.
func (gw *Gateway) callTransferTarget(c *gwCall, from string, r *Route, groups []string, old legSession) error {
	fail := func(code int, reason string, err error) error { return &transferError{code, reason, err} }
	uri, code, reason, err := gw.target(r, groups)
	if err != nil {
		return fail(code, reason, err)
	}
	port, err := gw.ports.Allocate()
	if err != nil {
		return fail(sip.StatusServiceUnavailable, "No Media Ports", err)
	}
	keepPort := false
	defer func() {
		if !keepPort {
			gw.ports.Release(port)
		}
	}()
	gw.mu.Lock()
	stay := c.legB
	if from == "b" {
		stay = c.legA
	}
	gw.mu.Unlock()
	// The staying party's codec first, so the new legs can match; a
	// route's own list still limits what the target is offered.
	prefs := slices.Compact(append([]string{stay.Codec}, gw.cfg.Codecs...))
	if len(r.Codecs) > 0 {
		prefs = slices.Compact(append([]string{stay.Codec}, r.Codecs...))
		if !slices.Contains(r.Codecs, stay.Codec) {
			prefs = r.Codecs
		}
	}
	sess := rand.Uint64() >> 1
	offer, err := sdp.BuildOffer(sdp.OfferParams{SessionID: sess, Version: 1, Addr: gw.ports.Addr(), Port: port, Codecs: prefs,
		PTime: 20 * time.Millisecond, TelephoneEvent: true})
	if err != nil {
		return fail(sip.StatusInternalServerError, "Server Error", err)
	}
	offerSess, _ := sdp.Parse(offer)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	go func() { // the call ending (the staying party hangs up) abandons the transfer
		select {
		case <-c.ended:
			cancel()
		case <-ctx.Done():
		}
	}()
	hdrs := append([]sip.Header{sip.NewHeader("Content-Type", "application/sdp")}, gw.inviteHeaders()...)
	dlg, err := gw.ep.invite(ctx, uri, offer, hdrs...)
	if err != nil {
		return fail(sip.StatusServiceUnavailable, "Target Unreachable", err)
	}
	prack := gw.prackFor(dlg)
	if err := dlg.WaitAnswer(ctx, sipgo.AnswerOptions{OnResponse: func(res *sip.Response) error { prack(res); return nil }}); err != nil {
		dlg.Close()
		var de *sipgo.ErrDialogResponse
		if errors.As(err, &de) {
			return fail(de.Res.StatusCode, de.Res.Reason, err)
		}
		return fail(sip.StatusRequestTimeout, "Request Timeout", err)
	}
	hangupNew := func() {
		gw.bye(dlg.Bye)
		legSession{cli: dlg}.close(gw.ep)
	}
	if err := dlg.Ack(ctx); err != nil {
		hangupNew()
		return fail(sip.StatusServiceUnavailable, "Target Failed", err)
	}
	neg, err := negotiateB(offerSess, dlg.InviteResponse.Body())
	if err != nil {
		hangupNew()
		return fail(sip.StatusNotAcceptableHere, "Not Acceptable Here", err)
	}
	newLeg := legFrom(neg, gw.ports.Addr(), port)
	legA, legB := stay, newLeg
	if from == "a" {
		legA, legB = newLeg, stay
	}
	g, err := buildCallGraph("call-"+c.id, legA, legB, gw.cfg.Media.RTPTimeout, gw.log.With("call", c.id))
	if err != nil {
		hangupNew()
		return fail(sip.StatusInternalServerError, "Media Failure", err)
	}
	gw.wireEvents(c, g)
	gw.mu.Lock()
	if c.released {
		gw.mu.Unlock()
		hangupNew()
		return fail(sip.StatusRequestTerminated, "Call Ended", errors.New("the call ended during the transfer"))
	}
	oldG := c.g
	var oldPort int
	if from == "a" {
		oldPort, c.portA, c.legA, c.sa, c.sessA, c.verA = c.portA, port, newLeg, legSession{cli: dlg}, sess, 1
	} else {
		oldPort, c.portB, c.legB, c.sb, c.sessB, c.verB = c.portB, port, newLeg, legSession{cli: dlg}, sess, 1
	}
	c.g = g
	if c.sdp == nil {
		c.sdp = map[string][]byte{}
	}
	c.sdp[from] = offer
	gw.mu.Unlock()
	keepPort = true
	select {
	case c.swapped <- struct{}{}:
	default:
	}
	// Stop the old media (freeing the staying party's port), start the new.
	if oldG != nil {
		gw.sched.Remove(oldG)
		oldG.Stop()
	}
	gw.ports.Release(oldPort)
	if err := runGraph(context.Background(), g, gw.sched); err != nil {
		go gw.hangup(c, "media failed after transfer")
	}
	gw.startTimer(c, from, gw.timerFromResponse(dlg.InviteResponse))
	gw.notifyRefer(old, "SIP/2.0 200 OK", "terminated;reason=noresource")
	gw.bye(old.bye)
	old.close(gw.ep)
	gw.log.Info("call transferred", "call", c.id, "leg", from, "target", uri.String(), "a", legA.Codec, "b", legB.Codec,
		"transcoding", legA.Codec != legB.Codec)
	return nil
}

// notifyRefer tells the transferor how its REFER is going (RFC 3515 §2.4.5).
func (gw *Gateway) notifyRefer(s legSession, frag, state string) {
	dl := s.in()
	if dl.target == nil {
		return
	}
	select {
	case <-s.done():
		return // the transferor has hung up
	default:
	}
	req := sip.NewRequest(sip.NOTIFY, dl.target.Address)
	req.AppendHeader(sip.NewHeader("Event", "refer"))
	req.AppendHeader(sip.NewHeader("Subscription-State", state))
	req.AppendHeader(sip.NewHeader("Content-Type", "message/sipfrag;version=2.0"))
	req.AppendHeader(&sip.ContactHeader{Address: gw.ep.contact.Address})
	req.SetBody([]byte(frag + "\r\n"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := dl.do(ctx, req); err != nil {
		gw.log.Debug("NOTIFY", "err", err)
	}
}
