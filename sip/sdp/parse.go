package sdp

import (
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	psdp "github.com/pion/sdp/v3"

	"github.com/voxgraph/voxgraph/codecs"
)

// staticPTs is RFC 3551 table 4: the audio payload types with a fixed
// meaning, used when an offer lists one without a=rtpmap.
var staticPTs = map[uint8]Codec{
	0:  {Name: "PCMU", ClockRate: 8000, Channels: 1},
	3:  {Name: "GSM", ClockRate: 8000, Channels: 1},
	4:  {Name: "G723", ClockRate: 8000, Channels: 1},
	5:  {Name: "DVI4", ClockRate: 8000, Channels: 1},
	6:  {Name: "DVI4", ClockRate: 16000, Channels: 1},
	7:  {Name: "LPC", ClockRate: 8000, Channels: 1},
	8:  {Name: "PCMA", ClockRate: 8000, Channels: 1},
	9:  {Name: "G722", ClockRate: 8000, Channels: 1},
	10: {Name: "L16", ClockRate: 44100, Channels: 2},
	11: {Name: "L16", ClockRate: 44100, Channels: 1},
	12: {Name: "QCELP", ClockRate: 8000, Channels: 1},
	13: {Name: "CN", ClockRate: 8000, Channels: 1},
	14: {Name: "MPA", ClockRate: 90000, Channels: 1},
	15: {Name: "G728", ClockRate: 8000, Channels: 1},
	16: {Name: "DVI4", ClockRate: 11025, Channels: 1},
	17: {Name: "DVI4", ClockRate: 22050, Channels: 1},
	18: {Name: "G729", ClockRate: 8000, Channels: 1},
}

// staticCodec resolves a payload type written without a=rtpmap.
func staticCodec(pt uint8) (Codec, bool) {
	if c, ok := staticPTs[pt]; ok {
		c.PT = pt
		return c, true
	}
	if f, ok := codecs.Default.ByPayloadType(pt); ok {
		return Codec{Name: f.Name, PT: pt, ClockRate: f.ClockRate, Channels: f.Channels}, true
	}
	return Codec{}, false
}

// pionMedia and pionProtos are what pion/sdp accepts in an m-line; other
// streams (m=image … udptl t38) would fail the whole parse, so they are
// masked before pion sees them and restored afterwards.
var (
	pionMedia  = []string{"audio", "video", "text", "application", "message"}
	pionProtos = []string{"UDP", "RTP", "AVP", "SAVP", "SAVPF", "TLS", "DTLS", "SCTP", "AVPF", "TCP", "MSRP", "BFCP", "UDT", "IX", "MRCPv2", "FEC"}
)

// mline is an m-line's media and proto as written.
type mline struct{ media, proto string }

// Parse parses a session description. It fails with an error wrapping
// ErrBadSDP when the text is not SDP, when the audio stream it would use has
// no connection address (neither at session nor at media level), a connection
// address that is not an IP literal, a multicast address, or no payload
// formats. Everything RFC 4566 lets a receiver ignore is ignored: unknown
// attributes, rtpmap/fmtp for payload types not on the m-line, malformed
// rtpmap, crypto and rtcp lines, non-numeric formats, absurd ptime. Streams
// other than the first usable audio one are kept in Session.Streams only.
func Parse(b []byte) (*Session, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("sdp: empty body: %w", ErrBadSDP)
	}
	if len(b) > MaxSize {
		return nil, fmt.Errorf("sdp: %d bytes, more than %d: %w", len(b), MaxSize, ErrBadSDP)
	}
	text, mlines := mask(b)
	var d psdp.SessionDescription
	if err := unmarshal(&d, text); err != nil {
		return nil, fmt.Errorf("sdp: %w: %w", ErrBadSDP, err)
	}
	if len(d.TimeDescriptions) == 0 {
		// pion stops quietly at the end of the text, wherever it is
		return nil, fmt.Errorf("sdp: truncated: no v=, o=, s= and t= lines: %w", ErrBadSDP)
	}
	if len(d.MediaDescriptions) != len(mlines) {
		return nil, fmt.Errorf("sdp: %d m-lines, parsed %d (stray line breaks?): %w",
			len(mlines), len(d.MediaDescriptions), ErrBadSDP)
	}

	s := &Session{
		Username:   d.Origin.Username,
		ID:         d.Origin.SessionID,
		Version:    d.Origin.SessionVersion,
		AudioIndex: -1,
		Streams:    make([]Stream, 0, len(d.MediaDescriptions)),
	}
	if a, err := netip.ParseAddr(d.Origin.UnicastAddress); err == nil && a.Zone() == "" {
		s.Origin = a.Unmap()
	}
	sessionDir := SendRecv
	for _, a := range d.Attributes {
		if dir, ok := ParseDirection(a.Key); ok {
			sessionDir = dir
			break
		}
	}
	for i, md := range d.MediaDescriptions {
		st := Stream{
			Media:   mlines[i].media,
			Port:    md.MediaName.Port.Value,
			Proto:   mlines[i].proto,
			Formats: md.MediaName.Formats,
		}
		s.Streams = append(s.Streams, st)
		if s.Audio != nil || st.Media != "audio" || st.Port == 0 || !rtpProto(st.Proto) {
			continue
		}
		m, err := parseAudio(md, st, d.ConnectionInformation, sessionDir)
		if err != nil {
			return nil, fmt.Errorf("sdp: m-line %d (audio): %w", i+1, err)
		}
		s.Audio, s.AudioIndex = m, i
	}
	return s, nil
}

// rtpProto reports whether proto is one we answer: RTP/AVP or RTP/SAVP.
func rtpProto(proto string) bool { return proto == "RTP/AVP" || proto == "RTP/SAVP" }

// unmarshal runs pion's parser; a panic in it (a bug there, on hostile
// input) becomes an error instead of taking the process down.
func unmarshal(d *psdp.SessionDescription, text string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("parser failure: %v", r)
		}
	}()
	return d.UnmarshalString(text)
}

// mask prepares b for pion: it records every m-line's media and proto,
// replaces those pion does not know by "application" and "UDP", and rewrites
// every line break (CRLF, LF or a lone CR) as CRLF, so that pion and this
// package see the same lines and the last line is terminated.
func mask(b []byte) (string, []mline) {
	var (
		out    strings.Builder
		mlines []mline
	)
	out.Grow(len(b) + 2)
	for start := 0; start < len(b); {
		end := start
		for end < len(b) && b[end] != '\n' && b[end] != '\r' {
			end++
		}
		line := b[start:end]
		for end < len(b) && (b[end] == '\n' || b[end] == '\r') {
			end++
		}
		start = end
		if len(line) == 0 {
			continue
		}
		if len(line) > 2 && line[0] == 'm' && line[1] == '=' {
			fields := strings.FieldsFunc(string(line[2:]), func(r rune) bool { return r == ' ' || r == '\t' })
			var ml mline
			if len(fields) > 2 {
				ml = mline{media: fields[0], proto: fields[2]}
				if !slices.Contains(pionMedia, fields[0]) || !knownProto(fields[2]) {
					if !slices.Contains(pionMedia, fields[0]) {
						fields[0] = "application"
					}
					if !knownProto(fields[2]) {
						fields[2] = "UDP"
					}
					line = []byte("m=" + strings.Join(fields, " "))
				}
			}
			mlines = append(mlines, ml)
		}
		out.Write(line)
		out.WriteString("\r\n")
	}
	return out.String(), mlines
}

func knownProto(proto string) bool {
	for p := range strings.SplitSeq(proto, "/") {
		if !slices.Contains(pionProtos, p) {
			return false
		}
	}
	return true
}

// parseAudio resolves the audio stream md.
func parseAudio(md *psdp.MediaDescription, st Stream, sessionConn *psdp.ConnectionInformation, dir Direction) (*Media, error) {
	m := &Media{Port: st.Port, Proto: st.Proto, Secure: st.Proto == "RTP/SAVP"}

	conn := md.ConnectionInformation
	if conn == nil {
		conn = sessionConn
	}
	if conn == nil {
		return nil, fmt.Errorf("no connection address (c=) at session or media level: %w", ErrBadSDP)
	}
	addr, err := connAddr(conn)
	if err != nil {
		return nil, err
	}
	m.Addr = addr
	m.NullAddr = addr.IsUnspecified()
	m.RTCPAddr = addr
	if m.Port < 65535 {
		m.RTCPPort = m.Port + 1
	}

	if len(st.Formats) == 0 {
		return nil, fmt.Errorf("m=audio lists no formats: %w", ErrBadSDP)
	}
	pts := make([]uint8, 0, len(st.Formats))
	for _, f := range st.Formats {
		pt, err := strconv.ParseUint(f, 10, 8)
		if err != nil || pt > 127 || slices.Contains(pts, uint8(pt)) {
			continue // not an RTP payload type, or a repeat: ignored
		}
		pts = append(pts, uint8(pt))
	}
	if len(pts) == 0 {
		return nil, fmt.Errorf("m=audio formats %q hold no RTP payload type: %w", st.Formats, ErrBadSDP)
	}

	var (
		maps  = make(map[uint8]Codec, len(pts))
		fmtps = make(map[uint8]string)
		dirOK bool
	)
	for _, a := range md.Attributes {
		switch a.Key {
		case "rtpmap":
			if c, ok := parseRtpmap(a.Value); ok && slices.Contains(pts, c.PT) {
				if _, dup := maps[c.PT]; !dup {
					maps[c.PT] = c
				}
			}
		case "fmtp":
			ptStr, params, _ := strings.Cut(strings.TrimSpace(a.Value), " ")
			if pt, err := strconv.ParseUint(ptStr, 10, 8); err == nil && slices.Contains(pts, uint8(pt)) {
				if _, dup := fmtps[uint8(pt)]; !dup {
					fmtps[uint8(pt)] = strings.TrimSpace(params)
				}
			}
		case "ptime":
			m.PTime = parsePTime(a.Value)
		case "crypto":
			if c, ok := parseCrypto(a.Value); ok {
				m.Crypto = append(m.Crypto, c)
			}
		case "rtcp":
			if port, a, ok := parseRTCP(a.Value); ok {
				m.RTCPPort = port
				if a.IsValid() {
					m.RTCPAddr = a
				}
			}
		default:
			if d, ok := ParseDirection(a.Key); ok && !dirOK {
				dir, dirOK = d, true
			}
		}
	}
	if m.NullAddr {
		dir = directionOf(dir.Sends(), false)
	}
	m.Direction = dir

	for _, pt := range pts {
		c, ok := maps[pt]
		if !ok {
			if c, ok = staticCodec(pt); !ok {
				continue // dynamic payload type without rtpmap: unknown
			}
		}
		c.Fmtp = fmtps[pt]
		if strings.EqualFold(c.Name, telephoneEvent) {
			m.TelephoneEvents = append(m.TelephoneEvents, c)
		} else {
			m.Codecs = append(m.Codecs, c)
		}
	}
	return m, nil
}

// connAddr returns the address of a c= line: an IPv4 or IPv6 literal of the
// stated type, unicast. A multicast "/ttl" suffix is stripped first so that
// the error names the real problem.
func connAddr(c *psdp.ConnectionInformation) (netip.Addr, error) {
	if c.Address == nil || c.Address.Address == "" {
		return netip.Addr{}, fmt.Errorf("c=%s %s has no address: %w", c.NetworkType, c.AddressType, ErrBadSDP)
	}
	raw := c.Address.Address
	host, _, _ := strings.Cut(raw, "/")
	a, err := netip.ParseAddr(host)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("c= address %q is not an IP address (host names are not resolved): %w", raw, ErrBadSDP)
	}
	switch {
	case c.AddressType == "IP4" && !a.Is4():
		return netip.Addr{}, fmt.Errorf("c=IN IP4 with address %q: %w", raw, ErrBadSDP)
	case c.AddressType == "IP6" && !a.Is6():
		return netip.Addr{}, fmt.Errorf("c=IN IP6 with address %q: %w", raw, ErrBadSDP)
	case a.IsMulticast():
		return netip.Addr{}, fmt.Errorf("c= address %q is multicast, not supported: %w", raw, ErrBadSDP)
	}
	return a.Unmap(), nil
}

// parseRtpmap parses "PT name/clock[/channels]".
func parseRtpmap(v string) (Codec, bool) {
	ptStr, enc, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok {
		return Codec{}, false
	}
	pt, err := strconv.ParseUint(ptStr, 10, 8)
	if err != nil || pt > 127 {
		return Codec{}, false
	}
	parts := strings.Split(strings.TrimSpace(enc), "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || strings.ContainsAny(parts[0], " \t") {
		return Codec{}, false
	}
	clock, err := strconv.Atoi(parts[1])
	if err != nil || clock <= 0 || clock > 10_000_000 {
		return Codec{}, false
	}
	ch := 1
	if len(parts) == 3 {
		if ch, err = strconv.Atoi(parts[2]); err != nil || ch < 1 || ch > 255 {
			return Codec{}, false
		}
	}
	return Codec{Name: parts[0], PT: uint8(pt), ClockRate: clock, Channels: ch}, true
}

// parsePTime parses a=ptime (milliseconds, possibly with decimals); 0 when
// malformed or outside minPTime–maxPTime.
func parsePTime(v string) time.Duration {
	ms, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || math.IsNaN(ms) || ms < float64(minPTime/time.Millisecond) || ms > float64(maxPTime/time.Millisecond) {
		return 0
	}
	return time.Duration(ms * float64(time.Millisecond))
}

// parseCrypto parses "tag suite key-params [session-params]" (RFC 4568 §9.1).
func parseCrypto(v string) (Crypto, bool) {
	f := strings.Fields(v)
	if len(f) < 3 || len(f[0]) > 9 {
		return Crypto{}, false
	}
	tag, err := strconv.Atoi(f[0])
	if err != nil || tag < 0 {
		return Crypto{}, false
	}
	return Crypto{Tag: tag, Suite: f[1], Key: f[2], Params: strings.Join(f[3:], " ")}, true
}

// parseRTCP parses "port [IN IP4|IP6 addr]" (RFC 3605).
func parseRTCP(v string) (int, netip.Addr, bool) {
	f := strings.Fields(v)
	if len(f) == 0 {
		return 0, netip.Addr{}, false
	}
	port, err := strconv.Atoi(f[0])
	if err != nil || port < 1 || port > 65535 {
		return 0, netip.Addr{}, false
	}
	var addr netip.Addr
	if len(f) == 4 && f[1] == "IN" {
		if a, err := netip.ParseAddr(f[3]); err == nil && a.Zone() == "" && !a.IsMulticast() &&
			(f[2] == "IP4" && a.Is4() || f[2] == "IP6" && a.Is6()) {
			addr = a.Unmap()
		}
	}
	return port, addr, true
}
