package sip

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Reliable provisional responses (RFC 3262, "100rel").
//
// Towards the callee the gateway says Supported: 100rel and answers each
// new reliable provisional (Require: 100rel with an RSeq) with a PRACK in
// the early dialog. Towards a caller whose INVITE requires 100rel, the
// gateway's 180/183 carry Require: 100rel and an RSeq and are retransmitted
// (T1, doubling) until the caller's PRACK; one is outstanding at a time, and
// the 200 waits for the PRACK of a 183 that carried our SDP answer.

// extensions are the option tags the gateway implements (Require in a
// request naming anything else gets 420, RFC 3261 §8.2.2.3).
var extensions = []string{"100rel", "timer"}

// unsupportedRequire returns the option tags of req's Require header that
// the gateway does not implement.
func unsupportedRequire(req *sip.Request) []string {
	var out []string
	for _, h := range req.GetHeaders("Require") {
		for _, o := range strings.Split(h.Value(), ",") {
			o = strings.ToLower(strings.TrimSpace(o))
			if o != "" && !containsFold(extensions, o) {
				out = append(out, o)
			}
		}
	}
	return out
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// prackFor returns an OnResponse function for a client INVITE that PRACKs
// each new reliable provisional response once (RFC 3262 §4; a lost PRACK is
// retransmitted by its own transaction, so a retransmitted 18x is not
// PRACKed again).
func (gw *Gateway) prackFor(dlg *sipgo.DialogClientSession) func(*sip.Response) {
	var last uint64
	return func(res *sip.Response) {
		if res.StatusCode <= 100 || res.StatusCode >= 200 || !hasOption(res, "100rel", "Require") {
			return
		}
		rseq, err := strconv.ParseUint(strings.TrimSpace(header(res, "RSeq")), 10, 32)
		if err != nil || rseq <= last || res.CSeq() == nil {
			return
		}
		last = rseq
		target := dlg.InviteRequest.Recipient
		if ct := res.Contact(); ct != nil {
			target = ct.Address
		}
		req := sip.NewRequest(sip.PRACK, target)
		req.AppendHeader(sip.NewHeader("RAck", fmt.Sprintf("%d %d INVITE", rseq, res.CSeq().SeqNo)))
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if r, err := dlg.Do(ctx, req); err != nil || r.StatusCode >= 300 {
			gw.log.Info("PRACK failed", "call", res.CallID().Value(), "rseq", rseq, "err", err)
		}
	}
}

// reliable is leg A's reliable provisional responses.
type reliable struct {
	mu      sync.Mutex
	rseq    uint32        // last RSeq sent
	pending uint32        // RSeq awaiting PRACK; 0 for none
	sdp     bool          // the pending response carried SDP
	acked   chan struct{} // closed when pending is PRACKed
}

// provisional sends leg A a 180 or 183 (with body, our SDP answer): plainly,
// or reliably when the caller requires 100rel. A reliable one is dropped
// while another is unacknowledged (RFC 3262 §3).
func (gw *Gateway) provisional(c *gwCall, code int, reason string, body []byte) {
	var hdrs []sip.Header
	if body != nil {
		hdrs = append(hdrs, sip.NewHeader("Content-Type", "application/sdp"))
	}
	if c.rel == nil {
		c.a.Respond(code, reason, body, hdrs...)
		return
	}
	r := c.rel
	r.mu.Lock()
	if r.pending != 0 {
		r.mu.Unlock()
		return
	}
	r.rseq++
	rseq := r.rseq
	r.pending, r.sdp, r.acked = rseq, body != nil, make(chan struct{})
	acked := r.acked
	r.mu.Unlock()
	res := sip.NewResponseFromRequest(c.a.InviteRequest, code, reason, body)
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	res.AppendHeader(sip.NewHeader("Require", "100rel"))
	res.AppendHeader(sip.NewHeader("RSeq", strconv.FormatUint(uint64(rseq), 10)))
	if err := c.a.WriteResponse(res); err != nil {
		return
	}
	gw.wg.Add(1)
	go func() { // retransmit until PRACKed, for 64*T1 at most
		defer gw.wg.Done()
		wait, total := sip.T1, time.Duration(0)
		for total < 64*sip.T1 {
			t := time.NewTimer(wait)
			select {
			case <-acked:
				t.Stop()
				return
			case <-c.ended:
				t.Stop()
				return
			case <-c.a.Context().Done():
				t.Stop()
				return
			case <-t.C:
			}
			total += wait
			wait *= 2
			if err := c.a.WriteResponse(res); err != nil {
				return // the transaction has ended (final response sent or CANCEL)
			}
		}
	}()
}

// waitPRACK waits, before our 200 to leg A, for the PRACK of a reliable
// 183 that carried our SDP answer (RFC 3262 §3).
func (gw *Gateway) waitPRACK(c *gwCall) error {
	if c.rel == nil {
		return nil
	}
	c.rel.mu.Lock()
	pending, sdpBody, acked := c.rel.pending, c.rel.sdp, c.rel.acked
	c.rel.mu.Unlock()
	if pending == 0 || !sdpBody {
		return nil
	}
	t := time.NewTimer(64 * sip.T1)
	defer t.Stop()
	select {
	case <-acked:
		return nil
	case <-t.C:
		return errors.New("the caller never sent PRACK for our reliable 183")
	case <-c.a.Context().Done():
		return errors.New("the caller left before PRACK")
	}
}

// onPrack takes a caller's PRACK for a reliable provisional response.
func (gw *Gateway) onPrack(req *sip.Request, tx sip.ServerTransaction) {
	c, leg := gw.callOf(req)
	if c == nil || leg != "a" || c.rel == nil {
		respond(tx, req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return
	}
	var rseq, cseq uint32
	var method string
	if _, err := fmt.Sscanf(header(req, "RAck"), "%d %d %s", &rseq, &cseq, &method); err != nil {
		respond(tx, req, sip.StatusBadRequest, "Bad RAck")
		return
	}
	r := c.rel
	r.mu.Lock()
	ok := rseq != 0 && rseq == r.pending && strings.EqualFold(method, "INVITE") && cseq == c.a.InviteRequest.CSeq().SeqNo
	if ok {
		r.pending = 0
		close(r.acked)
	}
	r.mu.Unlock()
	if !ok {
		respond(tx, req, sip.StatusCallTransactionDoesNotExists, "No Such Reliable Response")
		return
	}
	respond(tx, req, sip.StatusOK, "OK")
}
