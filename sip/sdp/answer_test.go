package sdp

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// goldenAnswer is the exact answer of TestGoldenAnswer to freeswitch_savp.sdp.
const goldenAnswer = `v=0
o=- 5151 1 IN IP4 192.0.2.10
s=voxgraph
c=IN IP4 192.0.2.10
t=0 0
m=audio 42000 RTP/SAVP 9 101
a=rtpmap:9 G722/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=ptime:20
a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:swjbJKWHQUaLOK5atCoPS26vlL3xVAP1PYSUlKpl
a=sendrecv
`

// fixedKey is a key generator for reproducible answers.
func fixedKey(suite string) (string, error) {
	switch suite {
	case "AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32":
		return keyCM128c, nil
	case "AES_256_CM_HMAC_SHA1_80", "AES_256_CM_HMAC_SHA1_32":
		return keyCM256a, nil
	case "AEAD_AES_256_GCM":
		return keyGCM256, nil
	}
	return GenerateKey(suite)
}

func TestGoldenAnswer(t *testing.T) {
	offer := mustParse(t, readSDP(t, "freeswitch_savp.sdp"))
	b, n, err := Answer(offer, AnswerParams{
		SessionID: 5151, Version: 1, Addr: ourAddr, Port: 42000,
		Codecs: []string{"G722", "PCMU", "PCMA"}, TelephoneEvent: true, PTime: 20 * time.Millisecond,
		SRTP: SRTPOptional, Key: fixedKey, Registry: testRegistry(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := string(sdpText(goldenAnswer)); string(b) != want {
		t.Errorf("answer:\n%s\nwant:\n%s", b, want)
	}
	want := "G722/8000 pt=9 + telephone-event/8000 pt=101 → 198.51.100.7:23456 sendrecv ptime=20ms srtp=AES_CM_128_HMAC_SHA1_80"
	if n.String() != want {
		t.Errorf("negotiated %s\nwant       %s", n, want)
	}
}

// offerHead starts the offers of TestAnswer.
const offerHead = "v=0\no=peer 100 1 IN IP4 198.51.100.20\ns=-\nc=IN IP4 198.51.100.20\nt=0 0\n"

func TestAnswer(t *testing.T) {
	reg := testRegistry(t)
	tests := []struct {
		name  string
		offer string // SDP text, or "@file" in testdata/sdp
		p     AnswerParams
		err   error

		codec     string // rtpmap:pt
		event     string // rtpmap:pt, "" none
		dir       Direction
		ptime     time.Duration
		remote    string
		suite     string // "" plain RTP
		tag       int
		remoteKey string
		ports     []int // answer m-line ports, when checked
	}{
		{name: "PCMU-only offer, we prefer G722", offer: offerHead + "m=audio 5000 RTP/AVP 0\na=rtpmap:0 PCMU/8000\n",
			p:     AnswerParams{Codecs: []string{"G722", "PCMU"}},
			codec: "PCMU/8000:0", remote: "198.51.100.20:5000", ptime: 20 * time.Millisecond},
		{name: "G722+PCMU offer, we prefer G722", offer: offerHead + "m=audio 5000 RTP/AVP 0 9\n",
			p:     AnswerParams{Codecs: []string{"G722", "PCMU"}},
			codec: "G722/8000:9", remote: "198.51.100.20:5000", ptime: 20 * time.Millisecond},
		{name: "offerer's order when asked", offer: offerHead + "m=audio 5000 RTP/AVP 0 9\n",
			p:     AnswerParams{Codecs: []string{"G722", "PCMU"}, PreferOfferOrder: true},
			codec: "PCMU/8000:0", remote: "198.51.100.20:5000", ptime: 20 * time.Millisecond},
		{name: "offerer's order skips what we lack", offer: "@polycom.sdp",
			p:     AnswerParams{Codecs: []string{"PCMA", "PCMU"}, PreferOfferOrder: true, TelephoneEvent: true},
			codec: "PCMU/8000:0", event: "telephone-event/8000:127", remote: "10.0.0.50:2222", ptime: 20 * time.Millisecond},
		{name: "no common codec", offer: offerHead + "m=audio 5000 RTP/AVP 18 3\n",
			p: AnswerParams{Codecs: []string{"G722", "PCMU"}}, err: ErrNoCommonCodec},
		{name: "only unresolvable payload types", offer: offerHead + "m=audio 5000 RTP/AVP 96 97\n",
			p: AnswerParams{Codecs: []string{"PCMU"}}, err: ErrNoCommonCodec},
		{name: "same name, other clock rate", offer: offerHead + "m=audio 5000 RTP/AVP 96\na=rtpmap:96 L16/16000\n",
			p: AnswerParams{Codecs: []string{"L16"}}, err: ErrNoCommonCodec},
		{name: "telephone-event at the offerer's PT", offer: offerHead + "m=audio 5000 RTP/AVP 8 96\na=rtpmap:96 telephone-event/8000\na=fmtp:96 0-15\n",
			p:     AnswerParams{Codecs: []string{"PCMA"}, TelephoneEvent: true},
			codec: "PCMA/8000:8", event: "telephone-event/8000:96", remote: "198.51.100.20:5000", ptime: 20 * time.Millisecond},
		{name: "telephone-event not wanted", offer: offerHead + "m=audio 5000 RTP/AVP 8 96\na=rtpmap:96 telephone-event/8000\n",
			p:     AnswerParams{Codecs: []string{"PCMA"}},
			codec: "PCMA/8000:8", remote: "198.51.100.20:5000", ptime: 20 * time.Millisecond},
		{name: "telephone-event at the codec's clock rate (opus)", offer: "@linphone.sdp",
			p:     AnswerParams{Codecs: []string{"opus", "PCMU"}, TelephoneEvent: true},
			codec: "opus/48000/2:96", event: "telephone-event/48000:101", remote: "192.168.1.20:7078",
			ptime: 20 * time.Millisecond, ports: []int{33000, 0}},
		{name: "telephone-event at the codec's clock rate (PCMU)", offer: "@linphone.sdp",
			p:     AnswerParams{Codecs: []string{"PCMU"}, TelephoneEvent: true, PTime: 40 * time.Millisecond},
			codec: "PCMU/8000:0", event: "telephone-event/8000:100", remote: "192.168.1.20:7078",
			ptime: 40 * time.Millisecond, ports: []int{33000, 0}},
		{name: "no telephone-event at the codec's clock rate", offer: offerHead + "m=audio 5000 RTP/AVP 111 0 101\na=rtpmap:111 opus/48000/2\na=rtpmap:101 telephone-event/48000\n",
			p:     AnswerParams{Codecs: []string{"PCMU"}, TelephoneEvent: true},
			codec: "PCMU/8000:0", remote: "198.51.100.20:5000", ptime: 20 * time.Millisecond},
		{name: "static PTs without rtpmap", offer: "@ipv6.sdp",
			p:     AnswerParams{Codecs: []string{"PCMU", "PCMA"}},
			codec: "PCMU/8000:0", dir: RecvOnly, remote: "[2001:db8::10]:30000", ptime: 30 * time.Millisecond},
		{name: "dynamic PT of the offer is kept", offer: "@freeswitch_savp.sdp",
			p:     AnswerParams{Codecs: []string{"opus"}, SRTP: SRTPRequired, TelephoneEvent: true},
			codec: "opus/48000/2:102", remote: "198.51.100.7:23456", ptime: 20 * time.Millisecond,
			suite: "AES_CM_128_HMAC_SHA1_80", tag: 2, remoteKey: keyCM128a},
		{name: "SDES: two suites, ours preferred", offer: offerHead + "m=audio 5000 RTP/SAVP 0\n" +
			"a=crypto:1 AES_CM_128_HMAC_SHA1_32 " + keyCM128b + "\na=crypto:2 AES_CM_128_HMAC_SHA1_80 " + keyCM128a + "|2^31\n",
			p:     AnswerParams{Codecs: []string{"PCMU"}, SRTP: SRTPOptional},
			codec: "PCMU/8000:0", remote: "198.51.100.20:5000", ptime: 20 * time.Millisecond,
			suite: "AES_CM_128_HMAC_SHA1_80", tag: 2, remoteKey: keyCM128a + "|2^31"},
		{name: "SDES: two suites, our list picks the 32-bit tag", offer: offerHead + "m=audio 5000 RTP/SAVP 0\n" +
			"a=crypto:1 AES_CM_128_HMAC_SHA1_32 " + keyCM128b + "\na=crypto:2 AES_CM_128_HMAC_SHA1_80 " + keyCM128a + "\n",
			p:     AnswerParams{Codecs: []string{"PCMU"}, SRTP: SRTPRequired, Suites: []string{"AES_CM_128_HMAC_SHA1_32", "AES_CM_128_HMAC_SHA1_80"}},
			codec: "PCMU/8000:0", remote: "198.51.100.20:5000", ptime: 20 * time.Millisecond,
			suite: "AES_CM_128_HMAC_SHA1_32", tag: 1, remoteKey: keyCM128b},
		{name: "SDES: unusable lines are skipped", offer: offerHead + "m=audio 5000 RTP/SAVP 0\n" +
			"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:dGVzdA==\n" + // short key
			"a=crypto:2 AES_CM_128_HMAC_SHA1_80 " + keyCM128a + "|2^20|1:4\n" + // MKI
			"a=crypto:3 AES_CM_128_HMAC_SHA1_80 " + keyCM128a + " UNENCRYPTED_SRTCP\n" +
			"a=crypto:4 AES_CM_128_HMAC_SHA1_32 " + keyCM128b + " WSH=64\n",
			p:     AnswerParams{Codecs: []string{"PCMU"}, SRTP: SRTPOptional},
			codec: "PCMU/8000:0", remote: "198.51.100.20:5000", ptime: 20 * time.Millisecond,
			suite: "AES_CM_128_HMAC_SHA1_32", tag: 4, remoteKey: keyCM128b},
		{name: "SAVP without crypto", offer: offerHead + "m=audio 5000 RTP/SAVP 0\n",
			p: AnswerParams{Codecs: []string{"PCMU"}, SRTP: SRTPOptional}, err: ErrNoCommonCrypto},
		{name: "SAVP with only unknown suites", offer: offerHead + "m=audio 5000 RTP/SAVP 0\na=crypto:1 AEAD_AES_256_GCM_8 " + keyGCM256 + "\n",
			p: AnswerParams{Codecs: []string{"PCMU"}, SRTP: SRTPOptional}, err: ErrNoCommonCrypto},
		{name: "SAVP and SRTP off", offer: offerHead + "m=audio 5000 RTP/SAVP 0\na=crypto:1 AES_CM_128_HMAC_SHA1_80 " + keyCM128a + "\n",
			p: AnswerParams{Codecs: []string{"PCMU"}}, err: ErrNoCommonCrypto},
		{name: "SRTP required, plain offer", offer: offerHead + "m=audio 5000 RTP/AVP 0\n",
			p: AnswerParams{Codecs: []string{"PCMU"}, SRTP: SRTPRequired}, err: ErrSRTPRequired},
		{name: "SRTP required, unusable crypto", offer: offerHead + "m=audio 5000 RTP/AVP 0\na=crypto:1 F8_128_HMAC_SHA1_80 " + keyCM128a + "\n",
			p: AnswerParams{Codecs: []string{"PCMU"}, SRTP: SRTPRequired}, err: ErrNoCommonCrypto},
		{name: "best-effort SRTP on RTP/AVP", offer: offerHead + "m=audio 5000 RTP/AVP 0\na=crypto:7 AES_CM_128_HMAC_SHA1_80 " + keyCM128a + "\n",
			p:     AnswerParams{Codecs: []string{"PCMU"}, SRTP: SRTPOptional},
			codec: "PCMU/8000:0", remote: "198.51.100.20:5000", ptime: 20 * time.Millisecond,
			suite: "AES_CM_128_HMAC_SHA1_80", tag: 7, remoteKey: keyCM128a},
		{name: "best-effort SRTP declined when off", offer: offerHead + "m=audio 5000 RTP/AVP 0\na=crypto:7 AES_CM_128_HMAC_SHA1_80 " + keyCM128a + "\n",
			p:     AnswerParams{Codecs: []string{"PCMU"}},
			codec: "PCMU/8000:0", remote: "198.51.100.20:5000", ptime: 20 * time.Millisecond},
		{name: "best-effort SRTP with unusable crypto falls back to RTP", offer: offerHead + "m=audio 5000 RTP/AVP 0\na=crypto:7 AES_CM_128_HMAC_SHA1_80 inline:!!\n",
			p:     AnswerParams{Codecs: []string{"PCMU"}, SRTP: SRTPOptional},
			codec: "PCMU/8000:0", remote: "198.51.100.20:5000", ptime: 20 * time.Millisecond},
		{name: "hold by sendonly", offer: offerHead + "m=audio 5000 RTP/AVP 0\na=sendonly\n",
			p:     AnswerParams{Codecs: []string{"PCMU"}},
			codec: "PCMU/8000:0", dir: RecvOnly, remote: "198.51.100.20:5000", ptime: 20 * time.Millisecond},
		{name: "hold by c=0.0.0.0", offer: "@cisco_hold.sdp",
			p:     AnswerParams{Codecs: []string{"PCMU"}, TelephoneEvent: true},
			codec: "PCMU/8000:0", event: "telephone-event/8000:101", dir: RecvOnly, remote: "0.0.0.0:24580", ptime: 20 * time.Millisecond},
		{name: "inactive", offer: offerHead + "m=audio 5000 RTP/AVP 0\na=inactive\n",
			p:     AnswerParams{Codecs: []string{"PCMU"}},
			codec: "PCMU/8000:0", dir: Inactive, remote: "198.51.100.20:5000", ptime: 20 * time.Millisecond},
		{name: "recvonly", offer: offerHead + "m=audio 5000 RTP/AVP 0\na=recvonly\n",
			p:     AnswerParams{Codecs: []string{"PCMU"}},
			codec: "PCMU/8000:0", dir: SendOnly, remote: "198.51.100.20:5000", ptime: 20 * time.Millisecond},
		{name: "we hold in the answer", offer: offerHead + "m=audio 5000 RTP/AVP 0\n",
			p:     AnswerParams{Codecs: []string{"PCMU"}, Direction: SendOnly},
			codec: "PCMU/8000:0", dir: SendOnly, remote: "198.51.100.20:5000", ptime: 20 * time.Millisecond},
		{name: "we hold, they hold", offer: offerHead + "m=audio 5000 RTP/AVP 0\na=sendonly\n",
			p:     AnswerParams{Codecs: []string{"PCMU"}, Direction: SendOnly},
			codec: "PCMU/8000:0", dir: Inactive, remote: "198.51.100.20:5000", ptime: 20 * time.Millisecond},
		{name: "video rejected with port 0", offer: offerHead + "m=audio 5000 RTP/AVP 0\nm=video 5002 RTP/AVP 31 34\n",
			p:     AnswerParams{Codecs: []string{"PCMU"}},
			codec: "PCMU/8000:0", remote: "198.51.100.20:5000", ptime: 20 * time.Millisecond, ports: []int{33000, 0}},
		{name: "T.38 before audio rejected", offer: "@t38_and_audio.sdp",
			p:     AnswerParams{Codecs: []string{"PCMA"}},
			codec: "PCMA/8000:8", remote: "192.0.2.77:4002", ptime: 20 * time.Millisecond, ports: []int{0, 33000}},
		{name: "second audio and unknown transports rejected",
			offer: offerHead + "m=audio 0 RTP/AVP 0\nm=audio 5002 RTP/AVPF 0\nm=audio 5004 RTP/AVP 0\nm=audio 5006 RTP/AVP 8\n",
			p:     AnswerParams{Codecs: []string{"PCMU", "PCMA"}},
			codec: "PCMU/8000:0", remote: "198.51.100.20:5004", ptime: 20 * time.Millisecond, ports: []int{0, 0, 33000, 0}},
		{name: "ptime: theirs wins for sending", offer: offerHead + "m=audio 5000 RTP/AVP 0\na=ptime:30\n",
			p:     AnswerParams{Codecs: []string{"PCMU"}, PTime: 20 * time.Millisecond},
			codec: "PCMU/8000:0", remote: "198.51.100.20:5000", ptime: 30 * time.Millisecond},
		{name: "ptime: ours without theirs", offer: offerHead + "m=audio 5000 RTP/AVP 0\n",
			p:     AnswerParams{Codecs: []string{"PCMU"}, PTime: 40 * time.Millisecond},
			codec: "PCMU/8000:0", remote: "198.51.100.20:5000", ptime: 40 * time.Millisecond},
		{name: "no audio", offer: "@webrtc_dtls.sdp", p: AnswerParams{Codecs: []string{"PCMU"}}, err: ErrNoAudio},
		{name: "video only", offer: offerHead + "m=video 5002 RTP/AVP 31\n", p: AnswerParams{Codecs: []string{"PCMU"}}, err: ErrNoAudio},
		{name: "unknown codec in our list", offer: offerHead + "m=audio 5000 RTP/AVP 0\n", p: AnswerParams{Codecs: []string{"G729"}}, err: ErrBadParams},
		{name: "no port", offer: offerHead + "m=audio 5000 RTP/AVP 0\n", p: AnswerParams{Codecs: []string{"PCMU"}, Port: -1}, err: ErrBadParams},
		{name: "bad key from the generator", offer: offerHead + "m=audio 5000 RTP/AVP 0\na=crypto:7 AES_CM_128_HMAC_SHA1_80 " + keyCM128a + "\n",
			p: AnswerParams{Codecs: []string{"PCMU"}, SRTP: SRTPOptional, Key: func(string) (string, error) { return keyCM256a, nil }}, err: ErrBadParams},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := []byte(tt.offer)
			if file, ok := strings.CutPrefix(tt.offer, "@"); ok {
				raw = readSDP(t, file)
			}
			offer := mustParse(t, raw)
			p := tt.p
			p.Registry, p.SessionID, p.Version, p.Addr = reg, 31, 1, ourAddr
			if p.Port == 0 {
				p.Port = 33000
			} else if p.Port < 0 {
				p.Port = 0
			}
			if p.Key == nil {
				p.Key = fixedKey
			}
			b, n, err := Answer(offer, p)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("Answer = %v; want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			ans := checkAnswer(t, offer, b, n)

			if got := codecNames([]Codec{n.Codec}); got[0] != tt.codec {
				t.Errorf("codec %s, want %s", got[0], tt.codec)
			}
			event := ""
			if n.TelephoneEvent != nil {
				event = codecNames([]Codec{*n.TelephoneEvent})[0]
			}
			if event != tt.event {
				t.Errorf("event %q, want %q", event, tt.event)
			}
			if n.Direction != tt.dir || n.PTime != tt.ptime || n.Remote.String() != tt.remote {
				t.Errorf("dir %v ptime %v remote %v, want %v %v %s", n.Direction, n.PTime, n.Remote, tt.dir, tt.ptime, tt.remote)
			}
			switch {
			case tt.suite == "" && n.SRTP != nil:
				t.Errorf("SRTP %+v, want plain RTP", n.SRTP)
			case tt.suite != "" && n.SRTP == nil:
				t.Errorf("plain RTP, want %s", tt.suite)
			case tt.suite != "":
				want := SRTP{Tag: tt.tag, Suite: tt.suite, RemoteKey: tt.remoteKey}
				want.LocalKey, _ = fixedKey(tt.suite)
				if *n.SRTP != want {
					t.Errorf("SRTP %+v, want %+v", *n.SRTP, want)
				}
			}
			if tt.ports != nil {
				var ports []int
				for _, st := range ans.Streams {
					ports = append(ports, st.Port)
				}
				if !slices.Equal(ports, tt.ports) {
					t.Errorf("answer ports %v, want %v", ports, tt.ports)
				}
			}
		})
	}
}

// checkAnswer checks an answer against RFC 3264 §6 and against ApplyAnswer,
// which must settle the mirror image of n; it returns the parsed answer.
func checkAnswer(t testing.TB, offer *Session, b []byte, n Negotiated) *Session {
	t.Helper()
	ans, err := Parse(b)
	if err != nil {
		t.Fatalf("answer does not parse: %v\n%s", err, b)
	}
	if len(ans.Streams) != len(offer.Streams) || ans.AudioIndex != offer.AudioIndex {
		t.Fatalf("answer streams %+v for offer %+v", ans.Streams, offer.Streams)
	}
	for i, st := range ans.Streams {
		o := offer.Streams[i]
		if st.Media != o.Media || st.Proto != o.Proto {
			t.Errorf("m-line %d: %s %s, offered %s %s", i+1, st.Media, st.Proto, o.Media, o.Proto)
		}
		if i != offer.AudioIndex && (st.Port != 0 || !slices.Equal(st.Formats, o.Formats)) {
			t.Errorf("m-line %d not rejected as offered: %+v", i+1, st)
		}
	}
	a := ans.Audio
	if len(a.Codecs) != 1 || a.Codecs[0].PT != n.Codec.PT || !same(a.Codecs[0], n.Codec) {
		t.Errorf("answer codecs %v, negotiated %v", a.Codecs, n.Codec)
	}
	if n.TelephoneEvent == nil && len(a.TelephoneEvents) != 0 ||
		n.TelephoneEvent != nil && (len(a.TelephoneEvents) != 1 || a.TelephoneEvents[0].PT != n.TelephoneEvent.PT) {
		t.Errorf("answer events %v, negotiated %v", a.TelephoneEvents, n.TelephoneEvent)
	}
	if a.Direction != n.Direction {
		t.Errorf("answer direction %v, negotiated %v", a.Direction, n.Direction)
	}
	if n.SRTP == nil && len(a.Crypto) != 0 || n.SRTP != nil && len(a.Crypto) != 1 {
		t.Errorf("answer crypto %v, negotiated %+v", a.Crypto, n.SRTP)
	}
	if strings.Contains(n.String(), "inline:") {
		t.Errorf("Negotiated.String leaks keys: %s", n)
	}

	// the offerer's view
	m, err := ApplyAnswer(offer, ans)
	if err != nil {
		t.Fatalf("ApplyAnswer: %v\noffer:\n%v\nanswer:\n%s", err, offer, b)
	}
	if m.Codec.PT != n.Codec.PT || !same(m.Codec, n.Codec) || m.RecvPT != n.RecvPT {
		t.Errorf("offerer codec %v/%d, answerer %v/%d", m.Codec, m.RecvPT, n.Codec, n.RecvPT)
	}
	if (m.TelephoneEvent == nil) != (n.TelephoneEvent == nil) || m.TelephoneEvent != nil && m.TelephoneEvent.PT != n.TelephoneEvent.PT {
		t.Errorf("offerer event %v, answerer %v", m.TelephoneEvent, n.TelephoneEvent)
	}
	if m.Direction != n.Direction.Reverse() {
		t.Errorf("offerer direction %v, answerer %v", m.Direction, n.Direction)
	}
	if m.Remote != a.RTP() {
		t.Errorf("offerer remote %v, answer has %v", m.Remote, a.RTP())
	}
	if (m.SRTP == nil) != (n.SRTP == nil) ||
		m.SRTP != nil && (m.SRTP.LocalKey != n.SRTP.RemoteKey || m.SRTP.RemoteKey != n.SRTP.LocalKey || m.SRTP.Suite != n.SRTP.Suite) {
		t.Errorf("offerer SRTP %+v, answerer %+v", m.SRTP, n.SRTP)
	}
	return ans
}

func TestApplyAnswer(t *testing.T) {
	reg := testRegistry(t)
	build := func(p OfferParams) *Session {
		p.SessionID, p.Version, p.Addr, p.Port, p.Registry = 1, 1, ourAddr, 40000, reg
		b, err := BuildOffer(p)
		if err != nil {
			t.Fatal(err)
		}
		return mustParse(t, b)
	}
	plain := build(OfferParams{Codecs: []string{"G722", "PCMU", "opus"}, TelephoneEvent: true, PTime: 20 * time.Millisecond})
	savp := build(OfferParams{Codecs: []string{"PCMU"}, SRTP: SRTPRequired,
		Crypto: []Crypto{{Suite: "AES_CM_128_HMAC_SHA1_80", Key: keyCM128a}, {Suite: "AES_CM_128_HMAC_SHA1_32", Key: keyCM128b}}})
	bestEffort := build(OfferParams{Codecs: []string{"PCMU"}, SRTP: SRTPOptional,
		Crypto: []Crypto{{Suite: "AES_CM_128_HMAC_SHA1_80", Key: keyCM128a}}})
	held := build(OfferParams{Codecs: []string{"PCMU"}, Direction: SendOnly})

	const ah = "v=0\no=- 9 1 IN IP4 198.51.100.20\ns=-\nc=IN IP4 198.51.100.20\nt=0 0\n"
	tests := []struct {
		name   string
		offer  *Session
		answer string
		err    error
		check  func(t *testing.T, n Negotiated)
	}{
		{"codec and event", plain, ah + "m=audio 6000 RTP/AVP 0 101\na=rtpmap:101 telephone-event/8000\na=ptime:30\n", nil, func(t *testing.T, n Negotiated) {
			if n.Codec.Name != "PCMU" || n.Codec.PT != 0 || n.TelephoneEvent == nil || n.TelephoneEvent.PT != 101 ||
				n.PTime != 30*time.Millisecond || n.Direction != SendRecv || n.Remote.String() != "198.51.100.20:6000" ||
				n.RemoteRTCP.String() != "198.51.100.20:6001" || n.SRTP != nil {
				t.Errorf("%v rtcp %v", n, n.RemoteRTCP)
			}
		}},
		{"several codecs: the first we offered wins", plain, ah + "m=audio 6000 RTP/AVP 18 9 0\n", nil, func(t *testing.T, n Negotiated) {
			if n.Codec.Name != "G722" || n.TelephoneEvent != nil || n.PTime != 20*time.Millisecond {
				t.Errorf("%v", n)
			}
		}},
		{"renumbered dynamic PT", plain, ah + "m=audio 6000 RTP/AVP 120 121\na=rtpmap:120 OPUS/48000/2\na=rtpmap:121 telephone-event/48000\n", nil, func(t *testing.T, n Negotiated) {
			if n.Codec.Name != "opus" || n.Codec.PT != 120 || n.RecvPT != 111 || n.TelephoneEvent == nil || n.TelephoneEvent.PT != 121 || n.RecvEventPT != 96 {
				t.Errorf("%v recv %d/%d", n, n.RecvPT, n.RecvEventPT)
			}
		}},
		{"answer recvonly: we only send", plain, ah + "m=audio 6000 RTP/AVP 0\na=recvonly\n", nil, func(t *testing.T, n Negotiated) {
			if n.Direction != SendOnly {
				t.Errorf("%v", n.Direction)
			}
		}},
		{"our hold answered recvonly", held, ah + "m=audio 6000 RTP/AVP 0\na=recvonly\n", nil, func(t *testing.T, n Negotiated) {
			if n.Direction != SendOnly {
				t.Errorf("%v", n.Direction)
			}
		}},
		{"our hold answered c=0.0.0.0 inactive", held, strings.Replace(ah, "c=IN IP4 198.51.100.20", "c=IN IP4 0.0.0.0", 1) + "m=audio 6000 RTP/AVP 0\na=inactive\n", nil, func(t *testing.T, n Negotiated) {
			if n.Direction != Inactive {
				t.Errorf("%v", n.Direction)
			}
		}},
		{"SRTP", savp, ah + "m=audio 6000 RTP/SAVP 0\na=crypto:2 AES_CM_128_HMAC_SHA1_32 " + keyCM128c + "\n", nil, func(t *testing.T, n Negotiated) {
			if n.SRTP == nil || *n.SRTP != (SRTP{Tag: 2, Suite: "AES_CM_128_HMAC_SHA1_32", LocalKey: keyCM128b, RemoteKey: keyCM128c}) {
				t.Errorf("%+v", n.SRTP)
			}
		}},
		{"best-effort SRTP answered plain", bestEffort, ah + "m=audio 6000 RTP/AVP 0\n", nil, func(t *testing.T, n Negotiated) {
			if n.SRTP != nil {
				t.Errorf("%+v", n.SRTP)
			}
		}},
		{"best-effort SRTP accepted", bestEffort, ah + "m=audio 6000 RTP/AVP 0\na=crypto:1 AES_CM_128_HMAC_SHA1_80 " + keyCM128c + "\n", nil, func(t *testing.T, n Negotiated) {
			if n.SRTP == nil || n.SRTP.RemoteKey != keyCM128c || n.SRTP.LocalKey != keyCM128a {
				t.Errorf("%+v", n.SRTP)
			}
		}},
		{"codec we did not offer", plain, ah + "m=audio 6000 RTP/AVP 8\n", ErrBadAnswer, nil},
		{"no codec at all", plain, ah + "m=audio 6000 RTP/AVP 96\n", ErrBadAnswer, nil},
		{"audio rejected", plain, ah + "m=audio 0 RTP/AVP 0\n", ErrRejected, nil},
		{"extra m-line", plain, ah + "m=audio 6000 RTP/AVP 0\nm=video 6002 RTP/AVP 31\n", ErrBadAnswer, nil},
		{"no m-line", plain, ah, ErrBadAnswer, nil},
		{"other transport", plain, ah + "m=audio 6000 RTP/SAVP 0\n", ErrBadAnswer, nil},
		{"other media", plain, ah + "m=video 6000 RTP/AVP 0\n", ErrBadAnswer, nil},
		{"SAVP answered without crypto", savp, ah + "m=audio 6000 RTP/SAVP 0\n", ErrSRTPRequired, nil},
		{"crypto tag we did not offer", savp, ah + "m=audio 6000 RTP/SAVP 0\na=crypto:3 AES_CM_128_HMAC_SHA1_80 " + keyCM128c + "\n", ErrBadAnswer, nil},
		{"crypto tag with another suite", savp, ah + "m=audio 6000 RTP/SAVP 0\na=crypto:1 AES_CM_128_HMAC_SHA1_32 " + keyCM128c + "\n", ErrBadAnswer, nil},
		{"crypto with a bad key", savp, ah + "m=audio 6000 RTP/SAVP 0\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:AAAA\n", ErrBadAnswer, nil},
		{"crypto we never offered", plain, ah + "m=audio 6000 RTP/AVP 0\na=crypto:1 AES_CM_128_HMAC_SHA1_80 " + keyCM128c + "\n", ErrBadAnswer, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := ApplyAnswer(tt.offer, mustParse(t, sdpText(tt.answer)))
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("ApplyAnswer = %v, %v; want %v", n, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, n)
		})
	}
	if _, err := ApplyAnswer(&Session{AudioIndex: -1}, plain); !errors.Is(err, ErrNoAudio) {
		t.Errorf("offer without audio: %v", err)
	}
	if _, err := ApplyAnswer(plain, nil); !errors.Is(err, ErrBadAnswer) {
		t.Errorf("nil answer: %v", err)
	}
}
