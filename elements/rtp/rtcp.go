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
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/srtp/v3"
	"github.com/voxgraph/voxgraph/dsp/quality"
	"github.com/voxgraph/voxgraph/pipeline"
)

// RTCP runs the control protocol for one RTP session (RFC 3550 §6): every
// interval it sends a sender report (when the session's rtp-sink has sent
// media) or a receiver report, with a reception report block for the
// session's rtp-src and an SDES CNAME; it reads the peer's reports to learn
// the round-trip time (from LSR/DLSR) and the loss and jitter the peer sees.
// It has no media ports: it names its rtp-sink and rtp-src and reads their
// counters. When they have ended it sends BYE and ends.
type RTCP struct {
	pipeline.NoInput

	Listen   string        `prop:"listen" default:"127.0.0.1:0" doc:"local UDP address for RTCP (conventionally the RTP port + 1)"`
	Remote   string        `prop:"remote" default:"" doc:"peer's RTCP address; empty: reply to where the peer's RTCP comes from"`
	Sender   string        `prop:"sender" default:"" doc:"name of this session's rtp-sink or srtp-sink (for sender reports)"`
	Receiver string        `prop:"receiver" default:"" doc:"name of this session's rtp-src or srtp-src (for reception report blocks)"`
	Interval time.Duration `prop:"interval" default:"5s" doc:"report interval (RFC 3550 recommends 5 s)"`
	CNAME    string        `prop:"cname" default:"voxgraph" doc:"canonical name sent in SDES"`
	PeerPLC  bool          `prop:"peer-plc" default:"true" doc:"call quality (r_factor, mos): assume the peer conceals lost packets (G.113's Bpl with PLC) rather than playing silence"`
	Security

	keys     *Keys
	srtpCtx  *srtp.Context
	conn     *net.UDPConn
	remote   atomic.Pointer[netip.AddrPort]
	sink     *Sink
	src      *Src
	ssrc     uint32 // ours when we only receive
	next     time.Duration
	log      *slog.Logger
	wg       sync.WaitGroup
	buf      []byte
	enc      []byte
	byeSent  bool
	listenAP netip.AddrPort
	codec    quality.Codec // of the stream we send, for the peer's view of quality
	ptime    time.Duration

	mu        sync.Mutex
	lsr       map[uint32]lastSR // SRs from the peer, by their SSRC
	summary   Summary
	sentSR    atomic.Uint64
	sentRR    atomic.Uint64
	received  atomic.Uint64
	malformed atomic.Uint64
}

type lastSR struct {
	ntpMiddle uint32
	at        time.Duration
}

// Summary is what RTCP has learned about the session.
type Summary struct {
	RTT                  time.Duration // round-trip time from the peer's last report on our stream
	RemoteFractionLost   float64       // loss the peer reports for our stream, 0..1
	RemoteCumulativeLost int32
	RemoteJitter         time.Duration // jitter the peer reports for our stream
	LocalFractionLost    float64       // loss we measured on the peer's stream in the last interval
	LocalCumulativeLost  int32
	LocalJitter          time.Duration
	PeerReports          uint64
	// RFactor and MOS rate our stream as the peer hears it (E-model, ITU-T
	// G.107, dsp/quality), from its last report: the loss fraction it
	// reports (as random loss: a report block carries no loss pattern),
	// a mouth-to-ear delay of RTT/2 + a jitter buffer of 3·jitter + ptime +
	// ptime + the codec's look-ahead, and our codec. 0 until a report.
	RFactor float64
	MOS     float64
}

func init() {
	pipeline.Register(pipeline.ElementInfo{
		Name:    "rtcp",
		Summary: "RTCP sender/receiver reports: loss, jitter, round-trip time",
		Doc: "Runs RTCP for the session formed by the rtp-sink named by `sender` and the rtp-src named by `receiver` (either may be omitted). " +
			"Sends SR or RR with SDES every `interval`, reads the peer's reports, and exposes round-trip time, the loss and jitter the peer reports " +
			"and the loss and jitter measured locally (RFC 3550 A.3, A.8) in its stats, with `r_factor` and `mos`: the ITU-T G.107 E-model rating " +
			"of our stream as the peer hears it (its reported loss and jitter, RTT/2, our codec). With `key` it uses SRTCP. Sends BYE when the session's streams end.",
		New: func() pipeline.Element { return &RTCP{} },
	})
}

// Negotiate checks the settings.
func (r *RTCP) Negotiate(n *pipeline.Negotiation) error {
	if r.Sender == "" && r.Receiver == "" {
		return errors.New("name the session's rtp-sink (sender=NAME) and/or rtp-src (receiver=NAME)")
	}
	if r.Interval < 100*time.Millisecond {
		return fmt.Errorf("interval %s too short (at least 100ms)", r.Interval)
	}
	ap, err := netip.ParseAddrPort(r.Listen)
	if err != nil {
		return fmt.Errorf("listen %q: want host:port with a numeric IP: %v", r.Listen, err)
	}
	r.listenAP = ap
	if r.Remote != "" {
		rem, err := netip.ParseAddrPort(r.Remote)
		if err != nil || rem.Port() == 0 {
			return fmt.Errorf("remote %q: want host:port with a numeric IP and a port", r.Remote)
		}
		r.remote.Store(&rem)
	}
	k, err := r.Security.keys(false, "")
	if err != nil {
		return err
	}
	r.keys = k
	r.log = n.Logger
	return nil
}

// setCodec picks the E-model values of the stream the peer reports on:
// the one our rtp-sink sends, else (no sink) the one we receive; an
// unknown codec is rated as G.711.
func (r *RTCP) setCodec() {
	name, ptime := "PCMU", 20*time.Millisecond
	switch {
	case r.sink != nil:
		name, ptime = r.sink.codec, r.sink.ptime
	case r.src != nil:
		name, ptime = r.src.format.Codec, r.src.format.PTime
	}
	c, ok := quality.LookupCodec(name)
	if !ok {
		c, _ = quality.LookupCodec("PCMU")
		c.Name = name
	}
	r.codec, r.ptime = c, ptime
}

// Start finds the session's elements, opens the socket and starts reading.
func (r *RTCP) Start(_ context.Context, in *pipeline.Injector) error {
	var err error
	if r.Sender != "" {
		if r.sink, err = peer[*Sink](in, "sender", r.Sender, "an rtp-sink or srtp-sink"); err != nil {
			return err
		}
	}
	if r.Receiver != "" {
		if r.src, err = peer[*Src](in, "receiver", r.Receiver, "an rtp-src or srtp-src"); err != nil {
			return err
		}
	}
	r.setCodec()
	if r.srtpCtx, err = r.keys.context(); err != nil {
		return err
	}
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(r.listenAP))
	if err != nil {
		return fmt.Errorf("rtcp listen %s: %w", r.Listen, err)
	}
	r.conn = conn
	var b [4]byte
	rand.Read(b[:])
	r.ssrc = binary.BigEndian.Uint32(b[:]) | 1
	r.lsr = map[uint32]lastSR{}
	r.buf = make([]byte, 1500)
	r.enc = make([]byte, 0, 1600)
	r.next = pipeline.Now() + r.Interval/2 // first report early, as RFC 3550 allows
	r.wg.Add(1)
	go r.read()
	return nil
}

// LocalAddr is the bound RTCP address (valid after Start).
func (r *RTCP) LocalAddr() netip.AddrPort { return r.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

// Stop closes the socket and waits for the reader.
func (r *RTCP) Stop() error {
	if r.conn == nil {
		return nil
	}
	err := r.conn.Close()
	r.wg.Wait()
	r.conn = nil
	return err
}

// Realtime: RTCP runs on wall-clock time.
func (r *RTCP) Realtime() bool { return true }

// Tick sends a report when one is due, and BYE when the session has ended.
func (r *RTCP) Tick(out *pipeline.Output) error {
	ended := (r.sink == nil || r.sink.Ended()) && (r.src == nil || r.src.Ended())
	if ended {
		if !r.byeSent {
			r.byeSent = true
			r.send(true)
		}
		out.EndOfStream()
		return nil
	}
	if now := out.Now(); now >= r.next {
		r.next = now + r.Interval
		r.send(false)
	}
	return nil
}

func (r *RTCP) ourSSRC() uint32 {
	if r.sink != nil {
		if info, ok := r.sink.Sender(); ok {
			return info.SSRC
		}
	}
	return r.ssrc
}

// send builds and sends one compound packet: SR or RR, SDES, and BYE when bye.
func (r *RTCP) send(bye bool) {
	dst := r.remote.Load()
	if dst == nil {
		return // nowhere to send until the peer's RTCP arrives
	}
	ssrc := r.ourSSRC()
	var blocks []rtcp.ReceptionReport
	if r.src != nil {
		if rep, ok := r.src.Reception(); ok {
			blk := rtcp.ReceptionReport{SSRC: rep.SSRC, FractionLost: rep.FractionLost, TotalLost: uint32(rep.CumulativeLost) & 0xffffff,
				LastSequenceNumber: rep.HighestSeq, Jitter: rep.Jitter}
			r.mu.Lock()
			if l, ok := r.lsr[rep.SSRC]; ok {
				blk.LastSenderReport = l.ntpMiddle
				blk.Delay = uint32((pipeline.Now() - l.at) * 65536 / time.Second)
			}
			r.summary.LocalFractionLost = float64(rep.FractionLost) / 256
			r.summary.LocalCumulativeLost = rep.CumulativeLost
			r.summary.LocalJitter = rep.JitterTime
			r.mu.Unlock()
			blocks = append(blocks, blk)
		}
	}
	var pkts []rtcp.Packet
	if info, ok := r.sinkInfo(); ok {
		now := time.Now()
		rtpTS := info.LastTS + uint32((pipeline.Now()-info.LastAt)*time.Duration(info.ClockRate)/time.Second)
		pkts = append(pkts, &rtcp.SenderReport{SSRC: ssrc, NTPTime: ntpTime(now), RTPTime: rtpTS,
			PacketCount: info.Packets, OctetCount: info.PayloadBytes, Reports: blocks})
		r.sentSR.Add(1)
	} else {
		pkts = append(pkts, &rtcp.ReceiverReport{SSRC: ssrc, Reports: blocks})
		r.sentRR.Add(1)
	}
	pkts = append(pkts, &rtcp.SourceDescription{Chunks: []rtcp.SourceDescriptionChunk{{
		Source: ssrc, Items: []rtcp.SourceDescriptionItem{{Type: rtcp.SDESCNAME, Text: r.CNAME}}}}})
	if bye {
		pkts = append(pkts, &rtcp.Goodbye{Sources: []uint32{ssrc}})
	}
	raw, err := rtcp.Marshal(pkts)
	if err != nil {
		r.log.Warn("rtcp marshal", "err", err)
		return
	}
	if r.srtpCtx != nil {
		if raw, err = r.srtpCtx.EncryptRTCP(r.enc[:0], raw, nil); err != nil {
			r.log.Warn("srtcp encrypt", "err", err)
			return
		}
	}
	if _, err := r.conn.WriteToUDPAddrPort(raw, *dst); err != nil {
		r.log.Debug("rtcp send", "err", err)
	}
}

func (r *RTCP) sinkInfo() (SenderInfo, bool) {
	if r.sink == nil {
		return SenderInfo{}, false
	}
	return r.sink.Sender()
}

func (r *RTCP) read() {
	defer r.wg.Done()
	buf := make([]byte, 1500)
	for {
		n, from, err := r.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		pkt := buf[:n]
		if r.srtpCtx != nil {
			dec, err := r.srtpCtx.DecryptRTCP(r.buf[:0], pkt, nil)
			if err != nil {
				r.malformed.Add(1)
				continue
			}
			pkt = dec
		}
		pkts, err := rtcp.Unmarshal(pkt)
		if err != nil {
			r.malformed.Add(1)
			continue
		}
		if r.remote.Load() == nil {
			r.remote.Store(&from)
		}
		r.received.Add(1)
		r.handle(pkts, pipeline.Now())
	}
}

func (r *RTCP) handle(pkts []rtcp.Packet, at time.Duration) {
	ours := r.ourSSRC()
	r.mu.Lock()
	defer r.mu.Unlock()
	var blocks []rtcp.ReceptionReport
	for _, p := range pkts {
		switch p := p.(type) {
		case *rtcp.SenderReport:
			r.lsr[p.SSRC] = lastSR{ntpMiddle: uint32(p.NTPTime >> 16), at: at}
			blocks = append(blocks, p.Reports...)
		case *rtcp.ReceiverReport:
			blocks = append(blocks, p.Reports...)
		}
	}
	for _, b := range blocks {
		if b.SSRC != ours {
			continue
		}
		r.summary.PeerReports++
		r.summary.RemoteFractionLost = float64(b.FractionLost) / 256
		r.summary.RemoteCumulativeLost = int32(b.TotalLost<<8) >> 8 // sign-extend 24 bits
		if r.sink != nil && r.sink.clockRate > 0 {
			r.summary.RemoteJitter = time.Duration(b.Jitter) * time.Second / time.Duration(r.sink.clockRate)
		} else if r.src != nil && r.src.format.Rate > 0 {
			r.summary.RemoteJitter = time.Duration(b.Jitter) * time.Second / time.Duration(r.src.format.Rate)
		}
		if b.LastSenderReport != 0 {
			// RTT = arrival - LSR - DLSR, all in NTP short format (RFC 3550 §6.4.1).
			now := uint32(ntpTime(time.Now()) >> 16)
			rtt := now - b.LastSenderReport - b.Delay
			if rtt < 1<<31 {
				r.summary.RTT = time.Duration(rtt) * time.Second / 65536
			}
		}
		r.rateLocked()
	}
}

// rateLocked updates the peer's view of our stream's quality from the
// summary (r.mu held).
func (r *RTCP) rateLocked() {
	s := &r.summary
	call := quality.Call{Codec: r.codec, PLC: r.PeerPLC, PTime: r.ptime, RTT: s.RTT, Jitter: s.RemoteJitter,
		LossPercent: 100 * s.RemoteFractionLost}
	if q, err := call.Rate(); err == nil {
		s.RFactor, s.MOS = q.R, q.MOS
	}
}

// Report returns what RTCP has learned so far ("passed to whoever asks").
func (r *RTCP) Report() Summary {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.summary
}

// Stats reports the session's quality figures.
func (r *RTCP) Stats() []pipeline.Stat {
	s := r.Report()
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	return []pipeline.Stat{
		{Name: "rtt", Value: ms(s.RTT), Unit: "ms"},
		{Name: "remote_loss", Value: 100 * s.RemoteFractionLost, Unit: "%"},
		{Name: "remote_lost", Value: float64(s.RemoteCumulativeLost)},
		{Name: "remote_jitter", Value: ms(s.RemoteJitter), Unit: "ms"},
		{Name: "local_loss", Value: 100 * s.LocalFractionLost, Unit: "%"},
		{Name: "local_lost", Value: float64(s.LocalCumulativeLost)},
		{Name: "local_jitter", Value: ms(s.LocalJitter), Unit: "ms"},
		{Name: "r_factor", Value: s.RFactor},
		{Name: "mos", Value: s.MOS},
		{Name: "sr_sent", Value: float64(r.sentSR.Load())},
		{Name: "rr_sent", Value: float64(r.sentRR.Load())},
		{Name: "received", Value: float64(r.received.Load())},
		{Name: "malformed", Value: float64(r.malformed.Load())},
	}
}

func (r *RTCP) String() string {
	return fmt.Sprintf("rtcp listen=%s sender=%s receiver=%s", r.Listen, r.Sender, r.Receiver)
}

// ntpTime converts a wall-clock time to the 64-bit NTP format.
func ntpTime(t time.Time) uint64 {
	const ntpEpochOffset = 2208988800 // seconds from 1900 to 1970
	secs := uint64(t.Unix()) + ntpEpochOffset
	frac := uint64(t.Nanosecond()) << 32 / uint64(time.Second)
	return secs<<32 | frac
}
