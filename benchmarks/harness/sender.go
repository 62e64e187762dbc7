package harness

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/ipv4"
)

// batch is how many packets one sendmmsg/recvmmsg call carries.
const batch = 64

// Sender plays synthetic RTP streams over loopback UDP and drains what the
// graphs under test send back. Each stream sends one packet per ptime from
// its own SSRC, sequence and timestamp; streams are spread evenly over the
// period (stream i in millisecond slot i mod slots), as independent calls
// would be, rather than all at the top of the tick. Packets go out with
// sendmmsg and come back with recvmmsg, so the sender's own cost per
// packet stays small beside the graphs'.
type Sender struct {
	ptime time.Duration
	conn  *net.UDPConn
	out   *ipv4.PacketConn
	drain *net.UDPConn
	in    *ipv4.PacketConn

	mu     sync.Mutex
	slots  [][]*stream // by millisecond slot of the period
	nextAt int         // slot the next added stream goes to
	count  int

	sent, received, sendErrors, lateSlots atomic.Uint64
	paused                                atomic.Bool
	closed                                chan struct{}
	wg                                    sync.WaitGroup
}

type stream struct {
	dst  *net.UDPAddr
	loop *Loop
	ssrc uint32
	seq  uint16
	ts   uint32
	idx  int
}

// SenderStats are a Sender's counters since it started.
type SenderStats struct {
	Streams    int    `json:"streams"`
	Sent       uint64 `json:"sent"`        // packets sent to the graphs
	Received   uint64 `json:"received"`    // packets the drain received from them
	SendErrors uint64 `json:"send_errors"` // packets the kernel refused
	LateSlots  uint64 `json:"late_slots"`  // millisecond slots sent more than 2 ms late (the sender fell behind)
}

// NewSender binds the sending and draining sockets on addr's loopback
// (127.0.0.1 or ::1), the drain at port drainPort (0: any free port), and
// starts the clock and the drain reader.
func NewSender(addr netip.Addr, drainPort uint16, ptime time.Duration) (*Sender, error) {
	if !addr.IsLoopback() {
		return nil, fmt.Errorf("sender: %s is not a loopback address", addr)
	}
	if ptime < time.Millisecond || ptime%time.Millisecond != 0 {
		return nil, fmt.Errorf("sender: ptime %v is not a whole number of milliseconds", ptime)
	}
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(addr, 0)))
	if err != nil {
		return nil, fmt.Errorf("sender socket: %w", err)
	}
	drain, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(addr, drainPort)))
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("drain socket: %w", err)
	}
	_ = conn.SetWriteBuffer(4 << 20)
	_ = drain.SetReadBuffer(8 << 20)
	s := &Sender{ptime: ptime, conn: conn, out: ipv4.NewPacketConn(conn), drain: drain, in: ipv4.NewPacketConn(drain),
		slots: make([][]*stream, ptime/time.Millisecond), closed: make(chan struct{})}
	s.wg.Add(2)
	go s.clock()
	go s.read()
	return s, nil
}

// Drain is the address the graphs' sinks send to.
func (s *Sender) Drain() netip.AddrPort { return s.drain.LocalAddr().(*net.UDPAddr).AddrPort() }

// Add starts one stream to each destination, playing loop.
func (s *Sender) Add(loop *Loop, dsts ...netip.AddrPort) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range dsts {
		st := &stream{dst: net.UDPAddrFromAddrPort(d), loop: loop, ssrc: uint32(s.count)*2654435761 | 1}
		st.seq, st.ts, st.idx = streamStart(s.count, loop)
		s.slots[s.nextAt] = append(s.slots[s.nextAt], st)
		s.nextAt = (s.nextAt + 1) % len(s.slots)
		s.count++
	}
}

// Stats returns the counters.
func (s *Sender) Stats() SenderStats {
	s.mu.Lock()
	n := s.count
	s.mu.Unlock()
	return SenderStats{Streams: n, Sent: s.sent.Load(), Received: s.received.Load(), SendErrors: s.sendErrors.Load(), LateSlots: s.lateSlots.Load()}
}

// Pause stops (true) or resumes (false) sending; the drain goes on
// reading. A benchmark pauses at the end of a window and waits for what is
// in flight to come back, so that every packet sent is either returned or
// lost, with none on the way.
func (s *Sender) Pause(on bool) { s.paused.Store(on) }

// Close stops sending and draining and returns the final counters.
func (s *Sender) Close() SenderStats {
	select {
	case <-s.closed:
	default:
		close(s.closed)
		s.drain.Close()
		s.wg.Wait()
		s.conn.Close()
	}
	return s.Stats()
}

// clock sends each millisecond slot's streams at its time; a slot missed
// (the machine stalled) is sent late, and counted, rather than skipped.
func (s *Sender) clock() {
	defer s.wg.Done()
	msgs := make([]ipv4.Message, batch)
	bufs := make([][]byte, batch)
	for i := range msgs {
		bufs[i] = make([]byte, 1500)
		msgs[i].Buffers = [][]byte{nil}
	}
	start := time.Now()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for k := 0; ; k++ {
		due := start.Add(time.Duration(k) * time.Millisecond)
		if wait := time.Until(due); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-s.closed:
				return
			}
		} else {
			select {
			case <-s.closed:
				return
			default:
			}
			if -wait > 2*time.Millisecond {
				s.lateSlots.Add(1)
			}
		}
		if s.paused.Load() {
			continue
		}
		s.mu.Lock()
		list := s.slots[k%len(s.slots)]
		s.mu.Unlock()
		n := 0
		for _, st := range list {
			msgs[n].Buffers[0] = st.packet(bufs[n])
			msgs[n].Addr = st.dst
			n++
			if n == batch {
				s.send(msgs[:n])
				n = 0
			}
		}
		if n > 0 {
			s.send(msgs[:n])
		}
	}
}

func (s *Sender) send(msgs []ipv4.Message) {
	for len(msgs) > 0 {
		n, err := s.out.WriteBatch(msgs, 0)
		if n > 0 {
			s.sent.Add(uint64(n))
		}
		if err != nil {
			// The first message of the rest failed (a full buffer, an ICMP
			// error from a closed port): count it and go on with the others.
			s.sendErrors.Add(1)
			n++
		}
		msgs = msgs[min(n, len(msgs)):]
	}
}

// packet writes the stream's next RTP packet into buf and advances it.
func (st *stream) packet(buf []byte) []byte {
	p := st.loop.Payloads[st.idx]
	buf[0] = 0x80
	buf[1] = st.loop.Codec.PayloadType
	if st.idx == 0 {
		buf[1] |= 0x80 // the loop starts a talkspurt
	}
	binary.BigEndian.PutUint16(buf[2:], st.seq)
	binary.BigEndian.PutUint32(buf[4:], st.ts)
	binary.BigEndian.PutUint32(buf[8:], st.ssrc)
	n := 12 + copy(buf[12:], p)
	st.seq++
	st.ts += st.loop.Samples
	st.idx = (st.idx + 1) % len(st.loop.Payloads)
	return buf[:n]
}

func (s *Sender) read() {
	defer s.wg.Done()
	msgs := make([]ipv4.Message, batch)
	for i := range msgs {
		msgs[i].Buffers = [][]byte{make([]byte, 1500)}
	}
	for {
		n, err := s.in.ReadBatch(msgs, 0)
		if n > 0 {
			s.received.Add(uint64(n))
		}
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			select {
			case <-s.closed:
				return
			default:
			}
		}
	}
}
