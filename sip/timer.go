package sip

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Session timers (RFC 4028): each leg's dialog is refreshed by re-INVITE or
// UPDATE within its session interval, by the side the refresher parameter
// names. When the gateway is the refresher it refreshes at half the
// interval; when the peer is, a missing refresh hangs the call up shortly
// before the interval ends (§10). The legs' timers are independent, as
// the legs are separate dialogs.

// sessionTimer is what one leg agreed.
type sessionTimer struct {
	interval  time.Duration
	weRefresh bool
	t         *time.Timer // nil until started
}

// parseSessionExpires reads a Session-Expires value ("1800;refresher=uac").
func parseSessionExpires(v string) (time.Duration, string, error) {
	parts := strings.Split(v, ";")
	secs, err := strconv.Atoi(strings.TrimSpace(parts[0]))
	if err != nil || secs <= 0 || secs > 86400*7 {
		return 0, "", fmt.Errorf("Session-Expires %q: want delta-seconds", v)
	}
	refresher := ""
	for _, p := range parts[1:] {
		k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(k, "refresher") {
			refresher = strings.ToLower(strings.TrimSpace(val))
			if refresher != "uac" && refresher != "uas" {
				return 0, "", fmt.Errorf("Session-Expires %q: refresher must be uac or uas", v)
			}
		}
	}
	return time.Duration(secs) * time.Second, refresher, nil
}

// header returns the first of a message's headers by name (full or compact).
func header(m interface{ GetHeader(string) sip.Header }, names ...string) string {
	for _, n := range names {
		if h := m.GetHeader(n); h != nil {
			return h.Value()
		}
	}
	return ""
}

// hasOption reports whether a Supported/Require/Allow-style header lists opt.
func hasOption(m interface{ GetHeader(string) sip.Header }, opt string, names ...string) bool {
	for _, n := range names {
		if h := m.GetHeader(n); h != nil {
			for _, o := range strings.Split(h.Value(), ",") {
				if strings.EqualFold(strings.TrimSpace(o), opt) {
					return true
				}
			}
		}
	}
	return false
}

// timerReason is the reason phrase of a status timerFromRequest returns.
func timerReason(code int) string {
	if code == 422 {
		return "Session Interval Too Small"
	}
	return "Bad Session-Expires"
}

func secs(d time.Duration) string { return strconv.Itoa(int(d / time.Second)) }

// timerFromRequest settles the session timer of a dialog in which we are
// the UAS (RFC 4028 §9), from the INVITE (or refresh) req. It returns the
// timer (nil when timers are off), the headers for our 2xx, or a non-zero
// status (422) with the headers to reject with.
func (gw *Gateway) timerFromRequest(req *sip.Request) (*sessionTimer, []sip.Header, int) {
	st := gw.cfg.SessionTimer
	if st.Disabled {
		return nil, nil, 0
	}
	supported := hasOption(req, "timer", "Supported", "k")
	interval, refresher := st.Expires, ""
	if v := header(req, "Session-Expires", "x"); v != "" {
		d, r, err := parseSessionExpires(v)
		if err != nil {
			return nil, []sip.Header{sip.NewHeader("Warning", `399 voxgraph "`+err.Error()+`"`)}, sip.StatusBadRequest
		}
		if d < st.MinSE {
			return nil, []sip.Header{sip.NewHeader("Min-SE", secs(st.MinSE))}, 422
		}
		interval, refresher = d, r
	} else if v := header(req, "Min-SE"); v != "" {
		if d, _, err := parseSessionExpires(v); err == nil && d > interval {
			interval = d
		}
	}
	if refresher == "" || !supported {
		refresher = "uas" // a UAC without the extension cannot refresh for us
		if supported {
			refresher = "uac"
		}
	}
	hdrs := []sip.Header{sip.NewHeader("Session-Expires", secs(interval)+";refresher="+refresher)}
	if refresher == "uac" {
		hdrs = append(hdrs, sip.NewHeader("Require", "timer"))
	}
	return &sessionTimer{interval: interval, weRefresh: refresher == "uas"}, hdrs, 0
}

// inviteHeaders are the extension headers of an INVITE we send as UAC:
// Supported (100rel, and timer with its Session-Expires and Min-SE).
func (gw *Gateway) inviteHeaders() []sip.Header {
	return gw.inviteHeadersFor(gw.cfg.SessionTimer.Expires, gw.cfg.SessionTimer.MinSE)
}

// inviteHeadersFor is inviteHeaders with the given session interval and
// Min-SE (a retry after 422).
func (gw *Gateway) inviteHeadersFor(expires, minSE time.Duration) []sip.Header {
	if gw.cfg.SessionTimer.Disabled {
		return []sip.Header{sip.NewHeader("Supported", "100rel")}
	}
	return []sip.Header{sip.NewHeader("Supported", "100rel, timer"), sip.NewHeader("Session-Expires", secs(expires)),
		sip.NewHeader("Min-SE", secs(minSE))}
}

// timerFromResponse settles the session timer of a dialog in which we are
// the UAC, from the 2xx: none if it has no Session-Expires (§7.2).
func (gw *Gateway) timerFromResponse(res *sip.Response) *sessionTimer {
	if gw.cfg.SessionTimer.Disabled {
		return nil
	}
	d, r, err := parseSessionExpires(header(res, "Session-Expires", "x"))
	if err != nil {
		return nil
	}
	return &sessionTimer{interval: d, weRefresh: r != "uas"}
}

// startTimer (re)arms leg's session timer with st (nil stops it).
func (gw *Gateway) startTimer(c *gwCall, leg string, st *sessionTimer) {
	gw.mu.Lock()
	defer gw.mu.Unlock()
	if old := c.timers[leg]; old != nil && old.t != nil {
		old.t.Stop()
	}
	if st == nil || c.released {
		delete(c.timers, leg)
		return
	}
	if c.timers == nil {
		c.timers = map[string]*sessionTimer{}
	}
	c.timers[leg] = st
	due := st.interval - min(32*time.Second, st.interval/3) // §10: expire a little before the end
	if st.weRefresh {
		due = st.interval / 2
	}
	st.t = time.AfterFunc(due, func() {
		if st.weRefresh {
			gw.refreshSession(c, leg, st)
			return
		}
		gw.log.Info("session timer expired: no refresh", "call", c.id, "leg", leg, "interval", st.interval)
		gw.hangup(c, "session timer expired on leg "+leg)
	})
}

// stopTimers stops a call's session timers (the call has ended).
func (gw *Gateway) stopTimers(c *gwCall) {
	gw.mu.Lock()
	defer gw.mu.Unlock()
	c.released = true
	for _, st := range c.timers {
		if st.t != nil {
			st.t.Stop()
		}
	}
}

// refreshSession refreshes leg's session as the refresher: UPDATE without
// a body when the peer allows UPDATE, otherwise a re-INVITE with our last
// SDP unchanged (RFC 4028 §7.4, RFC 3264 §8). A refresh that fails ends the call.
func (gw *Gateway) refreshSession(c *gwCall, leg string, st *sessionTimer) {
	sess := gw.session(c, leg)
	dl := sess.in()
	if dl.target == nil {
		return
	}
	peer := sess.peer()
	gw.mu.Lock()
	body := c.sdp[leg]
	gw.mu.Unlock()
	method := sip.UPDATE
	if !hasOption(peer, "UPDATE", "Allow") && body != nil {
		method = sip.INVITE
	}
	req := sip.NewRequest(method, dl.target.Address)
	req.AppendHeader(sip.NewHeader("Supported", "timer"))
	req.AppendHeader(sip.NewHeader("Session-Expires", secs(st.interval)+";refresher=uac"))
	req.AppendHeader(&sip.ContactHeader{Address: gw.ep.contact.Address})
	if method == sip.INVITE {
		req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		req.SetBody(body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := dl.do(ctx, req)
	if method == sip.INVITE && err == nil && res.StatusCode >= 200 && res.StatusCode < 300 {
		if err := dl.write(sip.NewRequest(sip.ACK, dl.target.Address)); err != nil {
			gw.log.Info("session refresh ACK", "call", c.id, "err", err)
		}
	}
	if err != nil || res.StatusCode >= 300 {
		status := 0
		if res != nil {
			status = res.StatusCode
		}
		gw.log.Info("session refresh failed", "call", c.id, "leg", leg, "method", method, "status", status, "err", err)
		gw.hangup(c, "session refresh failed on leg "+leg)
		return
	}
	next := *st
	next.t = nil
	if d, r, err := parseSessionExpires(header(res, "Session-Expires", "x")); err == nil {
		next.interval, next.weRefresh = d, r != "uas"
	}
	gw.stats.SessionRefreshes.Add(1)
	gw.log.Debug("session refreshed", "call", c.id, "leg", leg, "method", method, "interval", next.interval)
	gw.startTimer(c, leg, &next)
}

// setSDP records the SDP we last sent on leg (a session refresh by
// re-INVITE repeats it).
func (gw *Gateway) setSDP(c *gwCall, leg string, body []byte) {
	gw.mu.Lock()
	defer gw.mu.Unlock()
	if c.sdp == nil {
		c.sdp = map[string][]byte{}
	}
	c.sdp[leg] = body
}

// respondTimer sends a 2xx for req on tx with session-timer headers and
// an optional SDP body.
func respondTimer(tx sip.ServerTransaction, req *sip.Request, body []byte, hdrs []sip.Header, contact *sip.ContactHeader) error {
	var res *sip.Response
	if body != nil {
		res = sip.NewSDPResponseFromRequest(req, body)
	} else {
		res = sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil)
	}
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	if contact != nil {
		res.AppendHeader(contact)
	}
	return tx.Respond(res)
}
