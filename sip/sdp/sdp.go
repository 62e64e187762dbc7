package sdp

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors. Errors returned by this package wrap one of them with
// context; test with errors.Is.
var (
	// ErrBadSDP means the SDP is malformed or unusable as a whole (SIP 400).
	ErrBadSDP = errors.New("malformed SDP")
	// ErrNoAudio means the offer has no usable audio stream (SIP 488).
	ErrNoAudio = errors.New("no usable audio stream")
	// ErrNoCommonCodec means no offered codec is one we accept (SIP 488).
	ErrNoCommonCodec = errors.New("no common codec")
	// ErrSRTPRequired means SRTP is required (by our policy or by an offer
	// on RTP/SAVP) but the other side offered or answered no crypto (SIP 488).
	ErrSRTPRequired = errors.New("SRTP required")
	// ErrNoCommonCrypto means SRTP must be used but no crypto line has a
	// suite we accept and a valid key (SIP 488).
	ErrNoCommonCrypto = errors.New("no usable SRTP crypto")
	// ErrBadAnswer means an answer does not fit our offer (RFC 3264 §6).
	ErrBadAnswer = errors.New("answer does not match the offer")
	// ErrRejected means the answerer rejected our audio stream (port 0).
	ErrRejected = errors.New("audio stream rejected")
	// ErrBadParams means offer or answer parameters are invalid (our
	// configuration, not the peer's SDP).
	ErrBadParams = errors.New("invalid SDP parameters")
)

// MaxSize is the largest SDP body Parse accepts.
const MaxSize = 64 << 10

// defaultPTime is the packetisation assumed when neither side says (RFC 3551).
const defaultPTime = 20 * time.Millisecond

// ptime bounds: a=ptime outside them is ignored as absurd.
const (
	minPTime = time.Millisecond
	maxPTime = 300 * time.Millisecond
)

// Codec is one payload format of an audio stream, as SDP describes it.
type Codec struct {
	Name      string // encoding name: the registry's for our codecs, else as written (a=rtpmap)
	PT        uint8  // RTP payload type
	ClockRate int    // RTP clock rate in Hz
	Channels  int    // 1 unless rtpmap says otherwise
	Fmtp      string // a=fmtp parameters, "" if none
}

// String renders the codec like rtpmap plus the payload type, e.g.
// "PCMU/8000 pt=0" or "opus/48000/2 pt=111".
func (c Codec) String() string {
	return rtpmap(c) + " pt=" + strconv.Itoa(int(c.PT))
}

// rtpmap returns "name/clock[/channels]".
func rtpmap(c Codec) string {
	s := c.Name + "/" + strconv.Itoa(c.ClockRate)
	if c.Channels > 1 {
		s += "/" + strconv.Itoa(c.Channels)
	}
	return s
}

// same reports whether a and b are the same codec: name (case-insensitive),
// clock rate and channels. Payload types and fmtp are not compared.
func same(a, b Codec) bool {
	return strings.EqualFold(a.Name, b.Name) && a.ClockRate == b.ClockRate && max(a.Channels, 1) == max(b.Channels, 1)
}

// telephoneEvent is the RFC 4733 encoding name.
const telephoneEvent = "telephone-event"

// Crypto is one SDES a=crypto line (RFC 4568).
type Crypto struct {
	Tag    int    // identifies the line; an answer echoes the offer's tag
	Suite  string // crypto suite, e.g. "AES_CM_128_HMAC_SHA1_80"
	Key    string // key parameters, "inline:BASE64[|lifetime]"
	Params string // session parameters after the key, e.g. "WSH=64"; usually ""
}

// String renders the line without its key: keys must not reach logs.
func (c Crypto) String() string {
	s := strconv.Itoa(c.Tag) + " " + c.Suite + " inline:…"
	if c.Params != "" {
		s += " " + c.Params
	}
	return s
}

// Direction is a stream's media direction attribute (RFC 3264 §5.1), from the
// point of view of the side that wrote the SDP. The zero value is SendRecv,
// the default when SDP names none.
type Direction uint8

// Directions.
const (
	SendRecv Direction = iota
	SendOnly
	RecvOnly
	Inactive
)

var directionNames = [...]string{"sendrecv", "sendonly", "recvonly", "inactive"}

// String returns the SDP attribute name, e.g. "sendonly".
func (d Direction) String() string {
	if int(d) < len(directionNames) {
		return directionNames[d]
	}
	return "direction(" + strconv.Itoa(int(d)) + ")"
}

// ParseDirection parses an SDP direction attribute name.
func ParseDirection(s string) (Direction, bool) {
	for i, n := range directionNames {
		if s == n {
			return Direction(i), true
		}
	}
	return 0, false
}

// Sends reports whether the side with this direction sends media.
func (d Direction) Sends() bool { return d == SendRecv || d == SendOnly }

// Receives reports whether the side with this direction receives media.
func (d Direction) Receives() bool { return d == SendRecv || d == RecvOnly }

// Reverse is the direction seen from the other side: sendonly ↔ recvonly;
// sendrecv and inactive stay as they are.
func (d Direction) Reverse() Direction { return directionOf(d.Receives(), d.Sends()) }

// intersect is the direction that both d and e allow.
func (d Direction) intersect(e Direction) Direction {
	return directionOf(d.Sends() && e.Sends(), d.Receives() && e.Receives())
}

func directionOf(send, recv bool) Direction {
	switch {
	case send && recv:
		return SendRecv
	case send:
		return SendOnly
	case recv:
		return RecvOnly
	}
	return Inactive
}

// Media is the audio stream of a session description, with its payload
// types resolved.
type Media struct {
	Addr     netip.Addr // connection address (media-level c=, else session-level)
	Port     int        // RTP port
	RTCPAddr netip.Addr // a=rtcp address, else Addr
	RTCPPort int        // a=rtcp port, else Port+1 (0 if Port is 65535)
	Proto    string     // "RTP/AVP" or "RTP/SAVP"
	Secure   bool       // Proto is RTP/SAVP: SRTP is mandatory

	// Codecs lists the payload formats in m-line order, telephone-event
	// excluded. Static payload types without a=rtpmap are resolved by the
	// RFC 3551 table, then by codecs.Default; payload types that cannot be
	// resolved are left out.
	Codecs []Codec
	// TelephoneEvents lists the RFC 4733 telephone-event formats, one per
	// clock rate in practice (8000 for G.711/G.722, 48000 for Opus).
	TelephoneEvents []Codec

	PTime     time.Duration // a=ptime; 0 if absent or absurd
	Direction Direction     // effective direction, see NullAddr
	// NullAddr reports an RFC 2543 hold: the connection address was 0.0.0.0
	// (or ::). Direction has then lost its receive half: sendrecv reads as
	// sendonly and recvonly as inactive.
	NullAddr bool
	Crypto   []Crypto // a=crypto lines, in SDP order
}

// TelephoneEvent returns the telephone-event format at clockRate, or nil.
func (m *Media) TelephoneEvent(clockRate int) *Codec {
	for i := range m.TelephoneEvents {
		if m.TelephoneEvents[i].ClockRate == clockRate {
			c := m.TelephoneEvents[i]
			return &c
		}
	}
	return nil
}

// RTP is the address the stream's RTP goes to.
func (m *Media) RTP() netip.AddrPort { return netip.AddrPortFrom(m.Addr, uint16(m.Port)) }

// RTCP is the address the stream's RTCP goes to (invalid if unknown).
func (m *Media) RTCP() netip.AddrPort {
	if m.RTCPPort == 0 {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(m.RTCPAddr, uint16(m.RTCPPort))
}

// String describes the stream in one line, without keys.
func (m *Media) String() string {
	var b strings.Builder
	b.WriteString(m.RTP().String())
	b.WriteString(" " + m.Proto + " [")
	for i, c := range m.Codecs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c.String())
	}
	for _, c := range m.TelephoneEvents {
		b.WriteString(", " + c.String())
	}
	b.WriteString("] " + m.Direction.String())
	if m.NullAddr {
		b.WriteString(" (c=" + m.Addr.String() + ")")
	}
	if m.PTime > 0 {
		b.WriteString(" ptime=" + m.PTime.String())
	}
	if len(m.Crypto) > 0 {
		b.WriteString(" crypto=")
		for i, c := range m.Crypto {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(c.Suite)
		}
	}
	return b.String()
}

// Stream is one m-line as written, whether or not this package uses it; an
// answer rejects every stream but the audio one by echoing it with port 0.
type Stream struct {
	Media   string   // "audio", "video", "image", …
	Port    int      // 0: disabled
	Proto   string   // "RTP/AVP", "udptl", …
	Formats []string // the m-line's formats
}

// Session is a parsed session description.
type Session struct {
	Username string     // o= username ("-" if none)
	ID       uint64     // o= session id
	Version  uint64     // o= session version: a re-offer with changes increments it
	Origin   netip.Addr // o= address; invalid when it is not an IP literal

	// Streams holds every m-line in order.
	Streams []Stream
	// Audio is the first usable audio stream (m=audio, port ≠ 0, RTP/AVP or
	// RTP/SAVP), nil if there is none; Streams[AudioIndex] is its m-line.
	Audio      *Media
	AudioIndex int // -1 without Audio
}

// IsHold reports whether the writer of this SDP has put the call on hold: its
// audio stream is sendonly or inactive, by attribute or by c=0.0.0.0.
func (s *Session) IsHold() bool {
	return s.Audio != nil && !s.Audio.Direction.Receives()
}

// String describes the session in one line, without keys.
func (s *Session) String() string {
	out := fmt.Sprintf("sdp o=%d/%d", s.ID, s.Version)
	if s.Audio != nil {
		out += " audio " + s.Audio.String()
	} else {
		out += " no audio"
	}
	if n := len(s.Streams); n > 1 || n == 1 && s.Audio == nil {
		out += fmt.Sprintf(" (%d m-lines)", n)
	}
	return out
}
