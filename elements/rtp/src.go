package rtp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/srtp/v3"
	"github.com/voxgraph/voxgraph/codecs"
	"github.com/voxgraph/voxgraph/pipeline"
)

// maxPacket is the largest datagram a receiver accepts.
const maxPacket = 1500

// Src receives RTP packets on a UDP socket and emits them as encoded frames
// stamped with their arrival time, for a jitter buffer to order and pace.
type Src struct {
	pipeline.NoInput

	Listen  string        `prop:"listen" default:"127.0.0.1:0" doc:"local UDP address to receive on (host:port; port 0 picks a free one, logged at start)"`
	Codec   string        `prop:"codec" default:"PCMU" doc:"codec carried, which fixes the output format (clock rate, default payload type)"`
	PT      int           `prop:"pt" default:"-1" doc:"payload type to accept; -1: the codec's; other payload types are counted and dropped"`
	EventPT int           `prop:"event-pt" default:"-1" doc:"payload type of RFC 4733 telephone-events (DTMF) to accept; each event is reported once to OnEvent, never passed on as audio; -1: none"`
	CNPT    int           `prop:"cn-pt" default:"-1" doc:"payload type of RFC 3389 comfort noise to pass on with the media (decode plays it; set both to the SDP's CN payload type, usually 13); -1: none, such packets are counted as unexpected_pt"`
	SSRC    uint32        `prop:"ssrc" default:"0" doc:"SSRC to accept; 0 accepts any (a change of SSRC is passed on for the jitter buffer to resync)"`
	Timeout time.Duration `prop:"timeout" default:"0s" doc:"end the stream after this long without a packet (0: never)"`
	Security
	Replay int `prop:"replay-window" default:"64" doc:"SRTP replay protection window in packets; replayed packets are counted and dropped (0 turns it off)"`

	requireKey bool // srtp-src
	conn       *net.UDPConn
	format     pipeline.Format
	keys       *Keys // nil for plain RTP
	srtpCtx    *srtp.Context
	wg         sync.WaitGroup
	log        *slog.Logger

	lastRx atomic.Int64 // pipeline.Now of the last accepted packet
	start  time.Duration
	remote atomic.Pointer[netip.AddrPort]
	local  netip.AddrPort

	events  eventReceiver               // reader goroutine only
	onEvent atomic.Pointer[func(Event)] // telephone-event listener set by OnEvent
	// Listeners added by ListenEvents (dtmf-decode, …), copied on write so
	// report reads them without a lock.
	listenMu  sync.Mutex
	listeners atomic.Pointer[[]*func(Event)]

	received, bytes, malformed, badVersion, badPT, badSSRC, authFail, replayed atomic.Uint64
	ended                                                                      atomic.Bool
	held                                                                       atomic.Bool // timeout suspended (call on hold)
	reception                                                                  Reception
}

func init() {
	outPort := []pipeline.PortInfo{{Name: "out", Doc: "encoded frames with RTP header and arrival time"}}
	pipeline.Register(pipeline.ElementInfo{
		Name:    "rtp-src",
		Summary: "receives RTP over UDP",
		Doc: "Reads RTP packets from a UDP socket on a reader goroutine and passes each to the graph as it arrives (link a jitter buffer next). " +
			"Malformed packets, RTP versions other than 2, unexpected payload types and SSRCs are counted and dropped. Padding is removed.",
		Outputs: outPort,
		New:     func() pipeline.Element { return &Src{} },
	})
	pipeline.Register(pipeline.ElementInfo{
		Name:    "srtp-src",
		Summary: "receives SRTP over UDP, authenticates and decrypts it",
		Doc: "rtp-src with SRTP (pion/srtp/v3) and a required key: packets failing authentication are counted (auth_failures) and dropped, replayed " +
			"packets are counted (replayed) and dropped. Keys are SDES inline: parameters as SIP carries them in a=crypto.",
		Outputs: outPort,
		New:     func() pipeline.Element { return &Src{requireKey: true} },
	})
}

// Negotiate checks the settings and fixes the output format.
func (s *Src) Negotiate(n *pipeline.Negotiation) error {
	fac, ok := codecs.Default.Lookup(s.Codec)
	if !ok {
		return fmt.Errorf("unknown codec %q (known: %s)", s.Codec, strings.Join(codecs.Default.Names(), ", "))
	}
	if _, err := netip.ParseAddrPort(s.Listen); err != nil {
		return fmt.Errorf("listen %q: want host:port with a numeric IP (e.g. 127.0.0.1:40000): %v", s.Listen, err)
	}
	pt := fac.PayloadType
	if s.PT >= 0 {
		if s.PT > 127 {
			return fmt.Errorf("pt %d out of range 0..127", s.PT)
		}
		pt = uint8(s.PT)
	}
	if s.Timeout < 0 {
		return fmt.Errorf("timeout %s is negative", s.Timeout)
	}
	if s.EventPT < -1 || s.EventPT > 127 || s.EventPT == int(pt) {
		return fmt.Errorf("event-pt %d: want -1 (none) or a payload type 0..127 other than the codec's (%d)", s.EventPT, pt)
	}
	if err := s.parseKey(); err != nil {
		return err
	}
	if s.CNPT < -1 || s.CNPT > 127 || s.CNPT == int(pt) || s.CNPT >= 0 && s.CNPT == s.EventPT {
		return fmt.Errorf("cn-pt %d: want -1 (none) or a payload type 0..127 other than the codec's (%d) and event-pt", s.CNPT, pt)
	}
	s.format = pipeline.Format{Kind: pipeline.KindEncoded, Codec: fac.Name, Rate: fac.ClockRate, Channels: fac.Channels, PTime: n.PTime, PayloadType: pt}
	s.reception.clockRate = fac.ClockRate
	s.log = n.Logger
	n.SetAllOut(s.format)
	return nil
}

func (s *Src) parseKey() error {
	k, err := s.Security.keys(s.requireKey, "rtp-src")
	if err != nil {
		return err
	}
	if s.Replay < 0 || s.Replay > 1<<15 {
		return fmt.Errorf("replay-window %d out of range 0..32768", s.Replay)
	}
	s.keys = k
	return nil
}

// Start creates the SRTP context if keyed, binds the socket and starts the
// reader goroutine.
func (s *Src) Start(_ context.Context, in *pipeline.Injector) error {
	opt := srtp.SRTPReplayProtection(uint(s.Replay))
	if s.Replay == 0 {
		opt = srtp.SRTPNoReplayProtection()
	}
	var err error
	if s.srtpCtx, err = s.keys.context(opt); err != nil {
		return err
	}
	addr, _ := netip.ParseAddrPort(s.Listen)
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(addr))
	if err != nil {
		return fmt.Errorf("listen %s: %w", s.Listen, err)
	}
	_ = conn.SetReadBuffer(1 << 20)
	s.conn = conn
	s.local = conn.LocalAddr().(*net.UDPAddr).AddrPort()
	s.start = pipeline.Now()
	s.log.Info("receiving RTP", "listen", s.local.String(), "format", s.format.String(), "srtp", s.srtpCtx != nil)
	s.wg.Add(1)
	go s.read(in)
	return nil
}

// Stop closes the socket and waits for the reader.
func (s *Src) Stop() error {
	if s.conn == nil {
		return nil
	}
	err := s.conn.Close()
	s.wg.Wait()
	s.conn = nil
	return err
}

// LocalAddr is the bound address (valid after Start).
func (s *Src) LocalAddr() netip.AddrPort { return s.local }

// Remote is the address the last accepted packet came from, for symmetric RTP.
func (s *Src) Remote() (netip.AddrPort, bool) {
	p := s.remote.Load()
	if p == nil {
		return netip.AddrPort{}, false
	}
	return *p, true
}

// Realtime: a network receiver runs at wall-clock pace.
func (s *Src) Realtime() bool { return true }

// Tick ends the stream after Timeout without packets.
func (s *Src) Tick(out *pipeline.Output) error {
	if s.Timeout <= 0 {
		return nil
	}
	if s.held.Load() {
		s.lastRx.Store(int64(out.Now())) // the silence of a hold is not a timeout
		return nil
	}
	last := max(time.Duration(s.lastRx.Load()), s.start)
	if out.Now()-last > s.Timeout {
		s.log.Info("RTP timeout", "after", s.Timeout)
		s.ended.Store(true)
		out.EndOfStream()
	}
	return nil
}

func (s *Src) read(in *pipeline.Injector) {
	defer s.wg.Done()
	for {
		f := in.NewFrame()
		buf := f.SetPayloadLen(maxPacket)
		n, from, err := s.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			f.Release()
			if errors.Is(err, net.ErrClosed) {
				return
			}
			s.log.Warn("RTP read", "err", err)
			continue
		}
		kind := s.accept(f, buf[:n])
		if kind == drop {
			f.Release()
			continue
		}
		if p := s.remote.Load(); p == nil || *p != from {
			addr := from // only this copy escapes: one allocation per address change
			s.remote.Store(&addr)
		}
		s.lastRx.Store(int64(f.Arrival))
		if kind == event {
			f.Release()
			continue
		}
		if err := in.Emit(0, f); err != nil {
			return // graph finished or element detached
		}
	}
}

// What accept made of a packet.
const (
	drop  = iota // counted and dropped
	media        // audio for the graph
	event        // a telephone-event, reported to OnEvent
)

// accept parses (and for SRTP, authenticates and decrypts) pkt into f,
// counting and refusing what must not pass, and reports telephone-events.
func (s *Src) accept(f *pipeline.Frame, pkt []byte) int {
	wire := len(pkt)
	if len(pkt) < 12 {
		s.malformed.Add(1)
		return drop
	}
	if v := pkt[0] >> 6; v != 2 {
		s.badVersion.Add(1)
		return drop
	}
	if pt := pkt[1] & 0x7f; pt >= 72 && pt <= 76 {
		s.malformed.Add(1) // RTCP on the RTP port (RFC 5761 range): not media
		return drop
	}
	if s.srtpCtx != nil {
		dec, err := s.srtpCtx.DecryptRTP(pkt[:0], pkt, &f.RTP)
		if err != nil {
			switch {
			case errors.Is(err, srtp.ErrFailedToVerifyAuthTag):
				s.authFail.Add(1)
			case strings.Contains(err.Error(), "duplicated"):
				s.replayed.Add(1)
			default:
				s.authFail.Add(1) // too short to authenticate, unknown MKI, …
			}
			return drop
		}
		pkt = dec
	}
	hdrLen, err := f.RTP.Unmarshal(pkt)
	if err != nil || hdrLen > len(pkt) {
		s.malformed.Add(1)
		return drop
	}
	end := len(pkt)
	if f.RTP.Padding {
		pad := int(pkt[end-1])
		if pad == 0 || pad > end-hdrLen {
			s.malformed.Add(1)
			return drop
		}
		end -= pad
		f.RTP.Padding = false
	}
	if s.SSRC != 0 && f.RTP.SSRC != s.SSRC {
		s.badSSRC.Add(1)
		return drop
	}
	if s.EventPT >= 0 && f.RTP.PayloadType == uint8(s.EventPT) {
		e, err := parseEvent(pkt[hdrLen:end], s.format.Rate)
		if err != nil || e.Code > maxEventCode {
			s.malformed.Add(1)
			return drop
		}
		f.Arrival = pipeline.Now()
		s.reception.update(f.RTP.SSRC, f.RTP.SequenceNumber, f.RTP.Timestamp, f.Arrival)
		s.events.packet(f.RTP.Timestamp, e, s.report)
		s.bytes.Add(uint64(wire))
		return event
	}
	if f.RTP.PayloadType != s.format.PayloadType && (s.CNPT < 0 || f.RTP.PayloadType != uint8(s.CNPT)) {
		s.badPT.Add(1)
		return drop
	}
	// Move the payload to the front of the frame's buffer, keeping its capacity.
	n := copy(f.Payload[:cap(f.Payload)], pkt[hdrLen:end])
	f.Payload = f.Payload[:n]
	f.Format = s.format
	f.Arrival = pipeline.Now()
	s.reception.update(f.RTP.SSRC, f.RTP.SequenceNumber, f.RTP.Timestamp, f.Arrival)
	if f.RTP.Marker {
		f.Flags |= pipeline.FlagTalkspurt
	}
	s.received.Add(1)
	s.bytes.Add(uint64(wire))
	return media
}

// report passes a telephone-event update to the listeners, if any.
func (s *Src) report(e Event) {
	if f := s.onEvent.Load(); f != nil {
		(*f)(e)
	}
	if ls := s.listeners.Load(); ls != nil {
		for _, f := range *ls {
			(*f)(e)
		}
	}
}

// ListenEvents adds f to the functions told of each telephone-event update,
// beside the one OnEvent sets (which the gateway owns), and returns the
// function that removes it. The same rules as OnEvent apply to f.
func (s *Src) ListenEvents(f func(Event)) (stop func()) {
	p := &f
	s.listenMu.Lock()
	defer s.listenMu.Unlock()
	var ls []*func(Event)
	if old := s.listeners.Load(); old != nil {
		ls = append(ls, *old...)
	}
	ls = append(ls, p)
	s.listeners.Store(&ls)
	return func() {
		s.listenMu.Lock()
		defer s.listenMu.Unlock()
		old := s.listeners.Load()
		if old == nil {
			return
		}
		var kept []*func(Event)
		for _, q := range *old {
			if q != p {
				kept = append(kept, q)
			}
		}
		s.listeners.Store(&kept)
	}
}

// OnEvent sets the function told of each RFC 4733 telephone-event update
// (start, longer duration, end; duplicates and end retransmits removed). It
// runs on the receiver's goroutine and must not block. Safe from any
// goroutine; nil removes it.
func (s *Src) OnEvent(f func(Event)) {
	if f == nil {
		s.onEvent.Store(nil)
		return
	}
	s.onEvent.Store(&f)
}

// Reception reports the received stream's RFC 3550 statistics (for RTCP
// receiver reports) and starts a new fraction-lost interval.
func (s *Src) Reception() (ReceptionReport, bool) { return s.reception.Report() }

// SetHeld suspends (true) or resumes the RTP timeout, for a peer that has
// put the call on hold and legitimately sends nothing. Safe from any goroutine.
func (s *Src) SetHeld(held bool) { s.held.Store(held) }

// Ended reports whether the stream has ended (timeout).
func (s *Src) Ended() bool { return s.ended.Load() }

// Packets is the number of packets accepted so far.
func (s *Src) Packets() uint64 { return s.received.Load() }

// Stats reports packet counters.
func (s *Src) Stats() []pipeline.Stat {
	st := []pipeline.Stat{
		{Name: "packets", Value: float64(s.received.Load())},
		{Name: "bytes", Value: float64(s.bytes.Load())},
		{Name: "malformed", Value: float64(s.malformed.Load())},
		{Name: "bad_version", Value: float64(s.badVersion.Load())},
		{Name: "unexpected_pt", Value: float64(s.badPT.Load())},
		{Name: "unexpected_ssrc", Value: float64(s.badSSRC.Load())},
	}
	if s.EventPT >= 0 {
		st = append(st, pipeline.Stat{Name: "events", Value: float64(s.events.received.Load())})
	}
	if s.keys != nil {
		st = append(st, pipeline.Stat{Name: "auth_failures", Value: float64(s.authFail.Load())},
			pipeline.Stat{Name: "replayed", Value: float64(s.replayed.Load())})
	}
	return st
}

func (s *Src) String() string {
	if s.keys != nil {
		return fmt.Sprintf("srtp-src listen=%s %s profile=%s", s.Listen, s.format, s.Profile)
	}
	return fmt.Sprintf("rtp-src listen=%s %s", s.Listen, s.format)
}
