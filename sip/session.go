package sip

import (
	"context"
	"errors"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// legSession is the dialog a call has with one party: the caller's, where
// the gateway is the UAS, or one the gateway called (the callee, or a
// transfer target), where it is the UAC. A blind transfer replaces one.
type legSession struct {
	srv *sipgo.DialogServerSession
	cli *sipgo.DialogClientSession
}

// peerMsg is the message that set up the dialog on the peer's side.
type peerMsg interface {
	GetHeader(string) sip.Header
	Contact() *sip.ContactHeader
}

var errNoDialog = errors.New("no dialog on this leg")

func (s legSession) exists() bool { return s.srv != nil || s.cli != nil }

// is reports whether d (a sipgo dialog session) is this leg's.
func (s legSession) is(d any) bool {
	switch d := d.(type) {
	case *sipgo.DialogServerSession:
		return d != nil && d == s.srv
	case *sipgo.DialogClientSession:
		return d != nil && d == s.cli
	}
	return false
}

// peer returns the peer's INVITE (we answered) or 2xx (we called), nil
// before the answer.
func (s legSession) peer() peerMsg {
	switch {
	case s.srv != nil:
		return s.srv.InviteRequest
	case s.cli != nil && s.cli.InviteResponse != nil:
		return s.cli.InviteResponse
	}
	return nil
}

// in is how to send in-dialog requests on the leg; target is nil for a
// leg that does not exist.
func (s legSession) in() inDialog {
	p := s.peer()
	if p == nil {
		return inDialog{}
	}
	if s.srv != nil {
		return inDialog{p.Contact(), s.srv.Do, s.srv.WriteRequest}
	}
	return inDialog{p.Contact(), s.cli.Do, s.cli.WriteRequest}
}

// done is closed when the dialog ends; nil (never ready) without one.
func (s legSession) done() <-chan struct{} {
	switch {
	case s.srv != nil:
		return s.srv.Context().Done()
	case s.cli != nil:
		return s.cli.Context().Done()
	}
	return nil
}

// bye hangs the leg up.
func (s legSession) bye(ctx context.Context) error {
	switch {
	case s.srv != nil:
		return s.srv.Bye(ctx)
	case s.cli != nil:
		return s.cli.Bye(ctx)
	}
	return errNoDialog
}

// close releases the dialog's state and drops it from e's tables.
func (s legSession) close(e *endpoint) {
	switch {
	case s.srv != nil:
		e.forget(s.srv)
		s.srv.Close()
	case s.cli != nil:
		e.forget(s.cli)
		s.cli.Close()
	}
}

// session returns a call's current dialog on leg ("a" or "b").
func (gw *Gateway) session(c *gwCall, leg string) legSession {
	gw.mu.Lock()
	defer gw.mu.Unlock()
	if leg == "a" {
		return c.sa
	}
	return c.sb
}
