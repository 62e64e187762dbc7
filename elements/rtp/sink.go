package rtp

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
	"github.com/voxgraph/voxgraph/pipeline"
)

// Sink sends encoded frames as RTP over UDP. It owns the stream's identity:
// its SSRC (random unless set), sequence numbers that continue across
// silence and codec changes, and timestamps offset from a random base that
// keep the gaps of the frames' own timestamps.
type Sink struct {
	Remote string `prop:"remote" doc:"destination host:port (numeric IP); with via, only the first destination and may be empty"`
	Via    string `prop:"via" default:"" doc:"name of an rtp-src in this graph: send from its socket (the same local port) and, once it has received, to the address its packets come from (symmetric RTP, RFC 4961)"`
	Local  string `prop:"local" default:"" doc:"local address to send from (host:port); empty picks one matching the destination"`
	SSRC   uint32 `prop:"ssrc" default:"0" doc:"SSRC to send with; 0 picks a random one"`
	PT     int    `prop:"pt" default:"-1" doc:"payload type of the media; -1 keeps the frame's (from encode); other payload types (comfort noise) pass unchanged"`
	// EventPT enables SendEvent.
	EventPT int `prop:"event-pt" default:"-1" doc:"payload type of RFC 4733 telephone-events sent by SendEvent (audio is held back while one is sent); -1: none"`
	Security

	requireKey bool // srtp-sink

	conn      *net.UDPConn
	remote    netip.AddrPort
	buf       []byte // marshalled packet
	enc       []byte // encrypted packet (SRTP)
	hdr       rtp.Header
	seq       uint16
	tsBase    uint32
	started   bool
	srtpCtx   *srtp.Context
	via       *Src
	clockRate int
	codec     string // encoding name of the input, for rtcp's quality estimate
	keys      *Keys
	log       *slog.Logger
	ptime     time.Duration
	events    eventSender
	evbuf     [eventSize]byte

	sent, bytes, sendErrors, skipped atomic.Uint64
	payloadBytes                     atomic.Uint64
	lastTS                           atomic.Uint32 // RTP timestamp of the last packet sent
	lastAt                           atomic.Int64  // pipeline.Now when it was sent
	ended                            atomic.Bool
	muted                            atomic.Bool // peer wants no media (hold): frames are not sent
	ssrcNow                          atomic.Uint32
}

// SenderInfo is what an RTCP sender report says about a stream.
type SenderInfo struct {
	SSRC         uint32
	Packets      uint32
	PayloadBytes uint32
	LastTS       uint32        // RTP timestamp of the last packet
	LastAt       time.Duration // when it was sent, on the pipeline.Now clock
	ClockRate    int
}

// Sender returns the counters for a sender report; ok is false before the
// first packet.
func (s *Sink) Sender() (SenderInfo, bool) {
	n := s.sent.Load()
	return SenderInfo{SSRC: s.ssrcNow.Load(), Packets: uint32(n), PayloadBytes: uint32(s.payloadBytes.Load()),
		LastTS: s.lastTS.Load(), LastAt: time.Duration(s.lastAt.Load()), ClockRate: s.clockRate}, n > 0
}

// SetMuted stops (true) or resumes sending, for a peer that asked for no
// media (RFC 3264 hold). Sequence numbers continue where they stopped (a hold
// is not loss) while timestamps keep the time that passed. Safe from any goroutine.
func (s *Sink) SetMuted(muted bool) { s.muted.Store(muted) }

// Ended reports whether the sink's input has ended.
func (s *Sink) Ended() bool { return s.ended.Load() }

// EndOfStream records the end of the input.
func (s *Sink) EndOfStream(int, *pipeline.Output) error {
	s.ended.Store(true)
	return nil
}

func init() {
	in := []pipeline.PortInfo{{Name: "in", Caps: pipeline.EncodedCaps, Doc: "encoded frames (from encode)"}}
	pipeline.Register(pipeline.ElementInfo{
		Name:    "rtp-sink",
		Summary: "sends RTP over UDP",
		Doc: "Sends each encoded frame as one RTP packet. The sink sets SSRC, sequence numbers (continuous, whatever the input) " +
			"and timestamps (random base plus the frame's own timestamp, so silence gaps are kept); the marker bit is passed through. " +
			"Frames flagged missing are not sent.",
		Inputs: in,
		New:    func() pipeline.Element { return &Sink{} },
	})
	pipeline.Register(pipeline.ElementInfo{
		Name:    "srtp-sink",
		Summary: "encrypts and sends SRTP over UDP",
		Doc:     "rtp-sink with SRTP (pion/srtp/v3) and a required key. Keys are SDES inline: parameters as SIP carries them in a=crypto.",
		Inputs:  in,
		New:     func() pipeline.Element { return &Sink{requireKey: true} },
	})
}

// Negotiate checks the addresses.
func (s *Sink) Negotiate(n *pipeline.Negotiation) error {
	s.remote = netip.AddrPort{}
	switch {
	case s.Remote != "":
		r, err := netip.ParseAddrPort(s.Remote)
		if err != nil || r.Port() == 0 {
			return fmt.Errorf("remote %q: want host:port with a numeric IP and a port (e.g. 127.0.0.1:40000)", s.Remote)
		}
		s.remote = r
	case s.Via == "":
		return errors.New("remote is required (remote=HOST:PORT), or via=RTP-SRC for symmetric RTP")
	}
	if s.Via != "" && s.Local != "" {
		return errors.New("set local or via, not both: with via the sink sends from the rtp-src's socket")
	}
	if s.Local != "" {
		if _, err := netip.ParseAddrPort(s.Local); err != nil {
			return fmt.Errorf("local %q: want host:port with a numeric IP: %v", s.Local, err)
		}
	}
	if s.PT < -1 || s.PT > 127 {
		return fmt.Errorf("pt %d out of range 0..127", s.PT)
	}
	if s.EventPT < -1 || s.EventPT > 127 || s.EventPT >= 0 && s.EventPT == s.PT {
		return fmt.Errorf("event-pt %d: want -1 (none) or a payload type 0..127 other than pt", s.EventPT)
	}
	s.ptime = n.PTime
	s.log = n.Logger
	s.clockRate = n.In[0].Rate
	s.codec = n.In[0].Codec
	k, err := s.Security.keys(s.requireKey, "rtp-sink")
	s.keys = k
	return err
}

// Start creates the SRTP context if keyed, opens the socket and picks SSRC
// and timestamp base.
func (s *Sink) Start(_ context.Context, in *pipeline.Injector) error {
	var err error
	s.via = nil
	if s.Via != "" {
		if s.via, err = peer[*Src](in, "via", s.Via, "an rtp-src or srtp-src"); err != nil {
			return err
		}
	}
	if s.srtpCtx, err = s.keys.context(); err != nil {
		return err
	}
	if s.via == nil {
		var laddr *net.UDPAddr
		if s.Local != "" {
			laddr = net.UDPAddrFromAddrPort(netip.MustParseAddrPort(s.Local))
		}
		conn, err := net.ListenUDP("udp", laddr)
		if err != nil {
			return fmt.Errorf("rtp-sink socket: %w", err)
		}
		s.conn = conn
	}
	var r [8]byte
	if _, err := rand.Read(r[:]); err != nil {
		return err
	}
	if s.SSRC == 0 {
		s.SSRC = binary.BigEndian.Uint32(r[:4]) | 1
	}
	s.seq = binary.BigEndian.Uint16(r[4:6])
	s.tsBase = binary.BigEndian.Uint32(r[4:8])
	s.ssrcNow.Store(s.SSRC)
	s.buf = make([]byte, 0, maxPacket)
	s.enc = make([]byte, 0, maxPacket+32)
	s.log.Info("sending RTP", "remote", s.remote.String(), "via", s.Via, "ssrc", s.SSRC, "srtp", s.srtpCtx != nil)
	return nil
}

// Stop closes the socket.
func (s *Sink) Stop() error {
	if s.conn == nil {
		return nil
	}
	err := s.conn.Close()
	s.conn = nil
	return err
}

// LocalAddr is the address packets are sent from (valid after Start).
func (s *Sink) LocalAddr() netip.AddrPort {
	if s.via != nil {
		return s.via.LocalAddr()
	}
	return s.conn.LocalAddr().(*net.UDPAddr).AddrPort()
}

// SSRCValue is the SSRC in use (valid after Start).
func (s *Sink) SSRCValue() uint32 { return s.SSRC }

// Process sends the frame as one packet.
func (s *Sink) Process(_ int, f *pipeline.Frame, out *pipeline.Output) error {
	if f.Flags&pipeline.FlagMissing != 0 || len(f.Payload) == 0 || s.muted.Load() || s.EventPT >= 0 && s.events.active {
		s.skipped.Add(1)
		f.Release()
		return nil
	}
	h := &s.hdr
	h.PayloadType = f.RTP.PayloadType
	if s.PT >= 0 && f.RTP.PayloadType == f.Format.PayloadType {
		// Only the media's own payload type is renumbered: comfort-noise
		// packets from encode dtx=true keep theirs.
		h.PayloadType = uint8(s.PT)
	}
	h.Timestamp = s.tsBase + f.RTP.Timestamp
	h.Marker = f.RTP.Marker || !s.started
	if h.MarshalSize()+len(f.Payload) > maxPacket {
		s.sendErrors.Add(1)
		out.Drop(f)
		return nil
	}
	sentAt, err := s.write(f.Payload)
	if sentAt > 0 {
		out.Sent(f, sentAt)
	}
	f.Release()
	return err
}

// write sends one packet with s.hdr's payload type, timestamp and marker
// (SSRC and sequence number are set here). It returns when the packet went
// out (pipeline.Now), or 0 when it did not.
func (s *Sink) write(payload []byte) (time.Duration, error) {
	h := &s.hdr
	h.Version = 2
	h.SequenceNumber = s.seq
	h.SSRC = s.SSRC
	s.started = true
	s.seq++
	pkt := s.buf[:h.MarshalSize()+len(payload)]
	n, err := h.MarshalTo(pkt)
	if err != nil {
		return 0, fmt.Errorf("marshal RTP header: %w", err)
	}
	copy(pkt[n:], payload)
	if s.srtpCtx != nil {
		enc, err := s.srtpCtx.EncryptRTP(s.enc[:0], pkt, h)
		if err != nil {
			return 0, fmt.Errorf("srtp encrypt: %w", err)
		}
		pkt = enc
	}
	conn, dst := s.conn, s.remote
	if s.via != nil {
		conn = s.via.conn // set in its Start, which ran before any tick
		if learned, ok := s.via.Remote(); ok {
			dst = learned
		}
	}
	if conn == nil || !dst.IsValid() {
		s.skipped.Add(1) // symmetric RTP with nothing heard yet: no destination
		return 0, nil
	}
	if _, err := conn.WriteToUDPAddrPort(pkt, dst); err != nil {
		// A send error (ICMP unreachable, full buffer) loses this packet, not the call.
		s.sendErrors.Add(1)
		return 0, nil
	}
	s.lastTS.Store(h.Timestamp)
	now := pipeline.Now()
	s.lastAt.Store(int64(now))
	s.payloadBytes.Add(uint64(len(payload)))
	s.sent.Add(1)
	s.bytes.Add(uint64(len(pkt)))
	return now, nil
}

// SendEvent queues a telephone-event update to send (RFC 4733). An update
// without End starts an event that lasts until an update with End for the
// same code arrives (relaying a peer's key press as it happens); an update
// with End and nothing in progress sends a whole event of that Duration.
// Events are sent one after the other, an update every ptime and the end
// three times; audio is held back meanwhile. Safe from any goroutine.
func (s *Sink) SendEvent(e Event) error {
	if s.EventPT < 0 {
		return ErrNoEvents
	}
	if e.Code > maxEventCode {
		return fmt.Errorf("rtp-sink: event code %d out of range 0..%d", e.Code, maxEventCode)
	}
	s.events.add(e)
	return nil
}

// Tick sends the telephone-event packet due, if any.
func (s *Sink) Tick(out *pipeline.Output) error {
	if s.EventPT < 0 || !s.events.busy() {
		return nil
	}
	now := pipeline.Now()
	ts := s.tsBase
	if s.started { // the stream's timestamp now: the last one plus the time since
		ts = s.lastTS.Load() + uint32((now-time.Duration(s.lastAt.Load()))*time.Duration(s.clockRate)/time.Second)
	}
	evTS, marker, ok := s.events.next(s.evbuf[:], now, s.ptime, ts, s.clockRate)
	if !ok || s.muted.Load() {
		return nil
	}
	h := &s.hdr
	h.PayloadType, h.Timestamp, h.Marker = uint8(s.EventPT), evTS, marker
	_, err := s.write(s.evbuf[:])
	return err
}

// Realtime: a network sender runs at wall-clock pace.
func (s *Sink) Realtime() bool { return true }

// Stats reports packet counters.
func (s *Sink) Stats() []pipeline.Stat {
	return []pipeline.Stat{
		{Name: "packets", Value: float64(s.sent.Load())},
		{Name: "bytes", Value: float64(s.bytes.Load())},
		{Name: "send_errors", Value: float64(s.sendErrors.Load())},
		{Name: "not_sent", Value: float64(s.skipped.Load())},
	}
}

func (s *Sink) String() string {
	if s.keys != nil {
		return fmt.Sprintf("srtp-sink remote=%s ssrc=%d profile=%s", s.Remote, s.SSRC, s.Profile)
	}
	return fmt.Sprintf("rtp-sink remote=%s ssrc=%d", s.Remote, s.SSRC)
}
