package sdp

import (
	"fmt"
	"slices"
	"strings"

	"github.com/voxgraph/voxgraph/elements/rtp"
)

// SRTPPolicy says whether a stream uses SRTP keyed by SDES (RFC 4568).
type SRTPPolicy uint8

// SRTP policies.
const (
	// SRTPOff offers plain RTP, ignores crypto lines in RTP/AVP offers and
	// refuses RTP/SAVP offers (ErrNoCommonCrypto).
	SRTPOff SRTPPolicy = iota
	// SRTPOptional offers RTP/AVP with a=crypto (best-effort SRTP) and
	// answers with SRTP whenever the offer has a usable crypto line.
	SRTPOptional
	// SRTPRequired offers RTP/SAVP and refuses offers without a usable
	// crypto line (ErrSRTPRequired, ErrNoCommonCrypto).
	SRTPRequired
)

var policyNames = [...]string{"off", "optional", "required"}

// String returns "off", "optional" or "required".
func (p SRTPPolicy) String() string {
	if int(p) < len(policyNames) {
		return policyNames[p]
	}
	return fmt.Sprintf("srtp-policy(%d)", p)
}

// ParseSRTPPolicy parses "off" (or ""), "optional" or "required", as
// written in the gateway configuration.
func ParseSRTPPolicy(s string) (SRTPPolicy, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "off", "no", "none":
		return SRTPOff, nil
	case "optional":
		return SRTPOptional, nil
	case "required", "mandatory":
		return SRTPRequired, nil
	}
	return 0, fmt.Errorf("sdp: SRTP policy %q is not off, optional or required: %w", s, ErrBadParams)
}

// DefaultSuites returns the crypto suites an answerer accepts when
// AnswerParams.Suites is nil, most preferred first: AEAD before HMAC,
// 256-bit before 128-bit keys, 80-bit before 32-bit tags.
func DefaultSuites() []string {
	return []string{
		"AEAD_AES_256_GCM",
		"AEAD_AES_128_GCM",
		"AES_256_CM_HMAC_SHA1_80",
		"AES_CM_128_HMAC_SHA1_80",
		"AES_256_CM_HMAC_SHA1_32",
		"AES_CM_128_HMAC_SHA1_32",
	}
}

// GenerateKey returns a fresh random SDES key for suite, as
// "inline:BASE64" of master key and salt.
func GenerateKey(suite string) (string, error) {
	if _, err := rtp.KeySaltLen(suite); err != nil {
		return "", fmt.Errorf("sdp: %w: %w", ErrBadParams, err)
	}
	k, err := rtp.NewKey(suite)
	if err != nil {
		return "", fmt.Errorf("sdp: %w", err)
	}
	return k, nil
}

// NewCrypto returns crypto lines with fresh keys for the suites, tagged 1, 2,
// … in order: the SRTP part of an offer.
func NewCrypto(suites ...string) ([]Crypto, error) {
	out := make([]Crypto, 0, len(suites))
	for i, s := range suites {
		k, err := GenerateKey(s)
		if err != nil {
			return nil, err
		}
		out = append(out, Crypto{Tag: i + 1, Suite: s, Key: k})
	}
	return out, nil
}

// checkCrypto reports why c cannot key SRTP here, or nil: the suite must be
// known, the key a single "inline:" key of the suite's length (rtp.ParseKeys:
// a lifetime is fine, an MKI is not) and the session parameters at most a
// window size hint.
func checkCrypto(c Crypto) error {
	if !strings.HasPrefix(c.Key, "inline:") {
		return fmt.Errorf("crypto %d: key method is not inline", c.Tag)
	}
	if _, err := rtp.ParseKeys(c.Suite, c.Key); err != nil {
		return fmt.Errorf("crypto %d: %w", c.Tag, err)
	}
	for p := range strings.FieldsSeq(c.Params) {
		if !strings.HasPrefix(p, "WSH=") {
			return fmt.Errorf("crypto %d: session parameter %q not supported", c.Tag, p)
		}
	}
	return nil
}

// pickCrypto returns the offered crypto line to answer: the usable line whose
// suite comes first in suites (case-insensitive), the first such line on a
// tie. It returns false when none is usable.
func pickCrypto(offered []Crypto, suites []string) (Crypto, bool) {
	for _, s := range suites {
		for _, c := range offered {
			if strings.EqualFold(c.Suite, s) && checkCrypto(c) == nil {
				return c, true
			}
		}
	}
	return Crypto{}, false
}

// suiteNames lists the suites of cs, for error messages.
func suiteNames(cs []Crypto) string {
	names := make([]string, 0, len(cs))
	for _, c := range cs {
		if !slices.Contains(names, c.Suite) {
			names = append(names, c.Suite)
		}
	}
	return strings.Join(names, ", ")
}
