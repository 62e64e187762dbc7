package sdp

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

// sdpText turns a readable SDP (LF, leading tabs) into wire form (CRLF).
func sdpText(s string) []byte {
	var b strings.Builder
	for line := range strings.SplitSeq(strings.TrimSpace(s), "\n") {
		b.WriteString(strings.TrimSpace(line))
		b.WriteString("\r\n")
	}
	return []byte(b.String())
}

// codecNames renders codecs as "name/clock[/ch]:pt" for compact comparison.
func codecNames(cs []Codec) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = fmt.Sprintf("%s:%d", rtpmap(c), c.PT)
	}
	return out
}

func TestParseRealWorld(t *testing.T) {
	tests := []struct {
		file       string
		audioIndex int
		rtp, rtcp  string
		codecs     []string
		events     []string
		ptime      time.Duration
		dir        Direction
		nullAddr   bool
		crypto     []string // suites
		streams    []string // media/port/proto
	}{
		{file: "asterisk.sdp", rtp: "203.0.113.5:10024", rtcp: "203.0.113.5:10025",
			codecs: []string{"PCMU/8000:0", "PCMA/8000:8", "G722/8000:9", "GSM/8000:3"},
			events: []string{"telephone-event/8000:101"}, ptime: 20 * time.Millisecond,
			streams: []string{"audio/10024/RTP/AVP"}},
		{file: "freeswitch_savp.sdp", rtp: "198.51.100.7:23456", rtcp: "198.51.100.7:23457",
			codecs: []string{"opus/48000/2:102", "G722/8000:9", "PCMU/8000:0", "PCMA/8000:8", "CN/8000:13"},
			events: []string{"telephone-event/8000:101"}, ptime: 20 * time.Millisecond,
			crypto:  []string{"AEAD_AES_256_GCM_8", "AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32"},
			streams: []string{"audio/23456/RTP/SAVP"}},
		{file: "linphone.sdp", rtp: "192.168.1.20:7078", rtcp: "192.168.1.20:7079",
			// 18 has only an fmtp: resolved by the static table, fmtp kept
			codecs:  []string{"opus/48000/2:96", "speex/16000:97", "speex/8000:98", "PCMU/8000:0", "PCMA/8000:8", "G729/8000:18"},
			events:  []string{"telephone-event/48000:101", "telephone-event/16000:99", "telephone-event/8000:100"},
			streams: []string{"audio/7078/RTP/AVP", "video/9078/RTP/AVP"}},
		{file: "polycom.sdp", rtp: "10.0.0.50:2222", rtcp: "10.0.0.50:2223",
			codecs: []string{"G722/8000:9", "G7221/16000:102", "PCMU/8000:0", "PCMA/8000:8", "G729/8000:18"},
			events: []string{"telephone-event/8000:127"}, streams: []string{"audio/2222/RTP/AVP"}},
		{file: "cisco_hold.sdp", rtp: "0.0.0.0:24580", rtcp: "0.0.0.0:24581",
			codecs: []string{"PCMU/8000:0"}, events: []string{"telephone-event/8000:101"},
			ptime: 20 * time.Millisecond, dir: SendOnly, nullAddr: true, streams: []string{"audio/24580/RTP/AVP"}},
		{file: "ipv6.sdp", rtp: "[2001:db8::10]:30000", rtcp: "[2001:db8::10]:30001",
			codecs: []string{"PCMA/8000:8", "PCMU/8000:0"}, events: []string{"telephone-event/8000:101"},
			ptime: 30 * time.Millisecond, dir: SendOnly, streams: []string{"audio/30000/RTP/AVP"}},
		{file: "t38_and_audio.sdp", audioIndex: 1, rtp: "192.0.2.77:4002", rtcp: "192.0.2.77:4003",
			codecs: []string{"PCMA/8000:8"}, streams: []string{"image/4000/udptl", "audio/4002/RTP/AVP"}},
		{file: "webrtc_dtls.sdp", audioIndex: -1, streams: []string{"audio/9/UDP/TLS/RTP/SAVPF"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			s := mustParse(t, readSDP(t, tt.file))
			var streams []string
			for _, st := range s.Streams {
				streams = append(streams, fmt.Sprintf("%s/%d/%s", st.Media, st.Port, st.Proto))
			}
			if !slices.Equal(streams, tt.streams) {
				t.Errorf("streams %q, want %q", streams, tt.streams)
			}
			if s.AudioIndex != tt.audioIndex {
				t.Fatalf("AudioIndex %d, want %d", s.AudioIndex, tt.audioIndex)
			}
			if tt.audioIndex < 0 {
				if s.Audio != nil {
					t.Fatalf("Audio = %v, want nil", s.Audio)
				}
				return
			}
			a := s.Audio
			if a.RTP().String() != tt.rtp || a.RTCP().String() != tt.rtcp {
				t.Errorf("RTP %v RTCP %v, want %s %s", a.RTP(), a.RTCP(), tt.rtp, tt.rtcp)
			}
			if got := codecNames(a.Codecs); !slices.Equal(got, tt.codecs) {
				t.Errorf("codecs %q, want %q", got, tt.codecs)
			}
			if got := codecNames(a.TelephoneEvents); !slices.Equal(got, tt.events) {
				t.Errorf("events %q, want %q", got, tt.events)
			}
			if a.PTime != tt.ptime || a.Direction != tt.dir || a.NullAddr != tt.nullAddr {
				t.Errorf("ptime %v dir %v null %v, want %v %v %v", a.PTime, a.Direction, a.NullAddr, tt.ptime, tt.dir, tt.nullAddr)
			}
			var suites []string
			for _, c := range a.Crypto {
				suites = append(suites, c.Suite)
			}
			if !slices.Equal(suites, tt.crypto) {
				t.Errorf("crypto %q, want %q", suites, tt.crypto)
			}
			if a.Secure != (a.Proto == "RTP/SAVP") {
				t.Errorf("Secure %v for %s", a.Secure, a.Proto)
			}
			if strings.Contains(s.String(), "inline:") && !strings.Contains(s.String(), "inline:…") {
				t.Errorf("String leaks keys: %s", s)
			}
		})
	}
}

func TestParseDetails(t *testing.T) {
	const head = "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n"
	tests := []struct {
		name  string
		sdp   string
		check func(t *testing.T, s *Session)
	}{
		{"static PTs without rtpmap", head + "m=audio 5004 RTP/AVP 8 0 9 18\n", func(t *testing.T, s *Session) {
			want := []string{"PCMA/8000:8", "PCMU/8000:0", "G722/8000:9", "G729/8000:18"}
			if got := codecNames(s.Audio.Codecs); !slices.Equal(got, want) {
				t.Errorf("codecs %q, want %q", got, want)
			}
		}},
		{"rtpmap overrides the static table", head + "m=audio 5004 RTP/AVP 0\na=rtpmap:0 pcmu/8000\n", func(t *testing.T, s *Session) {
			if got := s.Audio.Codecs[0].Name; got != "pcmu" {
				t.Errorf("name %q, want the rtpmap's spelling", got)
			}
		}},
		{"rtpmap and fmtp for PTs not on the m-line are ignored",
			head + "m=audio 5004 RTP/AVP 0\na=rtpmap:96 opus/48000/2\na=fmtp:96 x=1\na=fmtp:0 ignored-by-nobody\n",
			func(t *testing.T, s *Session) {
				if len(s.Audio.Codecs) != 1 || s.Audio.Codecs[0].Fmtp != "ignored-by-nobody" {
					t.Errorf("codecs %+v", s.Audio.Codecs)
				}
			}},
		{"dynamic PT without rtpmap is dropped", head + "m=audio 5004 RTP/AVP 96 0\n", func(t *testing.T, s *Session) {
			if got := codecNames(s.Audio.Codecs); !slices.Equal(got, []string{"PCMU/8000:0"}) {
				t.Errorf("codecs %q", got)
			}
		}},
		{"non-numeric, out-of-range and repeated formats are ignored", head + "m=audio 5004 RTP/AVP x 0 200 0 -1 8\n",
			func(t *testing.T, s *Session) {
				if got := codecNames(s.Audio.Codecs); !slices.Equal(got, []string{"PCMU/8000:0", "PCMA/8000:8"}) {
					t.Errorf("codecs %q", got)
				}
			}},
		{"malformed rtpmap is ignored", head + "m=audio 5004 RTP/AVP 96 97 98 0\na=rtpmap:96 opus\na=rtpmap:97 x/-1\na=rtpmap:98 y/8000/0\n",
			func(t *testing.T, s *Session) {
				if got := codecNames(s.Audio.Codecs); !slices.Equal(got, []string{"PCMU/8000:0"}) {
					t.Errorf("codecs %q", got)
				}
			}},
		{"absurd ptime is ignored", head + "m=audio 5004 RTP/AVP 0\na=ptime:100000\n", func(t *testing.T, s *Session) {
			if s.Audio.PTime != 0 {
				t.Errorf("ptime %v", s.Audio.PTime)
			}
		}},
		{"negative ptime is ignored", head + "m=audio 5004 RTP/AVP 0\na=ptime:-20\n", func(t *testing.T, s *Session) {
			if s.Audio.PTime != 0 {
				t.Errorf("ptime %v", s.Audio.PTime)
			}
		}},
		{"NaN ptime is ignored", head + "m=audio 5004 RTP/AVP 0\na=ptime:NaN\n", func(t *testing.T, s *Session) {
			if s.Audio.PTime != 0 {
				t.Errorf("ptime %v", s.Audio.PTime)
			}
		}},
		{"decimal ptime", head + "m=audio 5004 RTP/AVP 0\na=ptime:20.0\n", func(t *testing.T, s *Session) {
			if s.Audio.PTime != 20*time.Millisecond {
				t.Errorf("ptime %v", s.Audio.PTime)
			}
		}},
		{"a=rtcp with address", head + "m=audio 5004 RTP/AVP 0\na=rtcp:6000 IN IP4 192.0.2.99\n", func(t *testing.T, s *Session) {
			if got := s.Audio.RTCP().String(); got != "192.0.2.99:6000" {
				t.Errorf("RTCP %s", got)
			}
		}},
		{"malformed a=rtcp is ignored", head + "m=audio 5004 RTP/AVP 0\na=rtcp:99999\n", func(t *testing.T, s *Session) {
			if got := s.Audio.RTCP().String(); got != "192.0.2.1:5005" {
				t.Errorf("RTCP %s", got)
			}
		}},
		{"malformed crypto lines are ignored", head + "m=audio 5004 RTP/SAVP 0\na=crypto:x AES_CM_128_HMAC_SHA1_80 " + keyCM128a + "\na=crypto:1 AES_CM_128_HMAC_SHA1_80\na=crypto:2 AES_CM_128_HMAC_SHA1_80 " + keyCM128a + " WSH=64\n",
			func(t *testing.T, s *Session) {
				if len(s.Audio.Crypto) != 1 || s.Audio.Crypto[0].Tag != 2 || s.Audio.Crypto[0].Params != "WSH=64" {
					t.Errorf("crypto %v", s.Audio.Crypto)
				}
			}},
		{"media-level c= overrides session-level", head + "m=audio 5004 RTP/AVP 0\nc=IN IP4 192.0.2.55\n", func(t *testing.T, s *Session) {
			if s.Audio.Addr != netip.MustParseAddr("192.0.2.55") {
				t.Errorf("addr %v", s.Audio.Addr)
			}
		}},
		{"media-level c= alone", "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nt=0 0\nm=audio 5004 RTP/AVP 0\nc=IN IP4 192.0.2.56\n", func(t *testing.T, s *Session) {
			if s.Audio.Addr != netip.MustParseAddr("192.0.2.56") {
				t.Errorf("addr %v", s.Audio.Addr)
			}
		}},
		{"session-level direction applies", head + "a=recvonly\nm=audio 5004 RTP/AVP 0\n", func(t *testing.T, s *Session) {
			if s.Audio.Direction != RecvOnly {
				t.Errorf("dir %v", s.Audio.Direction)
			}
		}},
		{"media-level direction overrides session-level", head + "a=inactive\nm=audio 5004 RTP/AVP 0\na=sendonly\n", func(t *testing.T, s *Session) {
			if s.Audio.Direction != SendOnly || !s.IsHold() {
				t.Errorf("dir %v hold %v", s.Audio.Direction, s.IsHold())
			}
		}},
		{"c=0.0.0.0 with recvonly is inactive", strings.Replace(head, "c=IN IP4 192.0.2.1", "c=IN IP4 0.0.0.0", 1) + "m=audio 5004 RTP/AVP 0\na=recvonly\n",
			func(t *testing.T, s *Session) {
				if s.Audio.Direction != Inactive || !s.Audio.NullAddr || !s.IsHold() {
					t.Errorf("dir %v null %v", s.Audio.Direction, s.Audio.NullAddr)
				}
			}},
		{"c=IN IP6 :: is a null address too", "v=0\no=- 1 1 IN IP6 ::1\ns=-\nc=IN IP6 ::\nt=0 0\nm=audio 5004 RTP/AVP 0\n",
			func(t *testing.T, s *Session) {
				if s.Audio.Direction != SendOnly || !s.Audio.NullAddr {
					t.Errorf("dir %v null %v", s.Audio.Direction, s.Audio.NullAddr)
				}
			}},
		{"recvonly is not hold", head + "m=audio 5004 RTP/AVP 0\na=recvonly\n", func(t *testing.T, s *Session) {
			if s.IsHold() {
				t.Error("IsHold")
			}
		}},
		{"first audio stream is used, the second kept for rejection",
			head + "m=audio 5004 RTP/AVP 0\nm=audio 5006 RTP/AVP 8\nm=video 5008 RTP/AVP 31\n", func(t *testing.T, s *Session) {
				if s.AudioIndex != 0 || s.Audio.Port != 5004 || len(s.Streams) != 3 || s.Streams[1].Port != 5006 {
					t.Errorf("index %d streams %+v", s.AudioIndex, s.Streams)
				}
			}},
		{"disabled and unknown-transport audio streams are skipped",
			head + "m=audio 0 RTP/AVP 0\nm=audio 5006 RTP/SAVPF 0\nm=audio 5008 RTP/AVP 8\n", func(t *testing.T, s *Session) {
				if s.AudioIndex != 2 || s.Audio.Port != 5008 {
					t.Errorf("index %d", s.AudioIndex)
				}
			}},
		{"broken second audio stream does not matter", head + "m=audio 5004 RTP/AVP 0\nm=audio 5006 RTP/AVP x\n",
			func(t *testing.T, s *Session) {
				if s.AudioIndex != 0 {
					t.Errorf("index %d", s.AudioIndex)
				}
			}},
		{"unknown media and transport", head + "m=image 5004 udptl t38\nm=foo 5006 bar/baz x\nm=audio 5008 RTP/AVP 0\n",
			func(t *testing.T, s *Session) {
				want := []Stream{{"image", 5004, "udptl", []string{"t38"}}, {"foo", 5006, "bar/baz", []string{"x"}}}
				for i, w := range want {
					if st := s.Streams[i]; st.Media != w.Media || st.Proto != w.Proto || st.Port != w.Port || !slices.Equal(st.Formats, w.Formats) {
						t.Errorf("stream %d %+v, want %+v", i, st, w)
					}
				}
				if s.AudioIndex != 2 {
					t.Errorf("index %d", s.AudioIndex)
				}
			}},
		{"LF, CR and no final line break", strings.ReplaceAll(strings.TrimSuffix(head+"m=audio 5004 RTP/AVP 0\na=sendonly\n", "\n"), "o=", "\ro="),
			func(t *testing.T, s *Session) {
				if s.Audio == nil || s.Audio.Direction != SendOnly {
					t.Errorf("audio %v", s.Audio)
				}
			}},
		{"origin", head + "m=audio 5004 RTP/AVP 0\n", func(t *testing.T, s *Session) {
			if s.Username != "-" || s.ID != 1 || s.Version != 1 || s.Origin != netip.MustParseAddr("192.0.2.1") {
				t.Errorf("origin %q %d %d %v", s.Username, s.ID, s.Version, s.Origin)
			}
		}},
		{"origin host name", strings.Replace(head, "IN IP4 192.0.2.1\ns", "IN IP4 pbx.example.com\ns", 1) + "m=audio 5004 RTP/AVP 0\n",
			func(t *testing.T, s *Session) {
				if s.Origin.IsValid() {
					t.Errorf("origin %v", s.Origin)
				}
			}},
		{"no media at all", head, func(t *testing.T, s *Session) {
			if s.Audio != nil || s.AudioIndex != -1 || len(s.Streams) != 0 {
				t.Errorf("session %v", s)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.check(t, mustParse(t, []byte(tt.sdp)))
		})
	}
}

func TestParseErrors(t *testing.T) {
	const head = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
	noC := "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n"
	tests := []struct {
		name, sdp, msg string
	}{
		{"empty", "", "empty"},
		{"blank lines", "\r\n\r\n", "truncated"},
		{"garbage", "hello world", "syntax"},
		{"binary", "\x00\xff\xfe=\x01", "syntax"},
		{"truncated", "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n", "truncated"},
		{"version 1", "v=1\r\n" + head[5:], "invalid"},
		{"port above 65535", head + "m=audio 99999 RTP/AVP 0\r\n", "port"},
		{"port not a number", head + "m=audio abc RTP/AVP 0\r\n", "port"},
		{"no c= anywhere", noC + "m=audio 5004 RTP/AVP 0\r\n", "no connection address"},
		{"c= host name", strings.Replace(head, "c=IN IP4 192.0.2.1", "c=IN IP4 media.example.com", 1) + "m=audio 5004 RTP/AVP 0\r\n", "not an IP address"},
		{"c= without address", strings.Replace(head, "c=IN IP4 192.0.2.1", "c=IN IP4", 1) + "m=audio 5004 RTP/AVP 0\r\n", "no address"},
		{"c= IP4 with IPv6 address", strings.Replace(head, "c=IN IP4 192.0.2.1", "c=IN IP4 2001:db8::1", 1) + "m=audio 5004 RTP/AVP 0\r\n", "IP4 with"},
		{"c= IP6 with IPv4 address", strings.Replace(head, "c=IN IP4 192.0.2.1", "c=IN IP6 192.0.2.1", 1) + "m=audio 5004 RTP/AVP 0\r\n", "IP6 with"},
		{"c= zone", strings.Replace(head, "c=IN IP4 192.0.2.1", "c=IN IP6 fe80::1%eth0", 1) + "m=audio 5004 RTP/AVP 0\r\n", "not an IP address"},
		{"c= multicast", strings.Replace(head, "c=IN IP4 192.0.2.1", "c=IN IP4 224.2.1.1/127", 1) + "m=audio 5004 RTP/AVP 0\r\n", "multicast"},
		{"no formats", head + "m=audio 5004 RTP/AVP\r\n", "no formats"},
		{"no numeric formats", head + "m=audio 5004 RTP/AVP abc xyz\r\n", "no RTP payload type"},
		{"unknown line type", head + "y=foo\r\n", "syntax"},
		{"too big", head + strings.Repeat("a=x\r\n", MaxSize/5), "more than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse([]byte(tt.sdp))
			if !errors.Is(err, ErrBadSDP) {
				t.Fatalf("Parse = %v, %v; want ErrBadSDP", s, err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not say %q", err, tt.msg)
			}
		})
	}
}

func TestDirection(t *testing.T) {
	for _, tt := range []struct {
		d, rev     Direction
		send, recv bool
	}{
		{SendRecv, SendRecv, true, true},
		{SendOnly, RecvOnly, true, false},
		{RecvOnly, SendOnly, false, true},
		{Inactive, Inactive, false, false},
	} {
		if tt.d.Reverse() != tt.rev || tt.d.Sends() != tt.send || tt.d.Receives() != tt.recv {
			t.Errorf("%v: reverse %v sends %v receives %v", tt.d, tt.d.Reverse(), tt.d.Sends(), tt.d.Receives())
		}
		if d, ok := ParseDirection(tt.d.String()); !ok || d != tt.d {
			t.Errorf("ParseDirection(%q) = %v, %v", tt.d.String(), d, ok)
		}
	}
	if _, ok := ParseDirection("sideways"); ok {
		t.Error("ParseDirection accepted sideways")
	}
	if got := Direction(9).String(); got != "direction(9)" {
		t.Errorf("String = %q", got)
	}
}
