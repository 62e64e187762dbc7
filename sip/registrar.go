package sip

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
	"go.yaml.in/yaml/v3"
)

// RegistrarConfig configures REGISTER handling and digest authentication.
type RegistrarConfig struct {
	Realm      string            `yaml:"realm"`       // digest realm (default "voxgraph")
	Users      map[string]string `yaml:"users"`       // user → password
	UsersFile  string            `yaml:"users_file"`  // YAML map user → password, merged with users
	MinExpires int               `yaml:"min_expires"` // seconds; shorter requests get 423 (default 60)
	MaxExpires int               `yaml:"max_expires"` // seconds; longer ones are cut (default 3600)
	NonceTTL   time.Duration     `yaml:"nonce_ttl"`   // how long a nonce is good (default 5m; then stale=true)
	// Algorithms are the digest algorithms challenged, in this order
	// (default [MD5, SHA-256]). RFC 8760 asks for the preferred one first,
	// but many deployed clients (SIPp among them) answer only the first
	// challenge and only know MD5; put SHA-256 first, or alone, where every
	// client supports it.
	Algorithms []string `yaml:"algorithms"`
	// Repeated failures from one source address: after MaxFailures within
	// FailureWindow the source gets 403 for BanTime without a check.
	MaxFailures   int           `yaml:"max_failures"`   // default 5
	FailureWindow time.Duration `yaml:"failure_window"` // default 1m
	BanTime       time.Duration `yaml:"ban_time"`       // default 5m
}

func (c *RegistrarConfig) defaults() {
	if c.Realm == "" {
		c.Realm = "voxgraph"
	}
	if c.MinExpires == 0 {
		c.MinExpires = 60
	}
	if c.MaxExpires == 0 {
		c.MaxExpires = 3600
	}
	if c.NonceTTL == 0 {
		c.NonceTTL = 5 * time.Minute
	}
	if c.MaxFailures == 0 {
		c.MaxFailures = 5
	}
	if c.FailureWindow == 0 {
		c.FailureWindow = time.Minute
	}
	if c.BanTime == 0 {
		c.BanTime = 5 * time.Minute
	}
	if len(c.Algorithms) == 0 {
		c.Algorithms = []string{"MD5", "SHA-256"}
	}
}

// Binding is one registered contact of a user.
type Binding struct {
	Contact sip.Uri        // where to send requests for the user (rewritten to Source behind NAT)
	Source  netip.AddrPort // where the REGISTER came from
	Expires time.Time
}

// Registrar authenticates requests with HTTP digest (RFC 3261 §22, RFC 8760:
// SHA-256 and MD5, qop=auth) and keeps the location of registered users.
// Nonces are stateless (a timestamp signed with a per-process key) and expire;
// a nonce count may not go backwards (replay protection).
type Registrar struct {
	cfg    RegistrarConfig
	users  map[string]string
	secret [32]byte
	now    func() time.Time

	mu       sync.Mutex
	bindings map[string][]Binding
	lastNC   map[string]int // nonce → highest nonce count seen
	failures map[netip.Addr]*failures
}

type failures struct {
	times  []time.Time
	banned time.Time
}

// NewRegistrar loads the users and returns a registrar.
func NewRegistrar(cfg RegistrarConfig) (*Registrar, error) {
	cfg.defaults()
	for _, a := range cfg.Algorithms {
		if a != "MD5" && a != "SHA-256" {
			return nil, fmt.Errorf("registrar algorithms: %q: want MD5 or SHA-256", a)
		}
	}
	r := &Registrar{cfg: cfg, users: map[string]string{}, now: time.Now,
		bindings: map[string][]Binding{}, lastNC: map[string]int{}, failures: map[netip.Addr]*failures{}}
	for u, p := range cfg.Users {
		r.users[u] = p
	}
	if cfg.UsersFile != "" {
		data, err := os.ReadFile(cfg.UsersFile)
		if err != nil {
			return nil, fmt.Errorf("registrar users_file: %w", err)
		}
		var m map[string]string
		if err := yaml.Unmarshal(data, &m); err != nil {
			return nil, fmt.Errorf("registrar users_file %s: want a map of user: password: %w", cfg.UsersFile, err)
		}
		for u, p := range m {
			r.users[u] = p
		}
	}
	if _, err := rand.Read(r.secret[:]); err != nil {
		return nil, err
	}
	return r, nil
}

// nonce makes a signed nonce: timestamp, random part (every challenge gets
// its own, so nonce counts of different clients never mix), signature.
func (r *Registrar) nonce() string {
	var salt [8]byte
	rand.Read(salt[:])
	body := strconv.FormatInt(r.now().Unix(), 16) + "." + hex.EncodeToString(salt[:])
	return body + "." + r.sign(body)
}

func (r *Registrar) sign(body string) string {
	m := hmac.New(sha256.New, r.secret[:])
	m.Write([]byte(body))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// checkNonce reports whether n is ours (valid) and still fresh.
func (r *Registrar) checkNonce(n string) (valid, fresh bool) {
	i := strings.LastIndexByte(n, '.')
	if i < 0 {
		return false, false
	}
	body, sig := n[:i], n[i+1:]
	ts, _, ok := strings.Cut(body, ".")
	if !ok {
		return false, false
	}
	want := r.sign(body)
	if subtle.ConstantTimeCompare([]byte(sig), []byte(want)) != 1 {
		return false, false
	}
	sec, err := strconv.ParseInt(ts, 16, 64)
	if err != nil {
		return false, false
	}
	return true, r.now().Sub(time.Unix(sec, 0)) <= r.cfg.NonceTTL
}

// challenge answers req with 401 (registrar) or 407 (proxy) carrying one
// challenge per configured algorithm, in the configured order (RFC 8760).
func (r *Registrar) challenge(req *sip.Request, tx sip.ServerTransaction, proxy, stale bool) {
	code, reason, hdr := sip.StatusUnauthorized, "Unauthorized", "WWW-Authenticate"
	if proxy {
		code, reason, hdr = sip.StatusProxyAuthRequired, "Proxy Authentication Required", "Proxy-Authenticate"
	}
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	n := r.nonce()
	for _, alg := range r.cfg.Algorithms {
		ch := digest.Challenge{Realm: r.cfg.Realm, Nonce: n, Algorithm: alg, QOP: []string{"auth"}, Stale: stale}
		res.AppendHeader(sip.NewHeader(hdr, ch.String()))
	}
	tx.Respond(res)
}

// authResult is the outcome of checking a request's credentials.
type authResult int

const (
	authOK authResult = iota
	authMissing
	authStale
	authFailed
	authBanned
)

// Authenticate checks req's Authorization (or Proxy-Authorization)
// credentials. It returns the user on success. Failures are counted per
// source address for rate limiting.
func (r *Registrar) Authenticate(req *sip.Request, proxy bool) (string, authResult) {
	src := sourceAddr(req)
	if r.banned(src) {
		return "", authBanned
	}
	name := "Authorization"
	if proxy {
		name = "Proxy-Authorization"
	}
	h := req.GetHeader(name)
	if h == nil {
		return "", authMissing
	}
	cred, err := digest.ParseCredentials(h.Value())
	if err != nil {
		r.fail(src)
		return "", authFailed
	}
	valid, fresh := r.checkNonce(cred.Nonce)
	if !valid {
		r.fail(src)
		return "", authFailed
	}
	if !fresh {
		return "", authStale
	}
	password, known := r.users[cred.Username]
	if !known || cred.Realm != r.cfg.Realm {
		r.fail(src)
		return "", authFailed
	}
	alg := strings.ToUpper(cred.Algorithm)
	if alg == "" {
		alg = "MD5" // RFC 2617: no algorithm means MD5
	}
	allowed := false
	for _, a := range r.cfg.Algorithms {
		allowed = allowed || a == alg
	}
	if !allowed {
		r.fail(src)
		return "", authFailed
	}
	chal := &digest.Challenge{Realm: r.cfg.Realm, Nonce: cred.Nonce, Algorithm: cred.Algorithm}
	if cred.QOP != "" {
		chal.QOP = []string{cred.QOP}
	}
	want, err := digest.Digest(chal, digest.Options{Method: string(req.Method), URI: cred.URI, Username: cred.Username,
		Password: password, Cnonce: cred.Cnonce, Count: cred.Nc})
	if err != nil || subtle.ConstantTimeCompare([]byte(want.Response), []byte(cred.Response)) != 1 {
		r.fail(src)
		return "", authFailed
	}
	if cred.QOP != "" { // replay protection: nonce counts only go up
		r.mu.Lock()
		last := r.lastNC[cred.Nonce]
		if cred.Nc <= last {
			r.mu.Unlock()
			r.fail(src)
			return "", authFailed
		}
		r.lastNC[cred.Nonce] = cred.Nc
		r.mu.Unlock()
	}
	return cred.Username, authOK
}

func sourceAddr(req *sip.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(req.Source())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr()
}

func (r *Registrar) fail(src netip.Addr) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f := r.failures[src]
	if f == nil {
		f = &failures{}
		r.failures[src] = f
	}
	now := r.now()
	keep := f.times[:0]
	for _, t := range f.times {
		if now.Sub(t) < r.cfg.FailureWindow {
			keep = append(keep, t)
		}
	}
	f.times = append(keep, now)
	if len(f.times) >= r.cfg.MaxFailures {
		f.banned = now.Add(r.cfg.BanTime)
		f.times = f.times[:0]
	}
}

func (r *Registrar) banned(src netip.Addr) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	f := r.failures[src]
	return f != nil && r.now().Before(f.banned)
}

// respondAuth answers a request whose authentication did not succeed.
func (r *Registrar) respondAuth(req *sip.Request, tx sip.ServerTransaction, res authResult, proxy bool) {
	switch res {
	case authBanned:
		respond(tx, req, sip.StatusForbidden, "Too Many Authentication Failures")
	case authStale:
		r.challenge(req, tx, proxy, true)
	default:
		r.challenge(req, tx, proxy, false)
	}
}

// OnRegister handles REGISTER: authenticate, then add, refresh or remove
// the user's bindings (RFC 3261 §10.3).
func (r *Registrar) OnRegister(req *sip.Request, tx sip.ServerTransaction) {
	r.forget()
	user, res := r.Authenticate(req, false)
	if res != authOK {
		r.respondAuth(req, tx, res, false)
		return
	}
	if to := req.To(); to == nil || to.Address.User != user {
		respond(tx, req, sip.StatusForbidden, "Authenticated User Does Not Own This Address")
		return
	}
	defExpires := 3600
	if h := req.GetHeader("Expires"); h != nil {
		if v, err := strconv.Atoi(strings.TrimSpace(h.Value())); err == nil {
			defExpires = v
		}
	}
	src, _ := netip.ParseAddrPort(req.Source())
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, h := range req.GetHeaders("Contact") {
		c, ok := h.(*sip.ContactHeader)
		if !ok {
			continue
		}
		if c.Address.Wildcard {
			if defExpires != 0 {
				respond(tx, req, sip.StatusBadRequest, "Wildcard Contact Needs Expires: 0")
				return
			}
			delete(r.bindings, user)
			continue
		}
		exp := defExpires
		if v, ok := c.Params.Get("expires"); ok {
			if n, err := strconv.Atoi(v); err == nil {
				exp = n
			}
		}
		if exp > 0 && exp < r.cfg.MinExpires {
			res := sip.NewResponseFromRequest(req, sip.StatusIntervalToBrief, "Interval Too Brief", nil)
			res.AppendHeader(sip.NewHeader("Min-Expires", strconv.Itoa(r.cfg.MinExpires)))
			tx.Respond(res)
			return
		}
		exp = min(exp, r.cfg.MaxExpires)
		contact := c.Address
		// NAT: a contact that is not where the REGISTER came from is
		// rewritten to the source address (RFC 3581 spirit).
		if src.IsValid() && (contact.Host != src.Addr().String() || contact.Port != int(src.Port())) {
			contact.Host, contact.Port = src.Addr().String(), int(src.Port())
		}
		list := r.bindings[user][:0:0]
		for _, b := range r.bindings[user] {
			if b.Contact.Host != contact.Host || b.Contact.Port != contact.Port {
				list = append(list, b)
			}
		}
		if exp > 0 {
			list = append(list, Binding{Contact: contact, Source: src, Expires: now.Add(time.Duration(exp) * time.Second)})
		}
		r.bindings[user] = list
	}
	ok := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil)
	for _, b := range r.live(user, now) {
		ch := &sip.ContactHeader{Address: b.Contact, Params: sip.NewParams()}
		ch.Params.Add("expires", strconv.Itoa(int(b.Expires.Sub(now).Seconds())))
		ok.AppendHeader(ch)
	}
	tx.Respond(ok)
}

// live returns the unexpired bindings (caller holds mu).
func (r *Registrar) live(user string, now time.Time) []Binding {
	var out []Binding
	for _, b := range r.bindings[user] {
		if now.Before(b.Expires) {
			out = append(out, b)
		}
	}
	r.bindings[user] = out
	return out
}

// Lookup returns the contact of user's most recent registration.
func (r *Registrar) Lookup(user string) (sip.Uri, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := r.live(user, r.now())
	if len(l) == 0 {
		return sip.Uri{}, false
	}
	b := l[len(l)-1]
	b.Contact.User = user
	return b.Contact, true
}

// forget drops nonce counts of nonces too old to be accepted (called on
// each REGISTER, so the table stays as small as the live nonces).
func (r *Registrar) forget() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for n := range r.lastNC {
		if _, fresh := r.checkNonce(n); !fresh {
			delete(r.lastNC, n)
		}
	}
}
