package sdp

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	psdp "github.com/pion/sdp/v3"

	"github.com/voxgraph/voxgraph/codecs"
)

// AnswerParams describes our side of an answer.
type AnswerParams struct {
	SessionID uint64 // o= session id, fixed for the dialog
	Version   uint64 // o= version: increment when a later answer changes

	Addr     netip.Addr // where we receive RTP (c= and o=)
	Port     int        // RTP port, 1-65535
	RTCPPort int        // if not 0, written as a=rtcp

	// Codecs lists the registry names we accept, most preferred first.
	Codecs []string
	// PreferOfferOrder picks the offer's first codec that we accept instead
	// of our first codec that the offer has.
	PreferOfferOrder bool
	// TelephoneEvent accepts RFC 4733 telephone-event when offered at the
	// chosen codec's clock rate.
	TelephoneEvent bool
	PTime          time.Duration // a=ptime we want to receive; 0 omits it
	// Direction is what we want (SendRecv normally; SendOnly or Inactive
	// to hold); the answer has the part of it the offer allows.
	Direction Direction

	SRTP   SRTPPolicy
	Suites []string // crypto suites we accept, most preferred first; nil: DefaultSuites()
	// Key returns our key for the chosen suite ("inline:BASE64"); nil:
	// GenerateKey.
	Key func(suite string) (string, error)

	Registry *codecs.Registry // nil: codecs.Default
}

// SRTP is the SDES keying of a negotiated stream.
type SRTP struct {
	Tag       int    // crypto tag (offer and answer)
	Suite     string // crypto suite, e.g. "AES_CM_128_HMAC_SHA1_80"
	LocalKey  string // our key ("inline:…"): we encrypt with it
	RemoteKey string // the peer's key: we decrypt with it
}

// Negotiated is what offer and answer settled for the audio stream, from our
// point of view (answerer after Answer, offerer after ApplyAnswer).
type Negotiated struct {
	// Codec is the codec we send: its PT is the payload type the peer
	// expects and its Fmtp the peer's parameters (what its decoder wants).
	Codec Codec
	// RecvPT is the payload type the peer sends Codec with: Codec.PT unless
	// an answerer renumbered it (RFC 3264 allows it).
	RecvPT uint8
	// TelephoneEvent is the RFC 4733 format we send, nil if not agreed;
	// RecvEventPT is the payload type the peer sends events with.
	TelephoneEvent *Codec
	RecvEventPT    uint8

	Remote     netip.AddrPort // where we send RTP (0.0.0.0 on old-style hold)
	RemoteRTCP netip.AddrPort // where we send RTCP; invalid if unknown
	Direction  Direction      // ours: Sends() says whether we send, Receives() whether we listen
	PTime      time.Duration  // packetisation we send with
	SRTP       *SRTP          // nil: plain RTP
}

// String describes the result in one line, without keys.
func (n Negotiated) String() string {
	s := n.Codec.String()
	if n.TelephoneEvent != nil {
		s += " + " + n.TelephoneEvent.String()
	}
	s += " → " + n.Remote.String() + " " + n.Direction.String() + " ptime=" + n.PTime.String()
	if n.SRTP != nil {
		s += " srtp=" + n.SRTP.Suite
	}
	return s
}

// Answer answers offer (RFC 3264 §6) and returns the answer and what it
// settled. The policies (codec choice, direction, SRTP) are in the package
// documentation. Errors wrap ErrNoAudio, ErrNoCommonCodec, ErrSRTPRequired or
// ErrNoCommonCrypto (reply 488) or ErrBadParams (our configuration).
func Answer(offer *Session, p AnswerParams) ([]byte, Negotiated, error) {
	p.Addr = p.Addr.Unmap()
	if err := checkLocal(p.Addr, p.Port, p.RTCPPort, p.PTime, p.Direction); err != nil {
		return nil, Negotiated{}, fmt.Errorf("sdp: answer: %w", err)
	}
	if p.SRTP > SRTPRequired {
		return nil, Negotiated{}, fmt.Errorf("sdp: answer: unknown SRTP policy %d: %w", p.SRTP, ErrBadParams)
	}
	reg := p.Registry
	if reg == nil {
		reg = codecs.Default
	}
	ours, err := lookup(reg, p.Codecs)
	if err != nil {
		return nil, Negotiated{}, fmt.Errorf("sdp: answer: %w", err)
	}
	if offer == nil || offer.Audio == nil || offer.AudioIndex < 0 || offer.AudioIndex >= len(offer.Streams) {
		return nil, Negotiated{}, fmt.Errorf("sdp: answer: offer has no audio stream on RTP/AVP or RTP/SAVP: %w", ErrNoAudio)
	}
	a := offer.Audio

	// codec
	chosen, ok := chooseCodec(a.Codecs, ours, p.PreferOfferOrder)
	if !ok {
		return nil, Negotiated{}, fmt.Errorf("sdp: answer: offer has %s, we accept %s: %w",
			codecList(a.Codecs), strings.Join(p.Codecs, ", "), ErrNoCommonCodec)
	}
	list := []Codec{{Name: chosen.our.Name, PT: chosen.offered.PT, ClockRate: chosen.our.ClockRate,
		Channels: chosen.our.RTPMapChannels(), Fmtp: chosen.our.Fmtp}}
	n := Negotiated{Codec: chosen.offered, RecvPT: chosen.offered.PT}
	n.Codec.Name = chosen.our.Name
	if p.TelephoneEvent {
		if te := a.TelephoneEvent(chosen.offered.ClockRate); te != nil {
			n.TelephoneEvent, n.RecvEventPT = te, te.PT
			list = append(list, Codec{Name: telephoneEvent, PT: te.PT, ClockRate: te.ClockRate, Channels: 1, Fmtp: eventFmtp})
		}
	}

	// SRTP
	var crypto []Crypto
	theirs, usable := pickCrypto(a.Crypto, suitesOr(p.Suites))
	switch {
	case a.Secure && p.SRTP == SRTPOff:
		return nil, Negotiated{}, fmt.Errorf("sdp: answer: offer is RTP/SAVP and SRTP is off: %w", ErrNoCommonCrypto)
	case a.Secure && len(a.Crypto) == 0:
		return nil, Negotiated{}, fmt.Errorf("sdp: answer: offer is RTP/SAVP without a=crypto (DTLS-SRTP is not supported): %w", ErrNoCommonCrypto)
	case (a.Secure || p.SRTP == SRTPRequired) && len(a.Crypto) == 0:
		return nil, Negotiated{}, fmt.Errorf("sdp: answer: offer has no a=crypto: %w", ErrSRTPRequired)
	case (a.Secure || p.SRTP == SRTPRequired) && !usable:
		return nil, Negotiated{}, fmt.Errorf("sdp: answer: offered crypto (%s) has no suite we accept (%s) with a valid key: %w",
			suiteNames(a.Crypto), strings.Join(suitesOr(p.Suites), ", "), ErrNoCommonCrypto)
	}
	if usable && p.SRTP != SRTPOff {
		keygen := p.Key
		if keygen == nil {
			keygen = GenerateKey
		}
		key, err := keygen(theirs.Suite)
		if err != nil {
			return nil, Negotiated{}, fmt.Errorf("sdp: answer: key for %s: %w", theirs.Suite, err)
		}
		mine := Crypto{Tag: theirs.Tag, Suite: theirs.Suite, Key: key}
		if err := checkCrypto(mine); err != nil {
			return nil, Negotiated{}, fmt.Errorf("sdp: answer: our key: %w: %w", ErrBadParams, err)
		}
		crypto = []Crypto{mine}
		n.SRTP = &SRTP{Tag: theirs.Tag, Suite: theirs.Suite, LocalKey: key, RemoteKey: theirs.Key}
	}

	n.Direction = p.Direction.intersect(a.Direction.Reverse())
	n.Remote, n.RemoteRTCP = a.RTP(), a.RTCP()
	n.PTime = firstPTime(a.PTime, p.PTime)

	media := make([]*psdp.MediaDescription, len(offer.Streams))
	for i, st := range offer.Streams {
		if i == offer.AudioIndex {
			media[i] = audioMedia(p.Port, a.Proto, list, p.PTime, p.RTCPPort, crypto, n.Direction)
		} else {
			media[i] = rejected(st)
		}
	}
	b, err := marshal(p.SessionID, p.Version, p.Addr, media)
	if err != nil {
		return nil, Negotiated{}, err
	}
	return b, n, nil
}

// choice is a codec both sides have: the offer's entry and our registry's.
type choice struct {
	offered Codec
	our     codecs.Codec
}

// chooseCodec picks our first codec that is offered, or with offerOrder the
// first offered codec that is ours.
func chooseCodec(theirs []Codec, ours []codecs.Codec, offerOrder bool) (choice, bool) {
	match := func(o Codec, c codecs.Codec) bool {
		return same(o, Codec{Name: c.Name, ClockRate: c.ClockRate, Channels: c.RTPMapChannels()})
	}
	if offerOrder {
		for _, o := range theirs {
			for _, c := range ours {
				if match(o, c) {
					return choice{o, c}, true
				}
			}
		}
		return choice{}, false
	}
	for _, c := range ours {
		for _, o := range theirs {
			if match(o, c) {
				return choice{o, c}, true
			}
		}
	}
	return choice{}, false
}

// rejected echoes a stream with port 0 (RFC 3264 §6): same media, proto and
// formats (at least one, as RFC 4566 requires).
func rejected(st Stream) *psdp.MediaDescription {
	formats := st.Formats
	if len(formats) == 0 {
		formats = []string{"0"}
	}
	media, proto := st.Media, st.Proto
	if media == "" {
		media = "audio"
	}
	if proto == "" {
		proto = "RTP/AVP"
	}
	return &psdp.MediaDescription{MediaName: psdp.MediaName{
		Media: media, Port: psdp.RangedPort{Value: 0}, Protos: []string{proto}, Formats: formats,
	}}
}

// ApplyAnswer checks an answer against our offer (both parsed) and returns
// what they settled, for the offerer. The answer must have the offer's
// m-lines in the same order, accept our audio stream on the same transport
// with a codec we offered, and, if it has a crypto line, echo the tag and
// suite of one we offered with a valid key. Errors wrap ErrBadAnswer,
// ErrRejected (port 0 for our audio), ErrSRTPRequired (we offered RTP/SAVP
// and the answer has no crypto) or ErrNoAudio (our offer had no audio).
func ApplyAnswer(offer, answer *Session) (Negotiated, error) {
	if offer == nil || offer.Audio == nil || offer.AudioIndex < 0 || offer.AudioIndex >= len(offer.Streams) {
		return Negotiated{}, fmt.Errorf("sdp: apply answer: our offer has no audio stream: %w", ErrNoAudio)
	}
	if answer == nil {
		return Negotiated{}, fmt.Errorf("sdp: apply answer: no answer: %w", ErrBadAnswer)
	}
	if len(answer.Streams) != len(offer.Streams) {
		return Negotiated{}, fmt.Errorf("sdp: apply answer: %d m-lines for the offer's %d: %w",
			len(answer.Streams), len(offer.Streams), ErrBadAnswer)
	}
	i := offer.AudioIndex
	if st := answer.Streams[i]; st.Port == 0 {
		return Negotiated{}, fmt.Errorf("sdp: apply answer: m-line %d (audio) has port 0: %w", i+1, ErrRejected)
	} else if st.Media != "audio" || st.Proto != offer.Streams[i].Proto {
		return Negotiated{}, fmt.Errorf("sdp: apply answer: m-line %d is %s %s for the offer's audio %s: %w",
			i+1, st.Media, st.Proto, offer.Streams[i].Proto, ErrBadAnswer)
	}
	if answer.AudioIndex != i {
		return Negotiated{}, fmt.Errorf("sdp: apply answer: audio answered on m-line %d, offered on %d: %w",
			answer.AudioIndex+1, i+1, ErrBadAnswer)
	}
	o, a := offer.Audio, answer.Audio

	var n Negotiated
	found := false
	for _, ac := range a.Codecs {
		if oc, ok := offered(ac, o.Codecs); ok {
			n.Codec, n.RecvPT, found = ac, oc.PT, true
			n.Codec.Name = oc.Name
			break
		}
	}
	if !found {
		return Negotiated{}, fmt.Errorf("sdp: apply answer: answer has %s, we offered %s: %w",
			codecList(a.Codecs), codecList(o.Codecs), ErrBadAnswer)
	}
	if ate := a.TelephoneEvent(n.Codec.ClockRate); ate != nil {
		if ote, ok := offered(*ate, o.TelephoneEvents); ok {
			n.TelephoneEvent, n.RecvEventPT = ate, ote.PT
		}
	}

	switch {
	case len(a.Crypto) > 0:
		if len(o.Crypto) == 0 {
			return Negotiated{}, fmt.Errorf("sdp: apply answer: a=crypto in the answer, none offered: %w", ErrBadAnswer)
		}
		ac := a.Crypto[0]
		var oc *Crypto
		for k := range o.Crypto {
			if o.Crypto[k].Tag == ac.Tag && strings.EqualFold(o.Crypto[k].Suite, ac.Suite) {
				oc = &o.Crypto[k]
				break
			}
		}
		if oc == nil {
			return Negotiated{}, fmt.Errorf("sdp: apply answer: crypto %s matches no offered tag and suite: %w", ac, ErrBadAnswer)
		}
		if err := checkCrypto(ac); err != nil {
			return Negotiated{}, fmt.Errorf("sdp: apply answer: %w: %w", ErrBadAnswer, err)
		}
		n.SRTP = &SRTP{Tag: ac.Tag, Suite: oc.Suite, LocalKey: oc.Key, RemoteKey: ac.Key}
	case o.Secure:
		return Negotiated{}, fmt.Errorf("sdp: apply answer: RTP/SAVP answered without a=crypto: %w", ErrSRTPRequired)
	}

	n.Direction = o.Direction.intersect(a.Direction.Reverse())
	n.Remote, n.RemoteRTCP = a.RTP(), a.RTCP()
	n.PTime = firstPTime(a.PTime, o.PTime)
	return n, nil
}

// offered returns the entry of list that an answer's codec c refers to: the
// same codec at the same payload type, else the first at another one.
func offered(c Codec, list []Codec) (Codec, bool) {
	k := -1
	for i, o := range list {
		if same(c, o) {
			if o.PT == c.PT {
				return o, true
			}
			if k < 0 {
				k = i
			}
		}
	}
	if k < 0 {
		return Codec{}, false
	}
	return list[k], true
}

// firstPTime returns the first non-zero ptime, else the RFC 3551 default.
func firstPTime(ds ...time.Duration) time.Duration {
	for _, d := range ds {
		if d > 0 {
			return d
		}
	}
	return defaultPTime
}

func suitesOr(s []string) []string {
	if s == nil {
		return DefaultSuites()
	}
	return s
}

// codecList renders codecs for error messages, e.g. "PCMA/8000, G729/8000".
func codecList(cs []Codec) string {
	if len(cs) == 0 {
		return "no codec"
	}
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = rtpmap(c)
	}
	return strings.Join(parts, ", ")
}
