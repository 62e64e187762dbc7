package sdp

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	psdp "github.com/pion/sdp/v3"

	"github.com/voxgraph/voxgraph/codecs"
)

// sessionName is the s= line of the SDP we write.
const sessionName = "voxgraph"

// eventPT is the payload type telephone-event/8000 gets when it is free: the
// one most SIP equipment uses.
const eventPT = 101

// eventFmtp is the event range we receive: DTMF 0-9, *, #, A-D and flash.
const eventFmtp = "0-16"

// OfferParams describes an offer with one audio stream.
type OfferParams struct {
	SessionID uint64 // o= session id, fixed for the dialog
	Version   uint64 // o= version: increment for every changed re-offer (see Reoffer)

	Addr     netip.Addr // where we receive RTP (c= and o=), IPv4 or IPv6
	Port     int        // RTP port, 1-65535
	RTCPPort int        // if not 0, written as a=rtcp (RFC 3605); else Port+1 is implied

	// Codecs lists registry names, most preferred first, e.g.
	// ["G722", "PCMU", "PCMA"]. Static codecs keep their payload type;
	// dynamic ones get their registry default when free, else the lowest
	// free one from 96.
	Codecs []string
	// TelephoneEvent adds RFC 4733 telephone-event (0-16), one per clock
	// rate among the codecs; at 8000 Hz it is payload type 101 when free.
	TelephoneEvent bool
	PTime          time.Duration // a=ptime, whole milliseconds; 0 omits it
	Direction      Direction     // SendRecv; SendOnly or Inactive to hold

	// SRTP selects plain RTP, RTP/AVP with a=crypto (SRTPOptional) or
	// RTP/SAVP (SRTPRequired); Crypto then holds the lines to offer, most
	// preferred first (NewCrypto makes them). A Tag of 0 is numbered by
	// position (1, 2, …).
	SRTP   SRTPPolicy
	Crypto []Crypto

	Registry *codecs.Registry // nil: codecs.Default
}

// Reoffer returns the params of a re-offer in the same session: the same
// stream with the version incremented and the direction d, e.g. SendOnly to
// hold and SendRecv to resume.
func (p OfferParams) Reoffer(d Direction) OfferParams {
	p.Version++
	p.Direction = d
	p.Codecs = slices.Clone(p.Codecs)
	p.Crypto = slices.Clone(p.Crypto)
	return p
}

// BuildOffer writes an offer (RFC 3264 §5). Every payload type gets an
// a=rtpmap, codecs with default parameters an a=fmtp, and the direction is
// always explicit. It fails with an error wrapping ErrBadParams when the
// params are inconsistent: no or unknown codecs, a bad address or port, an
// SRTP policy without valid crypto lines, or crypto lines without a policy.
func BuildOffer(p OfferParams) ([]byte, error) {
	p.Addr = p.Addr.Unmap()
	if err := checkLocal(p.Addr, p.Port, p.RTCPPort, p.PTime, p.Direction); err != nil {
		return nil, fmt.Errorf("sdp: offer: %w", err)
	}
	reg := p.Registry
	if reg == nil {
		reg = codecs.Default
	}
	list, err := offerCodecs(reg, p.Codecs, p.TelephoneEvent)
	if err != nil {
		return nil, fmt.Errorf("sdp: offer: %w", err)
	}
	proto := "RTP/AVP"
	var crypto []Crypto
	switch p.SRTP {
	case SRTPOff:
		if len(p.Crypto) > 0 {
			return nil, fmt.Errorf("sdp: offer: crypto lines given with SRTP off: %w", ErrBadParams)
		}
	case SRTPOptional, SRTPRequired:
		if crypto, err = offerCrypto(p.Crypto); err != nil {
			return nil, fmt.Errorf("sdp: offer: %w", err)
		}
		if p.SRTP == SRTPRequired {
			proto = "RTP/SAVP"
		}
	default:
		return nil, fmt.Errorf("sdp: offer: unknown SRTP policy %d: %w", p.SRTP, ErrBadParams)
	}
	return marshal(p.SessionID, p.Version, p.Addr, []*psdp.MediaDescription{
		audioMedia(p.Port, proto, list, p.PTime, p.RTCPPort, crypto, p.Direction),
	})
}

// checkLocal validates our side of an offer or answer.
func checkLocal(addr netip.Addr, port, rtcpPort int, ptime time.Duration, d Direction) error {
	switch {
	case !addr.IsValid() || addr.IsUnspecified() || addr.IsMulticast() || addr.Zone() != "":
		return fmt.Errorf("address %v is not a unicast IP address: %w", addr, ErrBadParams)
	case port < 1 || port > 65535:
		return fmt.Errorf("port %d not in 1-65535: %w", port, ErrBadParams)
	case rtcpPort < 0 || rtcpPort > 65535:
		return fmt.Errorf("RTCP port %d not in 1-65535: %w", rtcpPort, ErrBadParams)
	case ptime != 0 && (ptime < minPTime || ptime > maxPTime || ptime%time.Millisecond != 0):
		return fmt.Errorf("ptime %v is not whole milliseconds in %v-%v: %w", ptime, minPTime, maxPTime, ErrBadParams)
	case d > Inactive:
		return fmt.Errorf("unknown direction %d: %w", d, ErrBadParams)
	}
	return nil
}

// lookup returns our codecs for the registry names, in order, without
// repeats.
func lookup(reg *codecs.Registry, names []string) ([]codecs.Codec, error) {
	if len(names) == 0 {
		return nil, fmt.Errorf("no codecs: %w", ErrBadParams)
	}
	out := make([]codecs.Codec, 0, len(names))
	for _, n := range names {
		f, ok := reg.Lookup(n)
		if !ok {
			return nil, fmt.Errorf("codec %q is not registered (have %s): %w",
				n, strings.Join(reg.Names(), ", "), ErrBadParams)
		}
		if !slices.ContainsFunc(out, func(c codecs.Codec) bool { return c.Name == f.Name }) {
			out = append(out, f.Codec)
		}
	}
	return out, nil
}

// offerCodecs assigns payload types to the named codecs (and telephone-events)
// and returns them in m-line order.
func offerCodecs(reg *codecs.Registry, names []string, events bool) ([]Codec, error) {
	ours, err := lookup(reg, names)
	if err != nil {
		return nil, err
	}
	var used [128]bool
	out := make([]Codec, len(ours), len(ours)+2)
	// static payload types first: they cannot move
	for i, c := range ours {
		out[i] = Codec{Name: c.Name, ClockRate: c.ClockRate, Channels: c.RTPMapChannels(), Fmtp: c.Fmtp}
		if !c.Dynamic {
			if used[c.PayloadType] {
				return nil, fmt.Errorf("codec %s: payload type %d used twice: %w", c.Name, c.PayloadType, ErrBadParams)
			}
			out[i].PT, used[c.PayloadType] = c.PayloadType, true
		}
	}
	free := func(want uint8) (uint8, error) {
		if want >= 96 && want <= 127 && !used[want] {
			used[want] = true
			return want, nil
		}
		for pt := uint8(96); pt <= 127; pt++ {
			if !used[pt] {
				used[pt] = true
				return pt, nil
			}
		}
		return 0, fmt.Errorf("more than 32 dynamic payload types: %w", ErrBadParams)
	}
	var rates []int
	for i, c := range ours {
		if !slices.Contains(rates, c.ClockRate) {
			rates = append(rates, c.ClockRate)
		}
		if !c.Dynamic {
			continue
		}
		if out[i].PT, err = free(c.PayloadType); err != nil {
			return nil, err
		}
	}
	if events {
		// 8000 Hz first, so that it gets 101 whatever the codec order
		slices.SortStableFunc(rates, func(a, b int) int {
			return cmpBool(a != 8000, b != 8000)
		})
		for _, r := range rates {
			want := uint8(0)
			if r == 8000 {
				want = eventPT
			}
			pt, err := free(want)
			if err != nil {
				return nil, err
			}
			out = append(out, Codec{Name: telephoneEvent, PT: pt, ClockRate: r, Channels: 1, Fmtp: eventFmtp})
		}
	}
	return out, nil
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// offerCrypto validates the crypto lines to offer and numbers untagged ones.
func offerCrypto(in []Crypto) ([]Crypto, error) {
	if len(in) == 0 {
		return nil, fmt.Errorf("SRTP policy needs crypto lines (see NewCrypto): %w", ErrBadParams)
	}
	out := slices.Clone(in)
	for i := range out {
		if out[i].Tag == 0 {
			out[i].Tag = i + 1
		}
		if out[i].Tag < 0 || out[i].Tag > 999_999_999 {
			return nil, fmt.Errorf("crypto tag %d not in 1-999999999: %w", out[i].Tag, ErrBadParams)
		}
		if err := checkCrypto(out[i]); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadParams, err)
		}
		for _, c := range out[:i] {
			if c.Tag == out[i].Tag {
				return nil, fmt.Errorf("crypto tag %d used twice: %w", c.Tag, ErrBadParams)
			}
		}
	}
	return out, nil
}

// audioMedia builds our audio m-line section.
func audioMedia(port int, proto string, list []Codec, ptime time.Duration, rtcpPort int, crypto []Crypto, d Direction) *psdp.MediaDescription {
	md := &psdp.MediaDescription{
		MediaName: psdp.MediaName{Media: "audio", Port: psdp.RangedPort{Value: port}, Protos: []string{proto}},
	}
	attrs := make([]psdp.Attribute, 0, 2*len(list)+len(crypto)+3)
	for _, c := range list {
		pt := strconv.Itoa(int(c.PT))
		md.MediaName.Formats = append(md.MediaName.Formats, pt)
		attrs = append(attrs, psdp.NewAttribute("rtpmap", pt+" "+rtpmap(c)))
		if c.Fmtp != "" {
			attrs = append(attrs, psdp.NewAttribute("fmtp", pt+" "+c.Fmtp))
		}
	}
	if ptime > 0 {
		attrs = append(attrs, psdp.NewAttribute("ptime", strconv.Itoa(int(ptime/time.Millisecond))))
	}
	if rtcpPort > 0 {
		attrs = append(attrs, psdp.NewAttribute("rtcp", strconv.Itoa(rtcpPort)))
	}
	for _, c := range crypto {
		v := strconv.Itoa(c.Tag) + " " + c.Suite + " " + c.Key
		if c.Params != "" {
			v += " " + c.Params
		}
		attrs = append(attrs, psdp.NewAttribute("crypto", v))
	}
	md.Attributes = append(attrs, psdp.NewPropertyAttribute(d.String()))
	return md
}

// marshal writes a session description with our origin, a session-level
// connection line and the media sections.
func marshal(id, version uint64, addr netip.Addr, media []*psdp.MediaDescription) ([]byte, error) {
	addrType := "IP4"
	if addr.Is6() {
		addrType = "IP6"
	}
	d := psdp.SessionDescription{
		Origin: psdp.Origin{
			Username: "-", SessionID: id, SessionVersion: version,
			NetworkType: "IN", AddressType: addrType, UnicastAddress: addr.String(),
		},
		SessionName: sessionName,
		ConnectionInformation: &psdp.ConnectionInformation{
			NetworkType: "IN", AddressType: addrType, Address: &psdp.Address{Address: addr.String()},
		},
		TimeDescriptions:  []psdp.TimeDescription{{}},
		MediaDescriptions: media,
	}
	b, err := d.Marshal()
	if err != nil {
		return nil, fmt.Errorf("sdp: marshal: %w", err)
	}
	return b, nil
}
