package rtp

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/pion/srtp/v3"

	"github.com/voxgraph/voxgraph/pipeline"
)

// Profiles maps SDP crypto-suite names (RFC 4568, RFC 7714) to pion/srtp
// protection profiles.
var profiles = map[string]srtp.ProtectionProfile{
	"AES_CM_128_HMAC_SHA1_80": srtp.ProtectionProfileAes128CmHmacSha1_80,
	"AES_CM_128_HMAC_SHA1_32": srtp.ProtectionProfileAes128CmHmacSha1_32,
	"AES_256_CM_HMAC_SHA1_80": srtp.ProtectionProfileAes256CmHmacSha1_80,
	"AES_256_CM_HMAC_SHA1_32": srtp.ProtectionProfileAes256CmHmacSha1_32,
	"AEAD_AES_128_GCM":        srtp.ProtectionProfileAeadAes128Gcm,
	"AEAD_AES_256_GCM":        srtp.ProtectionProfileAeadAes256Gcm,
}

const profileNames = "AES_CM_128_HMAC_SHA1_80,AES_CM_128_HMAC_SHA1_32,AES_256_CM_HMAC_SHA1_80,AES_256_CM_HMAC_SHA1_32,AEAD_AES_128_GCM,AEAD_AES_256_GCM"

// Keys is a parsed SRTP master key and salt.
type Keys struct {
	Profile srtp.ProtectionProfile
	Key     []byte
	Salt    []byte
}

// ParseKeys parses an SDES key parameter for the named crypto suite:
// "inline:" followed by the base64 of master key ‖ master salt, optionally
// with "|lifetime" (accepted and ignored: voxgraph rekeys by re-INVITE, not by
// lifetime); an MKI ("|1:4") is rejected. Plain base64 without "inline:" is
// also accepted.
func ParseKeys(suite, param string) (Keys, error) {
	prof, ok := profiles[strings.ToUpper(suite)]
	if !ok {
		return Keys{}, fmt.Errorf("unknown SRTP profile %q (one of %s)", suite, strings.ReplaceAll(profileNames, ",", ", "))
	}
	keyLen, _ := prof.KeyLen()
	saltLen, _ := prof.SaltLen()
	b64, _ := strings.CutPrefix(strings.TrimSpace(param), "inline:")
	parts := strings.Split(b64, "|")
	if len(parts) > 2 || len(parts) == 2 && strings.Contains(parts[1], ":") {
		return Keys{}, fmt.Errorf("SRTP key: MKI parameters are not supported")
	}
	if len(parts) == 3 {
		return Keys{}, fmt.Errorf("SRTP key: MKI parameters are not supported")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[0])
	if err != nil {
		raw, err = base64.RawStdEncoding.DecodeString(parts[0])
	}
	if err != nil {
		return Keys{}, fmt.Errorf("SRTP key is not base64: %w", err)
	}
	if len(raw) != keyLen+saltLen {
		return Keys{}, fmt.Errorf("SRTP key for %s must be %d bytes of key and salt (%d base64 characters), got %d bytes",
			suite, keyLen+saltLen, base64.StdEncoding.EncodedLen(keyLen+saltLen), len(raw))
	}
	return Keys{Profile: prof, Key: raw[:keyLen], Salt: raw[keyLen:]}, nil
}

// KeySaltLen is the length in bytes of master key plus salt for the named
// crypto suite.
func KeySaltLen(suite string) (int, error) {
	prof, ok := profiles[strings.ToUpper(suite)]
	if !ok {
		return 0, fmt.Errorf("unknown SRTP profile %q (one of %s)", suite, strings.ReplaceAll(profileNames, ",", ", "))
	}
	k, _ := prof.KeyLen()
	s, _ := prof.SaltLen()
	return k + s, nil
}

// NewKey returns a fresh random master key and salt for the named crypto
// suite in SDES form, "inline:BASE64" (RFC 4568): the key property of the
// SRTP elements.
func NewKey(suite string) (string, error) {
	n, err := KeySaltLen(suite)
	if err != nil {
		return "", err
	}
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("SRTP key: %w", err)
	}
	return Inline(b, nil), nil
}

// Inline formats key ‖ salt as an SDES "inline:" parameter.
func Inline(key, salt []byte) string {
	return "inline:" + base64.StdEncoding.EncodeToString(append(append([]byte(nil), key...), salt...))
}

// Security is the SRTP configuration shared by the RTP elements and rtcp:
// embedded in their structs, its tagged fields become their `profile` and
// `key` properties.
type Security struct {
	Profile string `prop:"profile" default:"AES_CM_128_HMAC_SHA1_80" enum:"AES_CM_128_HMAC_SHA1_80,AES_CM_128_HMAC_SHA1_32,AES_256_CM_HMAC_SHA1_80,AES_256_CM_HMAC_SHA1_32,AEAD_AES_128_GCM,AEAD_AES_256_GCM" doc:"SRTP protection profile (SDP crypto suite), used when key is set"`
	Key     string `prop:"key" default:"" doc:"SRTP master key and salt in SDES form, inline:BASE64 (RFC 4568), also keying SRTCP; empty: plain RTP (srtp-src and srtp-sink require a key)"`
}

// keys parses the key; nil without one. required makes a missing key an error.
func (c Security) keys(required bool, plain string) (*Keys, error) {
	if c.Key == "" {
		if required {
			return nil, fmt.Errorf("key is required (key=inline:BASE64, see voxgraph keygen); use %s for plain RTP", plain)
		}
		return nil, nil
	}
	k, err := ParseKeys(c.Profile, c.Key)
	if err != nil {
		return nil, err
	}
	return &k, nil
}

// context creates the SRTP/SRTCP context for the keys; nil keys (plain RTP)
// give a nil context.
func (k *Keys) context(opts ...srtp.ContextOption) (*srtp.Context, error) {
	if k == nil {
		return nil, nil
	}
	c, err := srtp.CreateContext(k.Key, k.Salt, k.Profile, opts...)
	if err != nil {
		return nil, fmt.Errorf("srtp context: %w", err)
	}
	return c, nil
}

// peer finds the element named name in the graph for property prop and
// checks it is a T (what names it in errors: "an rtp-src or srtp-src").
func peer[T pipeline.Element](in *pipeline.Injector, prop, name, what string) (T, error) {
	var zero T
	e, ok := in.Element(name)
	if !ok {
		return zero, fmt.Errorf("%s %q: no such element in this graph", prop, name)
	}
	t, ok := e.(T)
	if !ok {
		return zero, fmt.Errorf("%s %q is not %s", prop, name, what)
	}
	return t, nil
}
