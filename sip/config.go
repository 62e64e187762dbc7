package sip

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/voxgraph/voxgraph/codecs"
)

// Config is the gateway's configuration, read from YAML (see ExampleConfig).
type Config struct {
	// Listen lists the SIP listeners as transport → host:port.
	Listen []Listener `yaml:"listen"`
	// Media says where RTP ports come from.
	Media MediaConfig `yaml:"media"`
	// Codecs is the default codec preference list, by registry name.
	Codecs []string `yaml:"codecs"`
	// Routes are tried in order; the first that matches decides.
	Routes []Route `yaml:"routes"`
	// UserAgent is the User-Agent and Server header value.
	UserAgent string `yaml:"user_agent"`
	// Registrar enables REGISTER with digest authentication, routes to
	// registered users, and authenticated calls to trunks.
	Registrar *RegistrarConfig `yaml:"registrar"`
	// SessionTimer configures RFC 4028 session timers.
	SessionTimer SessionTimerConfig `yaml:"session_timer"`
	// MaxCalls caps the calls in progress: new INVITEs beyond it get 503
	// with Retry-After, so an overloaded gateway refuses calls instead of
	// degrading the media of those it has (0: no cap).
	MaxCalls int `yaml:"max_calls"`
}

// SessionTimerConfig configures RFC 4028 session timers: a call whose legs
// stop refreshing the session (a peer that vanished without BYE) is hung up.
type SessionTimerConfig struct {
	// Expires is the session interval asked for on outgoing INVITEs and
	// used on incoming ones that do not ask (default 30m).
	Expires time.Duration `yaml:"expires"`
	// MinSE is the smallest interval accepted: smaller requests get 422
	// (default 90s, the RFC's minimum).
	MinSE time.Duration `yaml:"min_se"`
	// Disabled turns session timers off: Session-Expires is ignored.
	Disabled bool `yaml:"disabled"`
}

// Listener is one SIP listening socket.
type Listener struct {
	Transport string `yaml:"transport"` // udp, tcp, tls, ws or wss (SIP over WebSocket, RFC 7118)
	Addr      string `yaml:"addr"`      // host:port
	Cert      string `yaml:"cert"`      // tls and wss: PEM certificate chain file
	Key       string `yaml:"key"`       // tls and wss: PEM private key file
}

// MediaConfig configures RTP.
type MediaConfig struct {
	Address    string        `yaml:"address"`     // IP put in SDP and bound for RTP
	Ports      string        `yaml:"ports"`       // "40000-49999"
	RTPTimeout time.Duration `yaml:"rtp_timeout"` // hang up after this long without RTP on a leg
	SRTP       string        `yaml:"srtp"`        // "optional" (answer SDES when offered) or "required"
}

// Route is one routing rule: conditions (all must match; an empty condition
// matches anything) and an action.
type Route struct {
	Name string `yaml:"name"`
	// Conditions: Go regular expressions.
	RequestURI string `yaml:"request_uri"`
	From       string `yaml:"from"`
	To         string `yaml:"to"`
	Source     string `yaml:"source"` // matched against the sender's ip:port
	// Actions: exactly one.
	Forward    string `yaml:"forward"`    // target URI; $1.. expand request_uri groups
	Registered string `yaml:"registered"` // a registered user ($1.. expanded): call their contact
	Reject     int    `yaml:"reject"`     // SIP status code
	// App answers the call here with a graph template instead of calling
	// anyone: echo, play (File), record (File) or conference (Room).
	App  string `yaml:"app"`
	File string `yaml:"file"` // WAV file for play and record ($1.. expanded)
	Room string `yaml:"room"` // conference room name ($1.. expanded)
	// Open lets unauthenticated callers use a forward route. Without it
	// the caller must authenticate (digest, 407) as a registrar user: no
	// open relay to trunks, no toll fraud.
	Open bool `yaml:"open"`
	// Codecs overrides the default preference list for calls on this route
	// (the outbound leg is offered only these: a G.711-only trunk stays G.711-only).
	Codecs []string `yaml:"codecs"`

	reqURI, from, to, source *regexp.Regexp
}

// ExampleConfig is a commented configuration (voxgraph gateway --example-config).
const ExampleConfig = `# voxgraph gateway configuration.
# SIP listeners: transport (udp, tcp, tls, ws or wss) and host:port; tls and
# wss take a PEM certificate chain and key.
listen:
  - {transport: udp, addr: "127.0.0.1:5060"}
  - {transport: tcp, addr: "127.0.0.1:5060"}
  # - {transport: tls, addr: "127.0.0.1:5061", cert: /etc/voxgraph/cert.pem, key: /etc/voxgraph/key.pem}
  # - {transport: ws, addr: "127.0.0.1:5066"}     # SIP over WebSocket (RFC 7118), for browser clients
  # - {transport: wss, addr: "127.0.0.1:7443", cert: /etc/voxgraph/cert.pem, key: /etc/voxgraph/key.pem}  # secure WebSocket

# Media: the address put in SDP and bound for RTP, the RTP port range (even
# ports for RTP, the odd one above for RTCP), how long a leg may be silent
# before the call is hung up, and SRTP policy: optional (SDES answered when
# offered) or required (calls without a=crypto get 488).
media:
  address: 127.0.0.1
  ports: 40000-49999
  rtp_timeout: 30s
  srtp: optional

# Default codec preference for both legs. When the legs end up with
# different codecs the call is transcoded.
codecs: [PCMU, PCMA]

# Calls in progress at most; more get 503 with Retry-After (0: no cap).
# Size it from benchmarks/sip (about 450 transcoded calls on 2 cores).
max_calls: 0

# Session timers (RFC 4028): each leg's session is refreshed (by re-INVITE
# or UPDATE) within the interval, or the call is hung up. expires is asked
# for on outgoing INVITEs and used when a caller asks nothing; requests
# below min_se get 422.
session_timer:
  expires: 30m
  min_se: 90s
  # disabled: true

# REGISTER with digest authentication (SHA-256 and MD5). Registered users
# can be called (registered: routes); callers to forward: routes must
# authenticate as one of these users unless the route says open: true.
registrar:
  realm: voxgraph
  users: {alice: change-me, bob: change-me-too}   # or users_file: users.yaml
  algorithms: [MD5, SHA-256]   # challenge order: many phones answer only the first, and only MD5
  max_failures: 5        # from one address within failure_window: 403 for ban_time
  failure_window: 1m
  ban_time: 5m

# Routes, first match wins. Conditions are Go regular expressions matched
# against the request URI, From and To URIs and the sender's ip:port; $1, $2
# in forward and registered are the request URI's groups.
routes:
  - name: local-users
    request_uri: '^sip:(alice|bob)@'
    registered: '$1'
  - name: pbx
    request_uri: '^sip:(\d+)@'
    forward: 'sip:$1@127.0.0.1:5070'
    codecs: [PCMA, PCMU]      # this trunk speaks G.711 only
  # Calls answered here by a graph template instead of a second leg:
  - {name: echo-test, request_uri: '^sip:echo@', app: echo}
  - {name: conference, request_uri: '^sip:conf-(\w+)@', app: conference, room: '$1'}
  # - {name: announcement, request_uri: '^sip:hello@', app: play, file: /var/lib/voxgraph/hello.wav}
  # - {name: voicemail, request_uri: '^sip:vm@', app: record, file: /var/lib/voxgraph/message.wav}
  - name: everything-else
    reject: 404
`

// LoadConfig reads and checks a configuration file.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("gateway config: %w", err)
	}
	return ParseConfig(path, data)
}

// ParseConfig parses and checks configuration YAML; errors name the file.
func ParseConfig(name string, data []byte) (*Config, error) {
	var c Config
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := c.check(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &c, nil
}

// Defaults fills what the configuration leaves out.
func (c *Config) defaults() {
	if c.Media.Address == "" {
		c.Media.Address = "127.0.0.1"
	}
	if c.Media.Ports == "" {
		c.Media.Ports = "40000-49999"
	}
	if c.Media.RTPTimeout == 0 {
		c.Media.RTPTimeout = 30 * time.Second
	}
	if c.Media.SRTP == "" {
		c.Media.SRTP = "optional"
	}
	if len(c.Codecs) == 0 {
		c.Codecs = []string{"PCMU", "PCMA"}
	}
	if c.UserAgent == "" {
		c.UserAgent = "voxgraph"
	}
	if c.SessionTimer.Expires == 0 {
		c.SessionTimer.Expires = 30 * time.Minute
	}
	if c.SessionTimer.MinSE == 0 {
		c.SessionTimer.MinSE = 90 * time.Second
	}
}

func (c *Config) check() error {
	c.defaults()
	var errs []error
	for i, l := range c.Listen {
		switch l.Transport {
		case "udp", "tcp", "ws":
		case "tls", "wss":
			if l.Cert == "" || l.Key == "" {
				errs = append(errs, fmt.Errorf("listen[%d]: %s needs cert: and key: (PEM files)", i, l.Transport))
			}
		default:
			errs = append(errs, fmt.Errorf("listen[%d]: transport %q: want udp, tcp, tls, ws or wss", i, l.Transport))
		}
		if _, err := netip.ParseAddrPort(l.Addr); err != nil {
			errs = append(errs, fmt.Errorf("listen[%d]: addr %q: want ip:port", i, l.Addr))
		}
	}
	if _, err := netip.ParseAddr(c.Media.Address); err != nil {
		errs = append(errs, fmt.Errorf("media.address %q: want an IP address", c.Media.Address))
	}
	if _, _, err := c.portRange(); err != nil {
		errs = append(errs, err)
	}
	if c.Media.SRTP != "optional" && c.Media.SRTP != "required" {
		errs = append(errs, fmt.Errorf("media.srtp %q: want optional or required", c.Media.SRTP))
	}
	if c.MaxCalls < 0 {
		errs = append(errs, fmt.Errorf("max_calls %d: want 0 (no cap) or more", c.MaxCalls))
	}
	if st := c.SessionTimer; st.MinSE < time.Second || st.Expires < st.MinSE {
		errs = append(errs, fmt.Errorf("session_timer: expires %s and min_se %s: want min_se >= 1s and expires >= min_se", st.Expires, st.MinSE))
	}
	errs = append(errs, checkCodecs("codecs", c.Codecs)...)
	for i := range c.Routes {
		r := &c.Routes[i]
		where := fmt.Sprintf("routes[%d]", i)
		if r.Name != "" {
			where += " (" + r.Name + ")"
		}
		for _, f := range []struct {
			src string
			dst **regexp.Regexp
			key string
		}{{r.RequestURI, &r.reqURI, "request_uri"}, {r.From, &r.from, "from"}, {r.To, &r.to, "to"}, {r.Source, &r.source, "source"}} {
			if f.src == "" {
				continue
			}
			re, err := regexp.Compile(f.src)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %s: %v", where, f.key, err))
				continue
			}
			*f.dst = re
		}
		actions := 0
		for _, set := range []bool{r.Forward != "", r.Registered != "", r.Reject != 0, r.App != ""} {
			if set {
				actions++
			}
		}
		switch {
		case actions > 1:
			errs = append(errs, fmt.Errorf("%s: give one action: forward, registered, app or reject", where))
		case actions == 0:
			errs = append(errs, fmt.Errorf("%s: needs an action: forward: URI, registered: USER, app: echo|play|record|conference or reject: CODE", where))
		case r.App != "" && r.App != "echo" && r.App != "play" && r.App != "record" && r.App != "conference":
			errs = append(errs, fmt.Errorf("%s: app %q: want echo, play, record or conference", where, r.App))
		case (r.App == "play" || r.App == "record") && r.File == "":
			errs = append(errs, fmt.Errorf("%s: app %s needs file: PATH.wav", where, r.App))
		case r.App == "conference" && r.Room == "":
			errs = append(errs, fmt.Errorf("%s: app conference needs room: NAME", where))
		case r.Reject != 0 && (r.Reject < 400 || r.Reject > 699):
			errs = append(errs, fmt.Errorf("%s: reject %d: want a 4xx, 5xx or 6xx status", where, r.Reject))
		case r.Registered != "" && c.Registrar == nil:
			errs = append(errs, fmt.Errorf("%s: registered routes need a registrar: section", where))
		case r.Forward != "" && !r.Open && c.Registrar == nil:
			errs = append(errs, fmt.Errorf("%s: forwards to a trunk without authentication: add a registrar: section so callers authenticate, or set open: true to allow anyone (an open relay)", where))
		}
		errs = append(errs, checkCodecs(where+": codecs", r.Codecs)...)
	}
	return errors.Join(errs...)
}

func checkCodecs(where string, names []string) []error {
	var errs []error
	for _, n := range names {
		if _, ok := codecs.Default.Lookup(n); !ok {
			errs = append(errs, fmt.Errorf("%s: unknown codec %q (known: %s)", where, n, strings.Join(codecs.Default.Names(), ", ")))
		}
	}
	return errs
}

func (c *Config) portRange() (int, int, error) {
	lo, hi, ok := strings.Cut(c.Media.Ports, "-")
	a, err1 := strconv.Atoi(strings.TrimSpace(lo))
	b, err2 := strconv.Atoi(strings.TrimSpace(hi))
	if !ok || err1 != nil || err2 != nil || a < 1024 || b > 65534 || a >= b {
		return 0, 0, fmt.Errorf("media.ports %q: want a range like 40000-49999 within 1024-65534", c.Media.Ports)
	}
	return a, b, nil
}

// Match reports whether the route applies to a request, and the request
// URI's submatches for expanding Forward.
func (r *Route) Match(requestURI, from, to, source string) ([]string, bool) {
	var groups []string
	if r.reqURI != nil {
		groups = r.reqURI.FindStringSubmatch(requestURI)
		if groups == nil {
			return nil, false
		}
	}
	for _, c := range []struct {
		re *regexp.Regexp
		s  string
	}{{r.from, from}, {r.to, to}, {r.source, source}} {
		if c.re != nil && !c.re.MatchString(c.s) {
			return nil, false
		}
	}
	return groups, true
}

// Target expands $1, $2 … in Forward with the request URI's groups.
func (r *Route) Target(groups []string) string { return expandGroups(r.Forward, groups) }

// User expands $1, $2 … in Registered with the request URI's groups.
func (r *Route) User(groups []string) string { return expandGroups(r.Registered, groups) }

func expandGroups(s string, groups []string) string {
	out := s
	for i := len(groups) - 1; i >= 1; i-- {
		out = strings.ReplaceAll(out, "$"+strconv.Itoa(i), groups[i])
	}
	return out
}
