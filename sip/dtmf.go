package sip

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/voxgraph/voxgraph/elements/rtp"
	"github.com/voxgraph/voxgraph/pipeline"
)

// DTMF crosses a call in whatever form each leg understands:
//
//   - both legs agreed RFC 4733 telephone-events: each event is re-sent on
//     the other leg's stream as it happens (its own SSRC, sequence numbers,
//     timestamps and payload type);
//   - the other leg has no telephone-events: a digit becomes a SIP INFO
//     (application/dtmf-relay) on that leg when its event ends;
//   - a DTMF INFO towards a leg with telephone-events becomes an event on
//     its stream; other INFOs are relayed as they are.

// defaultDigitDuration is the length of a digit whose INFO gives none.
const defaultDigitDuration = 160 * time.Millisecond

// parseDTMFInfo reads the digit of a DTMF INFO body: application/dtmf-relay
// ("Signal=5\r\nDuration=160", the de facto format, duration in ms) or
// application/dtmf (the digit alone). ok is false for anything else.
func parseDTMFInfo(contentType string, body []byte) (code uint8, d time.Duration, ok bool) {
	ct, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(contentType)), ";")
	d = defaultDigitDuration
	switch strings.TrimSpace(ct) {
	case "application/dtmf-relay":
		signal := ""
		for _, line := range strings.Split(string(body), "\n") {
			k, v, found := strings.Cut(line, "=")
			if !found {
				continue
			}
			v = strings.TrimSpace(v)
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "signal":
				signal = v
			case "duration":
				if ms, err := strconv.Atoi(v); err == nil && ms > 0 && ms <= 10000 {
					d = time.Duration(ms) * time.Millisecond
				}
			}
		}
		if len(signal) != 1 {
			if n, err := strconv.Atoi(signal); err == nil && n >= 10 && n <= 16 { // some send 10 for *, 11 for #
				return uint8(n), d, true
			}
			return 0, 0, false
		}
		if code, ok = rtp.DigitEvent(rune(signal[0])); !ok {
			return 0, 0, false
		}
		return code, d, true
	case "application/dtmf":
		s := strings.TrimSpace(string(body))
		if len(s) != 1 {
			return 0, 0, false
		}
		if code, ok = rtp.DigitEvent(rune(s[0])); !ok {
			return 0, 0, false
		}
		return code, d, true
	}
	return 0, 0, false
}

// dtmfInfo builds the application/dtmf-relay INFO for an event.
func dtmfInfo(target sip.Uri, code uint8, d time.Duration) *sip.Request {
	digit, _ := rtp.EventDigit(code)
	req := sip.NewRequest(sip.INFO, target)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/dtmf-relay"))
	req.SetBody([]byte(fmt.Sprintf("Signal=%c\r\nDuration=%d\r\n", digit, d.Milliseconds())))
	return req
}

// inDialog is how to send an in-dialog request to one leg of a call.
type inDialog struct {
	target *sip.ContactHeader // the leg's remote target; nil if unknown
	do     func(context.Context, *sip.Request) (*sip.Response, error)
	write  func(*sip.Request) error
}

// leg returns what a call's leg ("a" or "b") negotiated.
func (gw *Gateway) leg(c *gwCall, leg string) Leg {
	gw.mu.Lock()
	defer gw.mu.Unlock()
	if leg == "a" {
		return c.legA
	}
	return c.legB
}

func otherLeg(leg string) string {
	if leg == "a" {
		return "b"
	}
	return "a"
}

// wireEvents connects a two-leg call graph's receivers to the DTMF path:
// events from each leg go to the other, as events or as INFO.
func (gw *Gateway) wireEvents(c *gwCall, g *pipeline.Graph) {
	for _, leg := range []string{"a", "b"} {
		if e, ok := g.Element(leg + "_rx"); ok {
			if src, ok := e.(*rtp.Src); ok {
				src.OnEvent(func(ev rtp.Event) { gw.eventFrom(c, leg, ev) })
			}
		}
	}
}

// eventFrom passes a telephone-event update from leg on to the other leg.
// It runs on the receiver's goroutine: nothing here blocks.
func (gw *Gateway) eventFrom(c *gwCall, leg string, ev rtp.Event) {
	other := otherLeg(leg)
	if gw.leg(c, other).Events {
		if sink, ok := gw.element(c, other+"_tx").(*rtp.Sink); ok {
			if err := sink.SendEvent(ev); err != nil {
				gw.log.Debug("DTMF event", "call", c.id, "err", err)
			}
		}
		return
	}
	if ev.End {
		gw.queueInfo(c, other, ev.Code, ev.Duration)
	}
}

// pendingInfo is a DTMF INFO waiting to be sent.
type pendingInfo struct {
	leg  string
	code uint8
	d    time.Duration
}

// queueInfo sends a DTMF INFO to leg, after those queued before it: one
// goroutine per call drains the queue while it is not empty, so digits
// keep their order and an idle call has no goroutine.
func (gw *Gateway) queueInfo(c *gwCall, leg string, code uint8, d time.Duration) {
	gw.mu.Lock()
	c.infos = append(c.infos, pendingInfo{leg, code, d})
	start := !c.infoBusy
	c.infoBusy = true
	gw.mu.Unlock()
	if !start {
		return
	}
	go func() {
		for {
			gw.mu.Lock()
			if len(c.infos) == 0 {
				c.infoBusy = false
				gw.mu.Unlock()
				return
			}
			p := c.infos[0]
			c.infos = c.infos[1:]
			gw.mu.Unlock()
			gw.sendInfo(c, p)
		}
	}()
}

func (gw *Gateway) sendInfo(c *gwCall, p pendingInfo) {
	dl := gw.session(c, p.leg).in()
	if dl.target == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	select {
	case <-c.ended:
		return
	default:
	}
	res, err := dl.do(ctx, dtmfInfo(dl.target.Address, p.code, p.d))
	if err != nil {
		gw.log.Info("DTMF INFO", "call", c.id, "leg", p.leg, "err", err)
		return
	}
	gw.log.Debug("DTMF event sent as INFO", "call", c.id, "leg", p.leg, "status", res.StatusCode)
}
