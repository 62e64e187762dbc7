package sdp

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

// goldenOffer is the exact text of the offer built in TestGoldenOffer: a
// change here is a change on the wire.
const goldenOffer = `v=0
o=- 4242 7 IN IP4 192.0.2.10
s=voxgraph
c=IN IP4 192.0.2.10
t=0 0
m=audio 40000 RTP/SAVP 9 0 111 101 96
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:111 opus/48000/2
a=fmtp:111 minptime=10;useinbandfec=1
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=rtpmap:96 telephone-event/48000
a=fmtp:96 0-16
a=ptime:20
a=rtcp:40001
a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:5VUpT7tvyBctIOdbS89r3eK8fC4LeRo9rXZ9Qpp7
a=crypto:2 AES_256_CM_HMAC_SHA1_80 inline:jQDYwvzV0dbwipSB4QUjVssGVN+H7p58FISk03J6+iQadlPQuve+11jXSMM/+Q==
a=sendrecv
`

func goldenOfferParams(t testing.TB) OfferParams {
	return OfferParams{
		SessionID: 4242, Version: 7,
		Addr: ourAddr, Port: 40000, RTCPPort: 40001,
		Codecs:         []string{"G722", "PCMU", "opus"},
		TelephoneEvent: true,
		PTime:          20 * time.Millisecond,
		SRTP:           SRTPRequired,
		Crypto: []Crypto{
			{Suite: "AES_CM_128_HMAC_SHA1_80", Key: keyCM128a},
			{Suite: "AES_256_CM_HMAC_SHA1_80", Key: keyCM256a},
		},
		Registry: testRegistry(t),
	}
}

func TestGoldenOffer(t *testing.T) {
	b, err := BuildOffer(goldenOfferParams(t))
	if err != nil {
		t.Fatal(err)
	}
	if want := string(sdpText(goldenOffer)); string(b) != want {
		t.Errorf("offer:\n%s\nwant:\n%s", b, want)
	}
}

func TestBuildOfferRoundTrip(t *testing.T) {
	reg := testRegistry(t)
	crypto := []Crypto{{Tag: 5, Suite: "AES_CM_128_HMAC_SHA1_32", Key: keyCM128b}, {Tag: 9, Suite: "AEAD_AES_256_GCM", Key: keyGCM256, Params: "WSH=128"}}
	tests := []struct {
		name   string
		p      OfferParams
		proto  string
		codecs []string // rtpmap:pt
		events []string
	}{
		{"G.711", OfferParams{Codecs: []string{"PCMU", "PCMA"}},
			"RTP/AVP", []string{"PCMU/8000:0", "PCMA/8000:8"}, nil},
		{"G722 preferred with events", OfferParams{Codecs: []string{"G722", "PCMU", "PCMA"}, TelephoneEvent: true, PTime: 30 * time.Millisecond},
			"RTP/AVP", []string{"G722/8000:9", "PCMU/8000:0", "PCMA/8000:8"}, []string{"telephone-event/8000:101"}},
		{"dynamic PTs: registry default, then lowest free", OfferParams{Codecs: []string{"opus", "L16", "PCMU"}, TelephoneEvent: true},
			"RTP/AVP", []string{"opus/48000/2:111", "L16/8000:96", "PCMU/8000:0"},
			[]string{"telephone-event/8000:101", "telephone-event/48000:97"}},
		{"names are case-insensitive and deduplicated", OfferParams{Codecs: []string{"pcmu", "PCMU", "Opus"}},
			"RTP/AVP", []string{"PCMU/8000:0", "opus/48000/2:111"}, nil},
		{"hold", OfferParams{Codecs: []string{"PCMA"}, Direction: SendOnly},
			"RTP/AVP", []string{"PCMA/8000:8"}, nil},
		{"inactive", OfferParams{Codecs: []string{"PCMA"}, Direction: Inactive},
			"RTP/AVP", []string{"PCMA/8000:8"}, nil},
		{"optional SRTP", OfferParams{Codecs: []string{"PCMU"}, SRTP: SRTPOptional, Crypto: crypto},
			"RTP/AVP", []string{"PCMU/8000:0"}, nil},
		{"required SRTP", OfferParams{Codecs: []string{"PCMU"}, SRTP: SRTPRequired, Crypto: crypto},
			"RTP/SAVP", []string{"PCMU/8000:0"}, nil},
		{"IPv6", OfferParams{Addr: netip.MustParseAddr("2001:db8::5"), Codecs: []string{"PCMU"}},
			"RTP/AVP", []string{"PCMU/8000:0"}, nil},
		{"IPv4-mapped address is written as IPv4", OfferParams{Addr: netip.MustParseAddr("::ffff:192.0.2.10"), Codecs: []string{"PCMU"}},
			"RTP/AVP", []string{"PCMU/8000:0"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.p
			p.SessionID, p.Version, p.Port, p.Registry = 77, 3, 41000, reg
			if !p.Addr.IsValid() {
				p.Addr = ourAddr
			}
			b, err := BuildOffer(p)
			if err != nil {
				t.Fatal(err)
			}
			s := mustParse(t, b)
			if s.ID != 77 || s.Version != 3 || s.Origin != p.Addr.Unmap() || len(s.Streams) != 1 || s.AudioIndex != 0 {
				t.Fatalf("session %v origin %v", s, s.Origin)
			}
			a := s.Audio
			if a.Addr != p.Addr.Unmap() || a.Port != 41000 || a.RTCPPort != 41001 || a.Proto != tt.proto {
				t.Errorf("media %v", a)
			}
			if got := codecNames(a.Codecs); !slices.Equal(got, tt.codecs) {
				t.Errorf("codecs %q, want %q", got, tt.codecs)
			}
			if got := codecNames(a.TelephoneEvents); !slices.Equal(got, tt.events) {
				t.Errorf("events %q, want %q", got, tt.events)
			}
			for _, c := range a.Codecs {
				f, _ := reg.Lookup(c.Name)
				if c.Fmtp != f.Fmtp {
					t.Errorf("%s fmtp %q, want %q", c.Name, c.Fmtp, f.Fmtp)
				}
			}
			if a.PTime != p.PTime || a.Direction != p.Direction {
				t.Errorf("ptime %v dir %v", a.PTime, a.Direction)
			}
			if !slices.Equal(a.Crypto, p.Crypto) {
				t.Errorf("crypto %v, want %v", a.Crypto, p.Crypto)
			}
			if s.IsHold() != (p.Direction == SendOnly || p.Direction == Inactive) {
				t.Errorf("IsHold %v", s.IsHold())
			}
		})
	}
}

func TestBuildOfferTelephoneEventPT(t *testing.T) {
	// a codec whose default dynamic payload type is 101 pushes the event away
	reg := testRegistry(t)
	f, _ := reg.Lookup("L16")
	f.Name, f.PayloadType = "L16X", 101
	if err := reg.Register(*f); err != nil {
		t.Fatal(err)
	}
	b, err := BuildOffer(OfferParams{Addr: ourAddr, Port: 4000, Codecs: []string{"L16X", "PCMU"}, TelephoneEvent: true, Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	a := mustParse(t, b).Audio
	if got := codecNames(append(a.Codecs, a.TelephoneEvents...)); !slices.Equal(got, []string{"L16X/8000:101", "PCMU/8000:0", "telephone-event/8000:96"}) {
		t.Errorf("formats %q", got)
	}
}

func TestBuildOfferErrors(t *testing.T) {
	reg := testRegistry(t)
	good := OfferParams{Addr: ourAddr, Port: 4000, Codecs: []string{"PCMU"}, Registry: reg}
	tests := []struct {
		name string
		edit func(p *OfferParams)
		msg  string
	}{
		{"no codecs", func(p *OfferParams) { p.Codecs = nil }, "no codecs"},
		{"unknown codec", func(p *OfferParams) { p.Codecs = []string{"PCMU", "G729"} }, `"G729" is not registered`},
		{"no address", func(p *OfferParams) { p.Addr = netip.Addr{} }, "not a unicast"},
		{"unspecified address", func(p *OfferParams) { p.Addr = netip.IPv4Unspecified() }, "not a unicast"},
		{"mapped unspecified address", func(p *OfferParams) { p.Addr = netip.MustParseAddr("::ffff:0.0.0.0") }, "not a unicast"},
		{"multicast address", func(p *OfferParams) { p.Addr = netip.MustParseAddr("224.0.0.1") }, "not a unicast"},
		{"port 0", func(p *OfferParams) { p.Port = 0 }, "port 0"},
		{"port too big", func(p *OfferParams) { p.Port = 70000 }, "port 70000"},
		{"bad RTCP port", func(p *OfferParams) { p.RTCPPort = -1 }, "RTCP port"},
		{"fractional ptime", func(p *OfferParams) { p.PTime = 20500 * time.Microsecond }, "ptime"},
		{"huge ptime", func(p *OfferParams) { p.PTime = time.Second }, "ptime"},
		{"bad direction", func(p *OfferParams) { p.Direction = 7 }, "direction"},
		{"crypto with SRTP off", func(p *OfferParams) { p.Crypto = []Crypto{{Suite: "AES_CM_128_HMAC_SHA1_80", Key: keyCM128a}} }, "SRTP off"},
		{"SRTP without crypto", func(p *OfferParams) { p.SRTP = SRTPRequired }, "needs crypto"},
		{"unknown policy", func(p *OfferParams) { p.SRTP = 9 }, "policy"},
		{"bad key", func(p *OfferParams) {
			p.SRTP, p.Crypto = SRTPOptional, []Crypto{{Suite: "AES_CM_128_HMAC_SHA1_80", Key: "inline:c2hvcnQ="}}
		}, "must be 30 bytes"},
		{"key of another suite", func(p *OfferParams) {
			p.SRTP, p.Crypto = SRTPOptional, []Crypto{{Suite: "AES_256_CM_HMAC_SHA1_80", Key: keyCM128a}}
		}, "must be 46 bytes"},
		{"unknown suite", func(p *OfferParams) {
			p.SRTP, p.Crypto = SRTPOptional, []Crypto{{Suite: "NULL_HMAC_SHA1_80", Key: keyCM128a}}
		}, "unknown SRTP profile"},
		{"duplicate tag", func(p *OfferParams) {
			p.SRTP, p.Crypto = SRTPOptional, []Crypto{{Tag: 2, Suite: "AES_CM_128_HMAC_SHA1_80", Key: keyCM128a}, {Suite: "AES_CM_128_HMAC_SHA1_32", Key: keyCM128b}}
		}, "used twice"},
		{"unsupported session parameter", func(p *OfferParams) {
			p.SRTP, p.Crypto = SRTPOptional, []Crypto{{Suite: "AES_CM_128_HMAC_SHA1_80", Key: keyCM128a, Params: "UNENCRYPTED_SRTP"}}
		}, "not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := good
			tt.edit(&p)
			b, err := BuildOffer(p)
			if !errors.Is(err, ErrBadParams) {
				t.Fatalf("BuildOffer = %q, %v; want ErrBadParams", b, err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not say %q", err, tt.msg)
			}
		})
	}
}

func TestReofferHoldResume(t *testing.T) {
	reg := testRegistry(t)
	p := OfferParams{SessionID: 9, Version: 1, Addr: ourAddr, Port: 4000, Codecs: []string{"PCMU"}, Registry: reg}
	for i, step := range []struct {
		dir  Direction
		hold bool
		ans  Direction // the answerer's direction
	}{
		{SendOnly, true, RecvOnly},
		{SendRecv, false, SendRecv},
		{Inactive, true, Inactive},
		{SendRecv, false, SendRecv},
	} {
		p = p.Reoffer(step.dir)
		b, err := BuildOffer(p)
		if err != nil {
			t.Fatal(err)
		}
		offer := mustParse(t, b)
		if offer.Version != uint64(i+2) || offer.ID != 9 || offer.IsHold() != step.hold {
			t.Errorf("step %d: version %d hold %v", i, offer.Version, offer.IsHold())
		}
		ans, n, err := Answer(offer, AnswerParams{Addr: peerAddr, Port: 5000, Codecs: []string{"PCMU"}, Registry: reg})
		if err != nil {
			t.Fatal(err)
		}
		if n.Direction != step.ans || mustParse(t, ans).Audio.Direction != step.ans {
			t.Errorf("step %d: answer direction %v, want %v", i, n.Direction, step.ans)
		}
	}
}

func TestNewCrypto(t *testing.T) {
	cs, err := NewCrypto(DefaultSuites()...)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cs {
		if c.Tag != i+1 || checkCrypto(c) != nil {
			t.Errorf("crypto %v: %v", c, checkCrypto(c))
		}
	}
	if cs[0].Key == cs[1].Key {
		t.Error("keys repeat")
	}
	if _, err := NewCrypto("ROT13"); !errors.Is(err, ErrBadParams) {
		t.Errorf("NewCrypto(ROT13) error %v", err)
	}
	if s := cs[0].String(); strings.Contains(s, cs[0].Key[7:]) {
		t.Errorf("String leaks the key: %s", s)
	}
}

func TestParseSRTPPolicy(t *testing.T) {
	for in, want := range map[string]SRTPPolicy{"": SRTPOff, "off": SRTPOff, "Optional": SRTPOptional, " required ": SRTPRequired} {
		if got, err := ParseSRTPPolicy(in); err != nil || got != want {
			t.Errorf("ParseSRTPPolicy(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseSRTPPolicy("sometimes"); !errors.Is(err, ErrBadParams) {
		t.Errorf("error %v", err)
	}
	if SRTPRequired.String() != "required" {
		t.Error(SRTPRequired.String())
	}
}
