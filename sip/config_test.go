package sip

import (
	"strings"
	"testing"
)

func TestExampleConfigParses(t *testing.T) {
	c, err := ParseConfig("example", []byte(ExampleConfig))
	if err != nil {
		t.Fatal(err)
	}
	g, ok := c.Routes[1].Match("sip:1234@gw.example", "sip:a@b", "sip:1234@gw", "127.0.0.1:5060")
	if !ok || c.Routes[1].Target(g) != "sip:1234@127.0.0.1:5070" {
		t.Fatalf("route pbx: ok=%v target=%q", ok, c.Routes[1].Target(g))
	}
	if _, ok := c.Routes[1].Match("sip:alice@gw", "", "", ""); ok {
		t.Fatal("route pbx matched a non-numeric user")
	}
	g, ok = c.Routes[0].Match("sip:alice@gw", "", "", "")
	if !ok || c.Routes[0].User(g) != "alice" {
		t.Fatalf("route local-users: ok=%v user=%q", ok, c.Routes[0].User(g))
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct{ yaml, want string }{
		{"listen: [{transport: sctp, addr: '127.0.0.1:5060'}]", "transport \"sctp\""},
		{"media: {ports: '5000'}", "media.ports"},
		{"media: {srtp: maybe}", "media.srtp"},
		{"codecs: [PCMX]", "unknown codec \"PCMX\""},
		{"routes: [{forward: 'sip:x@y', reject: 404}]", "give one action"},
		{"routes: [{app: karaoke}]", "want echo, play, record or conference"},
		{"routes: [{app: play}]", "needs file"},
		{"routes: [{app: conference}]", "needs room"},
		{"routes: [{forward: 'sip:x@y'}]", "open relay"},
		{"routes: [{registered: '$1'}]", "need a registrar"},
		{"routes: [{name: r}]", "needs an action"},
		{"routes: [{reject: 200}]", "want a 4xx"},
		{"routes: [{request_uri: '(', reject: 404}]", "request_uri"},
		{"lisen: []", "field lisen not found"},
		{"session_timer: {expires: 60s, min_se: 90s}", "session_timer"},
		{"session_timer: {min_se: 10ms}", "session_timer"},
	}
	for _, tc := range tests {
		_, err := ParseConfig("gw.yaml", []byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "gw.yaml") {
			t.Errorf("%s: error %v, want %q", tc.yaml, err, tc.want)
		}
	}
}

func TestEncoderFmtp(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"maxaveragebitrate=20000;stereo=1;sprop-stereo=1;useinbandfec=1", "maxaveragebitrate=20000;useinbandfec=1"},
		{" minptime=10; useinbandfec=1 ", "minptime=10;useinbandfec=1"},
		{"Stereo=1", ""},
		{"annexb=no", "annexb=no"},
	} {
		if got := encoderFmtp(tc.in); got != tc.want {
			t.Errorf("encoderFmtp(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
